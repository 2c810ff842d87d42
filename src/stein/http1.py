"""HTTP/1.1 requests as the development server reads them off a connection: the request
line and header fields (strictly checked and bounded), the header fields folded into the
WSGI environ, and the body readers behind ``wsgi.input`` (Content-Length and chunked).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .exceptions import BadRequest, RequestTimeout
from .http import is_valid_host

# RFC 9110 5.1 / 5.5: a field name is a token; a value has no control characters but HTAB.
# Anything else is refused (400) rather than passed on, so the app and any proxy in front
# cannot disagree about where a header or the request ends.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TARGET_BAD_RE = re.compile(r"[\x00-\x20\x7f]")
# RFC 9112 7.1: chunk-size [chunk-ext] CRLF, and CRLF only: a server that also took a bare
# LF or CR as the line end would read a different body than a proxy in front that does not
# (aiohttp's CVE-2024-52304). An extension must start with a token character and hold no
# control character but HTAB; its finer grammar is not checked, since extensions are
# ignored anyway and a nested pattern over an 8 KiB line would cost milliseconds.
_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_CHUNK_LINE_RE = re.compile(
    rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[ \t]*" + _TCHAR + rb"[\t -~\x80-\xff]*)?\r\n\Z")
_CHUNK_SIZE_RE = re.compile(rb"[0-9A-Fa-f]{1,16}")
# A trailer field line (RFC 9112 7.1.2): a header field line, ended by CRLF.
_TRAILER_RE = re.compile(_TCHAR + rb"+:[\t -~\x80-\xff]*\r\n\Z")

#: Longest request line accepted (longer -> 414).
MAX_REQUEST_LINE = 8190
#: Longest single header line, and all header lines together (longer -> 431).
MAX_HEADER_LINE = 8190
MAX_HEADERS_SIZE = 65536
#: Most header fields in one request (more -> 431).
MAX_HEADER_COUNT = 100


class _BadRequest(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- the request head -------------------------------------------------------------------------


def read_request_line(rfile: Any) -> bytes:
    """The next request line, skipping the empty lines allowed before one; ``b""`` at the
    end of input. Reads at most one byte past :data:`MAX_REQUEST_LINE`, so an overlong
    line shows."""
    line: bytes = rfile.readline(MAX_REQUEST_LINE + 1)
    while line in (b"\r\n", b"\n"):  # stray empty lines before a request are allowed
        line = rfile.readline(MAX_REQUEST_LINE + 1)
    return line


def parse_head(line: bytes, rfile: Any) -> tuple[str, str, str, list[tuple[str, str]]] | None:
    """Parse the request ``line`` and read the header fields after it from ``rfile``:
    ``(method, target, version, headers)``, or None when the client closed mid-line.
    Raises ``_BadRequest`` (400, 414, 431, 505) for what is refused."""
    if len(line) > MAX_REQUEST_LINE:
        raise _BadRequest(414, "Request line too long")
    if not line.endswith(b"\n"):
        return None  # closed mid-line
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3:
        raise _BadRequest(400, "Malformed request line")
    method, target, version = parts
    if not _TOKEN_RE.match(method) or not target or _TARGET_BAD_RE.search(target):
        raise _BadRequest(400, "Malformed request line")
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        if re.match(r"HTTP/\d\.\d\Z", version):
            raise _BadRequest(505, "Only HTTP/1.0 and HTTP/1.1 are supported")
        raise _BadRequest(400, "Malformed request line")
    headers: list[tuple[str, str]] = []
    total = 0
    while True:
        raw = rfile.readline(MAX_HEADER_LINE + 1)
        if raw in (b"\r\n", b"\n"):
            break
        if not raw:
            raise ConnectionError("closed during headers")
        total += len(raw)
        if len(raw) > MAX_HEADER_LINE or total > MAX_HEADERS_SIZE:
            raise _BadRequest(431, "Request header fields too large")
        if len(headers) >= MAX_HEADER_COUNT:
            raise _BadRequest(431, "Too many request header fields")
        if raw[:1] in (b" ", b"\t"):
            raise _BadRequest(400, "Folded header lines are not accepted")
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep or not _TOKEN_RE.match(name):
            raise _BadRequest(400, "Malformed header line")
        value = value.strip(" \t\r\n")
        if _CTL_RE.search(value):
            raise _BadRequest(400, "Invalid character in a header value")
        headers.append((name, value))
    return method, target, version, headers


def apply_headers(environ: dict[str, Any], version: str, headers: list[tuple[str, str]],
                  rfile: Any) -> tuple[bool, Any]:
    """Fold the header fields into ``environ``, set ``wsgi.input`` to the body reader, and
    return ``(keep_alive, body)``. Raises ``_BadRequest`` for ambiguous framing."""
    connection = ""
    chunked = False
    length: str | None = None
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if "_" in name:
            continue  # would be ambiguous with a dash: dropped, as most servers do
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if key == "CONTENT_LENGTH":
            if length is not None and length != value:
                raise _BadRequest(400, "Conflicting Content-Length headers")
            length = value
            continue
        if key == "TRANSFER_ENCODING":
            encodings = [v.strip().lower() for v in value.split(",")]
            if encodings[-1] != "chunked":
                raise _BadRequest(501, "Unsupported Transfer-Encoding")
            chunked = True
        if key == "CONNECTION":
            connection = value.lower()
        elif key == "HOST" and value and not is_valid_host(value):
            # Not host[:port] (RFC 3986): request.host refuses it too; here it is refused
            # before the app sees it.
            raise _BadRequest(400, "Invalid Host header")
        key = "HTTP_" + key
        if key in environ:
            sep = "; " if key == "HTTP_COOKIE" else ","
            environ[key] = f"{environ[key]}{sep}{value}"
        else:
            environ[key] = value
    body: Any
    if chunked:
        if length is not None:
            raise _BadRequest(400, "Both Content-Length and Transfer-Encoding given")
        body = _ChunkedReader(rfile)
        environ["wsgi.input_terminated"] = True
    else:
        if length is not None:
            if not (length.isdigit() and length.isascii()):  # not "²" or "٣"
                raise _BadRequest(400, "Invalid Content-Length")
            environ["CONTENT_LENGTH"] = length
        body = _LengthReader(rfile, int(length or 0))
    environ["wsgi.input"] = body
    if version == "HTTP/1.1":
        keep_alive = "close" not in connection
    else:
        keep_alive = "keep-alive" in connection
    return keep_alive, body


# -- request body readers ---------------------------------------------------------------------


class BodyTimeout(RequestTimeout, TimeoutError):
    """408: the client did not send the request body within the server's body timeout.

    Raised from ``wsgi.input`` reads, so a Stein app answers it as a 408 (and the server
    closes the connection); as a ``TimeoutError`` it also stops code that only knows I/O::

        try:
            data = environ["wsgi.input"].read()
        except BodyTimeout as e:
            ...  # e.code == 408
    """


def _body_timed_out(reader: Any) -> BodyTimeout:
    reader.broken = True  # the rest of the body is unknown: the connection cannot be reused
    return BodyTimeout("The client took too long to send the request body.")


class _LengthReader:
    """``wsgi.input`` for a body with ``Content-Length``: never reads past it."""

    def __init__(self, rfile: Any, length: int) -> None:
        self._rfile = rfile
        self.remaining = length
        #: Set once a read timed out: the response then closes the connection.
        self.broken = False

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        try:
            data = self._rfile.read(size)
        except TimeoutError:
            raise _body_timed_out(self) from None
        if len(data) < size:
            raise ConnectionError("client closed the connection mid-body")
        self.remaining -= len(data)
        return data  # type: ignore[no-any-return]

    def readline(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        try:
            data = self._rfile.readline(size)
        except TimeoutError:
            raise _body_timed_out(self) from None
        self.remaining -= len(data)
        return data  # type: ignore[no-any-return]

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class _ChunkedReader:
    """``wsgi.input`` for ``Transfer-Encoding: chunked``: decodes as the app reads."""

    def __init__(self, rfile: Any) -> None:
        self._rfile = rfile
        self._left = 0  # bytes left in the current chunk
        self.done = False
        self._buffer = b""
        self.remaining = 1  # for draining: unknown, so "something"
        #: Set once the body turned out malformed: the response then closes the connection,
        #: since where this request ends (and the next begins) is no longer known.
        self.broken = False

    def _fail(self, message: str) -> _InvalidChunk:
        self.broken = True  # ``done`` stays False, so the connection is not reused
        return _InvalidChunk(message)

    def _next_chunk(self) -> None:
        line = self._rfile.readline(MAX_HEADER_LINE + 1)
        if not line:
            raise ConnectionError("client closed the connection mid-body")
        if not line.endswith(b"\n"):
            raise self._fail("Chunk size line too long in the chunked body")
        m = _CHUNK_LINE_RE.match(line)
        if m is None:
            # Strict hex only (int() would also take "0x5", "+5" or "5_0"), a well-formed
            # extension, and CRLF as the only line end.
            size_text = line.split(b";", 1)[0].strip(b" \t\r\n")
            if not _CHUNK_SIZE_RE.fullmatch(size_text):
                raise self._fail(
                    f"Invalid chunk size line in the chunked body: {size_text[:20]!r}")
            if b"\r" in line[:-2] or not line.endswith(b"\r\n"):
                raise self._fail("Chunk size line not ended by CRLF (a bare CR or LF) in "
                                 "the chunked body")
            raise self._fail("Invalid chunk extension in the chunked body")
        self._left = int(m[1], 16)
        if self._left == 0:
            # Trailers end with an empty line; they are read and dropped, within the bound
            # that holds for the request's headers.
            total = 0
            while True:
                trailer = self._rfile.readline(MAX_HEADER_LINE + 1)
                if trailer == b"\r\n":
                    break
                if not trailer:
                    raise ConnectionError("client closed the connection mid-body")
                total += len(trailer)
                if total > MAX_HEADERS_SIZE:
                    raise self._fail("Trailer fields too large in the chunked body")
                if not _TRAILER_RE.match(trailer):
                    raise self._fail("Malformed trailer line (or one not ended by CRLF) in "
                                     "the chunked body")
            self.done = True
            self.remaining = 0

    def _read_some(self, size: int) -> bytes:
        try:
            return self._read_chunked(size)
        except TimeoutError:
            raise _body_timed_out(self) from None

    def _read_chunked(self, size: int) -> bytes:
        if self.done:
            return b""
        if self._left == 0:
            self._next_chunk()
            if self.done:
                return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self._left -= len(data)
        if self._left == 0:
            # RFC 9112 7.1: chunk data ends with CRLF. Anything else means the sender and
            # this server disagree about the chunk's length (a smuggling vector): refuse.
            crlf = self._rfile.read(2)
            if crlf != b"\r\n":
                if len(crlf) < 2 and not crlf.startswith(b"\n"):
                    raise ConnectionError("client closed the connection mid-body")
                raise self._fail("Chunk data not followed by CRLF in the chunked body")
        return data  # type: ignore[no-any-return]

    def read(self, size: int = -1) -> bytes:
        out = [self._buffer]
        have = len(self._buffer)
        self._buffer = b""
        while size is None or size < 0 or have < size:
            data = self._read_some(65536 if size is None or size < 0 else size - have)
            if not data:
                break
            out.append(data)
            have += len(data)
        return b"".join(out)

    def readline(self, size: int = -1) -> bytes:
        out = b""
        while b"\n" not in out and (size is None or size < 0 or len(out) < size):
            data = self._buffer or self._read_some(8192)
            self._buffer = b""
            if not data:
                break
            out += data
        cut = out.find(b"\n") + 1 or len(out)
        if size is not None and 0 <= size < cut:
            cut = size
        self._buffer = out[cut:] + self._buffer
        return out[:cut]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class _InvalidChunk(BadRequest, ValueError):
    """A malformed chunked body: a 400 for the app reading it, a ValueError for draining."""
