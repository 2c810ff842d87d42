"""``@bp.websocket``: blueprint WebSocket rules (prefix, subdomain, names, defaults), driven
through ``stein.websocket.connect``, the in-process WebSocket test client, and the answer
the rules give over plain HTTP (WSGI and ASGI)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from stein import Blueprint, Stein, request, url_for
from stein.websocket import WebSocket, WebSocketDisconnect, connect


def _chat_blueprint(**kwargs: Any) -> Blueprint:
    bp = Blueprint("chat", __name__, **kwargs)

    @bp.websocket("/<room>")
    async def room(ws: WebSocket, room: str) -> None:
        await ws.accept()
        async for message in ws:
            await ws.send(f"[{room}] {message} via {request.blueprint}:{request.url_rule.endpoint}")

    return bp


def test_prefixed_rule_endpoint_and_round_trip(app: Stein) -> None:
    app.register_blueprint(_chat_blueprint(url_prefix="/chat"))
    assert "chat.room" in app.websocket_handlers
    with app.test_request_context():
        assert url_for("chat.room", room="blue") == "/chat/blue"

    async def talk() -> list[str | bytes]:
        async with connect(app, "/chat/blue") as ws:
            await ws.send("hi")
            first = await ws.receive()
            await ws.send("again")
            return [first, await ws.receive()]

    assert asyncio.run(talk()) == ["[blue] hi via chat:chat.room", "[blue] again via chat:chat.room"]


def test_unprefixed_path_is_not_routed(app: Stein) -> None:
    app.register_blueprint(_chat_blueprint(url_prefix="/chat"))

    async def talk() -> None:
        async with connect(app, "/blue"):
            raise AssertionError("the handshake should have been refused")

    with pytest.raises(WebSocketDisconnect) as ei:
        asyncio.run(talk())
    assert ei.value.code == 1000  # no rule: closed before accept (a 403 to a real client)


def test_plain_http_gets_426_under_wsgi_and_asgi(app: Stein) -> None:
    app.register_blueprint(_chat_blueprint(url_prefix="/chat"))
    r = app.test_client().get("/chat/blue")
    assert r.status_code == 426
    assert r.headers["Upgrade"] == "websocket"
    assert "/chat/blue is a WebSocket endpoint" in r.text
    assert "WSGI server, which cannot carry WebSockets" in r.text

    async def over_asgi() -> Any:
        async with app.asgi_test_client() as client:
            return await client.get("/chat/blue")

    r2 = asyncio.run(over_asgi())
    assert r2.status_code == 426
    assert "plain HTTP through this ASGI server" in r2.text
    # Only GET (the handshake's method) is routed, with no automatic OPTIONS.
    assert app.test_client().post("/chat/blue").status_code == 405
    assert app.test_client().options("/chat/blue").status_code == 405


def test_subdomain_applies(app: Stein) -> None:
    app.subdomain_matching = True  # subdomains count under SERVER_NAME only with this
    app.config["SERVER_NAME"] = "example.test"
    app.register_blueprint(_chat_blueprint(subdomain="live"))

    async def talk(host: str) -> str | bytes:
        async with connect(app, "/red", host=host) as ws:
            await ws.send("x")
            return await ws.receive()

    assert asyncio.run(talk("live.example.test")) == "[red] x via chat:chat.room"
    with pytest.raises(WebSocketDisconnect):
        asyncio.run(talk("example.test"))


def test_nested_blueprints_combine_prefix_and_name(app: Stein) -> None:
    api = Blueprint("api", __name__, url_prefix="/api")
    v1 = Blueprint("v1", __name__, url_prefix="/v1")

    @v1.websocket("/feed", endpoint="feed")
    async def feed_handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_json({"endpoint": request.url_rule.endpoint, "path": request.path})

    api.register_blueprint(v1)
    app.register_blueprint(api)
    with app.test_request_context():
        assert url_for("api.v1.feed") == "/api/v1/feed"

    async def talk() -> Any:
        async with connect(app, "/api/v1/feed") as ws:
            return await ws.receive_json()

    assert asyncio.run(talk()) == {"endpoint": "api.v1.feed", "path": "/api/v1/feed"}


def test_registered_twice_under_two_names(app: Stein) -> None:
    bp = _chat_blueprint()
    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="chat_b")

    async def talk(path: str) -> str | bytes:
        async with connect(app, path) as ws:
            await ws.send("m")
            return await ws.receive()

    assert asyncio.run(talk("/a/r")) == "[r] m via chat:chat.room"
    assert asyncio.run(talk("/b/r")) == "[r] m via chat_b:chat_b.room"


def test_blueprint_url_defaults_reach_the_handler(app: Stein) -> None:
    bp = Blueprint("tenant", __name__, url_prefix="/t", url_defaults={"tenant": "acme"})

    @bp.websocket("/ws")
    async def ws_handler(ws: WebSocket, tenant: str) -> None:
        await ws.accept()
        await ws.send(tenant)

    app.register_blueprint(bp)

    async def talk() -> str | bytes:
        async with connect(app, "/t/ws") as ws:
            return await ws.receive()

    assert asyncio.run(talk()) == "acme"


def test_misuse_is_refused_when_decorating() -> None:
    bp = Blueprint("bad", __name__)
    with pytest.raises(TypeError, match="WebSocket handler 'sync_handler' must be 'async def'"):
        @bp.websocket("/ws")
        def sync_handler(ws: WebSocket) -> None:
            pass

    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        @bp.websocket("/ws", endpoint="a.b")
        async def dotted(ws: WebSocket) -> None:
            await ws.accept()

    Stein("x").register_blueprint(bp)
    with pytest.raises(AssertionError, match="setup method 'websocket' can no longer be called"):
        bp.websocket("/late")


# -- the test client itself -----------------------------------------------------------------


def test_session_passes_query_headers_and_subprotocols(app: Stein) -> None:
    @app.websocket("/info")
    async def info(ws: WebSocket) -> None:
        await ws.accept(subprotocol="v2" if "v2" in ws.subprotocols else None)
        await ws.send_json({"q": request.args["q"], "h": request.headers["X-Token"],
                            "host": request.host})
        await ws.send(b"\x00\xff")
        await ws.close(4001, "done")

    async def talk() -> Any:
        async with connect(app, "/info", query_string="q=1", headers={"X-Token": "t"},
                           subprotocols=["v1", "v2"]) as ws:
            assert ws.subprotocol == "v2"
            data = await ws.receive_json()
            blob = await ws.receive()
            with pytest.raises(WebSocketDisconnect) as ei:
                await ws.receive()
            return data, blob, ei.value.code, ws.close_reason

    assert asyncio.run(talk()) == ({"q": "1", "h": "t", "host": "localhost"}, b"\x00\xff", 4001, "done")


def test_client_close_reaches_the_handler(app: Stein) -> None:
    seen: list[int] = []

    @app.websocket("/listen")
    async def listen(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive()
        except WebSocketDisconnect as e:
            seen.append(e.code)
            raise

    async def talk() -> None:
        async with connect(app, "/listen") as ws:
            await ws.close(4100)

    asyncio.run(talk())
    assert seen == [4100]


def test_handler_error_closes_with_1011(app: Stein, caplog: pytest.LogCaptureFixture) -> None:
    @app.websocket("/boom")
    async def boom(ws: WebSocket) -> None:
        await ws.accept()
        raise RuntimeError("kaboom")

    async def talk() -> int:
        async with connect(app, "/boom") as ws:
            with pytest.raises(WebSocketDisconnect) as ei:
                await ws.receive()
            return ei.value.code

    with caplog.at_level(logging.ERROR):
        assert asyncio.run(talk()) == 1011
    assert "kaboom" in caplog.text


def test_silent_handler_times_out_instead_of_hanging(app: Stein) -> None:
    @app.websocket("/quiet")
    async def quiet(ws: WebSocket) -> None:
        await ws.accept()
        async for _ in ws:
            pass  # reads, never answers

    async def talk() -> None:
        async with connect(app, "/quiet", timeout=0.2) as ws:
            await ws.receive()

    with pytest.raises(TimeoutError, match="sent nothing within 0.2 s"):
        asyncio.run(talk())


def test_http_request_hooks_skip_websockets_and_teardown_runs(app: Stein) -> None:
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append("before")

    @app.after_request
    def after(resp: Any) -> Any:
        calls.append("after")
        return resp

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send("ready")

    async def talk() -> str | bytes:
        async with connect(app, "/echo") as ws:
            return await ws.receive()

    assert asyncio.run(talk()) == "ready"
    assert calls == ["teardown"]
