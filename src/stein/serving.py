"""Development server: threaded HTTP/1.1 on the standard library, and ``run_simple``.

Not for production: use gunicorn, uvicorn or granian there. It speaks keep-alive, sends
streamed bodies chunked, offers ``wsgi.file_wrapper`` (sent with ``sendfile``), logs one
line per request, bounds the request line, the headers and slow clients, and stops
cleanly on Ctrl-C or SIGTERM. Reading requests off the connection is in ``stein.http1``,
the reloader in ``stein.reloader``; their public names can be imported from here too.

**Slow clients.** A socket timeout alone bounds each read, so a client that sends one byte
just before every timeout would hold a connection (and its thread) forever. Here each phase
of a request has a deadline instead, enforced under the buffered reader: the request head
must arrive within ``request_timeout`` (408 when not), and the body the app reads within
``body_timeout`` (a 408 raised from ``wsgi.input``; the connection is then closed). An idle
keep-alive connection is closed after ``keepalive_timeout``.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

from .devws import serve_upgrade
from .http1 import (
    MAX_HEADER_COUNT,
    MAX_HEADER_LINE,
    MAX_HEADERS_SIZE,
    MAX_REQUEST_LINE,
    BodyTimeout,
    _BadRequest,
    _LengthReader,
    apply_headers,
    parse_head,
    read_request_line,
)
from .reloader import (
    _SERVER_FD_ENV,
    Watcher,
    _family,
    files_of_exception,
    is_running_from_reloader,
    run_with_reloader_supervisor,
)
from .wsproto import WebSocketLimits, wants_websocket

__all__ = [
    "BODY_TIMEOUT", "KEEPALIVE_TIMEOUT", "MAX_DRAIN", "MAX_HEADERS_SIZE", "MAX_HEADER_COUNT", "MAX_HEADER_LINE",
    "MAX_REQUEST_LINE", "REQUEST_TIMEOUT", "DebugBindRefused", "DevServer", "FileWrapper",
    "Watcher", "check_debug_bind", "error_app", "files_of_exception", "is_loopback",
    "is_running_from_reloader", "make_server", "run_simple", "run_with_reloader_supervisor",
]

_logger = logging.getLogger("stein.serving")

#: Seconds a client may take to send a whole request head, from the connection's start or
#: the first byte of a keep-alive request (-> 408).
REQUEST_TIMEOUT = 10.0
#: Seconds a client may take to send the whole request body, from the end of its head
#: (-> 408 for the app reading it, then the connection closes).
BODY_TIMEOUT = 60.0
#: Seconds an idle keep-alive connection stays open.
KEEPALIVE_TIMEOUT = 5.0
#: Unread request body the server reads away to keep a connection alive; more -> close.
MAX_DRAIN = 65536

# What a status line from start_response may not hold (controls other than HTAB).
_STATUS_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search

_REASONS = {
    100: "Continue", 200: "OK", 400: "Bad Request", 408: "Request Timeout",
    414: "URI Too Long", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 505: "HTTP Version Not Supported",
}


def _log() -> logging.Logger:
    # Request lines are INFO: show them unless the logger was configured otherwise.
    if _logger.level == logging.NOTSET:
        _logger.setLevel(logging.INFO)
    if not _logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        _logger.propagate = False
    return _logger


# -- wsgi.file_wrapper ------------------------------------------------------------------------


class FileWrapper:
    """``wsgi.file_wrapper``: iterates a file in blocks; the server sends it with
    ``socket.sendfile`` when the response has a known length. ``limit_to(start, stop)``
    narrows it to a byte range (used for Range requests)."""

    def __init__(self, filelike: Any, blksize: int = 65536) -> None:
        self.file = filelike
        self.blksize = blksize
        self._start: int | None = None
        self._stop: int | None = None
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def limit_to(self, start: int, stop: int) -> None:
        """Serve only bytes ``start`` to ``stop`` (exclusive)."""
        self._start, self._stop = start, stop

    def _range(self) -> tuple[int, int | None]:
        start = self._start
        if start is None:
            try:
                start = self.file.tell()
            except (AttributeError, OSError):
                start = 0
        elif hasattr(self.file, "seek"):
            self.file.seek(start)
        return start, (None if self._stop is None else self._stop - start)

    def __iter__(self) -> Iterator[bytes]:
        _, left = self._range()
        while left is None or left > 0:
            data = self.file.read(self.blksize if left is None else min(self.blksize, left))
            if not data:
                break
            if left is not None:
                left -= len(data)
            yield data


# -- the server -------------------------------------------------------------------------------


class _DeadlineReader(io.RawIOBase):
    """The raw socket reader under the handler's ``rfile``, with a deadline for the phase of
    the request being read: every ``recv`` waits at most until it, then ``TimeoutError``.

    Why here: the buffered reader above (``readline``, ``read``) may call ``recv`` many
    times for one line; the deadline holds for all of them together. The socket timeout is
    only lowered when the deadline is nearer than it (one system call per phase otherwise).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline = 0.0
        self._timeout = 0.0
        #: Whether the socket timeout was lowered for a near deadline (writes then need it
        #: set back, see :meth:`for_writing`).
        self.lowered = False

    def readable(self) -> bool:
        return True

    def limit(self, seconds: float, idle: float | None = None) -> None:
        """From now on, reads must be done within ``seconds``, and each single wait for
        data within ``idle`` seconds (when given and shorter)."""
        self.deadline = time.monotonic() + seconds
        if idle is not None and idle < seconds:
            seconds = idle
        self._timeout = seconds
        self.lowered = False
        self._sock.settimeout(seconds)

    def unbounded(self) -> None:
        """No deadline from now on (an upgraded WebSocket connection may idle)."""
        self.deadline = float("inf")
        self._timeout = float("inf")
        self.lowered = False
        self._sock.settimeout(None)

    def for_writing(self, seconds: float) -> None:
        """Give writes ``seconds`` per send again after a lowered read timeout."""
        self._sock.settimeout(seconds)
        self._timeout = seconds
        self.lowered = False

    def readinto(self, b: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the client took too long to send the request")
        if left < self._timeout:
            self._sock.settimeout(left)
            self._timeout = left
            self.lowered = True
        return self._sock.recv_into(b)


class _Handler(socketserver.StreamRequestHandler):
    """One connection: requests in a loop while keep-alive holds."""

    server: DevServer
    rbufsize = 65536
    wbufsize = 0  # responses are built into whole writes

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client_ip, self.client_port = self.client_address[:2]
        # Reads go through the deadline reader (the socket file made by setup() is closed
        # first: it holds a reference that would keep the socket open).
        self.rfile.close()
        self.reader = _DeadlineReader(self.request)
        self.buffered = io.BufferedReader(self.reader, self.rbufsize)
        self.rfile = self.buffered

    def handle(self) -> None:
        first = True
        try:
            while self._handle_one(first):
                first = False
        except (ConnectionError, BrokenPipeError, TimeoutError, OSError):
            pass  # the client went away; nothing to answer

    # The request head -------------------------------------------------------------------

    def _read_head(self, first: bool) -> tuple[str, str, str, list[tuple[str, str]]] | None:
        reader = self.reader
        if not first:
            # Idle between requests: wait for the next one's first byte, then its head has
            # the whole request timeout.
            reader.limit(self.server.keepalive_timeout)
            if not self.buffered.peek(1):
                return None
            self._head_started = True
        reader.limit(self.server.request_timeout)
        line = read_request_line(self.rfile)
        if not line:
            return None
        return parse_head(line, self.rfile)

    def _handle_one(self, first: bool) -> bool:
        started = time.perf_counter()
        self._head_started = first
        try:
            head = self._read_head(first)
        except _BadRequest as e:
            self._send_error(e.code, e.message)
            return False
        except TimeoutError:
            if not self._head_started:
                return False  # idle keep-alive connection: just close it
            self._send_error(408, "Request timed out")
            return False
        if head is None:
            return False
        method, target, version, headers = head
        try:
            environ, keep_alive, body = self._make_environ(method, target, version, headers)
        except _BadRequest as e:
            self._send_error(e.code, e.message)
            return False
        if wants_websocket(headers) and getattr(self.server.app, "asgi_app", None) is not None:
            return self._websocket(method, target, version, headers, environ, started)
        if body.remaining:
            # The body: all of it within body_timeout, and no wait for more of it longer
            # than request_timeout (a client that stalls is not waited for as long as a
            # slow one). No body (most requests): no deadline to set.
            self.reader.limit(self.server.body_timeout, self.server.request_timeout)
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue" and body.remaining:
            self.wfile.write(f"{version} 100 Continue\r\n\r\n".encode("latin-1"))
        response = _Response(self, environ, version, keep_alive)
        try:
            response.run(self.server.app)
        finally:
            self.server.log_request(self.client_ip, method, target, version,
                                    response.status, response.bytes_sent,
                                    time.perf_counter() - started)
        if not response.keep_alive:
            return False
        # Read away what the app left of the body so the next request starts clean.
        if body.broken:
            return False
        try:
            if isinstance(body, _LengthReader):
                if body.remaining > MAX_DRAIN:
                    return False
                body.read()
            elif not body.done:
                return False
        except (OSError, ValueError):
            return False
        return True

    def _websocket(self, method: str, target: str, version: str,
                   headers: list[tuple[str, str]], environ: dict[str, Any],
                   started: float) -> bool:
        # The upgrade: the app's ASGI websocket handler serves the rest of the connection
        # (stein.devws); the connection is never reused for HTTP afterwards.
        server = self.server
        self.reader.unbounded()

        def log_error(message: str, exc: BaseException | None) -> None:
            if exc is not None:
                _log().error("%s:\n%s", message, "".join(traceback.format_exception(
                    type(exc), exc, exc.__traceback__)).rstrip())
            else:
                _log().warning("%s", message)

        status, sent = "-", 0
        try:
            status, sent = serve_upgrade(
                self.request, self.buffered, server.app, environ, method, target, version,
                headers, limits=server.ws_limits, server=(server.server_name,
                                                          server.server_port),
                log_error=log_error)
        finally:
            server.log_request(self.client_ip, method, target, version, status, sent,
                               time.perf_counter() - started, note="WebSocket")
        return False

    def _make_environ(self, method: str, target: str, version: str,
                      headers: list[tuple[str, str]]
                      ) -> tuple[dict[str, Any], bool, Any]:
        server = self.server
        if target.startswith(("http://", "https://")):  # absolute form (proxies)
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": target,
            "REQUEST_URI": target,
            "SERVER_NAME": server.server_name,
            "SERVER_PORT": str(server.server_port),
            "SERVER_PROTOCOL": version,
            "SERVER_SOFTWARE": "stein-devserver",
            "REMOTE_ADDR": self.client_ip,
            "REMOTE_PORT": str(self.client_port),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": server.url_scheme,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": server.multithread,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
        }
        keep_alive, body = apply_headers(environ, version, headers, self.rfile)
        return environ, keep_alive, body

    def _send_error(self, code: int, message: str) -> None:
        if self.reader.lowered:
            self.reader.for_writing(self.server.request_timeout)
        body = f"{code} {_REASONS.get(code, 'Error')}: {message}\n".encode()
        head = (f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                f"Date: {formatdate(usegmt=True)}\r\n\r\n")
        try:
            self.wfile.write(head.encode("latin-1") + body)
        except OSError:
            pass
        self.server.log_request(self.client_ip, "-", "-", "-", str(code), len(body), 0.0,
                                note=message)


class _Response:
    """The response side of one request: ``start_response``, framing and sending."""

    def __init__(self, handler: _Handler, environ: dict[str, Any], version: str,
                 keep_alive: bool) -> None:
        self.handler = handler
        self.environ = environ
        self.version = version
        self.keep_alive = keep_alive
        self.status = "-"
        self.headers: list[tuple[str, str]] | None = None
        self.headers_sent = False
        self.chunked = False
        self.length: int | None = None
        self.bytes_sent = 0
        self.no_body = environ["REQUEST_METHOD"] == "HEAD"

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.headers is not None:
            raise AssertionError("start_response was called twice without exc_info")
        if _STATUS_BAD(status) is not None:
            raise ValueError(f"Invalid status {status[:60]!r}: it must be one line without "
                             f"control characters")
        self.status = status
        self.headers = headers
        return self.write

    def _send_head(self, first_chunk_len: int, finished: bool) -> None:
        assert self.headers is not None, "the app did not call start_response"
        handler = self.handler
        if handler.reader.lowered:  # a read ran close to its deadline: writes get their time
            handler.reader.for_writing(handler.server.request_timeout)
        code = int(self.status[:3])
        names = set()
        lines = [f"{self.version} {self.status}\r\n"]
        for name, value in self.headers:
            lower = name.lower()
            names.add(lower)
            if lower == "content-length":
                self.length = int(value)
            if lower == "connection" and value.lower() == "close":
                self.keep_alive = False
            lines.append(f"{name}: {value}\r\n")
        if getattr(self.environ.get("wsgi.input"), "broken", False):
            self.keep_alive = False  # a malformed chunked body: framing is lost
        bodiless = code < 200 or code in (204, 304)
        if bodiless:
            self.no_body = True
        elif self.length is None:
            if finished:
                # The whole body is known: send its length instead of chunking.
                self.length = first_chunk_len
                lines.append(f"Content-Length: {first_chunk_len}\r\n")
            elif self.no_body:
                pass  # HEAD of a stream: nothing to frame
            elif self.version == "HTTP/1.1":
                self.chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                self.keep_alive = False  # HTTP/1.0: the end of the body is the close
        if "date" not in names:
            lines.append(f"Date: {formatdate(usegmt=True)}\r\n")
        if "server" not in names:
            lines.append("Server: stein-devserver\r\n")
        if not self.keep_alive and "connection" not in names:
            lines.append("Connection: close\r\n")
        elif self.keep_alive and self.version == "HTTP/1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        self.handler.wfile.write("".join(lines).encode("latin-1"))
        self.headers_sent = True

    def write(self, data: bytes) -> None:
        """Send one piece of the body (the legacy ``write`` callable goes here too)."""
        if not self.headers_sent:
            self._send_head(len(data), finished=False)
        if not data or self.no_body:
            return
        if self.chunked:
            self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self.handler.wfile.write(data)
        self.bytes_sent += len(data)

    def _finish(self) -> None:
        if self.chunked:
            self.handler.wfile.write(b"0\r\n\r\n")

    def _sendfile(self, body: FileWrapper) -> bool:
        """Send a file body with ``sendfile`` (its length is in the headers); False when
        the file has no descriptor or the connection is TLS."""
        try:
            body.file.fileno()
        except (AttributeError, OSError, ValueError):
            return False
        if self.handler.server.ssl_context is not None:
            return False
        self._send_head(0, finished=False)
        if not self.no_body and self.length:
            offset, _ = body._range()
            self.bytes_sent += self.handler.request.sendfile(body.file, offset, self.length)
        return True

    def run(self, app: Any) -> None:
        try:
            body = app(self.environ, self.start_response)
            try:
                if isinstance(body, FileWrapper) and self.headers is not None and any(
                        n.lower() == "content-length" for n, _ in self.headers):
                    if self._sendfile(body):
                        return
                if isinstance(body, (list, tuple)) and len(body) <= 1 and not self.headers_sent:
                    data = body[0] if body else b""
                    self._send_head(len(data), finished=True)
                    if data and not self.no_body:
                        self.handler.wfile.write(data)
                        self.bytes_sent += len(data)
                    return
                for data in body:
                    if data:
                        self.write(data)
                if not self.headers_sent:
                    self._send_head(0, finished=True)
                self._finish()
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        except (ConnectionError, BrokenPipeError):
            self.keep_alive = False
        except BodyTimeout as e:
            # A WSGI app that let the body timeout through: answer it as the 408 it is.
            self.keep_alive = False
            if not self.headers_sent:
                self.headers = None
                payload = f"408 Request Timeout: {e.description}\n".encode()
                self.start_response("408 Request Timeout", [
                    ("Content-Type", "text/plain; charset=utf-8")])
                self._send_head(len(payload), finished=True)
                if not self.no_body:
                    self.handler.wfile.write(payload)
                    self.bytes_sent += len(payload)
        except Exception:
            self.keep_alive = False
            self.handler.server.log_error(self.environ)
            if not self.headers_sent:
                self.headers = None
                payload = (b"<!doctype html><title>500 Internal Server Error</title>"
                           b"<h1>Internal Server Error</h1><p>The server encountered an "
                           b"internal error and was unable to complete your request.</p>")
                self.start_response("500 INTERNAL SERVER ERROR", [
                    ("Content-Type", "text/html; charset=utf-8")])
                self.no_body = self.environ["REQUEST_METHOD"] == "HEAD"
                self._send_head(len(payload), finished=True)
                if not self.no_body:
                    self.handler.wfile.write(payload)
                    self.bytes_sent += len(payload)
            # Headers already out: closing the connection is the only honest signal.


class DevServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """The development server: one thread per connection.

    ``request_timeout`` bounds the time to send a request head, ``body_timeout`` the time
    to send its body, ``keepalive_timeout`` the idle time between requests (seconds);
    ``ws_limits`` (:class:`~stein.wsproto.WebSocketLimits`) bounds WebSocket connections,
    which are served when the app has an ``asgi_app`` (a Stein app does)::

        server = DevServer("127.0.0.1", 5000, app, request_timeout=5, body_timeout=30)
        server.serve_forever()
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: Any, threaded: bool = True,
                 ssl_context: Any = None, fd: int | None = None,
                 request_timeout: float = REQUEST_TIMEOUT,
                 keepalive_timeout: float = KEEPALIVE_TIMEOUT,
                 body_timeout: float = BODY_TIMEOUT,
                 ws_limits: WebSocketLimits | None = None) -> None:
        self.app = app
        self.ws_limits = ws_limits or WebSocketLimits()
        self.multithread = threaded
        self.request_timeout = request_timeout
        self.keepalive_timeout = keepalive_timeout
        self.body_timeout = body_timeout
        self.address_family = _family(host)
        if fd is not None:
            super().__init__((host, port), _Handler, bind_and_activate=False)
            self.socket.close()
            self.socket = socket.socket(fileno=fd)
            self.address_family = self.socket.family
        else:
            super().__init__((host, port), _Handler)
        self.server_port = self.socket.getsockname()[1]
        self.server_name = host
        self.ssl_context = _load_ssl_context(ssl_context)
        self.url_scheme = "https" if self.ssl_context is not None else "http"

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.multithread:
            self.finish_request(request, client_address)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def get_request(self) -> tuple[Any, Any]:
        conn, addr = self.socket.accept()
        if self.ssl_context is not None:
            # The handshake runs in the connection's thread, on its first read.
            conn = self.ssl_context.wrap_socket(conn, server_side=True,
                                                do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log().error("Error on connection from %s:\n%s", client_address[0],
                     traceback.format_exc())

    def log_request(self, client: str, method: str, target: str, version: str, status: str,
                    size: int, seconds: float, note: str = "") -> None:
        code = status.split(" ", 1)[0]
        when = time.strftime("%d/%b/%Y %H:%M:%S")
        extra = f" ({note})" if note else ""
        _log().info('%s - - [%s] "%s %s %s" %s %s %.1fms%s', client, when, method, target,
                    version, code, size or "-", seconds * 1000, extra)

    def log_error(self, environ: dict[str, Any]) -> None:
        _log().error("Error on request %s %s:\n%s", environ.get("REQUEST_METHOD"),
                     environ.get("RAW_URI"), traceback.format_exc().rstrip())


def _load_ssl_context(ssl_context: Any) -> Any:
    if ssl_context is None:
        return None
    import ssl

    if isinstance(ssl_context, ssl.SSLContext):
        return ssl_context
    cert, key = ssl_context if isinstance(ssl_context, tuple) else (ssl_context, None)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def make_server(host: str, port: int, app: Any, threaded: bool = True,
                ssl_context: Any = None, fd: int | None = None, *,
                request_timeout: float = REQUEST_TIMEOUT,
                keepalive_timeout: float = KEEPALIVE_TIMEOUT,
                body_timeout: float = BODY_TIMEOUT,
                ws_limits: WebSocketLimits | None = None) -> DevServer:
    """Create (and bind) a :class:`DevServer`; ``serve_forever()`` runs it.

    >>> server = make_server("127.0.0.1", 0, app, body_timeout=30)  # doctest: +SKIP
    """
    return DevServer(host, port, app, threaded=threaded, ssl_context=ssl_context, fd=fd,
                     request_timeout=request_timeout, keepalive_timeout=keepalive_timeout,
                     body_timeout=body_timeout, ws_limits=ws_limits)


# -- debug mode safety ------------------------------------------------------------------------


class DebugBindRefused(ValueError):
    """Debug mode was asked to listen on an address other people can reach."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host in ("localhost", "") or host.endswith(".localhost"):
        return host != ""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def check_debug_bind(host: str, debug: bool, debug_public: bool) -> None:
    """Refuse debug mode on a non-loopback address unless ``debug_public`` says so; with
    it, warn."""
    if not debug or is_loopback(host):
        return
    if not debug_public:
        raise DebugBindRefused(
            f"Refusing to serve debug mode on {host!r}: the debug page shows source code and "
            f"tracebacks to anyone who can reach it. Bind 127.0.0.1, turn debug off, or pass "
            f"--debug-public if you really mean it.")
    print(f" * WARNING: debug mode is reachable on {host!r}. The debugger still answers "
          f"loopback clients only; everyone else gets a plain 500.", file=sys.stderr)


def error_app(error: BaseException, debug: bool) -> Any:
    """A WSGI app that answers every request with ``error`` (used while the app cannot be
    loaded and the reloader waits for a fix). In debug mode a loopback client gets the
    debug page, which for a ``SyntaxError`` starts at the line of the user's file; anyone
    else gets the one-line message only."""
    from .debugpage import client_allowed, render_exception  # the debugger: on first use

    cause = error.__cause__ or error

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if debug and client_allowed(environ):
            body = render_exception(cause).encode("utf-8", "replace")
            ctype = "text/html; charset=utf-8"
        else:
            body = f"The app could not be loaded: {error}\n".encode()
            ctype = "text/plain; charset=utf-8"
        start_response("500 INTERNAL SERVER ERROR",
                       [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    return app


# -- running ----------------------------------------------------------------------------------


def _display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_simple(host: str, port: int, app: Any, use_reloader: bool = False,
               use_debugger: bool = False, threaded: bool = True,
               extra_files: Iterable[str] | None = None, reloader_interval: float = 1.0,
               reloader_type: str = "auto", ssl_context: Any = None,
               debug_public: bool = False, **kwargs: Any) -> None:
    """Serve ``app`` on ``host:port`` until Ctrl-C (or SIGTERM).

    ``use_debugger`` shows an HTML traceback page for unhandled errors (loopback only
    unless ``debug_public``); ``use_reloader`` restarts the process when code changes.
    ``request_timeout``, ``body_timeout`` and ``keepalive_timeout`` (seconds, keyword
    arguments) bound slow clients, ``ws_limits`` WebSocket connections, see
    :class:`DevServer`. The debugger's PIN is printed with the address.
    """
    check_debug_bind(host, use_debugger, debug_public)
    if use_debugger:
        from .debugpage import DebugMiddleware  # the debugger loads in debug mode only

        app = DebugMiddleware(app)
        pin = app.pin
    if use_reloader and not is_running_from_reloader():
        run_with_reloader_supervisor(host, port, extra_files=extra_files,
                                     ssl_context=ssl_context)
        return
    fd_text = os.environ.get(_SERVER_FD_ENV)
    fd = int(fd_text) if fd_text and is_running_from_reloader() else None
    timeouts = {k: kwargs[k] for k in ("request_timeout", "keepalive_timeout", "body_timeout")
                if kwargs.get(k) is not None}
    server = make_server(host, port, app, threaded=threaded, ssl_context=ssl_context, fd=fd,
                         ws_limits=kwargs.get("ws_limits"), **timeouts)
    if use_reloader:
        watcher = Watcher(extra_files or (), interval=reloader_interval, kind=reloader_type,
                          exclude_patterns=kwargs.get("exclude_patterns"))
        threading.Thread(target=watcher.run_and_exit, name="stein-reloader",
                         daemon=True).start()
    if not is_running_from_reloader() or os.environ.get("STEIN_RELOADED") != "1":
        scheme = server.url_scheme
        name = kwargs.get("app_name")
        if name:
            print(f" * Serving Stein app {name!r}", file=sys.stderr)
        print(f" * Debug mode: {'on' if use_debugger else 'off'}", file=sys.stderr)
        print(f" * Running on {scheme}://{_display_host(host)}:{server.server_port}/ "
              f"(press CTRL+C to quit)", file=sys.stderr)
        if use_debugger:
            print(" * Debugger is active! (loopback clients only)", file=sys.stderr)
            print(f" * Debugger PIN: {pin}", file=sys.stderr)
    sys.stderr.flush()
    _serve(server)


def _serve(server: DevServer) -> None:
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
