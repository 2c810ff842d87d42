"""Stein's example blog: register, log in, write posts. Run it with ``make demo``.

In production: ``gunicorn --chdir examples/blog 'blog:create_app()'``.
"""

from __future__ import annotations

import os
from typing import Any

from stein import Stein


def create_app(test_config: dict[str, Any] | None = None) -> Stein:
    """Build the blog app. ``test_config`` replaces the instance config (tests use it)."""
    app = Stein(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # Replace in instance/config.py (or STEIN_SECRET_KEY) before deploying.
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "blog.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from stein.ext.csrf import CSRFProtect

    from . import auth, db, posts

    CSRFProtect(app)  # every POST form carries {{ csrf_token() }}
    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)

    @app.get("/hello")
    def hello() -> str:
        return "Hello, World!"

    return app
