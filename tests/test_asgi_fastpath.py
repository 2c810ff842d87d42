"""The ASGI fast paths give what the general path gives.

``handle_http`` serves the common request (an ``async def`` view, no request hooks, no
signal receivers, a one-chunk body, nothing to tear down) inline; every other request goes
step by step. Here the same apps are served both ways (a no-op ``before_request`` hook
forces the general path) and the ASGI messages compared; ``build_environ`` (constant part
cached per server, repeated headers joined after the fact) is compared with a plain
PEP 3333 construction written here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgi_helpers import acall, make_scope
from stein import Response, Stein, abort, after_this_request, request, session
from stein.asgi import _ENVIRON_BASES, build_environ
from stein.ctx import _cv_app, _cv_request


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(autouse=True)
def _no_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    # Signal receivers send every request down the general path; another test module may
    # have imported stein.signals already.
    monkeypatch.setattr("stein.app.signals", None)
    monkeypatch.setattr("stein.asgi._signals", None)


# -- build_environ against a reference ---------------------------------------------------


def reference_environ(scope: dict[str, Any]) -> dict[str, Any]:
    """The environ built the obvious way, one header at a time."""
    root = scope.get("root_path") or ""
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root):]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "REMOTE_ADDR": client[0] if client else None,
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "asgi.scope": scope,
    }
    for name, value in scope["headers"]:
        text = name.decode("latin-1").upper().replace("-", "_")
        key = text if text in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + text
        v = value.decode("latin-1")
        if key in env:
            env[key] = env[key] + ("; " if key == "HTTP_COOKIE" else ", ") + v
        else:
            env[key] = v
    return env


header_names = st.sampled_from([b"host", b"accept", b"cookie", b"x-token", b"content-type",
                                b"content-length", b"user-agent", b"x-multi"])
header_values = st.binary(max_size=12).map(lambda b: bytes(c for c in b if c not in b"\r\n"))
scopes = st.fixed_dictionaries({
    "type": st.just("http"),
    "method": st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
    "path": st.sampled_from(["/", "/a/b", "/mount/x", "/caf\u00e9", "/mount"]),
    "root_path": st.sampled_from(["", "/mount", "/m\u00fcnt"]),
    "query_string": st.sampled_from([b"", b"a=1&b=%20", b"x"]),
    "headers": st.lists(st.tuples(header_names, header_values), max_size=8),
    "server": st.sampled_from([("127.0.0.1", 8000), ["10.0.0.1", 443], None, ("sock", None)]),
    "client": st.sampled_from([("127.0.0.1", 5000), None]),
    "scheme": st.sampled_from(["http", "https", "ws"]),
    "http_version": st.sampled_from(["1.0", "1.1", "2"]),
})


@settings(max_examples=300, deadline=None)
@given(scope=scopes)
def test_build_environ_matches_reference(scope: dict[str, Any]) -> None:
    expected = reference_environ(scope)
    # Twice: the first call may fill the per-server cache, the second reads it.
    assert build_environ(scope) == expected
    assert build_environ(scope) == expected


def test_repeated_headers_are_joined_in_order() -> None:
    scope = make_scope(headers=[("X-A", "1"), ("Cookie", "a=1"), ("X-A", "2"), ("Cookie", "b=2"),
                                ("X-B", "z"), ("X-A", "3")])
    env = build_environ(scope)
    assert env["HTTP_X_A"] == "1, 2, 3"
    assert env["HTTP_COOKIE"] == "a=1; b=2"
    assert env["HTTP_X_B"] == "z" and env["HTTP_HOST"] == "testserver"
    # One-character values: the same interned str object each time, still joined.
    env = build_environ(make_scope(headers=[("X-C", "a"), ("X-C", "a")]))
    assert env["HTTP_X_C"] == "a, a"


def test_environ_base_is_not_shared_between_requests() -> None:
    scope = make_scope()
    first = build_environ(scope)
    first["SERVER_NAME"] = "changed"
    first["HTTP_X_LEAK"] = "1"
    second = build_environ(scope)
    assert second["SERVER_NAME"] == "testserver" and "HTTP_X_LEAK" not in second
    assert all("HTTP_X_LEAK" not in base for base in _ENVIRON_BASES.values())


def test_headers_as_tuple_and_unhashable_server() -> None:
    scope = make_scope(server=["h", 81])
    scope["headers"] = tuple(scope["headers"]) + ((b"accept", b"*/*"),)
    env = build_environ(scope)
    assert env["SERVER_NAME"] == "h" and env["SERVER_PORT"] == "81"
    assert env["HTTP_ACCEPT"] == "*/*" and env["HTTP_HOST"] == "testserver"


# -- the inline request path against the general one -------------------------------------


def build_app(general: bool) -> Stein:
    app = Stein("fastpath")
    app.secret_key = "a-test-secret-key-that-is-long-enough-for-hmac"
    if general:
        @app.before_request
        def noop() -> None:
            return None

    @app.route("/")
    async def hello() -> str:
        return "Hello, World!"

    @app.route("/users/<int:uid>")
    async def user(uid: int) -> Any:
        return {"id": uid, "name": f"user {uid}"}

    @app.route("/tuple")
    async def tuple_view() -> Any:
        return "made", 201, {"X-Extra": "yes"}

    @app.route("/empty")
    async def empty() -> Any:
        return "", 204

    @app.route("/abort")
    async def aborts() -> Any:
        abort(418)

    @app.route("/boom")
    async def boom() -> Any:
        raise ValueError("boom")

    @app.route("/stream")
    async def stream() -> Any:
        async def gen() -> Any:
            yield "a"
            yield b"b"

        return Response(gen())

    @app.route("/parts")
    async def parts() -> Any:
        return Response([b"x", b"y", "z"])

    @app.route("/echo", methods=["POST", "PUT"])
    async def echo() -> Any:
        return {"json": request.get_json(silent=True), "len": len(request.get_data())}

    @app.route("/login")
    async def login() -> Any:
        session["user"] = "ada"
        return "in"

    @app.route("/who")
    async def who() -> Any:
        return session.get("user", "nobody")

    @app.route("/later")
    async def later() -> Any:
        @after_this_request
        def add(resp: Response) -> Response:
            resp.headers["X-Later"] = "1"
            return resp

        return "later"

    @app.route("/slash/")
    async def slash() -> Any:
        return "slash"

    @app.errorhandler(418)
    async def teapot(e: Any) -> Any:
        return "short and stout", 418

    return app


REQUESTS = [
    ("GET", "/", None, []),
    ("HEAD", "/", None, []),
    ("OPTIONS", "/", None, []),
    ("POST", "/", None, []),
    ("GET", "/nowhere", None, []),
    ("GET", "/slash", None, []),
    ("GET", "/users/42", None, []),
    ("GET", "/users/x", None, []),
    ("GET", "/tuple", None, []),
    ("GET", "/empty", None, []),
    ("GET", "/abort", None, []),
    ("GET", "/boom", None, []),
    ("GET", "/stream", None, []),
    ("GET", "/parts", None, []),
    ("POST", "/echo", [b'{"a":', b" 1}"], [("Content-Type", "application/json"),
                                            ("Content-Length", "7")]),
    ("PUT", "/echo", [b"raw"], [("Content-Length", "3")]),
    ("GET", "/login", None, []),
    ("GET", "/who", None, [("Cookie", "session=not-a-valid-cookie")]),
    ("GET", "/later", None, []),
]


async def _both(method: str, path: str, body: list[bytes] | None,
                headers: list[tuple[str, str]]) -> tuple[Any, Any]:
    out = []
    for general in (False, True):
        app = build_app(general)
        res = await acall(app, method, path, headers=headers, body=body)
        out.append((res.status, res.headers, res.body))
    return out[0], out[1]


@pytest.mark.parametrize(("method", "path", "body", "headers"), REQUESTS)
def test_inline_path_answers_as_the_general_path(method: str, path: str, body: Any,
                                                 headers: Any) -> None:
    fast, general = run(_both(method, path, body, headers))
    assert fast == general


def test_inline_path_answers_correctly() -> None:
    # The comparison above could pass with both paths wrong: pin the answers too.
    async def go() -> None:
        app = build_app(False)
        r = await acall(app, "GET", "/")
        assert (r.status, r.body) == (200, b"Hello, World!")
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.headers["content-length"] == "13"
        assert r.chunks == [b"Hello, World!"]
        r = await acall(app, "GET", "/users/7")
        assert r.status == 200 and r.body == b'{"id":7,"name":"user 7"}\n'
        assert r.headers["content-type"] == "application/json"
        r = await acall(app, "HEAD", "/")
        assert r.status == 200 and r.body == b"" and r.headers["content-length"] == "13"
        r = await acall(app, "GET", "/empty")
        assert r.status == 204 and r.body == b"" and "content-length" not in r.headers
        r = await acall(app, "GET", "/abort")
        assert (r.status, r.body) == (418, b"short and stout")
        r = await acall(app, "POST", "/")
        assert r.status == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS"
        r = await acall(app, "GET", "/stream")
        assert r.status == 200 and r.chunks == [b"a", b"b"]
        r = await acall(app, "GET", "/later")
        assert r.headers["x-later"] == "1" and r.body == b"later"
        r = await acall(app, "GET", "/login")
        cookie = r.headers["set-cookie"].split(";", 1)[0]
        r = await acall(app, "GET", "/who", headers=[("Cookie", cookie)])
        assert r.body == b"ada"

    run(go())


def test_common_request_takes_the_inline_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def general(*args: Any) -> Any:
        raise AssertionError("the general path ran")

    for name in ("_dispatch_on_loop", "send_response", "_end_request", "_finalize"):
        monkeypatch.setattr(f"stein.asgi.{name}", general)

    async def go() -> None:
        app = build_app(False)
        for path, body in (("/", b"Hello, World!"), ("/users/3", b'{"id":3,"name":"user 3"}\n')):
            r = await acall(app, "GET", path)
            assert (r.status, r.body) == (200, body)

    run(go())


def test_bodiless_get_never_awaits_receive_but_a_body_is_read() -> None:
    async def go() -> None:
        app = build_app(False)
        r = await acall(app, "GET", "/")
        assert r.status == 200 and r.receive_calls == 0
        r = await acall(app, "GET", "/users/1", headers=[("Content-Length", "2")], body=[b"hi"])
        assert r.status == 200 and r.receive_calls == 1
        r = await acall(app, "POST", "/echo", headers=[("Content-Length", "4")],
                        body=[b"ab", b"cd"])
        assert r.status == 200 and r.receive_calls == 2 and b'"len":4' in r.body

    run(go())


def test_contexts_are_left_clean_after_each_request() -> None:
    async def go() -> None:
        app = build_app(False)
        for path in ("/", "/boom", "/nowhere", "/stream", "/login"):
            await acall(app, "GET", path)
            assert _cv_request.get(None) is None and _cv_app.get(None) is None

    run(go())


def test_teardown_and_after_request_still_run_on_the_inline_path() -> None:
    seen: list[Any] = []

    async def go() -> None:
        app = Stein("hooks")

        @app.route("/")
        async def index() -> str:
            return "ok"

        @app.route("/fail")
        async def fail() -> str:
            raise KeyError("k")

        @app.teardown_request
        def down(exc: BaseException | None) -> None:
            seen.append(("request", type(exc).__name__ if exc else None))

        @app.teardown_appcontext
        async def down_app(exc: BaseException | None) -> None:
            seen.append(("app", type(exc).__name__ if exc else None))

        @app.after_request
        def after(resp: Response) -> Response:
            resp.headers["X-After"] = "1"
            return resp

        r = await acall(app, "GET", "/")
        assert r.status == 200 and r.headers["x-after"] == "1" and r.body == b"ok"
        r = await acall(app, "GET", "/fail")
        assert r.status == 500
        assert b"Internal Server Error" in r.body

    run(go())
    assert seen == [("request", None), ("app", None), ("request", "KeyError"), ("app", "KeyError")]


def test_replacing_a_view_function_is_seen() -> None:
    async def go() -> None:
        app = Stein("swap")

        @app.route("/")
        async def index() -> str:
            return "async"

        r = await acall(app, "GET", "/")
        assert r.body == b"async"

        def sync_index() -> str:
            return "sync"

        app.view_functions["index"] = sync_index
        r = await acall(app, "GET", "/")
        assert r.body == b"sync"

    run(go())


def test_close_still_runs_when_the_response_needs_it() -> None:
    closed: list[str] = []

    class Closing(Response):
        def close(self) -> None:
            closed.append("subclass")
            super().close()

    async def go() -> None:
        app = Stein("closing")

        @app.route("/sub")
        async def sub() -> Any:
            return Closing("sub")

        @app.route("/cb")
        async def cb() -> Any:
            resp = Response("cb")
            resp.call_on_close(lambda: closed.append("callback"))
            return resp

        r = await acall(app, "GET", "/sub")
        assert (r.status, r.body) == (200, b"sub")
        r = await acall(app, "GET", "/cb")
        assert (r.status, r.body) == (200, b"cb")

    run(go())
    assert closed == ["subclass", "callback"]


def test_response_headers_encoded_and_set_cookie_not_cached() -> None:
    from stein.asgi import _RAW_PAIRS

    async def go() -> None:
        app = build_app(False)
        r = await acall(app, "GET", "/login")
        assert r.status == 200 and r.headers["set-cookie"].startswith("session=")
        assert r.headers["vary"] == "Cookie"
        assert (("Content-Type", "text/html; charset=utf-8")) in _RAW_PAIRS
        assert _RAW_PAIRS[("Content-Type", "text/html; charset=utf-8")] == \
            (b"content-type", b"text/html; charset=utf-8")
        assert not [pair for pair in _RAW_PAIRS if pair[0].lower() == "set-cookie"]

    run(go())
