"""The app's straight-line dispatch (``Stein._dispatch_plain``) answers exactly as the full
path does: same status line, same header list in the same order, same body."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stein import Stein, abort, after_this_request, session
from stein.testing import EnvironBuilder


class StepwiseStein(Stein):
    """Overrides a step (with the same behaviour), which turns the straight line off."""

    def make_response(self, rv: Any) -> Any:
        return super().make_response(rv)


def _call(app: Stein, path: str, method: str = "GET", **kw: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = EnvironBuilder(path, method=method, **kw).get_environ()
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, list(headers)

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    return seen["status"], seen["headers"], body


def _pair(setup: Any) -> tuple[Stein, Stein]:
    apps = (Stein(__name__), StepwiseStein(__name__))
    for app in apps:
        app.secret_key = "a-test-secret-key-that-is-long-enough"
        setup(app)
    assert apps[0]._plain_dispatch and not apps[1]._plain_dispatch
    return apps


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.text(max_size=20), st.dictionaries(st.text(max_size=6), json_values, max_size=4)),
       method=st.sampled_from(["GET", "HEAD", "OPTIONS", "POST"]),
       debug=st.booleans(),
       cookie=st.booleans())
def test_plain_dispatch_matches_the_full_path(value: Any, method: str, debug: bool, cookie: bool) -> None:
    def setup(app: Stein) -> None:
        app.debug = debug

        @app.route("/v", methods=["GET", "POST"])
        def view() -> Any:
            return value

    fast, full = _pair(setup)
    headers = {"Cookie": "other=1"} if cookie else None
    assert _call(fast, "/v", method, headers=headers) == _call(full, "/v", method, headers=headers)


def test_str_and_json_answers_carry_the_response_headers() -> None:
    app = Stein(__name__)

    @app.route("/t")
    def text() -> str:
        return "héllo"

    @app.route("/j/<int:n>")
    def data(n: int) -> dict[str, Any]:
        return {"n": n, "b": [1, 2]}

    status, headers, body = _call(app, "/t")
    assert (status, headers, body) == (
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "6")],
        "héllo".encode())
    status, headers, body = _call(app, "/j/7")
    assert status == "200 OK"
    assert headers == [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    assert json.loads(body) == {"n": 7, "b": [1, 2]}


def test_errors_redirects_and_405_match_the_full_path() -> None:
    def setup(app: Stein) -> None:
        @app.route("/dir/")
        def directory() -> str:
            return "dir"

        @app.route("/boom")
        def boom() -> str:
            abort(418)

        @app.route("/crash")
        def crash() -> str:
            raise RuntimeError("kaput")

        @app.errorhandler(RuntimeError)
        def on_runtime(e: RuntimeError) -> Any:
            return {"error": str(e)}, 500

    fast, full = _pair(setup)
    for path, method in [("/dir", "GET"), ("/missing", "GET"), ("/boom", "GET"),
                         ("/crash", "GET"), ("/dir/", "DELETE"), ("/dir/", "OPTIONS")]:
        assert _call(fast, path, method) == _call(full, path, method), (path, method)
    assert _call(fast, "/crash")[0] == "500 Internal Server Error"
    assert _call(fast, "/dir", "GET")[0].startswith("308")


def _hooks_app(stamp: bool) -> Stein:
    app = Stein(__name__)
    app.secret_key = "a-test-secret-key-that-is-long-enough"

    @app.route("/s")
    def with_session() -> str:
        session["n"] = 1
        return "s"

    @app.route("/a")
    def with_callback() -> str:
        @after_this_request
        def add(resp: Any) -> Any:
            resp.headers["X-Later"] = "yes"
            return resp

        return "a"

    if stamp:
        @app.after_request
        def stamp_it(resp: Any) -> Any:
            resp.headers["X-Stamp"] = "1"
            return resp

    return app


def test_hooks_sessions_and_after_this_request_see_a_response_object() -> None:
    app = _hooks_app(stamp=False)
    status, headers, body = _call(app, "/s")
    assert body == b"s" and any(k == "Set-Cookie" and v.startswith("session=") for k, v in headers)
    assert ("Vary", "Cookie") in headers
    status, headers, body = _call(app, "/a")
    assert ("X-Later", "yes") in headers and body == b"a"
    # An after_request hook sees (and changes) the str answer's Response; hooks are
    # registered before the first request (later, registration raises).
    assert ("X-Stamp", "1") in _call(_hooks_app(stamp=True), "/a")[1]


def test_response_class_and_json_provider_overrides_are_honoured() -> None:
    from stein import Response
    from stein.json import DefaultJSONProvider

    class TextResponse(Response):
        default_mimetype = "text/plain"

    class LoudJSON(DefaultJSONProvider):
        def response(self, *args: Any, **kwargs: Any) -> Any:
            rv = super().response(*args, **kwargs)
            rv.headers["X-Loud"] = "1"
            return rv

    app = Stein(__name__)
    app.response_class = TextResponse
    app.json = LoudJSON(app)

    @app.route("/t")
    def text() -> str:
        return "plain"

    @app.route("/j")
    def data() -> dict[str, int]:
        return {"a": 1}

    assert ("Content-Type", "text/plain; charset=utf-8") in _call(app, "/t")[1]
    assert ("X-Loud", "1") in _call(app, "/j")[1]


def test_before_request_and_signals_take_the_full_path() -> None:
    app = Stein(__name__)
    calls: list[str] = []

    @app.route("/")
    def index() -> str:
        calls.append("view")
        return "ok"

    @app.before_request
    def before() -> None:
        calls.append("before")

    assert _call(app, "/")[2] == b"ok"
    assert calls == ["before", "view"]


@settings(max_examples=300, deadline=None)
@given(ct=st.one_of(st.none(), st.text(max_size=30),
                    st.sampled_from(["application/json; charset=utf-8", " Text/HTML ;q=1",
                                     'multipart/form-data; boundary="a;b"', ";x=1", ""])))
def test_request_mimetype_is_the_parsed_main_value(ct: str | None) -> None:
    from stein import Request
    from stein.http import parse_options_header

    environ = EnvironBuilder("/").get_environ()
    environ.pop("CONTENT_TYPE", None)
    if ct is not None:
        environ["CONTENT_TYPE"] = ct
    assert Request(environ).mimetype == parse_options_header(ct)[0].lower()


def test_inlined_matching_agrees_with_match_request() -> None:
    # wsgi_app matches plain rules inline (no host, no subdomain matching, no
    # TRUSTED_HOSTS); request_context() goes through _match_request. Same answers.
    for subdomain_matching in (False, True):
        for server_name in (None, "example.test", "example.test:3000"):
            app = Stein(__name__, subdomain_matching=subdomain_matching)
            app.config["SERVER_NAME"] = server_name
            app.add_url_rule("/", "root", lambda: "root")
            app.add_url_rule("/u/<int:n>", "user", lambda n: {"n": n})
            for host in ("example.test", "example.test:3000", "api.example.test",
                         "127.0.0.1:3000", "elsewhere.test"):
                for path in ("/", "/u/3", "/u/x", "/missing"):
                    environ = EnvironBuilder(path, base_url=f"http://{host}/").get_environ()
                    status, _, body = _call(app, path, base_url=f"http://{host}/")
                    with app.request_context(environ):
                        rv = app.full_dispatch_request()
                    assert (status, body) == (rv.status, rv.get_data()), (
                        subdomain_matching, server_name, host, path)


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(["text", "bytes", "redirect", "jsonify", "stream", "status", "empty"]),
       method=st.sampled_from(["GET", "HEAD", "POST"]),
       cookie=st.booleans(), hooked=st.booleans())
def test_a_returned_response_object_matches_the_full_path(kind: str, method: str,
                                                          cookie: bool, hooked: bool) -> None:
    """A view's own Response goes out as finalize_request would send it, hooks or not."""
    from stein import Response, jsonify, redirect

    def make() -> Any:
        if kind == "text":
            return Response("plain", mimetype="text/plain")
        if kind == "bytes":
            return Response(b"\x00\x01", headers={"X-A": "1"})
        if kind == "redirect":
            return redirect("/elsewhere")
        if kind == "jsonify":
            return jsonify(a=1)
        if kind == "stream":
            return Response(iter([b"a", b"b"]))
        if kind == "status":
            return Response("gone", status=410)
        return Response(status=204)

    def setup(app: Stein) -> None:
        @app.route("/r", methods=["GET", "POST"])
        def view() -> Any:
            return make()

        if hooked:
            @app.after_request
            def stamp(response: Any) -> Any:
                response.headers["X-Hooked"] = "yes"
                return response

    fast, full = _pair(setup)
    headers = {"Cookie": "session=x; other=1"} if cookie else None
    got, want = _call(fast, "/r", method, headers=headers), _call(full, "/r", method, headers=headers)
    assert got == want
    assert ("X-Hooked", "yes") in got[1] if hooked else ("X-Hooked", "yes") not in got[1]
