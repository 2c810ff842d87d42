"""stein.ext.redis_sessions against a real redis-server started by the test run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from datetime import timedelta

import pytest
from ext_servers import RedisServer, free_port, wait_for_port

from stein import Stein, session
from stein.ext.auth import LoginManager, UserMixin, login_user

redis = pytest.importorskip("redis")


class User(UserMixin):
    def __init__(self, id: int) -> None:
        self.id = id


def make_app(url: str, prefix: str = "test:") -> Stein:
    from stein.ext.redis_sessions import RedisSessions

    app = Stein(__name__)
    app.config.update(SECRET_KEY="s", TESTING=True, SESSION_REDIS_URL=url,
                      SESSION_REDIS_PREFIX=prefix, SESSION_REDIS_TIMEOUT=1.0,
                      PERMANENT_SESSION_LIFETIME=timedelta(minutes=10))
    RedisSessions(app)
    login = LoginManager(app)
    login.user_loader(lambda uid: User(int(uid)))

    @app.get("/set/<value>")
    def set_value(value):
        session["value"] = value
        return "set"

    @app.get("/get")
    def get_value():
        return {"value": session.get("value")}

    @app.get("/permanent")
    def permanent():
        session.permanent = True
        session["p"] = 1
        return "ok"

    @app.get("/clear")
    def clear():
        session.clear()
        return "cleared"

    @app.get("/login")
    def login_view():
        login_user(User(7))
        return "in"

    @app.get("/plain")
    def plain():
        return "no session needed"

    return app


@pytest.fixture
def store(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def app(redis_server, store):
    return make_app(redis_server.url)


def sid_of(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_data_lives_in_redis_with_ttl(app, store):
    client = app.test_client()
    rv = client.get("/set/hello")
    assert rv.text == "set"
    sid = sid_of(client)
    assert len(sid) == 43 and "hello" not in sid
    assert store.get(f"test:{sid}") == b'{"value":"hello"}'
    assert 590 <= store.ttl(f"test:{sid}") <= 600
    assert client.get("/get").get_json() == {"value": "hello"}


def test_no_cookie_until_written(app, store):
    client = app.test_client()
    rv = client.get("/get")
    assert rv.get_json() == {"value": None}
    assert "Set-Cookie" not in rv.headers
    assert store.dbsize() == 0


def test_unknown_or_malformed_id_is_not_adopted(app, store):
    client = app.test_client()
    planted = "A" * 43
    client.set_cookie("session", planted)
    client.get("/set/x")
    assert sid_of(client) != planted
    assert store.exists(f"test:{planted}") == 0
    for bad in ("short", "../../etc", "A" * 44, "é" * 43):
        c = app.test_client()
        c.set_cookie("session", bad)
        assert c.get("/get").get_json() == {"value": None}


def test_corrupt_stored_data_gives_empty_session(app, store):
    client = app.test_client()
    client.get("/set/x")
    store.set(f"test:{sid_of(client)}", b"\xff not json")
    assert client.get("/get").get_json() == {"value": None}


def test_login_rotates_session_id(app, store):
    client = app.test_client()
    client.get("/set/before")
    old = sid_of(client)
    assert client.get("/login").text == "in"
    new = sid_of(client)
    assert new != old
    assert store.exists(f"test:{old}") == 0
    assert store.exists(f"test:{new}") == 1
    assert client.get("/get").get_json() == {"value": None}  # cleared at login


def test_clear_deletes_key_and_cookie(app, store):
    client = app.test_client()
    client.get("/set/x")
    sid = sid_of(client)
    rv = client.get("/clear")
    assert rv.text == "cleared"
    assert store.exists(f"test:{sid}") == 0
    assert client.get_cookie("session") is None


def test_permanent_cookie_expires_and_ttl_refreshed(app, store):
    client = app.test_client()
    rv = client.get("/permanent")
    assert "Expires=" in rv.headers["Set-Cookie"]
    key = f"test:{sid_of(client)}"
    store.expire(key, 5)
    rv = client.get("/plain")  # refresh on each request (SESSION_REFRESH_EACH_REQUEST)
    assert rv.text == "no session needed"
    assert store.ttl(key) > 500


def test_redis_down_503_and_pages_without_session_still_served(redis_server, store):
    own = RedisServer(redis_server.binary)
    own.start()
    try:
        app = make_app(own.url)
        app.config["TESTING"] = False
        client = app.test_client()
        assert client.get("/set/x").text == "set"
        own.stop()
        rv = client.get("/get")
        assert rv.status_code == 503
        assert "The session store is unavailable; try again shortly." in rv.text
        rv = client.get("/set/y")
        assert rv.status_code == 503
        rv = client.get("/plain")  # the client still sends its session cookie
        assert rv.status_code == 200 and rv.text == "no session needed"
        own.start()
        # A new server is empty: the old id is unknown, the session starts afresh.
        assert client.get("/get").get_json() == {"value": None}
        assert client.get("/set/z").text == "set"
        assert client.get("/get").get_json() == {"value": "z"}
    finally:
        own.stop()


APP_SOURCE = textwrap.dedent('''
    import os, socket, sys
    from wsgiref.simple_server import WSGIRequestHandler, make_server
    from stein import Stein, session
    from stein.ext.redis_sessions import RedisSessions

    app = Stein("shared")
    app.config.update(SECRET_KEY="s", SESSION_REDIS_URL=os.environ["REDIS_URL"],
                      SESSION_REDIS_PREFIX="shared:")
    RedisSessions(app)

    @app.get("/incr")
    def incr():
        session["n"] = session.get("n", 0) + 1
        return {"n": session["n"], "pid": os.getpid()}

    class Quiet(WSGIRequestHandler):
        def log_message(self, *a):
            pass

    make_server("127.0.0.1", int(sys.argv[1]), app, handler_class=Quiet).serve_forever()
''')


def test_two_processes_share_one_session(redis_server, store, tmp_path):
    script = tmp_path / "shared_app.py"
    script.write_text(APP_SOURCE)
    env = {**os.environ, "REDIS_URL": redis_server.url}
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, str(script), str(p)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in ports]
    try:
        for p in ports:
            wait_for_port(p, timeout=20)
        cookie = None
        seen = []
        for i in range(4):
            port = ports[i % 2]
            req = urllib.request.Request(f"http://127.0.0.1:{port}/incr")
            if cookie:
                req.add_header("Cookie", cookie)
            with urllib.request.urlopen(req, timeout=10) as resp:
                import json

                body = json.loads(resp.read())
                set_cookie = resp.headers.get("Set-Cookie")
            if set_cookie:
                cookie = set_cookie.split(";", 1)[0]
            seen.append((body["n"], body["pid"]))
        assert [n for n, _ in seen] == [1, 2, 3, 4]
        assert len({pid for _, pid in seen}) == 2  # really two processes
        assert len(store.keys("shared:*")) == 1
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stderr is not None:
                proc.stderr.close()
