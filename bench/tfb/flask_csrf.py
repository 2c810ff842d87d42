"""The blog's CSRF protection for its Flask twin: what ``stein.ext.csrf`` does (and what
Flask-WTF's ``CSRFProtect`` does), in Flask's terms: a random secret in the session, the
token handed out is that secret signed with a timestamp, every POST checked against it. The
same work per page on both sides, so the blog comparison measures the frameworks."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, abort, current_app, g, request, session

_SALT = "stein-csrf-token"
_KEY = "_csrf_secret"


def _serializer(app: Flask) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(app.secret_key, salt=_SALT)


def generate_csrf() -> str:
    """The signed token for this session (once per request)."""
    token = g.get("_csrf_token")
    if token is None:
        raw = session.get(_KEY)
        if not isinstance(raw, str):
            raw = session[_KEY] = secrets.token_hex(32)
        token = g._csrf_token = _serializer(current_app).dumps(raw)
    return token  # type: ignore[no-any-return]


class CSRFProtect:
    def __init__(self, app: Flask) -> None:
        app.jinja_env.globals["csrf_token"] = generate_csrf

        @app.before_request
        def _check() -> None:
            if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
                return
            raw = session.get(_KEY)
            try:
                value = _serializer(app).loads(request.form.get("csrf_token", ""), max_age=3600)
            except Exception:
                abort(400)
            if not isinstance(raw, str) or not hmac.compare_digest(value, raw):
                abort(400)
