"""Stein's example blog: register, log in, write posts. Run it with ``make demo``.

In production: ``gunicorn --chdir examples/blog 'blog:create_app()'``, with
``STEIN_SECRET_KEY`` set (without a key the blog uses a random one per process: see
docs/tutorial/factory.md for why).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from stein import Stein

_process_key: str | None = None


def _fallback_secret_key() -> str:
    """A random key made once per process, for when none is configured."""
    global _process_key
    if _process_key is None:
        _process_key = secrets.token_hex(32)
    return _process_key


def create_app(test_config: dict[str, Any] | None = None) -> Stein:
    """Build the blog app. ``test_config`` replaces the instance config (tests use it)."""
    app = Stein(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "blog.sqlite"))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        # No well-known default: anyone who knows a key can sign a session cookie that
        # logs them in as any user. A random key keeps `make demo` working without setup.
        app.config["SECRET_KEY"] = _fallback_secret_key()
        if not app.testing:
            app.logger.warning("No SECRET_KEY set: using a random key for this process, so"
                               " logins end at a restart and are not shared between worker"
                               " processes; set STEIN_SECRET_KEY to keep them.")
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
