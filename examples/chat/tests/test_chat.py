"""The chat example: logins and sessions in Redis, idempotent writes to PostgreSQL, and live
delivery across two real uvicorn processes (a client that reconnects misses nothing)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from chat import create_app
from chat.devservers import free_port, wait_for_port

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def login(client, name="ann", password="pw"):
    return client.post("/login", json={"name": name, "password": password})


def test_login_me_logout(app):
    c = app.test_client()
    assert c.get("/api/me").status_code == 401
    rv = login(c)
    assert rv.status_code == 200 and rv.get_json() == {"user": "ann"}
    assert c.get("/api/me").get_json() == {"user": "ann"}
    assert login(app.test_client(), password="wrong").status_code == 403
    c.post("/logout")
    assert c.get("/api/me").status_code == 401
    assert c.get("/healthz").text == "ok"
    assert "X-Served-By" in c.get("/healthz").headers


def test_session_is_shared_by_every_process(app, config):
    """A second app object (another worker, another host) on the same Redis knows the user."""
    c = app.test_client()
    login(c, "bob")
    other = create_app(config).test_client()
    other.set_cookie("session", c.get_cookie("session").value)
    assert other.get("/api/me").get_json() == {"user": "bob"}


def test_write_is_stored_once_per_key_and_broadcast(app, chat_redis):
    import redis

    c = app.test_client()
    assert c.post("/api/messages", json={"text": "hi", "key": "k1"}).status_code == 401
    login(c)
    first = c.post("/api/messages", json={"text": "hi", "key": "k1"})
    assert first.status_code == 201 and first.headers["X-Key"] == "k1"
    again = c.post("/api/messages", json={"text": "hi", "key": "k1"})  # a client's retry
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    c.post("/api/messages", json={"text": "second"})
    msgs = c.get("/api/messages").get_json()["messages"]
    assert [m["text"] for m in msgs] == ["hi", "second"]
    assert c.get(f"/api/messages?after={msgs[0]['id']}").get_json()["messages"] == msgs[1:]
    bc = app.extensions["broadcast"]
    stream = redis.Redis.from_url(chat_redis.url, decode_responses=True).xrange(bc.key("room"))
    assert [json.loads(f["d"])["text"] for _, f in stream] == ["hi", "second"]  # once each
    assert c.post("/api/messages", json={"text": ""}).status_code == 400


@pytest.fixture
def two_nodes(app, config):
    """Two uvicorn processes serving the chat (HTTP and WebSocket) on their own ports."""
    env = {**os.environ, "STEIN_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "STEIN_REDIS_URL": config["REDIS_URL"], "STEIN_SECRET_KEY": config["SECRET_KEY"],
           "STEIN_PASSWORD_METHOD": config["PASSWORD_METHOD"],
           "STEIN_BROADCAST_PREFIX": config["BROADCAST_PREFIX"]}
    procs, ports = [], []
    for name in ("a", "b"):
        port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "chat:create_app", "--port", str(port),
             "--log-level", "warning"], cwd=HERE, env={**env, "STEIN_NODE": name}))
        ports.append(port)
    try:
        for port in ports:
            wait_for_port(port)
        yield ports
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def test_broadcast_across_processes_and_catch_up(two_nodes):
    import httpx
    import websockets

    a, b = two_nodes

    async def main():
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{b}") as http:
            assert (await http.post("/login", json={"name": "cy", "password": "pw"})).status_code == 200
            async with websockets.connect(f"ws://127.0.0.1:{a}/ws") as ws:
                await asyncio.sleep(0.3)
                r = await http.post("/api/messages", json={"text": "via b", "key": "x1"})
                assert r.status_code == 201 and r.headers["X-Served-By"] == "b"
                got = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert got["message"]["text"] == "via b"
                last = got["event"]
            # Disconnected: two messages are sent meanwhile; reconnecting to the other node
            # with since= gives exactly those two, then live ones.
            for i in range(2):
                await http.post("/api/messages", json={"text": f"missed {i}"})
            async with websockets.connect(f"ws://127.0.0.1:{b}/ws?since={last}") as ws:
                texts = [json.loads(await asyncio.wait_for(ws.recv(), 5))["message"]["text"]
                         for _ in range(2)]
                assert texts == ["missed 0", "missed 1"]
                await http.post("/api/messages", json={"text": "live"})
                got = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert got["message"]["text"] == "live"
            async with websockets.connect(f"ws://127.0.0.1:{a}/ws?since=nonsense") as ws:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd.code == 1008

    asyncio.run(main())
