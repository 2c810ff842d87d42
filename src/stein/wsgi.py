"""WSGI helpers Flask code imports from ``werkzeug.wsgi``.

They work on a bare WSGI environ, with no request object: the URL of a request
(:func:`get_current_url`, :func:`get_host`), its body (:func:`get_input_stream`,
:class:`LimitedStream`), and response bodies that must run code when the server closes
them (:class:`ClosingIterator`) or that stream a file (:func:`wrap_file`). Host handling
follows the request's: a ``Host`` that is not ``host[:port]`` or not trusted is a 400.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote

from .exceptions import BadHost, ClientDisconnected, RequestEntityTooLarge
from .http import host_is_trusted, is_valid_host

__all__ = [
    "ClosingIterator", "FileWrapper", "LimitedStream", "get_content_length", "get_current_url",
    "get_host", "get_input_stream", "get_path_info", "responder", "wrap_file",
]


def responder(f: Callable[..., Any]) -> Callable[[dict[str, Any], Callable[..., Any]], Any]:
    """Turn a function returning a WSGI app (a response) into a WSGI app.

    >>> from stein import Response
    >>> app = responder(lambda environ, start_response: Response("hi"))
    """
    def app(*args: Any) -> Any:
        return f(*args)(*args[-2:])

    app.__name__ = getattr(f, "__name__", "responder")
    app.__doc__ = f.__doc__
    return app


def get_host(environ: dict[str, Any], trusted_hosts: Iterable[str] | None = None) -> str:
    """The request's host (``Host`` header, else server name and port), the port only when
    not the scheme's default. 400 when it is not ``host[:port]`` or not in ``trusted_hosts``.

    >>> get_host({"HTTP_HOST": "example.com:80", "wsgi.url_scheme": "http"})
    'example.com'
    """
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT")
        if port:
            host = f"{host}:{port}"
    elif not is_valid_host(host):
        raise BadHost(f"The Host header {host[:100]!r} is not a valid host[:port].")
    if (scheme in ("http", "ws") and host.endswith(":80")) or (
            scheme in ("https", "wss") and host.endswith(":443")):
        host = host.rsplit(":", 1)[0]
    if trusted_hosts is not None and not host_is_trusted(host, trusted_hosts):
        raise BadHost(f"Host {host!r} is not trusted.")
    return host


def _decoded(s: str) -> str:
    # PEP 3333 passes the path as latin-1 characters of the raw bytes.
    return s.encode("latin-1").decode("utf-8", "replace") if not s.isascii() else s


def get_current_url(environ: dict[str, Any], root_only: bool = False,
                    strip_querystring: bool = False, host_only: bool = False,
                    trusted_hosts: Iterable[str] | None = None) -> str:
    """The full URL of the request (IRI characters quoted), or a part of it.

    >>> env = {"wsgi.url_scheme": "https", "HTTP_HOST": "example.com", "SCRIPT_NAME": "/app",
    ...        "PATH_INFO": "/a b", "QUERY_STRING": "x=1"}
    >>> get_current_url(env), get_current_url(env, root_only=True)
    ('https://example.com/app/a%20b?x=1', 'https://example.com/app/')
    """
    parts = [environ.get("wsgi.url_scheme", "http"), "://", get_host(environ, trusted_hosts)]
    if host_only:
        return "".join(parts) + "/"
    safe = "/:@!$&'()*+,;=~%"
    root = quote(_decoded(environ.get("SCRIPT_NAME", "")).rstrip("/"), safe=safe)
    parts.append(root + "/")
    if not root_only:
        parts.append(quote(_decoded(environ.get("PATH_INFO", "")).lstrip("/"), safe=safe))
        if not strip_querystring:
            qs = environ.get("QUERY_STRING")
            if qs:
                parts.append("?" + quote(_decoded(qs), safe=safe + "?/"))
    return "".join(parts)


def get_path_info(environ: dict[str, Any]) -> str:
    """``PATH_INFO`` decoded as UTF-8 (bad bytes replaced)."""
    return _decoded(environ.get("PATH_INFO", ""))


def get_content_length(environ: dict[str, Any]) -> int | None:
    """The ``Content-Length`` as an int; ``None`` when absent, invalid or chunked."""
    if environ.get("HTTP_TRANSFER_ENCODING", "") == "chunked":
        return None
    value = environ.get("CONTENT_LENGTH")
    if value and value.isascii() and value.strip().isdigit():
        return int(value)
    return None


class LimitedStream(io.RawIOBase):
    """Read at most ``limit`` bytes of ``stream``.

    With ``is_max=False`` (``limit`` is the body's length) a stream that ends early means
    the client went away (a 400); with ``is_max=True`` a body longer than ``limit`` is a 413.

    >>> s = LimitedStream(io.BytesIO(b"hello world"), 5)
    >>> s.read(), s.is_exhausted
    (b'hello', True)
    """

    def __init__(self, stream: IO[bytes], limit: int, is_max: bool = False) -> None:
        self._stream = stream
        self._pos = 0
        self.limit = limit
        self._limit_is_max = is_max

    @property
    def is_exhausted(self) -> bool:
        """Whether every byte up to the limit has been read."""
        return self._pos >= self.limit

    def on_over_limit(self) -> None:
        raise RequestEntityTooLarge(f"The request body is over the limit of {self.limit} bytes.")

    def on_disconnect(self, error: Exception | None = None) -> None:
        raise ClientDisconnected("The client went away before sending the whole body.") from error

    def readable(self) -> bool:
        return True

    def exhaust(self) -> bytes:
        """Read to the limit, discarding; returns what was read."""
        return self.read()

    def readinto(self, b: Any) -> int | None:  # type: ignore[override]
        size = len(b)
        remaining = self.limit - self._pos
        if remaining <= 0:
            if self._limit_is_max and self._stream.read(1):
                self.on_over_limit()
            return 0
        try:
            data = self._stream.read(min(size, remaining))
        except (OSError, ValueError) as e:
            self.on_disconnect(e)
            return 0
        if not data:
            if not self._limit_is_max:
                self.on_disconnect()
            return 0
        b[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def readall(self) -> bytes:
        chunks = []
        while True:
            chunk = self.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def tell(self) -> int:
        return self._pos


def get_input_stream(environ: dict[str, Any], safe_fallback: bool = True,
                     max_content_length: int | None = None) -> IO[bytes]:
    """The request body as a stream that cannot be read past its end (or past
    ``max_content_length``: 413). Without a length and not chunked: an empty stream when
    ``safe_fallback``, else the raw input."""
    stream = environ["wsgi.input"]
    length = get_content_length(environ)
    if length is not None and max_content_length is not None and length > max_content_length:
        raise RequestEntityTooLarge()
    if environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING") == "chunked":
        if max_content_length is not None:
            return LimitedStream(stream, max_content_length, is_max=True)  # type: ignore[return-value]
        return stream  # type: ignore[no-any-return]
    if length is None:
        return io.BytesIO() if safe_fallback else stream
    return LimitedStream(stream, length)  # type: ignore[return-value]


class ClosingIterator:
    """Wrap a body iterable so that closing it also runs ``callbacks`` (after the
    iterable's own ``close``), as servers close what an app returned.

    >>> done = []
    >>> it = ClosingIterator([b"a"], lambda: done.append(1))
    >>> b"".join(it), it.close(), done
    (b'a', None, [1])
    """

    def __init__(self, iterable: Iterable[bytes],
                 callbacks: Callable[[], None] | Iterable[Callable[[], None]] | None = None) -> None:
        self._next = iter(iterable).__next__
        if callbacks is None:
            cbs: list[Callable[[], None]] = []
        elif callable(callbacks):
            cbs = [callbacks]
        else:
            cbs = list(callbacks)
        close = getattr(iterable, "close", None)
        if close is not None:
            cbs.insert(0, close)
        self._callbacks = cbs

    def __iter__(self) -> ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return self._next()

    def close(self) -> None:
        for cb in self._callbacks:
            cb()


class FileWrapper:
    """Iterate a file in blocks of ``buffer_size`` and close it afterwards (what
    ``wsgi.file_wrapper`` is when the server has none)."""

    def __init__(self, file: IO[bytes], buffer_size: int = 8192) -> None:
        self.file = file
        self.buffer_size = buffer_size

    def close(self) -> None:
        if hasattr(self.file, "close"):
            self.file.close()

    def seekable(self) -> bool:
        seekable = getattr(self.file, "seekable", None)
        return bool(seekable()) if seekable is not None else hasattr(self.file, "seek")

    def seek(self, *args: Any) -> None:
        if hasattr(self.file, "seek"):
            self.file.seek(*args)

    def tell(self) -> int | None:
        return self.file.tell() if hasattr(self.file, "tell") else None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        data = self.file.read(self.buffer_size)
        if data:
            return data
        raise StopIteration()


def wrap_file(environ: dict[str, Any], file: IO[bytes], buffer_size: int = 8192) -> Iterable[bytes]:
    """The server's ``wsgi.file_wrapper`` for ``file`` (sendfile where it has one), else a
    :class:`FileWrapper`."""
    wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
    return wrapper(file, buffer_size)  # type: ignore[no-any-return]
