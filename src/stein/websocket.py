"""WebSockets (under ASGI servers and ``stein run``): ``@app.websocket("/ws")`` handlers and
the ``WebSocket`` they get.

>>> @app.websocket("/echo")
... async def echo(ws):
...     await ws.accept()
...     async for message in ws:
...         await ws.send(message)

The rule lives in ``app.url_map`` like any other (so ``url_for`` builds it), and the handler
runs inside a request context: ``request.args``, ``request.headers``, ``session``, ``g`` and
``current_app`` work as in a view. The development server (``stein run``) runs the handler
too, on an event loop per connection (``stein.devws``). Served by another WSGI server, or
asked for with plain HTTP, the rule answers ``426 Upgrade Required`` with a message saying
what is needed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from .ctx import request

if TYPE_CHECKING:
    from .app import Stein
    from .blueprints import BlueprintSetupState
    from .wrappers import Request


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


def check_handler(handler: Callable[..., Any]) -> None:
    """Refuse a handler that is not ``async def``, when it is decorated (not at connect time)."""
    import inspect

    if not inspect.iscoroutinefunction(handler):
        raise TypeError(f"WebSocket handler {handler.__name__!r} must be 'async def'.")


def _over_http_view(endpoint: str) -> Callable[..., Any]:
    """The view the rule runs for a plain HTTP request: a 426 that says what is needed."""

    def websocket_over_http(**_: Any) -> Any:
        server = "this ASGI server" if "asgi.scope" in request.environ else \
            "`stein run`, which serves WebSockets too" \
            if request.environ.get("SERVER_SOFTWARE") == "stein-devserver" else \
            "a WSGI server, which cannot carry WebSockets; run the app under an ASGI server" \
            " (e.g. `uvicorn module:app`)"
        return (f"{request.path} is a WebSocket endpoint: connect to it with a WebSocket"
                f" client. This request came over plain HTTP through {server}.\n",
                426, {"Upgrade": "websocket", "Content-Type": "text/plain; charset=utf-8"})

    websocket_over_http.__name__ = endpoint
    return websocket_over_http


# The rule answers GET only (the handshake is a GET) and has no automatic OPTIONS.
_RULE_OPTIONS: dict[str, Any] = {"methods": ["GET"], "provide_automatic_options": False}


def register(app: Stein, rule: str, endpoint: str | None, handler: Callable[..., Any],
             options: dict[str, Any]) -> None:
    """Add ``rule`` for ``handler`` (what ``@app.websocket`` calls)."""
    check_handler(handler)
    endpoint = endpoint or handler.__name__
    app.add_url_rule(rule, endpoint, _over_http_view(endpoint), **_RULE_OPTIONS, **options)
    app.websocket_handlers[endpoint] = handler


def register_on_blueprint(state: BlueprintSetupState, rule: str, endpoint: str,
                          handler: Callable[..., Any], options: dict[str, Any]) -> None:
    """Add a blueprint's WebSocket rule at its registration (what ``@bp.websocket`` records):
    the blueprint's URL prefix, subdomain and URL defaults apply, and the endpoint gets its
    name (``"chat.room"``), as for the blueprint's other rules."""
    state.add_url_rule(rule, endpoint, _over_http_view(endpoint), **_RULE_OPTIONS, **options)
    state.app.websocket_handlers[state.endpoint_name(endpoint)] = handler


def _report_to_server(scope: dict[str, Any], error: BaseException) -> None:
    # A server that shows errors (Stein's development server in debug mode) offers the
    # "stein.debugger" scope extension; others never see this.
    extension = (scope.get("extensions") or {}).get("stein.debugger")
    if extension is not None:
        extension["report"](error)


async def serve_websocket(app: Stein, request: Request, scope: dict[str, Any],
                          receive: Callable[..., Any], send: Callable[..., Any]
                          ) -> BaseException | None:
    """Route a ``websocket`` scope to its handler and run it; returns the error the handler
    raised, if any. :mod:`stein.asgi` builds the request and pushes its contexts around
    this call, and ends the request after it, as for an HTTP request."""
    ws = WebSocket(scope, receive, send)
    app._match_request(request)
    rule = request.url_rule
    handler = app.websocket_handlers.get(rule.endpoint) if rule is not None else None
    if handler is None:
        await ws.close(1008 if rule is not None else 1000)
        return None
    try:
        await handler(ws, **(request.view_args or {}))
    except WebSocketDisconnect:
        pass
    except Exception as e:
        app.log_exception((type(e), e, e.__traceback__))
        _report_to_server(scope, e)
        await ws.close(1011 if ws.state == "connected" else 1000)
        return e
    await ws.close(1000)
    return None


class WebSocketTestSession:
    """The client end of one in-process WebSocket connection to an app, for tests.

    >>> async with connect(app, "/chat/blue") as ws:
    ...     await ws.send("hi")
    ...     assert await ws.receive() == "[blue] hi"

    It speaks ASGI to ``app`` directly (no server, no network), so the handler runs as it
    would under uvicorn: in a request context, with the rule's view arguments. Every wait is
    bounded by ``timeout`` seconds, so a handler that never answers fails the test instead of
    hanging it.
    """

    def __init__(self, app: Stein, path: str, query_string: str | bytes = b"",
                 headers: dict[str, str] | list[tuple[str, str]] | None = None,
                 subprotocols: list[str] | None = None, host: str = "localhost",
                 timeout: float = 5.0) -> None:
        import asyncio

        if isinstance(query_string, str):
            query_string = query_string.encode("latin-1")
        items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if not any(k.lower() == "host" for k, _ in items):
            items.insert(0, ("host", host))
        self.scope: dict[str, Any] = {
            "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "scheme": "ws", "path": path, "raw_path": path.encode("utf-8"),
            "query_string": query_string, "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items],
            "client": ("127.0.0.1", 50000), "server": (host, 80),
            "subprotocols": list(subprotocols or ()),
        }
        self.app = app
        self.timeout = timeout
        #: The subprotocol the handler chose in ``accept`` (``None`` when it chose none).
        self.subprotocol: str | None = None
        #: The close code once the server closed the connection (``None`` while open).
        self.close_code: int | None = None
        self.close_reason = ""
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> WebSocketTestSession:
        import asyncio

        self._task = asyncio.ensure_future(
            self.app.asgi_app(self.scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "websocket.connect"})
        msg = await self._next()
        if msg["type"] == "websocket.close":
            await self._finish()
            raise WebSocketDisconnect(self.close_code or 1000, self.close_reason)
        if msg["type"] != "websocket.accept":
            raise RuntimeError(f"Expected websocket.accept from the app, got {msg['type']!r}.")
        self.subprotocol = msg.get("subprotocol")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.close_code is None:
            await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        await self._finish()

    async def _next(self) -> dict[str, Any]:
        import asyncio

        try:
            msg = await asyncio.wait_for(self._from_app.get(), self.timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"The WebSocket handler sent nothing within {self.timeout} s.") \
                from None
        if msg["type"] == "websocket.close":
            self.close_code = msg.get("code", 1000)
            self.close_reason = msg.get("reason") or ""
        return msg

    async def _finish(self) -> None:
        import asyncio

        if self._task is not None:
            await asyncio.wait_for(self._task, self.timeout)

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the handler."""
        key = "text" if isinstance(data, str) else "bytes"
        await self._to_app.put({"type": "websocket.receive", key: data})

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as a JSON text message."""
        await self.send(json.dumps(value))

    async def receive(self) -> str | bytes:
        """The handler's next message; :class:`WebSocketDisconnect` once it has closed."""
        if self.close_code is not None:
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        msg = await self._next()
        if msg["type"] == "websocket.close":
            raise WebSocketDisconnect(self.close_code or 1000, self.close_reason)
        text = msg.get("text")
        return text if text is not None else msg.get("bytes", b"")

    async def receive_json(self) -> Any:
        """The handler's next message parsed as JSON."""
        return json.loads(await self.receive())

    async def close(self, code: int = 1000) -> None:
        """Disconnect as a client does; the handler's ``receive`` then raises."""
        if self.close_code is None:
            self.close_code = code
            await self._to_app.put({"type": "websocket.disconnect", "code": code})
        await self._finish()


def connect(app: Stein, path: str, **kwargs: Any) -> WebSocketTestSession:
    """Open an in-process WebSocket to ``app`` for a test: ``async with connect(app, "/ws")
    as ws``. The keyword arguments are those of :class:`WebSocketTestSession`
    (``query_string``, ``headers``, ``subprotocols``, ``host``, ``timeout``)."""
    return WebSocketTestSession(app, path, **kwargs)
