"""Request and Response."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from stein import Blueprint, Request, Response, request
from stein.datastructures import MultiDict
from stein.exceptions import BadRequestKeyError, RequestedRangeNotSatisfiable
from stein.testing import EnvironBuilder


def make_request(*args, **kwargs):
    return Request(EnvironBuilder(*args, **kwargs).get_environ())


# -- Request: where it points ----------------------------------------------------------


def test_request_url_parts():
    r = Request({
        "REQUEST_METHOD": "post", "SCRIPT_NAME": "/app/", "PATH_INFO": "/a b/c",
        "QUERY_STRING": "x=1&y=%C3%A9", "HTTP_HOST": "example.com:8080",
        "wsgi.url_scheme": "https", "REMOTE_ADDR": "10.0.0.1",
    })
    assert r.method == "POST"
    assert r.path == "/a b/c"
    assert r.script_root == "/app"
    assert r.full_path == "/a%20b/c?x=1&y=%C3%A9"
    assert r.scheme == "https" and r.is_secure
    assert r.host == "example.com:8080"
    assert r.base_url == "https://example.com:8080/app/a%20b/c"
    assert r.url == "https://example.com:8080/app/a%20b/c?x=1&y=%C3%A9"
    assert r.host_url == "https://example.com:8080/"
    assert r.url_root == "https://example.com:8080/app/"
    assert r.remote_addr == "10.0.0.1"
    assert r.args["y"] == "é"


def test_request_host_defaults_and_default_port():
    r = Request({"SERVER_NAME": "srv", "SERVER_PORT": "8000", "wsgi.url_scheme": "http"})
    assert r.host == "srv:8000"
    r = Request({"HTTP_HOST": "h.test:443", "wsgi.url_scheme": "https"})
    assert r.host == "h.test"
    r = Request({"HTTP_HOST": "h.test:80", "wsgi.url_scheme": "http"})
    assert r.host == "h.test"
    r = Request({})
    assert r.path == "/" and r.full_path == "/?" and r.method == "GET"


def test_request_attributes_are_lazy_and_cached():
    r = make_request("/x?a=1", headers={"X-H": "v"})
    assert "args" not in r.__dict__ and "headers" not in r.__dict__
    args = r.args
    assert r.args is args
    assert r.__dict__["args"] is args
    assert r.headers is r.headers
    assert r.cookies is r.cookies


def test_args_multidict():
    r = make_request("/?a=1&a=2&b=&c=x%20y")
    assert r.args["a"] == "1"
    assert r.args.getlist("a") == ["1", "2"]
    assert r.args["b"] == ""
    assert r.args["c"] == "x y"
    assert r.args.get("n", type=int, default=5) == 5
    assert r.args.get("a", type=int) == 1
    with pytest.raises(KeyError) as ei:
        r.args["missing"]
    assert isinstance(ei.value, BadRequestKeyError)
    assert ei.value.args == ("missing",)
    with pytest.raises(TypeError):
        r.args["a"] = "x"  # immutable


def test_headers_case_insensitive():
    r = make_request("/", headers={"X-Custom": "v1", "Accept": "text/html"})
    assert r.headers["x-custom"] == "v1"
    assert r.headers["X-CUSTOM"] == "v1"
    assert r.headers.get("Missing") is None
    assert "x-custom" in r.headers
    assert ("X-Custom", "v1") in list(r.headers.items())


def test_cookies():
    r = make_request("/", headers={"Cookie": 'a=1; b="quoted value"; c=x%20y'})
    assert r.cookies["a"] == "1"
    assert r.cookies["b"] == "quoted value"
    assert r.cookies.get("nope") is None


def test_form_values_and_data():
    r = make_request("/?q=1", method="POST", data={"name": "Ann", "tag": ["a", "b"]})
    assert r.mimetype == "application/x-www-form-urlencoded"
    assert r.form["name"] == "Ann"
    assert r.form.getlist("tag") == ["a", "b"]
    assert r.values["q"] == "1" and r.values["name"] == "Ann"
    with pytest.raises(BadRequestKeyError):
        r.form["zzz"]
    with pytest.raises(BadRequestKeyError):
        r.values["zzz"]
    with pytest.raises(BadRequestKeyError):
        r.files["zzz"]
    get = make_request("/?q=1")
    assert list(get.values.keys()) == ["q"]


def test_raw_body_data():
    r = make_request("/", method="PUT", data=b"raw bytes", content_type="application/octet-stream")
    assert r.content_length == 9
    assert r.content_type == "application/octet-stream"
    assert r.mimetype == "application/octet-stream"
    assert r.get_data() == b"raw bytes"
    assert r.data == b"raw bytes"
    assert r.get_data(as_text=True) == "raw bytes"


def test_json_body():
    r = make_request("/", method="POST", json={"a": [1, 2]})
    assert r.is_json
    assert r.mimetype == "application/json"
    assert r.get_json() == {"a": [1, 2]}
    assert r.json == {"a": [1, 2]}
    r2 = make_request("/", method="POST", data='{"x": 1}',
                      content_type="application/vnd.api+json; charset=utf-8")
    assert r2.is_json and r2.mimetype_params == {"charset": "utf-8"}
    assert r2.get_json() == {"x": 1}
    r3 = make_request("/", method="POST", data='{"x": 2}', content_type="text/plain")
    assert not r3.is_json
    assert r3.get_json(silent=True) is None
    assert r3.get_json(force=True) == {"x": 2}


def test_accept_mimetypes():
    r = make_request("/", headers={"Accept": "text/html;q=0.5, application/json"})
    assert r.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    assert "text/html" in r.accept_mimetypes
    assert r.accept_mimetypes.quality("text/html") == 0.5
    assert r.accept_mimetypes.best == "application/json"
    # No Accept header: nothing is preferred (Werkzeug's behaviour), so the default wins.
    none = make_request("/")
    assert not none.accept_mimetypes
    assert none.accept_mimetypes.best_match(["text/plain"], default="x/y") == "x/y"


def test_routing_attributes_and_blueprint(app, client):
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/item/<int:id>")
    def item(id):
        return {
            "endpoint": request.endpoint, "view_args": request.view_args,
            "rule": request.url_rule.rule, "blueprint": request.blueprint,
        }

    @app.route("/plain")
    def plain():
        return {"endpoint": request.endpoint, "blueprint": request.blueprint}

    app.register_blueprint(bp)
    assert client.get("/shop/item/5").get_json() == {
        "endpoint": "shop.item", "view_args": {"id": 5}, "rule": "/shop/item/<int:id>",
        "blueprint": "shop",
    }
    assert client.get("/plain").get_json() == {"endpoint": "plain", "blueprint": None}


def test_request_misc_headers():
    r = make_request("/", headers={
        "User-Agent": "UA/1", "Referer": "http://r/", "Authorization": "Basic dXNlcjpwYXNz",
        "If-None-Match": '"abc", W/"def"', "X-Forwarded-For": "1.1.1.1, 2.2.2.2",
    })
    assert r.user_agent == "UA/1" and r.user_agent.string == "UA/1"
    assert r.referrer == "http://r/"
    assert r.authorization.type == "basic"
    assert (r.authorization.username, r.authorization.password) == ("user", "pass")
    assert "abc" in r.if_none_match and "def" not in r.if_none_match
    assert r.if_none_match.contains_weak("def")
    assert r.access_route == ["1.1.1.1", "2.2.2.2"]
    bearer = make_request("/", headers={"Authorization": "Bearer tok"})
    assert bearer.authorization.type == "bearer" and bearer.authorization.token == "tok"


def test_from_values():
    r = Request.from_values("/p?x=1", method="POST", data=b"d")
    assert (r.path, r.args["x"], r.method, r.get_data()) == ("/p", "1", "POST", b"d")


# -- Response --------------------------------------------------------------------------


def test_response_defaults():
    r = Response()
    assert r.status_code == 200 and r.status == "200 OK"
    assert r.mimetype == "text/html"
    assert r.content_type == "text/html; charset=utf-8"
    assert r.data == b""
    assert r.headers["Content-Length"] == "0"


def test_response_status_forms():
    r = Response("x", 404)
    assert r.status == "404 Not Found"
    r.status = "201 Made It"
    assert (r.status_code, r.status) == (201, "201 Made It")
    r.status = "202"
    assert r.status_code == 202 and r.status.startswith("202 ")
    r.status_code = 299
    assert r.status == "299 UNKNOWN"
    r.status = 404
    assert r.status_code == 404
    with pytest.raises(ValueError):
        r.status = ""


def test_response_body_and_data():
    r = Response("héllo")
    assert r.data == "héllo".encode()
    assert r.get_data(as_text=True) == "héllo"
    assert r.text == "héllo"
    assert r.content_length == len("héllo".encode())
    r.set_data(b"new")
    assert r.data == b"new" and r.headers["Content-Length"] == "3"
    r.data = "str"
    assert r.data == b"str"
    streamed = Response(iter([b"a", "b"]))
    assert streamed.is_streamed
    assert streamed.get_data() == b"ab"
    assert not streamed.is_streamed


def test_response_headers_multi_value():
    r = Response("x", headers=[("X-A", "1"), ("X-A", "2")])
    assert r.headers.getlist("X-A") == ["1", "2"]
    r.headers.add("X-A", "3")
    assert r.headers.getlist("x-a") == ["1", "2", "3"]
    r.headers["X-A"] = "only"
    assert r.headers.getlist("X-A") == ["only"]
    del r.headers["X-A"]
    assert "X-A" not in r.headers


def test_response_mimetype_and_content_type():
    r = Response("{}", mimetype="application/json")
    assert r.content_type == "application/json"
    r = Response("x", mimetype="text/plain")
    assert r.content_type == "text/plain; charset=utf-8"
    r = Response("x", content_type="text/csv; charset=latin-1")
    assert r.mimetype == "text/csv" and r.mimetype_params == {"charset": "latin-1"}
    r.mimetype = "application/xml"
    assert r.content_type == "application/xml; charset=utf-8"


def test_response_get_json():
    r = Response('{"a": 1}', mimetype="application/json")
    assert r.is_json and r.get_json() == {"a": 1} and r.json == {"a": 1}
    assert Response("x").get_json() is None
    assert Response("{bad", mimetype="application/json").get_json(silent=True) is None


def test_set_cookie_all_attributes():
    r = Response()
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    r.set_cookie("sid", "abc", max_age=timedelta(hours=1), expires=expires, path="/app",
                 domain="example.com", secure=True, httponly=True, samesite="strict",
                 partitioned=True)
    header = r.headers["Set-Cookie"]
    parts = [p.strip() for p in header.split(";")]
    assert parts[0] == "sid=abc"
    assert "Max-Age=3600" in parts
    assert "Expires=Wed, 02 Jan 2030 03:04:05 GMT" in parts
    assert "Path=/app" in parts
    assert "Domain=example.com" in parts
    assert "Secure" in parts and "HttpOnly" in parts
    assert "SameSite=Strict" in parts
    assert "Partitioned" in parts


def test_set_cookie_samesite_none_and_partitioned_implies_secure():
    r = Response()
    r.set_cookie("a", "1", samesite="None", partitioned=True)
    header = r.headers["Set-Cookie"]
    assert "SameSite=None" in header and "Secure" in header and "Partitioned" in header
    with pytest.raises(ValueError):
        r.set_cookie("a", "1", samesite="sometimes")


def test_set_cookie_quotes_special_values_and_multiple():
    r = Response()
    r.set_cookie("a", "has space;semi")
    r.set_cookie("b", "2")
    cookies = r.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith('a="')
    parsed = Request({"HTTP_COOKIE": cookies[0].split("; Path")[0]}).cookies
    assert parsed["a"] == "has space;semi"


def test_delete_cookie():
    r = Response()
    r.delete_cookie("sid", path="/p", domain="d.test")
    header = r.headers["Set-Cookie"]
    assert header.startswith("sid=;") or header.startswith('sid="";')
    assert "Max-Age=0" in header
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert "Path=/p" in header and "Domain=d.test" in header


def test_cookie_crlf_rejected_at_call_site():
    r = Response()
    with pytest.raises(ValueError):
        r.set_cookie("a", "x\r\nSet-Cookie: evil=1")
    with pytest.raises(ValueError):
        r.set_cookie("bad\nname", "x")
    with pytest.raises(ValueError):
        r.set_cookie("a", "x", path="/\r\n")
    assert "Set-Cookie" not in r.headers


def test_header_crlf_rejected_at_call_site():
    r = Response()
    with pytest.raises(ValueError):
        r.headers["X-Evil"] = "a\r\nInjected: 1"
    with pytest.raises(ValueError):
        r.headers.add("X-Evil", "a\nb")
    with pytest.raises(ValueError):
        r.headers.set("X-Evil", "a\rb")
    with pytest.raises(ValueError):
        Response("x", headers={"X-Evil": "a\nb"})
    assert "X-Evil" not in r.headers


def test_etag_helpers_and_make_conditional():
    r = Response("content")
    r.add_etag()
    etag, weak = r.get_etag()
    assert etag and not weak
    r.set_etag("v1", weak=True)
    assert r.headers["ETag"] == 'W/"v1"'
    assert r.get_etag() == ("v1", True)
    r.set_etag("v2")
    env = EnvironBuilder(headers={"If-None-Match": '"v2"'}).get_environ()
    r.make_conditional(env)
    assert r.status_code == 304
    assert r.get_wsgi_response(env)[0] == ()
    fresh = Response("content")
    fresh.set_etag("v3")
    fresh.make_conditional(Request(env))
    assert fresh.status_code == 200


def test_make_conditional_last_modified():
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    r = Response("x")
    r.last_modified = when
    env = EnvironBuilder(headers={"If-Modified-Since": "Wed, 01 May 2024 00:00:00 GMT"}).get_environ()
    r.make_conditional(env)
    assert r.status_code == 304
    old = EnvironBuilder(headers={"If-Modified-Since": "Tue, 30 Apr 2024 00:00:00 GMT"}).get_environ()
    r2 = Response("x")
    r2.last_modified = when
    r2.make_conditional(old)
    assert r2.status_code == 200


def test_make_conditional_range():
    r = Response(b"0123456789")
    env = EnvironBuilder(headers={"Range": "bytes=2-4"}).get_environ()
    r.make_conditional(env, accept_ranges=True)
    assert r.status_code == 206
    assert r.data == b"234"
    assert r.headers["Content-Range"] == "bytes 2-4/10"
    r2 = Response(b"0123456789")
    env = EnvironBuilder(headers={"Range": "bytes=20-30"}).get_environ()
    with pytest.raises(RequestedRangeNotSatisfiable) as ei:
        r2.make_conditional(env, accept_ranges=True)
    resp = ei.value.get_response()
    assert resp.status_code == 416 and resp.headers["Content-Range"] == "bytes */10"


def test_direct_passthrough_returns_iterable_unchanged():
    body = io.BytesIO(b"file contents")

    class FileWrapper:
        def __init__(self, f):
            self.f = f

        def __iter__(self):
            return iter(lambda: self.f.read(4), b"")

    wrapped = FileWrapper(body)
    r = Response(wrapped, direct_passthrough=True)
    env = EnvironBuilder().get_environ()
    app_iter = r(env, lambda s, h: None)
    assert app_iter is wrapped
    assert b"".join(app_iter) == b"file contents"


def test_response_head_and_204_have_no_body():
    r = Response("body")
    env = EnvironBuilder(method="HEAD").get_environ()
    assert list(r(env, lambda s, h: None)) == []
    r = Response("body", 204)
    captured = {}

    def sr(status, headers):
        captured["headers"] = headers

    assert list(r(EnvironBuilder().get_environ(), sr)) == []
    assert not any(k.lower() == "content-length" for k, _ in captured["headers"])


def test_call_on_close_and_vary():
    closed = []
    r = Response("x")
    r.call_on_close(lambda: closed.append(1))
    it = r(EnvironBuilder().get_environ(), lambda s, h: None)
    assert list(it) == [b"x"]
    it.close()
    assert closed == [1]
    r.add_vary("Cookie")
    r.add_vary("Accept")
    r.add_vary("cookie")
    assert r.headers["Vary"] == "Cookie, Accept"
    assert r.vary == {"Cookie", "Accept"}


def test_multidict_basics():
    md = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert md["a"] == "1" and md.getlist("a") == ["1", "2"]
    md.add("b", "4")
    assert md.getlist("b") == ["3", "4"]
    assert list(md.items(multi=True)) == [("a", "1"), ("a", "2"), ("b", "3"), ("b", "4")]
    assert md.to_dict() == {"a": "1", "b": "3"}
    assert md.to_dict(flat=False) == {"a": ["1", "2"], "b": ["3", "4"]}
    with pytest.raises(BadRequestKeyError) as ei:
        md["zz"]
    assert ei.value.args == ("zz",)


def test_request_data_after_form_posts() -> None:
    import io

    from stein import Stein, request

    app = Stein(__name__)

    @app.post("/")
    def echo() -> dict:
        return {"data": request.data.decode(), "form": request.form.to_dict()}

    c = app.test_client()
    assert c.post("/", data={"a": "1"}).get_json() == {"data": "a=1", "form": {"a": "1"}}
    multipart = c.post("/", data={"a": "1", "f": (io.BytesIO(b"x"), "f.txt")}).get_json()
    assert multipart == {"data": "", "form": {"a": "1"}}
    assert c.post("/", data=b"raw", content_type="text/plain").get_json()["data"] == "raw"
