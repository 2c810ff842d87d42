"""Optional batteries: each module is imported only when an app uses it.

- :mod:`stein.ext.auth` — logins, ``current_user``, remember-me, ``login_required``.
- :mod:`stein.ext.csrf` — CSRF tokens for forms and JS clients.
- :mod:`stein.ext.openapi` — typed views validated with pydantic, OpenAPI 3.1, ``/docs``.
- :mod:`stein.ext.sqlalchemy` — SQLAlchemy 2 sessions scoped to the app context.
- :mod:`stein.ext.redis_sessions` — server-side sessions in Redis.
- :mod:`stein.ext.broadcast` — WebSocket broadcast channels across processes, on Redis.
"""
