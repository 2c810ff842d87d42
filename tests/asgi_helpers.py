"""A raw in-process ASGI caller for tests that need control over messages (body chunks,
disconnects), where httpx's ASGITransport hides them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    receive_calls: int = 0

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def text(self) -> str:
        return self.body.decode()


def make_scope(method: str = "GET", path: str = "/", query: bytes = b"",
               headers: list[tuple[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query, "root_path": "",
        "headers": [(b"host", b"testserver")] + [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or [])
        ],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    scope.update(extra)
    return scope


async def acall(app: Any, method: str = "GET", path: str = "/", query: bytes = b"",
                headers: list[tuple[str, str]] | None = None, body: list[bytes] | None = None,
                disconnect_after_chunks: int | None = None, **extra: Any) -> Result:
    """Run one request through ``app(scope, receive, send)``.

    ``body`` is sent as separate ``http.request`` messages. With ``disconnect_after_chunks``
    the client "goes away" once that many body chunks of the response have arrived.
    """
    res = Result()
    pending = [{"type": "http.request", "body": b, "more_body": i < len(body) - 1}
               for i, b in enumerate(body)] if body else [{"type": "http.request", "body": b""}]
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        res.receive_calls += 1
        if pending:
            return pending.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            res.status = msg["status"]
            res.headers = {k.decode(): v.decode() for k, v in msg["headers"]}
        elif msg["type"] == "http.response.body":
            if gone.is_set():
                raise OSError("send after disconnect")
            if msg.get("body"):
                res.chunks.append(msg["body"])
            if not msg.get("more_body"):
                gone.set()
            elif disconnect_after_chunks is not None and len(res.chunks) >= disconnect_after_chunks:
                gone.set()

    scope = make_scope(method, path, query, headers, **extra)
    await asyncio.wait_for(app(scope, receive, send), timeout=10)
    return res


def call(app: Any, *args: Any, **kwargs: Any) -> Result:
    return asyncio.run(acall(app, *args, **kwargs))
