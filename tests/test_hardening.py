"""Issue 15: each class of attack sent to the WSGI callable, the ASGI callable and the
development server, with the refusal (status and message) asserted.

Hosts that are not ``host[:port]``, status lines with CR/LF, ambiguous chunked framing and
Unicode digits in Content-Length, slow clients, a ``//`` proxy prefix, ASGI header names
with underscores, and the multipart and ASGI parser paths that were slow on large bodies.
"""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from asgi_helpers import Result
from rawhttp import exchange, running_server, status_of
from stein import Request, Response, Stein, redirect, request, url_for
from stein.http import host_is_trusted, is_valid_host
from stein.serving import DevServer


def asgi(app: Any, path: str = "/", headers: list[tuple[bytes, bytes]] | None = None,
         query: bytes = b"", body: bytes = b"", method: str = "GET") -> Result:
    """One request through the ASGI callable with exactly ``headers`` (bytes pairs)."""
    res = Result()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query, "root_path": "", "headers": headers or [],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            res.status = msg["status"]
            res.headers = {k.decode(): v.decode() for k, v in msg["headers"]}
        elif msg.get("body"):
            res.chunks.append(msg["body"])

    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=10))
    return res


def wsgi(app: Any, path: str = "/", host: str = "t", **extra: Any) -> tuple[int, str]:
    """One GET through the WSGI callable with ``HTTP_HOST`` exactly ``host``:
    ``(status code, body text)``."""
    environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path,
               "QUERY_STRING": "", "SERVER_NAME": "t", "SERVER_PORT": "80",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": host, "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(), **extra}
    got: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc=None: got.append(status)))
    return int(got[0][:3]), body.decode()


@contextmanager
def dev_server(app: Any, **timeouts: float) -> Iterator[int]:
    """Serve ``app`` with the given DevServer timeouts on a free port; yields the port."""
    srv = DevServer("127.0.0.1", 0, app, **timeouts)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv.server_port
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)

# -- 1. Host ---------------------------------------------------------------------------------

BAD_HOSTS = [
    "good.com:80@evil.com", "good.com:x@evil.com", "good.com:80/evil", "good.com/evil",
    "a b", 'x"><script>', "good.com\\evil", "[::1", "[::1]x", "[zz::1]", "good.com:8a",
    "good.com:²", "a:1:2", "good.com?x", "good.com#x", "bücher.de", "good.com:123456",
]
GOOD_HOSTS = ["good.com", "good.com:8080", "GOOD.com", "127.0.0.1:5000", "[::1]", "[::1]:8000",
              "[fe80::1%25eth0]", "xn--bcher-kva.example", "sub_domain.example"]


def _host_app(**config: Any) -> Stein:
    app = Stein("hardening_host")
    app.config.update(config)

    @app.route("/")
    def index() -> str:
        return url_for("index", _external=True)

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    return app


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_invalid_host_is_refused_by_is_valid_host(host: str) -> None:
    assert not is_valid_host(host)
    assert not host_is_trusted(host, ["good.com", ".good.com"])


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_valid_hosts_are_accepted(host: str) -> None:
    assert is_valid_host(host)
    assert wsgi(_host_app(), host=host) == (200, f"http://{host}/")


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_invalid_host_is_400_when_the_app_builds_an_external_url(host: str) -> None:
    code, text = wsgi(_host_app(), host=host)
    assert code == 400
    assert "is not a valid host[:port]" in text
    assert "evil.com/" not in text and "<script>" not in text
    # A view that never looks at the host is served (as Werkzeug does): nothing is built
    # from it. With TRUSTED_HOSTS every request is checked, see below.
    assert wsgi(_host_app(), "/plain", host=host) == (200, "plain")


@pytest.mark.parametrize("host", ["good.com:80@evil.com", "good.com:x@evil.com",
                                  "good.com:80/evil", "good.com.evil.com"])
def test_trusted_hosts_sees_the_whole_value(host: str) -> None:
    app = _host_app(TRUSTED_HOSTS=["good.com"])
    code, text = wsgi(app, "/plain", host=host)
    assert code == 400
    assert "TRUSTED_HOSTS" in text or "not a valid host" in text
    assert wsgi(app, host="good.com:80") == (200, "http://good.com/")


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_invalid_host_under_asgi(host: str) -> None:
    res = asgi(_host_app(), headers=[(b"host", host.encode())])
    assert res.status == 400
    assert "is not a valid host[:port]" in res.text
    trusted = _host_app(TRUSTED_HOSTS=["good.com"])
    res = asgi(trusted, "/plain", headers=[(b"host", host.encode())])
    assert res.status == 400


def test_trusted_host_under_asgi() -> None:
    trusted = _host_app(TRUSTED_HOSTS=["good.com"])
    res = asgi(trusted, headers=[(b"host", b"good.com")])
    assert (res.status, res.text) == (200, "http://good.com/")


@pytest.fixture(scope="module")
def host_port() -> Iterator[int]:
    with running_server(_host_app(), request_timeout=2.0, keepalive_timeout=1.0) as p:
        yield p


@pytest.mark.parametrize("host", [h for h in BAD_HOSTS if h.isascii()])
def test_invalid_host_is_400_at_the_dev_server(host_port: int, host: str) -> None:
    raw = exchange(host_port, f"GET /plain HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                   .encode("latin-1"))
    assert status_of(raw) == 400, raw[:200]
    assert b"Invalid Host header" in raw


def test_valid_host_passes_the_dev_server(host_port: int) -> None:
    raw = exchange(host_port, b"GET / HTTP/1.1\r\nHost: [::1]:8000\r\nConnection: close\r\n\r\n")
    assert status_of(raw) == 200
    assert raw.endswith(b"http://[::1]:8000/")


# -- 2. Status line ----------------------------------------------------------------------------

BAD_STATUSES = ["200 OK\r\nSet-Cookie: a=b", "200 OK\nX: y", "200 O\rK", "200 \x00OK",
                "404 Not\x7fFound", "200 \u2028OK"]


@pytest.mark.parametrize("status", BAD_STATUSES)
def test_status_with_control_characters_is_refused_where_set(status: str) -> None:
    with pytest.raises(ValueError, match="Invalid status"):
        Response("x", status=status)
    r = Response("x")
    with pytest.raises(ValueError, match="Invalid status"):
        r.status = status
    assert r.status == "200 OK"


def test_status_code_needs_ascii_digits() -> None:
    assert Response(status="418 I am a teapot").status_code == 418
    assert Response(status="418 I\tam a teapot").status == "418 I\tam a teapot"
    r = Response(status="2_00 OK")
    assert (r.status_code, r.status) == (0, "0 2_00 OK")


def _status_app() -> Stein:
    app = Stein("hardening_status")

    @app.route("/")
    def index() -> Any:
        return "x", request.args.get("s", "200 OK")

    return app


def test_status_injection_from_a_view_is_a_500_not_a_split_response() -> None:
    client = _status_app().test_client()
    r = client.get("/", query_string={"s": "200 OK\r\nSet-Cookie: a=b"})
    assert r.status_code == 500
    assert "Set-Cookie" not in r.headers
    res = asgi(_status_app(), query=b"s=200%20OK%0D%0ASet-Cookie:%20a=b")
    assert res.status == 500
    assert "set-cookie" not in res.headers


def test_status_injection_through_the_dev_server() -> None:
    def raw_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK\r\nSet-Cookie: a=b", [("Content-Type", "text/plain")])
        return [b"x"]

    for app in (_status_app(), raw_app):
        with running_server(app) as port:
            raw = exchange(port, b"GET /?s=200%20OK%0D%0ASet-Cookie:%20a=b HTTP/1.1\r\n"
                                 b"Host: t\r\nConnection: close\r\n\r\n")
        assert status_of(raw) == 500, raw[:200]
        assert b"Set-Cookie" not in raw


# -- 3. Framing at the dev server --------------------------------------------------------------


def _echo_app() -> Stein:
    app = Stein("hardening_framing")

    @app.route("/", methods=["POST"])
    def index() -> str:
        return f"ok {request.get_data()!r}"

    return app


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    with running_server(_echo_app(), request_timeout=2.0, keepalive_timeout=1.0) as p:
        yield p


CHUNKED = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
FRAMING = [
    ("unicode digit CL", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \xb2\r\n\r\nab",
     b"Invalid Content-Length"),
    ("arabic digit CL", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \u0663\r\n\r\nabc"
     .encode("utf-8"), b"Invalid Content-Length"),
    ("bare LF after chunk size", CHUNKED + b"5\nhello\r\n0\r\n\r\n", b"not ended by CRLF"),
    ("bare CR after chunk size", CHUNKED + b"5\rhello\r\n0\r\n\r\n", b"chunk size line"),
    ("bare LF after last chunk", CHUNKED + b"5\r\nhello\r\n0\n\r\n", b"not ended by CRLF"),
    ("bare CR in chunk extension", CHUNKED + b"5;a\rb\r\nhello\r\n0\r\n\r\n",
     b"not ended by CRLF"),
    ("bare LF in chunk extension", CHUNKED + b"5;a=\nb\r\nhello\r\n0\r\n\r\n",
     b"not ended by CRLF"),
    ("bare CR in last-chunk extension", CHUNKED + b"5\r\nhello\r\n0;x\r\r\n\r\n",
     b"not ended by CRLF"),
    ("junk chunk extension", CHUNKED + b"5;=\r\nhello\r\n0\r\n\r\n",
     b"Invalid chunk extension"),
    ("bare LF ends the trailers", CHUNKED + b"5\r\nhello\r\n0\r\nX-T: 1\n\r\n",
     b"Malformed trailer line"),
    ("bare LF as the last line", CHUNKED + b"5\r\nhello\r\n0\r\n\n", b"Malformed trailer line"),
]


@pytest.mark.parametrize("name,data,message", FRAMING, ids=[f[0] for f in FRAMING])
def test_ambiguous_framing_is_400(echo_port: int, name: str, data: bytes, message: bytes) -> None:
    raw = exchange(echo_port, data + b"POST /smuggled HTTP/1.1\r\nHost: t\r\n\r\n")
    assert status_of(raw) == 400, raw[:300]
    assert message in raw, raw[:300]
    assert raw.count(b"HTTP/1.1 ") == 1
    assert b"smuggled" not in raw


def test_well_formed_chunk_extensions_are_accepted(echo_port: int) -> None:
    raw = exchange(echo_port, CHUNKED[:-2] + b"Connection: close\r\n\r\n"
                   + b'5 ; a=1 ; b="x;\\"y" ;c\r\nhello\r\n0;last\r\nX-T: 1\r\n\r\n')
    assert status_of(raw) == 200, raw[:300]
    assert raw.endswith(b"ok b'hello'")


# -- 4. Slow clients ---------------------------------------------------------------------------


def _trickle_on(s: socket.socket, data: bytes, every: float, give_up: float
                ) -> tuple[bytes, float]:
    """Send ``data`` on ``s`` one byte every ``every`` seconds, reading what the server says
    meanwhile, until it closes; what it answered and how long that took."""
    start = time.monotonic()
    got = b""
    s.settimeout(every)
    pending = list(data)
    while time.monotonic() - start < give_up:
        if pending:
            try:
                s.send(bytes([pending.pop(0)]))
            except OSError:
                pending = []
        try:
            c = s.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not c:
            break
        got += c
    return got, time.monotonic() - start


def _trickle(port: int, data: bytes, every: float, give_up: float) -> tuple[bytes, float]:
    with socket.create_connection(("127.0.0.1", port), timeout=give_up) as s:
        return _trickle_on(s, data, every, give_up)


def test_slow_head_gets_408_once_the_head_deadline_passes() -> None:
    # Each byte comes well within the 1 s per-read wait, but the head never ends in time.
    with running_server(_echo_app(), request_timeout=1.0, keepalive_timeout=1.0) as port:
        head = b"POST / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100
        got, took = _trickle(port, head, 0.4, 6.0)
    assert status_of(got) == 408, got[:200]
    assert b"Request timed out" in got
    assert 0.9 < took < 3.0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_slow_body_gets_408_once_the_body_deadline_passes(chunked: bool) -> None:
    # The head at once, then the body one byte every 0.4 s: each byte well within the 1 s
    # wait for more, but the whole body is not there when the 1.2 s body deadline passes.
    if chunked:
        head = CHUNKED
        body = b"64\r\n" + b"b" * 100 + b"\r\n0\r\n\r\n"
    else:
        head = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
        body = b"b" * 100
    with dev_server(_echo_app(), request_timeout=1.0, body_timeout=1.2) as port:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(head)
            got, took = _trickle_on(s, body, 0.4, 6.0)
        took = time.monotonic() - start
    assert status_of(got) == 408, got[:300]
    assert b"The client took too long to send the request body." in got
    assert b"Connection: close" in got
    assert 1.1 < took < 3.0


def test_slow_body_to_a_plain_wsgi_app_is_408_too() -> None:
    def raw_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        data = environ["wsgi.input"].read(100)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [data]

    head = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
    with dev_server(raw_app, request_timeout=1.0, body_timeout=1.0) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(head)
            got, took = _trickle_on(s, b"b" * 100, 0.3, 6.0)
    assert status_of(got) == 408, got[:300]
    assert b"took too long to send the request body" in got
    assert took < 3.0


def test_body_within_its_deadline_is_served() -> None:
    head = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
    with dev_server(_echo_app(), request_timeout=1.0, body_timeout=3.0) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(head)
            got, _ = _trickle_on(s, b"hello", 0.3, 6.0)
    assert status_of(got) == 200
    assert got.endswith(b"ok b'hello'")


# -- 5. Vary: Cookie on every way of reading the session -------------------------------------

SESSION_READS: dict[str, Any] = {
    "len": lambda s: str(len(s)),
    "bool": lambda s: "yes" if s else "no",
    "iter": lambda s: ",".join(s),
    "list": lambda s: repr(list(s)),
    "keys": lambda s: repr(list(s.keys())),
    "items": lambda s: repr(list(s.items())),
    "values": lambda s: repr(list(s.values())),
    "dict": lambda s: repr(dict(s)),
    "copy": lambda s: repr(s.copy()),
    "eq": lambda s: str(s == {}),
    "reversed": lambda s: repr(list(reversed(s))),
    "or": lambda s: repr(s | {"a": 1}),
    "repr": lambda s: repr(s)[:1],
    "in": lambda s: str("user" in s),
    "get": lambda s: str(s.get("user")),
}


def _session_read_app(redis: bool = False) -> Stein:
    from stein import session

    app = Stein("hardening_vary")
    app.secret_key = "x" * 32

    @app.route("/read/<how>")
    def read(how: str) -> str:
        return SESSION_READS[how](session)

    @app.route("/untouched")
    def untouched() -> str:
        return "no session here"

    @app.route("/login")
    def login() -> str:
        session["user"] = "ann"
        return "in"

    return app


@pytest.mark.parametrize("how", sorted(SESSION_READS))
def test_every_session_read_adds_vary_cookie(how: str) -> None:
    client = _session_read_app().test_client()
    r = client.get(f"/read/{how}")  # no session cookie at all
    assert r.status_code == 200
    assert r.headers.get("Vary") == "Cookie", how
    assert "Set-Cookie" not in r.headers  # reading an empty session writes nothing
    client.get("/login")
    r = client.get(f"/read/{how}")  # with a cookie, the same
    assert r.headers.get("Vary") == "Cookie", how
    assert "Set-Cookie" not in r.headers


@pytest.mark.parametrize("how", ["len", "bool", "items"])
def test_every_session_read_adds_vary_cookie_under_asgi(how: str) -> None:
    res = asgi(_session_read_app(), f"/read/{how}")
    assert res.status == 200
    assert res.headers.get("vary") == "Cookie"


def test_a_view_that_never_reads_the_session_has_no_vary() -> None:
    client = _session_read_app().test_client()
    client.get("/login")
    r = client.get("/untouched")
    assert "Vary" not in r.headers
    assert "Set-Cookie" not in r.headers


def test_saving_the_session_does_not_count_as_a_read() -> None:
    from stein.sessions import SecureCookieSession

    app = _session_read_app()
    s = SecureCookieSession({"user": "ann"})
    with app.test_request_context():
        r = app.response_class("x")
        app.session_interface.save_session(app, s, r)
    assert "Vary" not in r.headers  # the interface's own reads are not the view's


# -- 6. ProxyFix prefix ------------------------------------------------------------------------


def _prefix_app(asgi_side: bool = False) -> Stein:
    from stein.middleware import ProxyFix

    app = Stein("hardening_prefix")

    @app.route("/login")
    def login() -> Any:
        return redirect(url_for("home"))

    @app.route("/home")
    def home() -> str:
        return f"{request.script_root}|{request.path}|{url_for('home', _external=True)}"

    if asgi_side:
        app.asgi_app = ProxyFix(app.asgi_app, x_prefix=1)  # type: ignore[method-assign]
    else:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_prefix=1)  # type: ignore[method-assign]
    return app


BAD_PREFIXES = ["//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "evil.com",
                "/app//x", "/a?b", "/a#b", "/a b", "http://evil.com"]


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_forwarded_prefix_must_be_a_single_slash_path(prefix: str) -> None:
    client = _prefix_app().test_client()
    r = client.get("/login", headers={"X-Forwarded-Prefix": prefix})
    assert r.status_code == 302
    assert r.headers["Location"] == "/home"  # the bad prefix was ignored
    assert client.get("/home", headers={"X-Forwarded-Prefix": prefix}).text == \
        "|/home|http://localhost/home"


def test_forwarded_prefix_that_is_a_path_is_used() -> None:
    client = _prefix_app().test_client()
    r = client.get("/login", headers={"X-Forwarded-Prefix": "/app/"})
    assert r.headers["Location"] == "/app/home"
    assert client.get("/home", headers={"X-Forwarded-Prefix": "/my-app"}).text == \
        "/my-app|/home|http://localhost/my-app/home"


@pytest.mark.parametrize("prefix", BAD_PREFIXES[:4])
def test_forwarded_prefix_under_asgi(prefix: str) -> None:
    app = _prefix_app(asgi_side=True)
    res = asgi(app, "/login", headers=[(b"host", b"t"), (b"x-forwarded-prefix", prefix.encode())])
    assert res.status == 302
    assert res.headers["location"] == "/home"
    res = asgi(app, "/login", headers=[(b"host", b"t"), (b"x-forwarded-prefix", b"/app")])
    assert res.headers["location"] == "/app/home"
    res = asgi(app, "/home", headers=[(b"host", b"t"), (b"x-forwarded-prefix", b"/app")])
    assert res.text == "/app|/home|http://t/app/home"


# -- 7. ASGI: header names with "_", and ProxyFix on the ASGI path ------------------------------


def _where_app() -> Stein:
    app = Stein("hardening_where")

    @app.route("/")
    def where() -> dict[str, Any]:
        return {"xff": request.headers.get("X-Forwarded-For"),
                "remote": request.remote_addr, "scheme": request.scheme,
                "host": request.host, "headers": sorted(k for k, _ in request.headers.items())}

    return app


def test_asgi_drops_header_names_with_underscores() -> None:
    import json

    res = asgi(_where_app(), headers=[(b"host", b"t"), (b"x_forwarded_for", b"6.6.6.6"),
                                       (b"x-forwarded-for", b"1.2.3.4"), (b"content_type", b"x/y")])
    got = json.loads(res.body)
    assert got["xff"] == "1.2.3.4"
    assert "Content-Type" not in got["headers"]
    res = asgi(_where_app(), headers=[(b"host", b"t"), (b"x_forwarded_for", b"6.6.6.6")])
    got = json.loads(res.body)
    assert got["xff"] is None
    assert got["headers"] == ["Host"]


def test_dev_server_drops_header_names_with_underscores(host_port: int) -> None:
    # (The dev server always did; checked here beside the ASGI side.)
    app = _where_app()
    with running_server(app) as port:
        raw = exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nX_Forwarded_For: 6.6.6.6\r\n"
                             b"Connection: close\r\n\r\n")
    assert status_of(raw) == 200
    assert b'"xff":null' in raw.replace(b" ", b"")


def test_proxyfix_on_asgi_app_trusts_one_proxy() -> None:
    import json

    from stein.middleware import ProxyFix

    app = _where_app()
    app.asgi_app = ProxyFix(app.asgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    headers = [(b"host", b"internal:8000"), (b"x-forwarded-for", b"6.6.6.6, 203.0.113.9"),
               (b"x-forwarded-proto", b"https"), (b"x-forwarded-host", b"example.com")]
    got = json.loads(asgi(app, headers=headers).body)
    assert (got["remote"], got["scheme"], got["host"]) == ("203.0.113.9", "https", "example.com")
    # Spoofed by the client (no proxy appended a value of its own): ignored.
    got = json.loads(asgi(app, headers=[(b"host", b"t"), (b"x-forwarded-host", b"a b")]).body)
    assert got["host"] == "t"
    # Without the wrapper the headers are not believed.
    got = json.loads(asgi(_where_app(), headers=headers).body)
    assert (got["remote"], got["scheme"], got["host"]) == ("127.0.0.1", "http", "internal:8000")


def test_proxyfix_on_asgi_websocket_scope_scheme() -> None:
    from stein.middleware import ProxyFix

    fix = ProxyFix(lambda *a: None, x_proto=1, x_for=0)
    scope = {"type": "websocket", "scheme": "ws", "path": "/ws", "headers":
             [(b"host", b"t"), (b"x-forwarded-proto", b"https")], "server": ("t", 80)}
    assert fix.rewrite_scope(scope)["scheme"] == "wss"
    assert scope["scheme"] == "ws"  # the server's scope is not changed in place


# -- 8. Errors while handling errors ----------------------------------------------------------

def _failing_handlers_app(kind: str) -> Stein:
    from stein.exceptions import HTTPException

    app = Stein("hardening_again")

    @app.route("/x")
    def x() -> str:
        return "x"

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("the view failed")

    if kind == "http-handler-reads-path":
        @app.errorhandler(HTTPException)
        def reads_path(e: HTTPException) -> Any:
            return f"{e.code} at {request.path}", e.code  # raises: the path is not UTF-8
    elif kind == "http-handler-reads-args":
        @app.errorhandler(HTTPException)
        def reads_args(e: HTTPException) -> Any:
            return f"{e.code} {len(request.args)}", e.code  # raises: too many fields
    elif kind == "500-handler-raises":
        @app.errorhandler(500)
        def broken(e: Exception) -> Any:
            raise RuntimeError("the 500 handler failed too")
    elif kind == "500-handler-bad-page":
        @app.errorhandler(500)
        def bad_page(e: Exception) -> Any:
            return object()  # not a response
    elif kind == "response-fails-to-start":
        class Broken(Response):
            def __call__(self, environ: Any, start_response: Any) -> Any:
                raise RuntimeError("cannot start")

        app.response_class = Broken
    elif kind == "teardown-raises":
        @app.teardown_request
        def broken_teardown(exc: BaseException | None) -> None:
            raise RuntimeError("teardown failed")
    return app


# (kind, path, query, the status the client gets)
AGAIN = [
    ("http-handler-reads-path", "/\xff", "", 500),
    ("http-handler-reads-args", "/missing", "&".join(["a=1"] * 1100), 500),
    ("500-handler-raises", "/boom", "", 500),
    ("500-handler-bad-page", "/boom", "", 500),
    ("response-fails-to-start", "/x", "", 500),
    ("teardown-raises", "/x", "", 200),
]


@pytest.mark.parametrize(("kind", "path", "query", "status"), AGAIN, ids=[a[0] for a in AGAIN])
def test_errors_while_handling_errors_never_escape_wsgi(
        kind: str, path: str, query: str, status: int, caplog: pytest.LogCaptureFixture) -> None:
    app = _failing_handlers_app(kind)
    app.config["MAX_FORM_PARTS"] = 1000
    code, text = wsgi(app, path, QUERY_STRING=query)
    assert code == status
    assert "Traceback" not in text
    if status == 500:
        assert "Internal Server Error" in text
    again = [r for r in caplog.records if "while handling an error" in r.getMessage()
             or "Teardown failed" in r.getMessage()]
    assert len(again) == 1, [r.getMessage() for r in caplog.records]


# ASGI servers hand over the path decoded (no undecodable one), and the ASGI side does not
# call the response as a WSGI app: those two rows are WSGI's.
AGAIN_ASGI = [a for a in AGAIN if a[0] not in ("http-handler-reads-path", "response-fails-to-start")]


@pytest.mark.parametrize(("kind", "path", "query", "status"), AGAIN_ASGI,
                         ids=[a[0] for a in AGAIN_ASGI])
def test_errors_while_handling_errors_never_escape_asgi(
        kind: str, path: str, query: str, status: int) -> None:
    app = _failing_handlers_app(kind)
    res = asgi(app, path, headers=[(b"host", b"t")], query=query.encode())
    assert res.status == status
    assert "Traceback" not in res.text


def test_a_header_that_cannot_be_sent_is_a_500_under_asgi() -> None:
    app = Stein("hardening_again_asgi")

    @app.route("/")
    def view() -> Response:
        r = Response("x")
        r.headers._list.append(("X-Euro", "\u20ac"))  # not latin-1: cannot go on the wire
        return r

    res = asgi(app, headers=[(b"host", b"t")])
    assert res.status == 500
    assert "Internal Server Error" in res.text


def test_errors_while_handling_errors_at_the_dev_server() -> None:
    app = _failing_handlers_app("500-handler-raises")
    with running_server(app) as port:
        got = exchange(port, b"GET /boom HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status_of(got) == 500
    assert b"Internal Server Error" in got
    assert b"Traceback" not in got


def test_errors_still_propagate_when_testing() -> None:
    # The test client (TESTING) and debug mode want the exception itself, as in Flask.
    app = _failing_handlers_app("500-handler-raises")
    app.config["TESTING"] = True
    with pytest.raises(ValueError, match="the view failed"):
        app.test_client().get("/boom")
    app = _failing_handlers_app("teardown-raises")
    app.config["TESTING"] = True
    with pytest.raises(RuntimeError, match="teardown failed"):
        app.test_client().get("/x")


# -- 9. Multipart: padding and delimiter look-alikes, and big bodies under ASGI ---------------


def _form_app() -> Stein:
    app = Stein("hardening_forms")
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.route("/sync", methods=["POST"])
    def sync_view() -> dict[str, Any]:
        return _summary()

    @app.route("/async", methods=["POST"])
    async def async_view() -> dict[str, Any]:
        return _summary()

    return app


def _summary() -> dict[str, Any]:
    files = {k: (f.filename, len(f.read())) for k, f in request.files.items()}
    return {"form": dict(request.form), "files": files}


def _post_multipart(app: Stein, body: bytes, chunked: bool, path: str = "/sync") -> Any:
    environ: dict[str, Any] = {"CONTENT_TYPE": "multipart/form-data; boundary=B"}
    if chunked:  # no Content-Length: the streamed parser
        environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True,
                        "wsgi.input": io.BytesIO(body)})
        return app.test_client().post(path, environ_overrides=environ)
    return app.test_client().post(path, data=body, content_type=environ["CONTENT_TYPE"])


def _padded(n: int, pad: bytes = b" \t") -> bytes:
    return (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B' + pad * (n // 2)
            + b'\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n--B--\r\n')


def _lookalikes(n: int) -> tuple[bytes, bytes]:
    data = b"\r\n--Bx\r\n--B\r\r\n--B-x" * (n // 17) + b"\r\n--"
    return (b'--B\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n' + data
            + b'\r\n--B\r\nContent-Disposition: form-data; name="t"\r\n\r\n\r\n--Bz\r\n--B--\r\n',
            data)


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "streamed"])
def test_megabytes_of_boundary_padding_parse(chunked: bool) -> None:
    # (bench/multipart_hostile.py measures the speed; here only the result.)
    r = _post_multipart(_form_app(), _padded(3 << 20), chunked)
    assert r.status_code == 200
    assert r.get_json() == {"form": {"a": "1", "b": "2"}, "files": {}}


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "streamed"])
def test_padding_not_ended_by_crlf_is_400(chunked: bool) -> None:
    body = _padded(200_000).replace(b" \t\r\nContent", b" \tx\r\nContent")
    r = _post_multipart(_form_app(), body, chunked)
    assert r.status_code == 400
    assert "no CRLF after the boundary&#x27;s padding" in r.text
    r = _post_multipart(_form_app(), _padded(200_000)[:-60], chunked)
    assert r.status_code == 400


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("size", [100, 70_000, 3 << 20])
def test_delimiter_lookalikes_are_data(chunked: bool, size: int) -> None:
    body, data = _lookalikes(size)
    r = _post_multipart(_form_app(), body, chunked)
    assert r.status_code == 200, r.text
    assert r.get_json() == {"form": {"t": "\r\n--Bz"}, "files": {"f": ["f.bin", len(data)]}}
    app = _form_app()

    @app.route("/raw", methods=["POST"])
    def raw() -> bytes:
        return request.files["f"].read()  # type: ignore[no-any-return]

    assert _post_multipart(app, body, chunked, "/raw").data == data


class _RecordingRequest(Request):
    parsed_in: list[str] = []

    def _load_form_data(self) -> None:
        if "form" not in self.__dict__:
            type(self).parsed_in.append(threading.current_thread().name)
        super()._load_form_data()


def _upload(size: int) -> bytes:
    return (b'--B\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n'
            + b"x" * size + b'\r\n--B\r\nContent-Disposition: form-data; name="n"\r\n\r\n'
            b"1\r\n--B--\r\n")


def _asgi_upload(app: Stein, body: bytes, path: str = "/async") -> Result:
    return asgi(app, path, method="POST", body=body, headers=[
        (b"host", b"t"), (b"content-type", b"multipart/form-data; boundary=B"),
        (b"content-length", str(len(body)).encode())])


@pytest.fixture
def recording_app() -> Iterator[Stein]:
    app = _form_app()
    app.request_class = _RecordingRequest
    _RecordingRequest.parsed_in = []
    yield app


def test_big_form_body_to_an_async_view_is_parsed_off_the_loop(recording_app: Stein) -> None:
    import json

    res = _asgi_upload(recording_app, _upload(1 << 20))
    assert res.status == 200
    assert json.loads(res.body) == {"form": {"n": "1"}, "files": {"f": ["big.bin", 1 << 20]}}
    assert len(_RecordingRequest.parsed_in) == 1
    assert _RecordingRequest.parsed_in[0].startswith("stein-asgi")


def test_small_form_body_is_parsed_on_the_loop(recording_app: Stein) -> None:
    res = _asgi_upload(recording_app, _upload(1000))
    assert res.status == 200
    assert _RecordingRequest.parsed_in == [threading.current_thread().name]


def test_form_thread_threshold_is_configurable(recording_app: Stein) -> None:
    recording_app.config["ASGI_FORM_THREAD_THRESHOLD"] = None
    assert _asgi_upload(recording_app, _upload(1 << 20)).status == 200
    recording_app.config["ASGI_FORM_THREAD_THRESHOLD"] = 100
    assert _asgi_upload(recording_app, _upload(1000)).status == 200
    main = threading.current_thread().name
    assert _RecordingRequest.parsed_in[0] == main
    assert _RecordingRequest.parsed_in[1].startswith("stein-asgi")


def test_malformed_big_form_body_errors_in_the_view_once(recording_app: Stein) -> None:
    body = _upload(1 << 20)[:-8]  # no closing boundary
    res = _asgi_upload(recording_app, body)
    assert res.status == 400
    assert "ended before its closing boundary" in res.text
    # The pool parsed it; the view asking again raises the stored error at its first read.
    assert len(_RecordingRequest.parsed_in) == 2
    assert _RecordingRequest.parsed_in[0].startswith("stein-asgi")


def test_big_form_body_to_a_view_that_never_reads_it(recording_app: Stein) -> None:
    @recording_app.route("/ignore", methods=["POST"])
    async def ignore() -> str:
        return "fine"

    res = _asgi_upload(recording_app, _upload(1 << 20)[:-8], "/ignore")
    assert (res.status, res.text) == (200, "fine")


# -- docs/security.md points at tests that exist ------------------------------------------------


def test_security_checklist_names_tests_that_exist() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "security.md").read_text()
    checked = 0
    for row in (line for line in text.splitlines() if line.startswith("| ✅")):
        current: Path | None = None
        for ref in re.findall(r"`((?:tests|examples|bench)/[\w/.]+|)(?:::(\w+))?`", row):
            path, name = ref
            if path:
                current = root / path
                assert current.exists(), f"{path} in docs/security.md does not exist"
            if name:
                assert current is not None, row
                assert re.search(rf"^\s*(?:async )?def {name}\b", current.read_text(), re.M), \
                    f"{current.name}::{name} in docs/security.md does not exist"
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("length", [b"\xb2", b"\xb9\xb2", b"1\xb2"])
def test_unicode_digit_content_length_under_asgi_is_400(length: bytes) -> None:
    app = Stein("hardening_cl")

    @app.post("/")
    async def view() -> str:
        return repr(request.get_data())

    app.config["MAX_CONTENT_LENGTH"] = 1000
    res = asgi(app, "/", method="POST", body=b"abc",
               headers=[(b"host", b"t"), (b"content-length", length)])
    assert res.status == 400
    assert "Content-Length" in res.text


@pytest.mark.parametrize("side", ["wsgi", "asgi"])
def test_proxyfix_ignores_unicode_digit_ports(side: str) -> None:
    import json

    from stein.middleware import ProxyFix

    app = _where_app()
    headers = [(b"host", b"t"), (b"x-forwarded-port", "\u00b2".encode("latin-1")),
               (b"x-forwarded-host", "a.com:\u00b9".encode("latin-1"))]
    if side == "asgi":
        app.asgi_app = ProxyFix(app.asgi_app, x_host=1, x_port=1)  # type: ignore[method-assign]
        res = asgi(app, headers=headers)
        assert res.status == 200
        assert json.loads(res.body)["host"] == "t"
    else:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1, x_port=1)  # type: ignore[method-assign]
        code, text = wsgi(app, HTTP_X_FORWARDED_PORT="\u00b2", HTTP_X_FORWARDED_HOST="a.com:\u00b9")
        assert code == 200
        assert json.loads(text)["host"] == "t"


def test_big_urlencoded_body_over_the_field_limit_errors_once(recording_app: Stein) -> None:
    recording_app.config["MAX_FORM_PARTS"] = 10
    recording_app.config["MAX_FORM_MEMORY_SIZE"] = None
    body = b"&".join(b"k%d=v" % i for i in range(100_000))
    res = asgi(recording_app, "/async", method="POST", body=body, headers=[
        (b"host", b"t"), (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode())])
    assert res.status == 413
    assert "MAX_FORM_PARTS" in res.text or "fields" in res.text
    assert _RecordingRequest.parsed_in[0].startswith("stein-asgi")


def _lifespan_startup(app: Stein) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    return sent


def test_asgi_startup_warns_when_proxyfix_wraps_only_wsgi_app(caplog: Any) -> None:
    from stein.middleware import ProxyFix

    app = _where_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    with caplog.at_level("WARNING"):
        sent = _lifespan_startup(app)
    assert sent[0]["type"] == "lifespan.startup.complete"
    assert "app.asgi_app = ProxyFix(app.asgi_app" in caplog.text
    caplog.clear()
    app.asgi_app = ProxyFix(app.asgi_app, x_for=1)  # type: ignore[method-assign]
    with caplog.at_level("WARNING"):
        _lifespan_startup(app)
    assert "ProxyFix" not in caplog.text
