"""``@app.websocket`` handlers driven in-process with raw ASGI messages, and the clear
answer the same rule gives over plain HTTP and WSGI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asgi_helpers import call
from stein import Stein, g, request
from stein.websocket import WebSocket, WebSocketDisconnect


async def ws_session(app: Stein, path: str, incoming: list[dict[str, Any]], query: bytes = b"",
                     subprotocols: list[str] | None = None) -> list[dict[str, Any]]:
    """Connect, feed ``incoming`` after the handshake, then disconnect; returns what the app sent."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    queue.put_nowait({"type": "websocket.connect"})
    for m in incoming:
        queue.put_nowait(m)
    queue.put_nowait({"type": "websocket.disconnect", "code": 1001})
    sent: list[dict[str, Any]] = []

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {
        "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
        "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80),
        "subprotocols": subprotocols or [],
    }
    await asyncio.wait_for(app(scope, queue.get, send), 5)
    return sent


def test_echo_round_trip_text_bytes_and_json(app: Stein) -> None:
    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for message in ws:
            if message == "json":
                await ws.send_json(await ws.receive_json())
            else:
                await ws.send(message)

    sent = asyncio.run(ws_session(app, "/echo", [
        {"type": "websocket.receive", "text": "hello"},
        {"type": "websocket.receive", "bytes": b"\x00\x01"},
        {"type": "websocket.receive", "text": "json"},
        {"type": "websocket.receive", "text": '{"a": [1, 2]}'},
    ]))
    assert sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "hello"},
        {"type": "websocket.send", "bytes": b"\x00\x01"},
        {"type": "websocket.send", "text": '{"a":[1,2]}'},
    ]


def test_view_args_request_and_g_inside_handler(app: Stein) -> None:
    @app.websocket("/room/<name>")
    async def room(ws: WebSocket, name: str) -> None:
        g.room = name
        await ws.accept(subprotocol="chat" if "chat" in ws.subprotocols else None)
        await ws.send(f"{g.room} {request.args['user']} {request.path}")
        await ws.close(4000, "bye")

    sent = asyncio.run(ws_session(app, "/room/blue", [], query=b"user=ann", subprotocols=["chat"]))
    assert sent == [
        {"type": "websocket.accept", "subprotocol": "chat"},
        {"type": "websocket.send", "text": "blue ann /room/blue"},
        {"type": "websocket.close", "code": 4000, "reason": "bye"},
    ]


def test_handler_end_closes_normally_and_disconnect_is_raised(app: Stein) -> None:
    got: list[Any] = []

    @app.websocket("/once")
    async def once(ws: WebSocket) -> None:
        await ws.accept()
        got.append(await ws.receive())
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
        got.append(info.value.code)

    sent = asyncio.run(ws_session(app, "/once", [{"type": "websocket.receive", "text": "x"}]))
    assert got == ["x", 1001]
    assert sent == [{"type": "websocket.accept", "subprotocol": None}]  # client already gone


def test_unknown_path_and_handler_errors_close_the_socket(app: Stein) -> None:
    @app.websocket("/fails-early")
    async def early(ws: WebSocket) -> None:
        raise RuntimeError("before accept")

    @app.websocket("/fails-late")
    async def late(ws: WebSocket) -> None:
        await ws.accept()
        raise RuntimeError("after accept")

    @app.route("/page")
    def page() -> str:
        return "page"

    assert asyncio.run(ws_session(app, "/nope", [])) == [
        {"type": "websocket.close", "code": 1000, "reason": ""}]
    # An HTTP-only rule is not a WebSocket endpoint: policy violation.
    assert asyncio.run(ws_session(app, "/page", [])) == [
        {"type": "websocket.close", "code": 1008, "reason": ""}]
    # Before accept: a plain close, which the server turns into a 403 handshake answer.
    assert asyncio.run(ws_session(app, "/fails-early", [])) == [
        {"type": "websocket.close", "code": 1000, "reason": ""}]
    assert asyncio.run(ws_session(app, "/fails-late", [])) == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.close", "code": 1011, "reason": ""}]


def test_misuse_gives_clear_errors(app: Stein) -> None:
    with pytest.raises(TypeError, match="must be 'async def'"):
        @app.websocket("/sync")
        def sync_handler(ws: WebSocket) -> None:
            pass

    problems: list[str] = []

    @app.websocket("/early-send")
    async def early_send(ws: WebSocket) -> None:
        try:
            await ws.send("x")
        except RuntimeError as e:
            problems.append(str(e))
        await ws.accept()
        try:
            await ws.accept()
        except RuntimeError as e:
            problems.append(str(e))

    asyncio.run(ws_session(app, "/early-send", []))
    assert problems == ["WebSocket.send() needs an accepted, open connection.",
                        "WebSocket.accept() called on a connected connection."]


def test_websocket_rule_over_http_says_asgi_is_needed(app: Stein) -> None:
    @app.websocket("/ws")
    async def ws(ws: WebSocket) -> None:
        await ws.accept()

    from stein import url_for

    with app.test_request_context():
        assert url_for("ws") == "/ws"
    r = app.test_client().get("/ws")
    assert r.status_code == 426 and r.headers["Upgrade"] == "websocket"
    assert "WSGI server, which cannot carry WebSockets" in r.text and "uvicorn" in r.text
    res = call(app, path="/ws")
    assert res.status == 426 and "plain HTTP through this ASGI server" in res.text
