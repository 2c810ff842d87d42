"""Property tests under hostile input (hypothesis, in the normal suite).

The property everywhere: whatever the client sends, the app answers with a documented
status (never an unhandled exception, never a 500), and its response headers are safe to
send (latin-1, no CR/LF). Apps here run with ``TESTING`` on, so any unhandled exception
propagates and fails the example instead of hiding in a 500.

Example counts are modest (``max_examples`` 100-200) so the suite stays fast; ``make fuzz``
runs the same targets for longer under atheris (see ``fuzz/``).
"""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stein import Response, Stein, request, session
from stein.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestRedirect
from stein.http import (
    parse_accept_header,
    parse_cookie,
    parse_etags,
    parse_options_header,
    parse_qsl,
    parse_range_header,
)
from stein.routing import Map, Rule

FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOWER = settings(max_examples=100, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# WSGI hands header values and paths to the app as latin-1 "bytes in str".
wsgi_str = st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
# Text without lone surrogates (they cannot appear in a decoded request).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


def call(app: Stein, method: str = "GET", path: str = "/", body: bytes = b"",
         **env: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one request through the real WSGI entry point with a hand-built environ."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)) if body else "",
    }
    environ.update(env)
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got["status"], got["headers"] = status, headers
        return lambda data: None

    it = app(environ, start_response)
    try:
        data = b"".join(it)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    for k, v in got["headers"]:
        v.encode("latin-1")
        assert "\r" not in v and "\n" not in v, (k, v)
        assert "\r" not in k and "\n" not in k and ":" not in k, k
    return int(got["status"][:3]), got["headers"], data


def _assert_documented(status: int, allowed: set[int]) -> None:
    assert status in allowed, f"status {status} not in {sorted(allowed)}"


# -- the router ---------------------------------------------------------------------------

_word = st.sampled_from(["a", "b", "users", "x-y", "p.q", "ünï", "42"])
_conv = st.sampled_from(["", "int:", "string:", "path:", "float:", "uuid:"])


@st.composite
def rule_sets(draw: Any) -> list[str]:
    rules: set[str] = set()
    for _ in range(draw(st.integers(1, 8))):
        n = draw(st.integers(0, 4))
        segs: list[str] = []
        names = 0
        for i in range(n):
            if draw(st.booleans()):
                segs.append(draw(_word))
            else:
                conv = draw(_conv)
                if conv == "path:" and i != n - 1:
                    conv = ""
                segs.append(f"<{conv}v{names}>")
                names += 1
        rule = "/" + "/".join(segs)
        if segs and draw(st.booleans()):
            rule += "/"
        rules.add(rule)
    return sorted(rules)


_conv_re = {"": "[^/]+", "string:": "[^/]+", "int:": r"\d+", "path:": "[^/].*?",
            "float:": r"\d+\.\d+", "uuid:": "[A-Fa-f0-9-]{36}"}


def _reference_regex(rule: str) -> re.Pattern[str]:
    """A plain regex for the rule, independent of the router's tree: the reference matcher."""
    out, pos = [], 0
    for m in re.finditer(r"<(\w+:)?(\w+)>", rule):
        out.append(re.escape(rule[pos:m.start()]))
        out.append(f"(?P<{m.group(2)}>{_conv_re[m.group(1) or '']})")
        pos = m.end()
    out.append(re.escape(rule[pos:]))
    return re.compile("".join(out), re.DOTALL)  # a path segment may hold a decoded "\n"


def _value_for(conv: str, draw: Any) -> Any:
    seg = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1,
                  max_size=12)
    if conv == "int:":
        return draw(st.integers(0, 10**12))
    if conv == "float:":
        return draw(st.floats(0, 1e6, allow_nan=False).filter(lambda f: "e" not in repr(f)))
    if conv == "uuid:":
        return draw(st.uuids())
    if conv == "path:":
        return "/".join(draw(st.lists(seg, min_size=1, max_size=3)))
    return draw(seg)


def _make_map(rules: list[str]) -> Map:
    m = Map()
    for i, r in enumerate(rules):
        m.add(Rule(r, endpoint=f"e{i}", methods=["GET", "POST"] if i % 2 else ["GET"]))
    return m


@FAST
@given(rules=rule_sets(), data=st.data())
def test_router_build_then_match_round_trips(rules: list[str], data: Any) -> None:
    m = _make_map(rules)
    i = data.draw(st.integers(0, len(rules) - 1))
    convs = re.findall(r"<(\w+:)?(\w+)>", rules[i])
    values = {name: _value_for(conv, data.draw) for conv, name in convs}
    _, _, built = m.build(f"e{i}", values)
    path = unquote(built)
    rule, args = m.match(path, "GET")
    # The reference matcher agrees the chosen rule matches this path...
    assert _reference_regex(rule.rule).fullmatch(path), (rule.rule, path)
    # ...and building the chosen rule with what matching returned gives the same URL.
    _, _, rebuilt = m.build(rule.endpoint, args)
    assert unquote(rebuilt) == path
    # When exactly one rule matches by the reference, the router picked it.
    candidates = [r for r in rules if _reference_regex(r).fullmatch(path)]
    if len(candidates) == 1:
        assert rule.rule == candidates[0]


@FAST
@given(rules=rule_sets(), path=text, method=st.sampled_from(["GET", "POST", "DELETE", "HEAD"]))
@example(rules=["/a/<path:v0>"], path="/a/" + "b/" * 500, method="GET")
@example(rules=["/<int:v0>"], path="/" + "9" * 5000, method="GET")
def test_router_match_raises_only_documented(rules: list[str], path: str, method: str) -> None:
    m = _make_map(rules)
    path = "/" + path.lstrip("/")
    try:
        rule, _ = m.match(path, method)
    except (NotFound, MethodNotAllowed, RequestRedirect) as e:
        if isinstance(e, MethodNotAllowed):
            assert e.valid_methods
        return
    assert _reference_regex(rule.rule).fullmatch(path) or path.endswith("/")


def _router_app() -> Stein:
    app = Stein("router_props")
    app.config["TESTING"] = True

    @app.route("/")
    def index() -> str:
        return "i"

    @app.route("/u/<int:id>/")
    def user(id: int) -> str:
        return str(id)

    @app.route("/f/<path:p>", methods=["POST"])
    def files(p: str) -> str:
        return p

    @app.route("/s/<name>")
    def named(name: str) -> str:
        return name

    return app


@FAST
@given(path=wsgi_str, method=st.sampled_from(["GET", "POST", "PUT", "OPTIONS", "HEAD", "BREW"]))
@example(path="/u/1", method="GET")
@example(path="/u/1\r\nSet-Cookie: x=1", method="GET")
@example(path="//u//1/", method="GET")
def test_app_routing_any_path(path: str, method: str) -> None:
    status, headers, _ = call(_ROUTER_APP, method=method, path=path)
    _assert_documented(status, {200, 308, 400, 404, 405})
    if status == 308:
        loc = dict(headers)["Location"]
        assert loc.startswith("/") and not loc.startswith("//"), loc


_ROUTER_APP = _router_app()


# -- query strings and urlencoded bodies ---------------------------------------------------

def _form_app() -> Stein:
    app = Stein("form_props")
    app.config["TESTING"] = True

    @app.route("/", methods=["GET", "POST"])
    def index() -> dict[str, Any]:
        return {"args": len(request.args), "form": len(request.form),
                "values": len(request.values)}

    return app


_FORM_APP = _form_app()


@FAST
@given(qs=wsgi_str)
@example(qs="a=%zz")
@example(qs="a=%ff%fe")
@example(qs="&" * 20000)
def test_query_string_parsing(qs: str) -> None:
    status, _, body = call(_FORM_APP, QUERY_STRING=qs)
    _assert_documented(status, {200, 400, 413})
    if status == 400:
        assert b"query string" in body


@FAST
@given(body=st.binary(max_size=500))
@example(body=b"a=" + b"x" * 10)
@example(body=b"%")
def test_urlencoded_body_parsing(body: bytes) -> None:
    status, _, out = call(_FORM_APP, method="POST", body=body,
                          CONTENT_TYPE="application/x-www-form-urlencoded")
    _assert_documented(status, {200, 400, 413})
    if status == 400:
        assert b"form data" in out


@FAST
@given(qs=st.lists(st.tuples(text, text), max_size=8))
def test_parse_qsl_round_trip(qs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    assert parse_qsl(urlencode(qs)) == qs


# -- cookies and headers ---------------------------------------------------------------------

@FAST
@given(header=st.one_of(wsgi_str, text))
@example(header='a="\\777"; b="\\')
def test_parse_cookie_never_raises(header: str) -> None:
    out = parse_cookie(header)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in out.items())


@FAST
@given(value=st.one_of(wsgi_str, text))
@example(value="text/html;q=nan, */*;q=inf")
@example(value="a;q=1e309")
@example(value="text/plain; name*=\x00x''abc")  # found by fuzz/targets.py headers
def test_header_parsers_never_raise(value: str) -> None:
    acc = parse_accept_header(value)
    for _, q in acc:
        assert 0 <= q <= 1
    acc.best_match(["text/html", "application/json"])
    parse_etags(value)
    rng = parse_range_header(value)
    if rng is not None:
        for start, end in rng.ranges:
            assert end is None or end > start
        rng.range_for_length(1000)
    mt, params = parse_options_header(value)
    assert isinstance(mt, str) and isinstance(params, dict)


def _headers_app() -> Stein:
    app = Stein("header_props")
    app.config["TESTING"] = True
    app.secret_key = "property-test-secret-key-long-enough"

    @app.route("/", methods=["GET", "POST"])
    def index() -> Response:
        info = {
            "accept": request.accept_mimetypes.best_match(["text/html", "application/json"]),
            "lang": request.accept_languages.best,
            "cookies": len(request.cookies),
            "mimetype": request.mimetype,
            "params": len(request.mimetype_params),
            "session": len(session),
            "ims": str(request.if_modified_since),
            "auth": request.authorization is not None,
            "host": request.host,
        }
        rv = Response(json.dumps(info) + "x" * 1000, mimetype="application/json")
        rv.set_etag("abc")
        return rv.make_conditional(request, accept_ranges=True)

    return app


_HEADERS_APP = _headers_app()

_header_names = ["HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_COOKIE", "CONTENT_TYPE",
                 "HTTP_RANGE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_RANGE",
                 "HTTP_IF_MODIFIED_SINCE", "HTTP_AUTHORIZATION", "HTTP_HOST", "CONTENT_LENGTH"]


@FAST
@given(headers=st.dictionaries(st.sampled_from(_header_names), wsgi_str, max_size=6))
@example(headers={"HTTP_RANGE": "bytes=0-0,-1", "HTTP_IF_RANGE": '"abc"'})
@example(headers={"HTTP_RANGE": "bytes=5000-"})
@example(headers={"HTTP_IF_NONE_MATCH": 'W/"abc", *'})
@example(headers={"HTTP_IF_MATCH": '"nope"'})
@example(headers={"HTTP_COOKIE": "session=" + "A" * 10000})
@example(headers={"HTTP_COOKIE": "session=eyJ4IjoxfQ.bad.sig"})
@example(headers={"HTTP_AUTHORIZATION": "Basic !!!"})
@example(headers={"HTTP_IF_MODIFIED_SINCE": "Mon, 99 Foo 99999 99:99:99 GMT"})
@example(headers={"CONTENT_LENGTH": "-1"})
@example(headers={"CONTENT_LENGTH": "１２"})
def test_request_headers_through_app(headers: dict[str, str]) -> None:
    status, _, _ = call(_HEADERS_APP, **headers)
    _assert_documented(status, {200, 206, 304, 400, 412, 416})


# -- JSON bodies ----------------------------------------------------------------------------

def _json_app() -> Stein:
    app = Stein("json_props")
    app.config["TESTING"] = True

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        data = request.get_json()
        return {"type": type(data).__name__}

    return app


_JSON_APP = _json_app()

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(text, kids, max_size=4),
    max_leaves=20,
)


@FAST
@given(body=st.one_of(st.binary(max_size=300), _json_values.map(lambda v: json.dumps(v).encode())),
       ctype=st.sampled_from(["application/json", "application/problem+json", "text/plain",
                              "application/json; charset=latin-1"]))
@example(body=b"[" * 100_000, ctype="application/json")
@example(body=b'{"a": ' * 50_000, ctype="application/json")
@example(body=b"\xff\xfe{}", ctype="application/json")
@example(body=b"1" * 5000, ctype="application/json")
def test_json_bodies(body: bytes, ctype: str) -> None:
    status, _, out = call(_JSON_APP, method="POST", body=body, CONTENT_TYPE=ctype)
    _assert_documented(status, {200, 400, 415})
    if status == 400:
        assert b"Failed to decode JSON object" in out
    if status == 415:
        assert ctype == "text/plain"


# -- session cookie loader -------------------------------------------------------------------

def _session_app() -> Stein:
    app = Stein("session_props")
    app.config["TESTING"] = True
    app.secret_key = "property-test-secret-key-long-enough"

    @app.route("/")
    def index() -> dict[str, Any]:
        return {"n": len(session), "keys": sorted(str(k) for k in session)}

    return app


_SESSION_APP = _session_app()


@FAST
@given(value=wsgi_str)
@example(value="e30.Zz.AAAA")
@example(value=".eJyrVkrOz0vNqdS2sjI0UcrNzcnMTlSyAgBRIgfd.Z.Z")
def test_session_cookie_any_value(value: str) -> None:
    cookie = "session=" + value.replace(";", "")
    status, _, body = call(_SESSION_APP, HTTP_COOKIE=cookie)
    assert status == 200
    assert json.loads(body)["n"] >= 0


@SLOWER
@given(payload=_json_values | st.sampled_from([
    {" b": "not base64!"}, {" t": 5}, {" b": 1}, [1, 2], "str", {" t": None}]))
def test_session_cookie_signed_but_odd_payload(payload: Any) -> None:
    # Even a correctly signed cookie (a leaked key, an old app version) must not crash.
    s = _SESSION_APP.session_interface.get_signing_serializer(_SESSION_APP)  # type: ignore[attr-defined]
    signed = s.dumps(payload) if not isinstance(payload, dict) else s.dumps(payload)
    status, _, body = call(_SESSION_APP, HTTP_COOKIE=f"session={signed}")
    assert status == 200
    assert "n" in json.loads(body)


# -- multipart (the parser is stein.multipart) ------------------------------------------------

def _upload_app() -> Stein:
    app = Stein("multipart_props")
    app.config["TESTING"] = True
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["MAX_FORM_MEMORY_SIZE"] = 1024
    app.config["MAX_FORM_PARTS"] = 20

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        files = {k: len(f.read()) for k, f in request.files.items()}
        return {"form": len(request.form), "files": files}

    return app


_UPLOAD_APP = _upload_app()
_BOUNDARY = "----stein-prop-boundary"


@st.composite
def multipart_bodies(draw: Any) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from([_BOUNDARY, "x", "a b", "é", "", '"quoted"', "-" * 80]))
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.binary(max_size=20))
        disp = b'form-data; name="' + name + b'"'
        if draw(st.booleans()):
            disp += b'; filename="' + draw(st.binary(max_size=20)) + b'"'
        if draw(st.booleans()):
            disp = draw(st.binary(max_size=60))
        headers = b"Content-Disposition: " + disp + b"\r\n"
        if draw(st.booleans()):
            headers += b"Content-Type: " + draw(st.binary(max_size=30)) + b"\r\n"
        body = draw(st.binary(max_size=300))
        parts.append(b"--" + boundary.encode() + b"\r\n" + headers + b"\r\n" + body + b"\r\n")
    raw = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    cut = draw(st.integers(0, len(raw)))
    if draw(st.booleans()):
        raw = raw[:cut]  # truncated
    if draw(st.booleans()):
        raw = raw + draw(st.binary(max_size=50))  # trailing garbage
    header_boundary = draw(st.sampled_from([boundary, boundary, "other", ""]))
    return raw, header_boundary


@SLOWER
@given(case=multipart_bodies())
@example(case=(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + b"x" * 2000 + b"\r\n--b--\r\n", "b"))
@example(case=(b"".join(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n" for _ in range(30)) + b"--b--\r\n", "b"))
@example(case=(b"--b\r\nContent-Disposition: form-data; name=\"\xff\xfe\"; filename=\"\xff.txt\"\r\n\r\nx\r\n--b--\r\n", "b"))
@example(case=(b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n" + b"x" * 70000 + b"\r\n--b--\r\n", "b"))
def test_multipart_bodies(case: tuple[bytes, str]) -> None:
    pytest.importorskip("stein.multipart")
    body, boundary = case
    ctype = "multipart/form-data" + (f'; boundary="{boundary}"' if boundary else "")
    status, _, out = call(_UPLOAD_APP, method="POST", body=body, CONTENT_TYPE=ctype)
    _assert_documented(status, {200, 400, 413})
    if status in (400, 413):
        assert b"<p>" in out and len(out) > 20  # an explained error page, not a bare status


# -- every error response is a documented HTTPException ---------------------------------------

def test_http_exception_statuses_documented() -> None:
    # The statuses the properties allow are exactly the ones stein.exceptions defines.
    codes = {c.code for c in HTTPException.__subclasses__() if getattr(c, "code", None)}
    assert {400, 404, 405, 412, 413, 415, 416} <= codes
