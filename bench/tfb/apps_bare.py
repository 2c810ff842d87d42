"""The server's ceiling: bare WSGI and ASGI callables answering json and plaintext with no
framework at all (the JSON is still serialised per request, as the rules ask).

No framework can serve more than these on the same server, so ``bare/flask`` is the
largest ``stein/flask`` ratio a server allows, whatever Stein does. Any other path is 404.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .spec import HELLO

_PLAIN = HELLO.encode()
_NOT_FOUND = b"Not Found"


def _answer(path: str) -> tuple[str, str, bytes]:
    if path == "/json":
        return "200 OK", "application/json", json.dumps({"message": HELLO}).encode()
    if path == "/plaintext":
        return "200 OK", "text/plain", _PLAIN
    return "404 Not Found", "text/plain", _NOT_FOUND


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status, ctype, body = _answer(environ.get("PATH_INFO", ""))
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


async def asgi(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
               send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    status, ctype, body = _answer(scope["path"])
    await send({"type": "http.response.start", "status": int(status[:3]),
                "headers": [(b"content-type", ctype.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
