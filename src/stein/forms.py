"""Request bodies: a bounded input stream and form parsing (urlencoded, multipart)."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from .bodies import direct_length as direct_length  # (also multipart's, below forms)
from .bodies import read_body as read_body
from .bodies import read_exactly as read_exactly
from .datastructures import ImmutableMultiDict
from .exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from .http import parse_qs_multidict

if TYPE_CHECKING:
    from .wrappers import Request


class LimitedStream(io.RawIOBase):
    """Reads at most ``length`` bytes of ``stream`` and no more than ``limit`` in all.

    Going past ``limit`` raises a 413 as soon as the extra byte arrives, so an oversize
    body is never read whole.
    """

    def __init__(self, stream: Any, length: int | None, limit: int | None) -> None:
        self._stream = stream
        self._remaining = length
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def _want(self, size: int) -> int:
        if self._remaining is not None:
            size = self._remaining if size < 0 else min(size, self._remaining)
        return size

    def _account(self, data: bytes, asked: int) -> bytes:
        self._read += len(data)
        if self._remaining is not None:
            self._remaining -= len(data)
            if asked and not data and self._remaining > 0:
                raise ClientDisconnected("The client went away before sending the whole body.")
        if self._limit is not None and self._read > self._limit:
            raise RequestEntityTooLarge(
                f"The request body is over the limit of {self._limit} bytes."
            )
        return data

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        size = -1 if size is None else size
        size = self._want(size)
        if size == 0:
            return b""
        if size < 0:
            # Unknown length (chunked): read in bounded chunks so the limit holds.
            chunks = []
            while True:
                chunk = self._stream.read(65536)
                if not chunk:
                    break
                chunks.append(self._account(chunk, 0))
            return b"".join(chunks)
        if self._limit is not None:
            size = min(size, self._limit - self._read + 1)
        return self._account(self._stream.read(size), size)

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        want = self._want(-1 if size is None else size)
        if want == 0:
            return b""
        line = self._stream.readline(want) if want > 0 else self._stream.readline()
        return self._account(line, 0)

    def exhaust(self) -> None:
        while self.read(65536):
            pass


def _form_too_large(size: int | None, limit: int) -> RequestEntityTooLarge:
    if size is None:
        return RequestEntityTooLarge(
            f"The form data is over {limit} bytes; the limit is {limit} bytes (MAX_FORM_MEMORY_SIZE)."
        )
    return RequestEntityTooLarge(
        f"The form data is {size} bytes; the limit is {limit} bytes (MAX_FORM_MEMORY_SIZE)."
    )


def _read_form_body(request: Request, max_length: int | None, limit: int | None) -> bytes:
    """The body of a urlencoded form the slow way (:func:`parse_urlencoded` reads the usual
    one itself): refused (413) before reading when its declared length is over a limit, and
    never read more than one byte past ``limit`` when no length is declared. The bytes are
    cached as ``get_data()`` would cache them."""
    env = request.environ
    cl = env.get("CONTENT_LENGTH")
    # Plain digits (the usual header) skip the property; it gives 400 for a malformed one.
    cl = int(cl) if cl and cl.isdigit() and cl.isascii() else request.content_length
    if cl is not None:
        if max_length is not None and cl > max_length:
            raise RequestEntityTooLarge(
                f"The request body is {cl} bytes; the limit is {max_length} bytes."
            )
        if limit is not None and cl > limit:
            raise _form_too_large(cl, limit)
    # Chunked (no declared length), ASGI, or a stream already in use: the bounded stream,
    # stopping one byte past the limit.
    stream = request.stream
    if limit is None:
        data = stream.read()
    else:
        chunks = []
        total = 0
        while total <= limit:
            chunk = stream.read(limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _form_too_large(None, limit)
        data = b"".join(chunks)
    if cl is not None and len(data) < cl:
        raise ClientDisconnected("The client sent less data than Content-Length announced.")
    request.__dict__["_cached_data"] = data
    return data  # type: ignore[no-any-return]


def parse_urlencoded(request: Request) -> ImmutableMultiDict:
    """Parse an ``application/x-www-form-urlencoded`` body, within the request's limits:
    ``MAX_CONTENT_LENGTH`` and ``MAX_FORM_MEMORY_SIZE`` on the body (413), ``MAX_FORM_PARTS``
    on the number of fields (413); bad escapes or UTF-8 as ``request.encoding_errors`` says."""
    max_length, limit, max_fields = request._body_limits()
    rd = request.__dict__
    data = rd.get("_cached_data")
    if data is not None:
        if limit is not None and len(data) > limit:
            raise _form_too_large(len(data), limit)
    else:
        n = direct_length(request)
        if n is None or (max_length is not None and n > max_length) or \
                (limit is not None and n > limit):
            data = _read_form_body(request, max_length, limit)  # or the right 413
        else:
            # The usual form post: a declared length within every limit is read straight
            # from the server's input in one call, with no bounded stream object built.
            wsgi_input = request.environ["wsgi.input"]
            data = wsgi_input.read(n)
            if len(data) < n:  # a short read (servers may): the rest, or 400
                data += read_exactly(wsgi_input, n - len(data))
            rd["_cached_data"] = data
    return parse_qs_multidict(data, request.parameter_storage_class, "form data", max_fields,  # type: ignore[no-any-return]
                              request.encoding_errors)


def parse_multipart(request: Request, boundary: str | None = None
                    ) -> tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """Parse a ``multipart/form-data`` body (see ``stein.multipart``)."""
    from .multipart import parse_multipart as _parse  # deferred: multipart bodies only

    return _parse(request, boundary=boundary)


_MULTIPART = "multipart/form-data; boundary="
# A boundary that parse_options_header would give back as it is and that is valid (RFC 2046):
# 1 to 70 printable characters without space, '"', ';' or '\'.
_plain_boundary = re.compile(r"[!#-:<-\[\]-~]{1,70}").fullmatch


def _no_files() -> ImmutableMultiDict:
    # ``dict.__new__``: an empty immutable dict without a trip through ``__init__``.
    return dict.__new__(ImmutableMultiDict)  # type: ignore[no-any-return]


def parse_form_data(request: Request) -> tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """``(form, files)`` for the request's body; other content types give empty ones."""
    ct = request.environ.get("CONTENT_TYPE", "")
    if ct.startswith(_MULTIPART):
        # The header as browsers send it: the boundary without a trip through
        # parse_options_header (tests/test_uploads.py checks they agree).
        m = _plain_boundary(ct, len(_MULTIPART))
        if m is not None:
            return parse_multipart(request, m[0])
    mt = request.mimetype
    if mt == "application/x-www-form-urlencoded":
        return parse_urlencoded(request), _no_files()
    if mt == "multipart/form-data":
        if not request.mimetype_params.get("boundary"):
            raise BadRequest("The multipart body has no boundary in its Content-Type.")
        return parse_multipart(request)
    return ImmutableMultiDict(), ImmutableMultiDict()
