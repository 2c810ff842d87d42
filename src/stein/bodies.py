"""Reading a request body straight off ``wsgi.input``: whether it can be read in one call,
and the reads. Form parsing (:mod:`stein.forms`) and multipart parsing
(:mod:`stein.multipart`, which forms loads on the first multipart body) share them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .exceptions import ClientDisconnected

if TYPE_CHECKING:
    from .request import Request


def direct_length(request: Request) -> int | None:
    """The declared body length when the body may be read straight from ``wsgi.input`` in
    one call: a plain-digit Content-Length, under WSGI, with the input untouched (no
    ``request.stream`` made, nothing cached). ``None`` otherwise: chunked, ASGI, or a stream
    already in use, which go through the bounded stream."""
    env = request.environ
    cl = env.get("CONTENT_LENGTH")
    if cl and cl.isdigit() and cl.isascii() and env.get("wsgi.input") is not None \
            and "stein.asgi.receive" not in env:
        rd = request.__dict__
        if "stream" not in rd and "_cached_data" not in rd:
            return int(cl)
    return None


def read_body(wsgi_input: Any, length: int) -> bytes:
    """Up to ``length`` bytes in one read, finished when the server hands back less than
    asked (servers may); fewer only when the input ends first."""
    data = wsgi_input.read(length) if length else b""
    if len(data) < length:
        chunks = [data]
        got = len(data)
        while got < length:
            more = wsgi_input.read(length - got)
            if not more:
                break
            chunks.append(more)
            got += len(more)
        data = b"".join(chunks)
    return data  # type: ignore[no-any-return]


def read_exactly(wsgi_input: Any, length: int) -> bytes:
    """``length`` bytes (see :func:`read_body`); the input ending first is a 400 (the
    client went away)."""
    data = read_body(wsgi_input, length)
    if len(data) < length:
        raise ClientDisconnected("The client sent less data than Content-Length announced.")
    return data
