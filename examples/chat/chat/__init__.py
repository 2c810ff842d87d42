"""A small chat that runs as many processes as you like: sessions in Redis, messages in a
PostgreSQL table, live delivery through :mod:`stein.ext.broadcast`.

>>> app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})  # doctest: +SKIP

HTTP (any WSGI or ASGI server): ``POST /login`` (name, password; the first login claims the
name), ``POST /logout``, ``GET /api/me``, ``GET /api/messages?after=<id>``, ``POST
/api/messages`` (text, and an idempotency ``key``: sending the same key twice stores one row),
``GET /healthz``. WebSocket (ASGI only): ``/ws?since=<event id>`` relays the room; a client
that reconnects with the last event id it saw misses nothing.

Configuration from the environment (``STEIN_`` prefix): ``SECRET_KEY``, ``DATABASE_URL``,
``REDIS_URL``, ``NODE`` (a name sent back in ``X-Served-By``), ``PASSWORD_METHOD``.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from stein import Stein, abort, request
from stein.ext.auth import LoginManager, current_user, login_required, login_user, logout_user
from stein.ext.broadcast import Broadcast, SlowSubscriber
from stein.ext.redis_sessions import RedisSessions
from stein.ext.sqlalchemy import Database

from .store import Store, User

ROOM = "room"
PAGE = os.path.join(os.path.dirname(__file__), "page.html")


def _redis_client(url: str) -> Any:
    """A Redis client that rides out a Redis restart: a request waits (up to ~5 s) for it to
    come back instead of failing with 503."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=1.0,
                                retry=Retry(ExponentialBackoff(cap=0.5, base=0.02), 12),
                                retry_on_error=[ConnectionError, TimeoutError])


def create_app(config: dict[str, Any] | None = None) -> Stein:
    """The chat app; ``config`` overrides what the environment sets."""
    app = Stein(__name__)
    app.config.update(
        SECRET_KEY="dev only: set STEIN_SECRET_KEY",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        REDIS_URL="redis://127.0.0.1:6379/0",
        PASSWORD_METHOD="scrypt",
        NODE=os.uname().nodename,
    )
    app.config.from_prefixed_env()
    if "DATABASE_URL" in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.update(config or {})
    app.config.setdefault("BROADCAST_REDIS_URL", app.config["REDIS_URL"])

    db = Database(app)
    store = Store(db, app.config["PASSWORD_METHOD"])
    app.extensions["chat_store"] = store
    RedisSessions(app, client=_redis_client(app.config["REDIS_URL"]))
    broadcast = Broadcast(app)
    login = LoginManager(app)
    login.user_loader(store.user)
    node = str(app.config["NODE"])

    @app.after_request
    def served_by(response):
        response.headers["X-Served-By"] = node
        return response

    @app.get("/")
    def index():
        with open(PAGE, encoding="utf-8") as f:
            return f.read()

    @app.get("/healthz")
    def healthz():
        # Liveness only: a Redis or PostgreSQL restart must not take every node out of the
        # load balancer at once (the requests wait for them instead).
        return "ok"

    @app.post("/login")
    def login_view():
        data = request.get_json(silent=True) or request.form
        name, password = str(data.get("name", "")).strip(), str(data.get("password", ""))
        if not (1 <= len(name) <= 40) or not password:
            abort(400, "name (1-40 characters) and password are required")
        user = store.login(name, password)
        if user is None:
            return {"error": "wrong password for this name"}, 403
        login_user(user)
        return {"user": user.name}

    @app.post("/logout")
    def logout_view():
        logout_user()
        return {"user": None}

    @app.get("/api/me")
    @login_required
    def me():
        return {"user": current_user.name}

    @app.get("/api/messages")
    def messages():
        after = request.args.get("after", 0, type=int)
        return {"messages": store.messages(after, limit=min(request.args.get("limit", 50, type=int), 500))}

    @app.post("/api/messages")
    @login_required
    def say():
        data = request.get_json(silent=True) or request.form
        text = str(data.get("text", "")).strip()
        if not text or len(text) > 2000:
            abort(400, "text (1-2000 characters) is required")
        key = str(data.get("key") or request.headers.get("Idempotency-Key") or "") or None
        msg, created = store.add(current_user.name, text, key)
        if not msg["published"]:  # new, or a retry of one whose publish did not happen
            broadcast.publish_sync(ROOM, json.dumps(_public(msg), separators=(",", ":")))
            store.mark_published(msg["id"])
        return _public(msg), (201 if created else 200), {"X-Key": msg["key"]}

    @app.websocket("/ws")
    async def feed(ws):
        await ws.accept()
        try:
            sub = broadcast.subscribe(ROOM, since=request.args.get("since") or None)
        except ValueError:
            await ws.close(1008, "since= is not an event id")
            return
        async with sub:
            tasks = {asyncio.ensure_future(_relay(ws, sub)), asyncio.ensure_future(_drain(ws))}
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    return app


async def _relay(ws: Any, sub: Any) -> None:
    """Room messages to the client, each as ``{"event": <id for since=>, "message": {...}}``."""
    try:
        async for msg in sub:
            await ws.send(f'{{"event":"{msg.id}","message":{msg.data}}}')
    except SlowSubscriber:
        await ws.close(1013, "too slow; reconnect with since=")
    except Exception:  # the client went away while we sent
        pass


async def _drain(ws: Any) -> None:
    """Read (and ignore) what the client sends, until it goes away."""
    try:
        async for _ in ws:
            pass
    except Exception:
        pass


def _public(msg: dict[str, Any]) -> dict[str, Any]:
    return {k: msg[k] for k in ("id", "key", "author", "text")}


__all__ = ["User", "create_app"]
