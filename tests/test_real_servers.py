"""The same app under gunicorn (sync and gthread workers) and the development server,
driven over real TCP with httpx."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from liveserver import BIN, ROOT, Running, free_port, serve

TESTS = os.path.dirname(os.path.abspath(__file__))
STATIC_TEXT = open(os.path.join(TESTS, "serverapp_static", "hello.txt"), "rb").read()

SERVERS = {
    "dev": lambda port: [sys.executable, "-m", "stein", "--app", "serverapp", "run",
                         "--port", str(port), "--no-reload", "--no-debug"],
    "gunicorn-sync": lambda port: [os.path.join(BIN, "gunicorn"), "-b", f"127.0.0.1:{port}",
                                   "-w", "1", "-k", "sync", "serverapp:app"],
    "gunicorn-gthread": lambda port: [os.path.join(BIN, "gunicorn"), "-b",
                                      f"127.0.0.1:{port}", "-w", "1", "-k", "gthread",
                                      "--threads", "4", "serverapp:app"],
}


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[Running]:
    port = free_port()
    with serve(SERVERS[request.param](port), port, cwd=TESTS) as running:
        yield running


@pytest.fixture
def http(server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        yield client


def test_routing(http: httpx.Client) -> None:
    r = http.get("/")
    assert r.status_code == 200
    assert r.text == "stein is up"
    r = http.get("/users/42", params={"q": "a b"})
    assert r.status_code == 200
    assert r.json() == {"id": 42, "q": "a b"}
    r = http.get("/users/abc")
    assert r.status_code == 404
    assert "Not Found" in r.text
    r = http.delete("/users/1")
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_form_post(http: httpx.Client) -> None:
    r = http.post("/form", data={"name": "Zoë", "tag": ["a", "b"]})
    assert r.status_code == 200
    assert r.json() == {"name": "Zoë", "tags": ["a", "b"]}
    r = http.post("/form", data={"other": "x"})
    assert r.status_code == 400


def test_upload(http: httpx.Client) -> None:
    payload = os.urandom(300_000)
    r = http.post("/upload", files={"file": ("photo.bin", payload, "application/octet-stream")},
                  data={"note": "hi"})
    assert r.status_code == 200, r.text
    assert r.json() == {"filename": "photo.bin", "size": len(payload),
                        "sha256": hashlib.sha256(payload).hexdigest(), "note": "hi"}


def test_streamed_response(http: httpx.Client) -> None:
    with http.stream("GET", "/stream", params={"n": 4}) as r:
        assert r.status_code == 200
        assert "content-length" not in r.headers
        assert r.headers.get("transfer-encoding") == "chunked"
        body = r.read().decode()
    assert body == "".join(f"chunk {i} of /stream\n" for i in range(4))


def test_keep_alive_reuses_connection(http: httpx.Client, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["server"] == "gunicorn-sync":
        # The sync worker closes every connection, and says so.
        assert http.get("/").headers["connection"] == "close"
        return
    seen = set()
    for _ in range(3):
        with http.stream("GET", "/") as r:
            r.read()
            stream = r.extensions["network_stream"]
            seen.add(id(stream.get_extra_info("socket")))
    assert len(seen) == 1


def test_cookie_session_round_trip(http: httpx.Client) -> None:
    http.cookies.clear()
    assert http.get("/session").json() == {"visits": 0, "name": None}
    r = http.post("/session", data={"name": "ada"})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert http.post("/session", data={"name": "ada"}).json() == {"visits": 2}
    assert http.get("/session").json() == {"visits": 2, "name": "ada"}
    # A tampered cookie is ignored, not trusted.
    value = http.cookies["session"]
    http.cookies.clear()
    http.cookies.set("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert http.get("/session").json() == {"visits": 0, "name": None}


def test_static_file_range_and_304(http: httpx.Client) -> None:
    r = http.get("/static/hello.txt")
    assert r.status_code == 200
    assert r.content == STATIC_TEXT
    assert r.headers["content-length"] == str(len(STATIC_TEXT))
    assert r.headers["accept-ranges"] == "bytes"
    etag, modified = r.headers["etag"], r.headers["last-modified"]

    r = http.get("/static/hello.txt", headers={"Range": "bytes=7-10"})
    assert r.status_code == 206
    assert r.content == STATIC_TEXT[7:11]
    assert r.headers["content-range"] == f"bytes 7-10/{len(STATIC_TEXT)}"

    r = http.get("/static/hello.txt", headers={"Range": "bytes=-5"})
    assert r.status_code == 206
    assert r.content == STATIC_TEXT[-5:]

    r = http.get("/static/hello.txt", headers={"Range": "bytes=9999-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(STATIC_TEXT)}"

    r = http.get("/static/hello.txt", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    r = http.get("/static/hello.txt", headers={"If-Modified-Since": modified})
    assert r.status_code == 304


def test_unhandled_error_is_plain_500(http: httpx.Client, server: Running) -> None:
    r = http.get("/boom")
    assert r.status_code == 500
    assert "Internal Server Error" in r.text
    assert "boom" not in r.text  # no traceback leaks with debug off
    assert "RuntimeError: boom <script>" in server.log()


def test_blog_under_gunicorn_with_the_production_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The README's production command serves the example blog."""
    env = {"STEIN_DATABASE": str(tmp_path / "blog.sqlite"), "STEIN_SECRET_KEY": "prod-test"}
    blog_dir = os.path.join(ROOT, "examples", "blog")
    init = subprocess.run([os.path.join(BIN, "stein"), "--app", "blog", "init-db"], cwd=blog_dir,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=60)
    assert init.returncode == 0, init.stderr
    assert "Initialized the database." in init.stdout
    port = free_port()
    cmd = [os.path.join(BIN, "gunicorn"), "--chdir", "examples/blog", "-b",
           f"127.0.0.1:{port}", "-k", "gthread", "--threads", "2", "blog:create_app()"]
    with serve(cmd, port, cwd=ROOT, env=env) as running, \
            httpx.Client(base_url=running.url, timeout=10.0) as http:

        def post_form(path: str, data: dict[str, str]) -> httpx.Response:
            # The blog uses CSRF protection: take the token from the form, as a browser does.
            page = http.get(path).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token is not None, page
            return http.post(path, data={**data, "csrf_token": token.group(1)})

        r = http.post("/auth/register", data={"username": "grace", "password": "hopper"})
        assert r.status_code == 400  # no CSRF token
        r = post_form("/auth/register", {"username": "grace", "password": "hopper"})
        assert r.status_code == 302
        assert r.headers["location"] == "/auth/login"
        r = post_form("/auth/login", {"username": "grace", "password": "hopper"})
        assert r.status_code == 302
        r = post_form("/create", {"title": "Over TCP", "body": "hello"})
        assert r.status_code == 302
        page = http.get("/").text
        assert "Over TCP" in page
        assert "by grace on" in page
