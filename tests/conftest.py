"""Shared fixtures: a fresh app per test and its test client; ``start`` for a development
server in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stein import Stein, serving


@pytest.fixture
def app() -> Stein:
    app = Stein("test_app")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Stein):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def start() -> Iterator[Callable[..., serving.DevServer]]:
    """Start a DevServer for a WSGI app on a free port, in a thread; always stopped."""
    servers: list[serving.DevServer] = []

    def _start(app: Any, **kwargs: Any) -> serving.DevServer:
        server = serving.DevServer("127.0.0.1", 0, app, **kwargs)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return server

    yield _start
    for server in servers:
        server.shutdown()
        server.server_close()
