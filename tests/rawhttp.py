"""Helpers for tests that talk raw HTTP/1.1 to the dev server over a loopback socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from stein.serving import DevServer


@contextmanager
def running_server(app: Any, request_timeout: float = 2.0,
                   keepalive_timeout: float = 2.0) -> Iterator[int]:
    """Serve ``app`` on a free 127.0.0.1 port in a thread; yields the port, always stops."""
    srv = DevServer("127.0.0.1", 0, app, request_timeout=request_timeout,
                    keepalive_timeout=keepalive_timeout)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv.server_port
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data``, then read until the server closes (or ``timeout`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close before taking everything (e.g. after a 431)
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except TimeoutError:
                chunks.append(b"<timeout>")
                break
            except OSError:
                break
            if not c:
                break
            chunks.append(c)
    return b"".join(chunks)


def status_of(raw: bytes) -> int | None:
    """The status code of the first response in ``raw``; ``None`` if the server just closed."""
    if not raw.startswith(b"HTTP/1."):
        return None
    return int(raw.split(b" ", 2)[1])


def responses_in(raw: bytes) -> int:
    """How many status lines the server wrote (a smuggled second request shows as 2)."""
    import re

    return len(re.findall(rb"HTTP/1\.[01] \d{3} ", raw))


def get(port: int, path: str = "/", extra: str = "") -> bytes:
    return exchange(port, f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n"
                    .encode("latin-1"))
