"""Stein's example blog: register, log in, write posts. Run it with ``make demo``.

In production: ``gunicorn --chdir examples/blog 'blog:create_app()'``, with
``STEIN_SECRET_KEY`` set. Without a configured key the blog makes one once and keeps it
in its instance folder (``instance/secret_key``), so that restarts and the reloads of
``--debug`` keep users logged in: see docs/tutorial/factory.md for why.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from stein import Stein, render_template
from stein.exceptions import HTTPException

_process_key: str | None = None


def _process_secret_key() -> str:
    """A random key made once per process: tests that configure none never touch disk."""
    global _process_key
    if _process_key is None:
        _process_key = secrets.token_hex(32)
    return _process_key


def instance_secret_key(instance_path: str) -> str:
    """The key kept in ``instance_path/secret_key``, made on first use: 32 random bytes
    (hex), readable by the owner only. It appears whole or not at all (written aside, then
    hard-linked into place, which never replaces a file), so processes that start together
    (the reloader's, a server's workers) agree on one key."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        aside = f"{path}.{os.getpid()}"
        with open(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: its key it is
        finally:
            os.unlink(aside)
    with open(path, encoding="ascii") as f:
        return f.read().strip()


def create_app(test_config: dict[str, Any] | None = None) -> Stein:
    """Build the blog app. ``test_config`` replaces the instance config (tests use it)."""
    app = Stein(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "blog.sqlite"))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        # No well-known default: anyone who knows a key can sign a session cookie that
        # logs them in as any user. A key of this installation's own, kept in the instance
        # folder, keeps `make demo` working without setup and its logins across reloads.
        if app.testing:
            app.config["SECRET_KEY"] = _process_secret_key()
        else:
            app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    from stein.ext.csrf import CSRFProtect

    from . import auth, db, posts

    CSRFProtect(app)  # every POST form carries {{ csrf_token() }}
    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)

    @app.get("/hello")
    def hello() -> str:
        return "Hello, World!"

    @app.errorhandler(403)
    @app.errorhandler(404)
    def error_page(e: HTTPException) -> tuple[str, int]:
        # The site's layout and navigation around the error, not a bare page.
        return render_template("error.html", error=e), e.code or 500

    return app
