"""WebSockets (ASGI only): ``@app.websocket("/ws")`` handlers and the ``WebSocket`` they get.

>>> @app.websocket("/echo")
... async def echo(ws):
...     await ws.accept()
...     async for message in ws:
...         await ws.send(message)

The rule lives in ``app.url_map`` like any other (so ``url_for`` builds it), and the handler
runs inside a request context: ``request.args``, ``request.headers``, ``session``, ``g`` and
``current_app`` work as in a view. Served over WSGI, or asked for with plain HTTP, the rule
answers ``426 Upgrade Required`` with a message saying an ASGI server is needed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Stein


class WebSocketDisconnect(Exception):
    """The client closed the connection (``code`` is its close code)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"WebSocket closed by the client with code {code}")
        self.code = code
        self.reason = reason


class WebSocket:
    """One WebSocket connection: ``accept``, ``receive``, ``send``, ``close``."""

    def __init__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.state = "connecting"  # -> "connected" -> "closed"

    @property
    def path(self) -> str:
        return self.scope["path"]  # type: ignore[no-any-return]

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.scope.get("subprotocols", ()))

    async def accept(self, subprotocol: str | None = None,
                     headers: list[tuple[str, str]] | None = None) -> None:
        """Complete the handshake (optionally choosing one of ``subprotocols``)."""
        if self.state != "connecting":
            raise RuntimeError(f"WebSocket.accept() called on a {self.state} connection.")
        msg = await self._receive()
        if msg["type"] != "websocket.connect":
            self.state = "closed"
            raise WebSocketDisconnect(msg.get("code", 1006))
        out: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            out["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        await self._send(out)
        self.state = "connected"

    async def receive(self) -> str | bytes:
        """The next message (``str`` for text frames, ``bytes`` for binary ones).

        Raises :class:`WebSocketDisconnect` when the client has closed the connection.
        """
        if self.state != "connected":
            raise RuntimeError("WebSocket.receive() needs an accepted, open connection: call"
                               " 'await ws.accept()' first.")
        msg = await self._receive()
        if msg["type"] == "websocket.disconnect":
            self.state = "closed"
            raise WebSocketDisconnect(msg.get("code", 1000), msg.get("reason") or "")
        text = msg.get("text")
        return text if text is not None else msg.get("bytes", b"")

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        if self.state != "connected":
            raise RuntimeError("WebSocket.send() needs an accepted, open connection.")
        if isinstance(data, str):
            await self._send({"type": "websocket.send", "text": data})
        else:
            await self._send({"type": "websocket.send", "bytes": bytes(data)})

    async def receive_json(self) -> Any:
        """The next message parsed as JSON."""
        data = await self.receive()
        return json.loads(data)

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as a JSON text message."""
        await self.send(json.dumps(value, separators=(",", ":")))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (before ``accept`` this rejects it: the client gets a 403)."""
        if self.state == "closed":
            return
        if self.state == "connecting":
            await self._receive()  # the websocket.connect message
        self.state = "closed"
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        # Ends quietly when the client disconnects.
        while True:
            try:
                yield await self.receive()
            except WebSocketDisconnect:
                return


def register(app: Stein, rule: str, endpoint: str | None, handler: Callable[..., Any],
             options: dict[str, Any]) -> None:
    """Add ``rule`` for ``handler`` (what ``@app.websocket`` calls)."""
    import inspect

    if not inspect.iscoroutinefunction(handler):
        raise TypeError(f"WebSocket handler {handler.__name__!r} must be 'async def'.")
    endpoint = endpoint or handler.__name__

    def websocket_over_http(**_: Any) -> Any:
        from .ctx import request

        server = "this ASGI server" if "asgi.scope" in request.environ else \
            "a WSGI server, which cannot carry WebSockets; run the app under an ASGI server" \
            " (e.g. `uvicorn module:app`)"
        return (f"{request.path} is a WebSocket endpoint: connect to it with a WebSocket"
                f" client. This request came over plain HTTP through {server}.\n",
                426, {"Upgrade": "websocket", "Content-Type": "text/plain; charset=utf-8"})

    websocket_over_http.__name__ = endpoint
    app.add_url_rule(rule, endpoint, websocket_over_http, methods=["GET"],
                     provide_automatic_options=False, **options)
    app.websocket_handlers[endpoint] = handler


async def handle_websocket(app: Stein, scope: dict[str, Any], receive: Callable[..., Any],
                           send: Callable[..., Any]) -> None:
    """Route a ``websocket`` scope to its handler, inside a request context."""
    from .asgi import _end_request, build_environ, push_contexts

    environ = build_environ(scope)
    ctx, t_req, t_app = push_contexts(app, environ)
    request = ctx.request
    ws = WebSocket(scope, receive, send)
    error: BaseException | None = None
    try:
        app._match_request(request)
        rule = request.url_rule
        handler = app.websocket_handlers.get(rule.endpoint) if rule is not None else None
        if handler is None:
            await ws.close(1008 if rule is not None else 1000)
            return
        try:
            await handler(ws, **(request.view_args or {}))
        except WebSocketDisconnect:
            pass
        except Exception as e:
            error = e
            app.log_exception((type(e), e, e.__traceback__))
            await ws.close(1011 if ws.state == "connected" else 1000)
            return
        await ws.close(1000)
    finally:
        await _end_request(app, ctx, error, t_req, t_app)
