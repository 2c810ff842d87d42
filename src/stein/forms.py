"""Request bodies: a bounded input stream and form parsing (urlencoded, multipart)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from .datastructures import ImmutableMultiDict
from .exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from .http import parse_qsl

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


def parse_urlencoded(request: Request) -> ImmutableMultiDict:
    """Parse an ``application/x-www-form-urlencoded`` body, within the request's limits."""
    limit = request.max_form_memory_size
    data = request.get_data()
    if limit is not None and len(data) > limit:
        raise RequestEntityTooLarge(
            f"The form data is {len(data)} bytes; the limit is {limit} bytes (MAX_FORM_MEMORY_SIZE)."
        )
    return ImmutableMultiDict(
        parse_qsl(data, what="form data", max_fields=request._form_limit("MAX_FORM_PARTS"))
    )


def parse_multipart(request: Request) -> tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """Parse a ``multipart/form-data`` body (see ``stein.multipart``)."""
    from .multipart import parse_multipart as _parse

    return _parse(request)


def parse_form_data(request: Request) -> tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """``(form, files)`` for the request's body; other content types give empty ones."""
    mt = request.mimetype
    if mt == "application/x-www-form-urlencoded":
        return parse_urlencoded(request), ImmutableMultiDict()
    if mt == "multipart/form-data":
        if not request.mimetype_params.get("boundary"):
            raise BadRequest("The multipart body has no boundary in its Content-Type.")
        return parse_multipart(request)
    return ImmutableMultiDict(), ImmutableMultiDict()
