"""WebSocket connections in the development server: after the HTTP/1.1 Upgrade handshake
the connection's thread runs the app's ASGI ``websocket`` handler on an event loop of its
own, so an app with ``@app.websocket`` routes is developed under ``stein run`` as it is
served by uvicorn.

Three parties share one connection: the event loop (the app's ``receive`` and ``send``),
a reader thread (frames from the client, pings answered at once, whole messages queued
for the app, at most :attr:`~stein.wsproto.WebSocketLimits.max_queue` ahead of it, so a
fast client is slowed down rather than buffered without bound), and writes, which any of
them may make under one lock, each bounded by ``write_timeout`` (not over TLS, where a
send cannot be made non-blocking for one call: there a write waits for the client, and
reads and writes share the TLS connection from two threads). The protocol itself
(frames, UTF-8, close codes, the handshake's checks) is :mod:`stein.wsproto`.

In debug mode an error in the handler goes to the debugger (``stein.debugpage``) through
the scope extension ``"stein.debugger"``: before ``accept`` the handshake is answered with
the debug page (a 500, readable in the browser's network panel), after it the log names
the page's address.
"""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

from .wsproto import (
    OP_BINARY,
    OP_CLOSE,
    OP_PONG,
    OP_TEXT,
    HandshakeError,
    MessageReader,
    ProtocolError,
    WebSocketLimits,
    accept_response,
    build_frame,
    check_handshake,
    close_payload,
    valid_close_code,
)

__all__ = ["ClientDisconnected", "WebSocketConnection", "build_scope"]


class ClientDisconnected(OSError):
    """``send`` on a connection the client has already closed (as uvicorn raises)."""


def build_scope(target: str, headers: list[tuple[str, str]], subprotocols: list[str],
                client: tuple[str, int], server: tuple[str, int], scheme: str
                ) -> dict[str, Any]:
    """The ASGI ``websocket`` scope for an upgrade request (RFC 6455 over HTTP/1.1)."""
    path, _, query = target.partition("?")
    if target.startswith(("http://", "https://")):
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    decoded = unquote(path, "latin-1").encode("latin-1").decode("utf-8", "replace")
    return {
        "type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "scheme": "wss" if scheme == "https" else "ws",
        "path": decoded, "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"), "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": client, "server": server, "subprotocols": subprotocols,
        "extensions": {},
    }


def _no_log(message: str, exc: BaseException | None) -> None:
    pass


def _http_response(status: str, body: bytes, ctype: str = "text/plain; charset=utf-8",
                   extra: list[tuple[str, str]] | None = None) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {ctype}", f"Content-Length: {len(body)}",
            "Connection: close", f"Date: {formatdate(usegmt=True)}", "Server: stein-devserver"]
    head.extend(f"{k}: {v}" for k, v in extra or ())
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class WebSocketConnection:
    """One upgraded connection, from the handshake's answer to the closed socket.

    ``rfile`` reads from the connection (what the server buffered after the request head
    included), ``sock`` writes to it; ``app`` is the ASGI app, ``accept`` the
    ``Sec-WebSocket-Accept`` value. ``debug``, in debug mode, is the debugger's side of the
    connection: ``report(exc)`` keeps a handler's error (and logs where its page is), and
    ``response()`` is the HTTP answer with that page, sent when the error came before
    ``accept``::

        conn = WebSocketConnection(sock, rfile, app.asgi_app, scope, accept, limits)
        status = conn.run()   # "101", "403", "500", ... for the request log
    """

    def __init__(self, sock: socket.socket, rfile: Any, app: Callable[..., Any],
                 scope: dict[str, Any], accept: str, limits: WebSocketLimits,
                 debug: Any = None,
                 log_error: Callable[[str, BaseException | None], None] | None = None
                 ) -> None:
        self.sock = sock
        self.rfile = rfile
        self.app = app
        self.scope = scope
        self.accept_value = accept
        self.limits = limits
        self.debug = debug
        self.log_error = log_error or _no_log
        #: "connecting" -> "open" -> "closing" (server sent close) -> "closed"
        self.state = "connecting"
        self.status = "-"
        self.bytes_sent = 0
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._sent_close = False
        self._reported: BaseException | None = None
        self._connect_delivered = False
        self._disconnect: dict[str, Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._room = threading.Semaphore(limits.max_queue)
        self._client_closed: asyncio.Event | None = None
        self._reader: threading.Thread | None = None
        self._stopping = threading.Event()

    # Running ----------------------------------------------------------------------------

    def run(self) -> str:
        """Serve the connection to its end; the HTTP status of the handshake's answer."""
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(loop))
        finally:
            self._stopping.set()
            self._shutdown_socket()
            if self._reader is not None:
                self._reader.join(timeout=self.limits.close_timeout)
            loop.close()
        return self.status

    def _report(self, exc: BaseException) -> None:
        self._reported = exc
        if self.debug is not None:
            self.debug.report(exc)

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue = asyncio.Queue()
        self._client_closed = asyncio.Event()
        if self.debug is not None:
            self.scope["extensions"]["stein.debugger"] = {"report": self._report}
        error: BaseException | None = None
        try:
            await self.app(self.scope, self._receive, self._send)
        except Exception as e:  # the app raised past its own error handling
            error = e
            self.log_error(f"Error in the ASGI app for the WebSocket {self.scope['path']}",
                           e)
            if self._reported is None:
                self._report(e)
        if self.state == "connecting":
            # Neither accepted nor refused: the handshake fails, as with uvicorn.
            self._refuse(error or self._reported, default="500 Internal Server Error")
        elif self.state == "open":
            await self._close_frame(1011 if error is not None else 1000)
        if self.state == "closing":
            try:
                await asyncio.wait_for(self._client_closed.wait(), self.limits.close_timeout)
            except asyncio.TimeoutError:
                pass
        self.state = "closed"

    def _refuse(self, error: BaseException | None, default: str) -> None:
        self.state = "closed"
        page = self.debug.response() if error is not None and self.debug is not None else None
        if page is not None:
            self.status = "500"
            self._write(page)
            return
        status = default if error is not None else "403 Forbidden"
        self.status = status[:3]
        self._write(_http_response(status, f"{status[4:]}: the WebSocket handshake was "
                                           f"not accepted.\n".encode()))

    # The ASGI side ----------------------------------------------------------------------

    async def _receive(self) -> dict[str, Any]:
        if not self._connect_delivered:
            self._connect_delivered = True
            return {"type": "websocket.connect"}
        if self._disconnect is not None:
            return self._disconnect
        if self.state == "connecting":
            # Nothing can arrive before the handshake is answered (the reader starts at
            # accept): waiting would hang the handler.
            return {"type": "websocket.disconnect", "code": 1006, "reason": ""}
        assert self._queue is not None
        message = await self._queue.get()
        if message["type"] == "websocket.disconnect":
            self._disconnect = message
        else:
            self._room.release()
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if self.state == "connecting":
            if kind == "websocket.accept":
                self._accept(message)
                return
            if kind == "websocket.close":
                self._refuse(self._reported, default="500 Internal Server Error")
                return
            raise RuntimeError(f"Expected websocket.accept or websocket.close, got {kind!r}")
        if kind == "websocket.send":
            if self.state != "open" or self._sent_close or self._disconnect is not None:
                raise ClientDisconnected("the WebSocket connection is closed")
            text, data = message.get("text"), message.get("bytes")
            if text is not None:
                await self._write_async(build_frame(OP_TEXT, text.encode("utf-8")))
            elif data is not None:
                await self._write_async(build_frame(OP_BINARY, bytes(data)))
            else:
                raise ValueError("websocket.send needs 'text' or 'bytes'")
            return
        if kind == "websocket.close":
            if self.state == "open":
                code = int(message.get("code") or 1000)
                if not valid_close_code(code):
                    await self._close_frame(1011)
                    raise ValueError(f"{code} is not a close code that may be sent")
                await self._close_frame(code, str(message.get("reason") or ""))
            return
        if kind == "websocket.accept":
            raise RuntimeError("websocket.accept sent twice")
        raise RuntimeError(f"Unexpected ASGI message {kind!r} on a WebSocket")

    def _accept(self, message: dict[str, Any]) -> None:
        subprotocol = message.get("subprotocol")
        try:
            if subprotocol is not None and subprotocol not in self.scope["subprotocols"]:
                raise ValueError(f"Subprotocol {subprotocol!r} was not offered by the client")
            head = accept_response(self.accept_value, subprotocol, message.get("headers"))
        except ValueError as e:
            self._reported = e  # the handshake then fails with a 500, never half-sent
            raise
        self._write(head)
        self.status = "101"
        self.state = "open"
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name="stein-websocket-reader")
        self._reader.start()

    def _claim_close(self) -> bool:
        # The loop (the app closing) and the reader (the client closing, a protocol error)
        # may both want to send the close frame: the first one does.
        with self._close_lock:
            first, self._sent_close = not self._sent_close, True
            return first

    async def _close_frame(self, code: int, reason: str = "") -> None:
        if self._claim_close():
            await self._write_async(build_frame(OP_CLOSE, close_payload(code, reason)))
        if self._disconnect is not None or not self._reader_alive():
            self.state = "closed"
            assert self._client_closed is not None
            self._client_closed.set()
        else:
            self.state = "closing"

    def _reader_alive(self) -> bool:
        return self._reader is not None and self._reader.is_alive()

    # Writing ----------------------------------------------------------------------------

    async def _write_async(self, data: bytes) -> None:
        if len(data) <= 65536:
            self._write(data)  # a small write: not worth a thread hop
        else:
            await asyncio.get_running_loop().run_in_executor(None, self._write, data)

    def _write(self, data: bytes) -> None:
        """Send ``data`` whole, waiting at most ``write_timeout`` for a client that does
        not read (then the connection is dropped: ``ClientDisconnected``)."""
        deadline = time.monotonic() + self.limits.write_timeout
        view = memoryview(data)
        with self._write_lock:
            while view:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._shutdown_socket()
                    raise ClientDisconnected("the client did not read within write_timeout")
                try:
                    if hasattr(self.sock, "pending"):  # TLS: no per-call non-blocking
                        self.sock.sendall(view)
                        sent = len(view)
                    else:
                        sent = self.sock.send(view, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    select.select([], [self.sock], [], min(left, 0.5))
                    continue
                except OSError as e:
                    raise ClientDisconnected(str(e)) from None
                view = view[sent:]
                self.bytes_sent += sent

    def _shutdown_socket(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # The reader thread ------------------------------------------------------------------

    def _deliver(self, message: dict[str, Any]) -> None:
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(queue.put_nowait, message)
        except RuntimeError:
            pass  # the loop closed meanwhile

    def _client_gone(self, code: int, reason: str = "") -> None:
        self._deliver({"type": "websocket.disconnect", "code": code, "reason": reason})
        loop, event = self._loop, self._client_closed
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass

    def _read_loop(self) -> None:
        reader = MessageReader(self.rfile, self.limits)
        while not self._stopping.is_set():
            try:
                message = reader.next()
            except ProtocolError as e:
                self._protocol_failure(e)
                return
            except (OSError, ValueError):
                self._client_gone(1006)
                return
            if message.kind == "ping":
                try:
                    self._write(build_frame(OP_PONG, bytes(message.data)))  # type: ignore[arg-type]
                except OSError:
                    self._client_gone(1006)
                    return
            elif message.kind == "close":
                if self._claim_close():
                    echo = message.code if message.code != 1005 else 1000
                    try:
                        self._write(build_frame(OP_CLOSE, close_payload(echo)))
                    except OSError:
                        pass
                self._client_gone(message.code, str(message.data))
                return
            elif message.kind in ("text", "binary"):
                while not self._room.acquire(timeout=0.5):
                    if self._stopping.is_set():
                        return
                key = "text" if message.kind == "text" else "bytes"
                self._deliver({"type": "websocket.receive", key: message.data})

    def _protocol_failure(self, e: ProtocolError) -> None:
        self.log_error(f"WebSocket protocol error from the client: {e.reason} "
                       f"(closing with {e.code})", None)
        if self._claim_close():
            try:
                self._write(build_frame(OP_CLOSE, close_payload(e.code, e.reason)))
            except OSError:
                pass
        self._client_gone(e.code, e.reason)


# -- from the server's side -----------------------------------------------------------------


class _DebugSide:
    """The debugger's part in one connection (debug mode, an allowed client): it keeps a
    handler's error as the debugger keeps an HTTP one, and renders its page as the
    handshake's answer."""

    def __init__(self, debugger: Any, environ: dict[str, Any]) -> None:
        self.debugger = debugger
        self.environ = environ
        self.stored: Any = None

    def report(self, exc: BaseException) -> None:
        # The app already logged the traceback: the debugger adds where its page is.
        self.stored = self.debugger.record(exc, self.environ, log_traceback=False)

    def response(self) -> bytes | None:
        if self.stored is None:
            return None
        head: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> None:
            head.extend((status, headers))

        body = b"".join(self.debugger.page_response(self.stored, self.environ,
                                                    start_response, "500 INTERNAL SERVER ERROR"))
        status, headers = head
        extra = [(k, v) for k, v in headers if k.lower() not in ("content-type",
                                                                   "content-length")]
        ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "text/html")
        return _http_response(status, body, ctype, extra)


def serve_upgrade(sock: socket.socket, rfile: Any, app: Any, environ: dict[str, Any],
                  method: str, target: str, version: str, headers: list[tuple[str, str]],
                  *, limits: WebSocketLimits, server: tuple[str, int],
                  log_error: Callable[[str, BaseException | None], None] | None = None
                  ) -> tuple[str, int]:
    """Answer one upgrade request on the connection, and serve the WebSocket to its end
    when the handshake holds: ``(status, bytes_sent)`` for the request log. ``app`` is
    what the server serves (a Stein app, or the debugger wrapping one): its ``asgi_app``
    runs the handler."""
    body = environ.get("wsgi.input")
    try:
        if getattr(body, "remaining", 0):
            raise HandshakeError(400, "A WebSocket handshake has no body")
        accept, subprotocols = check_handshake(method, version, headers)
    except HandshakeError as e:
        data = _http_response(f"{e.status} {'Upgrade Required' if e.status == 426 else 'Bad Request'}",
                              f"{e.message}\n".encode(), extra=e.headers)
        try:
            sock.sendall(data)
        except OSError:
            pass
        return str(e.status), len(data)
    client = (environ["REMOTE_ADDR"], int(environ["REMOTE_PORT"]))
    scope = build_scope(target, headers, subprotocols, client, server,
                        environ.get("wsgi.url_scheme", "http"))
    debug = None
    allowed = getattr(app, "allowed", None)
    if allowed is not None and hasattr(app, "record") and allowed(environ):
        debug = _DebugSide(app, environ)
    sock.settimeout(None)  # idle WebSockets are normal; writes have their own deadline
    conn = WebSocketConnection(sock, rfile, app.asgi_app, scope, accept, limits,
                               debug=debug, log_error=log_error)
    status = conn.run()
    return status, conn.bytes_sent
