"""The request body under ASGI: read before the view, or streamed by it; big forms parsed
off the event loop.

The body of a request to an ordinary view is read from ``receive`` before the view runs
(:func:`_preread`, bounded by ``MAX_CONTENT_LENGTH``), so ``request.get_json()``, ``form``
and ``files`` stay synchronous; :class:`RequestBody` is ``request.stream`` over it. A view
marked ``stream_body`` reads it itself with ``async for chunk in request.stream()``.

A form body of :data:`FORM_THREAD_THRESHOLD` bytes or more sent to an ``async def`` view is
parsed in the app's thread pool before the view runs (``stein.asgi`` does the hop), since a
15 MiB upload would hold the loop, and every other request on it, for tens of
milliseconds. A parse that fails there leaves :class:`_FailedBody` as ``request.stream``,
so the view gets the same error where it asks for the form, without a second parse.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .exceptions import ClientDisconnected, RequestEntityTooLarge

if TYPE_CHECKING:
    from .app import Stein
    from .wrappers import Request

Receive = Callable[[], Awaitable[dict[str, Any]]]


async def _preread(environ: dict[str, Any], receive: Receive, limit: int | None) -> None:
    """Read the whole body into the environ, stopping one byte past ``limit``."""
    cl = environ.get("CONTENT_LENGTH")
    if cl and limit is not None and cl.isdigit() and cl.isascii() and int(cl) > limit:
        return  # Request.stream answers 413 from the header alone; nothing is read.
    chunks: list[bytes] = []
    total = 0
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            environ["stein.asgi.disconnected"] = True
            break
        chunk = msg.get("body", b"")
        if chunk:
            chunks.append(chunk)
            total += len(chunk)
            if limit is not None and total > limit:
                environ["stein.asgi.too_large"] = True
                break
        if not msg.get("more_body", False):
            break
    environ["stein.asgi.body"] = chunks[0] if len(chunks) == 1 else b"".join(chunks)


class RequestBody(io.RawIOBase):
    """``request.stream`` under ASGI: a file over the pre-read body, and callable for
    ``async for chunk in request.stream()`` (which reads from the server when the view is
    marked :func:`stream_body`, or yields the pre-read body otherwise)."""

    def __init__(self, environ: dict[str, Any], receive: Receive, limit: int | None) -> None:
        data = environ.get("stein.asgi.body")
        self._buf = io.BytesIO(data) if data is not None else None
        self._environ = environ
        self._receive = receive
        self._limit = limit
        self._streamed = False

    def readable(self) -> bool:
        return True

    def _check(self) -> io.BytesIO:
        env = self._environ
        if env.get("stein.asgi.too_large"):
            raise RequestEntityTooLarge(f"The request body is over the limit of {self._limit} bytes.")
        if env.get("stein.asgi.disconnected"):
            raise ClientDisconnected("The client went away before sending the whole body.")
        if self._buf is None:
            raise RuntimeError(
                "This view is marked stream_body: its body was not read before it ran. Read it"
                " with 'async for chunk in request.stream()'."
            )
        return self._buf

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        return self._check().read(-1 if size is None else size)

    def readinto(self, b: Any) -> int:
        return self._check().readinto(b)

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        return self._check().readline(-1 if size is None else size)

    def __call__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        if self._buf is not None or self._environ.get("stein.asgi.too_large"):
            data = self._check().read()
            if data:
                yield data
            return
        if self._streamed:
            raise RuntimeError("The request body was already streamed.")
        self._streamed = True
        limit, total = self._limit, 0
        while True:
            msg = await self._receive()
            if msg["type"] != "http.request":
                raise ClientDisconnected("The client went away before sending the whole body.")
            chunk = msg.get("body", b"")
            total += len(chunk)
            if limit is not None and total > limit:
                raise RequestEntityTooLarge(f"The request body is over the limit of {limit} bytes.")
            if chunk:
                yield chunk
            if not msg.get("more_body", False):
                return


def request_body_stream(request: Request) -> RequestBody:
    """Build ``request.stream`` for a request that came in over ASGI."""
    env = request.environ
    return RequestBody(env, env["stein.asgi.receive"], request.max_content_length)


# -- big form bodies ---------------------------------------------------------------------

#: Form bodies (multipart or urlencoded) of at least this many bytes, sent to an ``async
#: def`` view, are parsed in the thread pool before the view runs, so the event loop keeps
#: serving other requests meanwhile (a 15 MiB upload parses for tens of milliseconds). Set
#: with ``ASGI_FORM_THREAD_THRESHOLD`` (bytes; ``None`` parses on the loop, as it is read).
FORM_THREAD_THRESHOLD = 256 * 1024
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_NEVER = float("inf")


def _thread_threshold(app: Stein) -> float:
    limit = app.config.get("ASGI_FORM_THREAD_THRESHOLD", FORM_THREAD_THRESHOLD)
    return _NEVER if limit is None else limit  # type: ignore[no-any-return]


class _FailedBody(io.RawIOBase):
    """``request.stream`` after the form parse in the pool failed: reading it raises that
    error, so the view's own ``request.form`` gives it again instead of parsing twice."""

    def __init__(self, error: BaseException) -> None:
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        raise self._error

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        raise self._error


def load_form(request: Request) -> None:
    """Parse the form of ``request`` (in the pool); an error is kept for the view to get."""
    try:
        request._load_form_data()
    except Exception as e:
        # Raised where the view asks for the form (it may never: then nothing is lost).
        for name in ("form", "files", "_cached_data"):
            request.__dict__.pop(name, None)
        request.__dict__["stream"] = _FailedBody(e)


def wants_thread_parse(app: Stein, request: Request) -> bool:
    """Whether the pre-read body of ``request`` is a form big enough to parse in the pool."""
    environ = request.environ
    if len(environ.get("stein.asgi.body") or b"") < _thread_threshold(app):
        return False
    return environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower() in _FORM_TYPES
