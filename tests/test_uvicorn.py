"""The app under a real uvicorn on a loopback port, driven over TCP: httpx for HTTP, the
``websockets`` package for a WebSocket round trip, and the example apps via uvicorn's CLI."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from stein import Stein, request, session
from stein.websocket import WebSocket

uvicorn = pytest.importorskip("uvicorn")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextmanager
def serve(app: Any, **options: Any) -> Iterator[str]:
    """Run uvicorn in a thread on a free 127.0.0.1 port; yields the base URL, always stops."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on", **options)
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not t.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


def make_app() -> tuple[Stein, list[str]]:
    app = Stein("uvicorn_app")
    app.secret_key = "uvicorn-test"
    events: list[str] = []

    @app.on_startup
    async def start() -> None:
        events.append("startup")

    @app.on_shutdown
    def stop() -> None:
        events.append("shutdown")

    @app.route("/")
    async def index() -> str:
        return "hello over tcp"

    @app.route("/sync/<int:n>")
    def sync_view(n: int) -> Any:
        return {"n": n, "ua": request.headers.get("User-Agent")}

    @app.post("/echo")
    async def echo() -> Any:
        return {"json": request.get_json(), "len": request.content_length}

    @app.route("/count")
    async def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/slow")
    async def slow() -> str:
        await asyncio.sleep(0.5)
        return request.args["i"]

    @app.route("/stream")
    async def stream() -> Any:
        async def gen() -> Any:
            for i in range(5):
                yield f"line {i}\n"
                await asyncio.sleep(0.01)

        return gen(), {"Content-Type": "text/plain"}

    @app.websocket("/ws/<room>")
    async def ws(sock: WebSocket, room: str) -> None:
        await sock.accept()
        async for message in sock:
            if message == "bye":
                await sock.close(1000)
                return
            await sock.send(f"{room}: {message}")

    return app, events


def test_http_lifespan_and_sessions_over_tcp() -> None:
    app, events = make_app()
    with serve(app) as base:
        assert events == ["startup"]
        with httpx.Client(base_url=base, timeout=5) as c:
            r = c.get("/")
            assert r.status_code == 200 and r.text == "hello over tcp"
            assert r.headers["content-type"] == "text/html; charset=utf-8"
            r = c.get("/sync/5", headers={"User-Agent": "t/1"})
            assert r.json() == {"n": 5, "ua": "t/1"}
            r = c.post("/echo", json={"a": [1, 2, 3]})
            assert r.json() == {"json": {"a": [1, 2, 3]}, "len": 13}  # {"a":[1,2,3]}
            assert [c.get("/count").text for _ in range(3)] == ["1", "2", "3"]
            r = c.get("/missing")
            assert r.status_code == 404 and "Not Found" in r.text
            with c.stream("GET", "/stream") as r:
                lines = list(r.iter_lines())
            assert lines == [f"line {i}" for i in range(5)]
    assert events == ["startup", "shutdown"]


def test_body_over_limit_is_413_over_tcp() -> None:
    app, _ = make_app()
    app.config["MAX_CONTENT_LENGTH"] = 1000
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as c:
        r = c.post("/echo", content=b"{" * 5000, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "limit is 1000 bytes" in r.text


def test_100_concurrent_slow_requests_take_about_one() -> None:
    app, _ = make_app()

    async def go(base: str) -> tuple[float, list[str]]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as c:
            await c.get("/")  # warm the connection path
            t0 = time.monotonic()
            rs = await asyncio.gather(*(c.get("/slow", params={"i": i}) for i in range(100)))
            return time.monotonic() - t0, [r.text for r in rs]

    with serve(app) as base:
        elapsed, texts = asyncio.run(go(base))
    assert texts == [str(i) for i in range(100)]
    # One takes 0.5 s; serially 100 would take 50 s.
    assert elapsed < 2.5, elapsed


def test_websocket_round_trip_over_tcp() -> None:
    from websockets.sync.client import connect

    app, _ = make_app()
    with serve(app) as base:
        url = base.replace("http://", "ws://") + "/ws/blue"
        with connect(url, open_timeout=5, close_timeout=5) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "blue: hi"
            ws.send("again")
            assert ws.recv(timeout=5) == "blue: again"
            ws.send("bye")
            with pytest.raises(Exception, match="1000"):
                ws.recv(timeout=5)
        # A WebSocket request to an HTTP-only path is refused at the handshake.
        from websockets.exceptions import InvalidStatus

        with pytest.raises(InvalidStatus, match="403"):
            connect(base.replace("http://", "ws://") + "/", open_timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn_cli(*args: str) -> Iterator[str]:
    """``python -m uvicorn ARGS`` on a free port; yields the base URL once it answers."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise RuntimeError(f"uvicorn {args} did not start: {out}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_example_apps_under_the_uvicorn_cli() -> None:
    with uvicorn_cli("--app-dir", "examples/hello", "app:app") as base:
        r = httpx.get(base + "/hello/tcp", headers={"User-Agent": "cli"}, timeout=5)
        assert r.status_code == 200 and r.json() == {"hello": "tcp", "agent": "cli"}
    with uvicorn_cli("--app-dir", "examples/api", "--factory", "inventory:create_app") as base:
        r = httpx.get(base + "/items", timeout=5)
        assert r.status_code == 200 and "items" in r.json()
        r = httpx.get(base + "/items/999999", timeout=5)
        assert r.status_code == 404
    with uvicorn_cli("--app-dir", "examples/blog", "--factory", "blog:create_app") as base:
        r = httpx.get(base + "/hello", timeout=5)
        assert r.status_code == 200 and r.text == "Hello, World!"


def test_uvicorn_detects_the_app_as_asgi3_without_flags() -> None:
    """With no --interface flag uvicorn calls the app ASGI 3 (no ASGI 2 wrapper), and the
    app object still answers WSGI calls. Run as the uvicorn CLI runs: uvicorn (and so
    asyncio) loaded first, then the app's module."""
    import subprocess
    import sys

    code = """
from uvicorn.config import Config
from stein import Stein

app = Stein("probe")

@app.route("/")
def index():
    return "wsgi still works"

config = Config(app, proxy_headers=False)
config.load()
assert config.interface == "asgi3", config.interface
assert config.loaded_app is app
seen = []
body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x",
                     "SERVER_PORT": "80", "wsgi.url_scheme": "http"},
                    lambda status, headers, exc_info=None: seen.append(status)))
assert (seen, body) == (["200 OK"], b"wsgi still works"), (seen, body)
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
