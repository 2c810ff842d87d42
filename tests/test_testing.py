"""The test client as Flask users know it."""

from __future__ import annotations

import pytest

from stein import Response, g, redirect, request, url_for
from stein.datastructures import MultiDict
from stein.testing import EnvironBuilder


@pytest.fixture
def echo(app):
    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo_view():
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "json": request.get_json(silent=True),
            "data": request.get_data(as_text=True) if not request.form else "",
            "content_type": request.content_type,
            "x_custom": request.headers.get("X-Custom"),
            "remote_addr": request.remote_addr,
            "host": request.host,
            "cookie": request.cookies.get("flavor"),
        }

    return app


def test_methods(echo, client):
    for name in ("get", "post", "put", "patch", "delete"):
        rv = getattr(client, name)("/echo")
        assert rv.status_code == 200
        assert rv.get_json()["method"] == name.upper()
    assert client.head("/echo").status_code == 200
    assert "POST" in client.options("/echo").headers["Allow"]
    assert client.open("/echo", method="PATCH").get_json()["method"] == "PATCH"


def test_query_string_forms(echo, client):
    assert client.get("/echo?a=1&a=2").get_json()["args"] == {"a": ["1", "2"]}
    assert client.get("/echo", query_string={"q": "x y", "n": [1, 2]}).get_json()["args"] == {
        "q": ["x y"], "n": ["1", "2"]}
    assert client.get("/echo", query_string="raw=1").get_json()["args"] == {"raw": ["1"]}
    assert client.get("/echo", query_string=MultiDict([("m", "1"), ("m", "2")])).get_json()[
        "args"] == {"m": ["1", "2"]}


def test_headers_data_json_content_type(echo, client):
    rv = client.post("/echo", headers={"X-Custom": "hdr"}, data="plain body",
                     content_type="text/plain")
    got = rv.get_json()
    assert got["x_custom"] == "hdr"
    assert got["data"] == "plain body" and got["content_type"] == "text/plain"
    got = client.post("/echo", data={"a": "1", "b": ["2", "3"]}).get_json()
    assert got["form"] == {"a": ["1"], "b": ["2", "3"]}
    assert got["content_type"] == "application/x-www-form-urlencoded"
    got = client.post("/echo", json={"k": [1, 2]}).get_json()
    assert got["json"] == {"k": [1, 2]} and got["content_type"] == "application/json"
    got = client.post("/echo", data=b"\x00bin", content_type="application/octet-stream").get_json()
    assert got["data"] == "\x00bin"
    with pytest.raises(TypeError):
        client.post("/echo", json={}, data="x")


def test_environ_base_and_overrides(echo, client):
    got = client.get("/echo", environ_base={"REMOTE_ADDR": "9.9.9.9"}).get_json()
    assert got["remote_addr"] == "9.9.9.9"
    got = client.get("/echo", environ_overrides={"HTTP_HOST": "other.test"}).get_json()
    assert got["host"] == "other.test"
    assert client.get("/echo").get_json()["remote_addr"] == "127.0.0.1"
    assert client.get("https://secure.test/echo").request.scheme == "https"


def test_response_attributes(app, client):
    @app.route("/r")
    def r():
        return Response("héllo", 201, {"X-Thing": "a"}, mimetype="text/plain")

    rv = client.get("/r")
    assert rv.status_code == 201 and rv.status == "201 Created"
    assert rv.data == "héllo".encode() and rv.text == "héllo"
    assert rv.headers["X-Thing"] == "a"
    assert rv.mimetype == "text/plain"
    assert rv.request.path == "/r"
    assert rv.get_json() is None


def test_cookie_jar(app, client):
    @app.route("/set")
    def set_cookie():
        resp = Response("set")
        resp.set_cookie("flavor", "choc")
        resp.set_cookie("scoped", "1", path="/only")
        return resp

    @app.route("/read")
    def read():
        return f"{request.cookies.get('flavor')}|{request.cookies.get('scoped')}"

    @app.route("/only/read")
    def only_read():
        return f"{request.cookies.get('flavor')}|{request.cookies.get('scoped')}"

    @app.route("/del")
    def delete():
        resp = Response("del")
        resp.delete_cookie("flavor")
        return resp

    assert client.get("/read").text == "None|None"
    client.get("/set")
    assert client.get_cookie("flavor").value == "choc"
    assert client.get("/read").text == "choc|None"
    assert client.get("/only/read").text == "choc|1"
    client.get("/del")
    assert client.get_cookie("flavor") is None
    assert client.get("/read").text == "None|None"
    client.set_cookie("flavor", "vanilla")
    assert client.get("/read").text == "vanilla|None"
    client.delete_cookie("flavor")
    assert client.get("/read").text == "None|None"


def test_cookies_disabled(app):
    @app.route("/set")
    def set_cookie():
        resp = Response("x")
        resp.set_cookie("a", "1")
        return resp

    @app.route("/read")
    def read():
        return str(request.cookies.get("a"))

    client = app.test_client(use_cookies=False)
    client.get("/set")
    assert client.get("/read").text == "None"
    with pytest.raises(TypeError, match="Cookies are disabled"):
        client.get_cookie("a")


def test_follow_redirects_and_history(app, client):
    @app.route("/a")
    def a():
        return redirect(url_for("b"))

    @app.route("/b")
    def b():
        return redirect("/c?x=1", 301)

    @app.route("/c")
    def c():
        return f"at c with {request.args['x']} via {request.method}"

    @app.route("/post-redirect", methods=["POST"])
    def post_redirect():
        return redirect("/c?x=2", 303)

    @app.route("/keep", methods=["POST"])
    def keep():
        return redirect("/target", 307)

    @app.route("/target", methods=["POST"])
    def target():
        return f"{request.method} {request.get_data(as_text=True)}"

    rv = client.get("/a", follow_redirects=True)
    assert rv.status_code == 200 and rv.text == "at c with 1 via GET"
    assert [h.status_code for h in rv.history] == [302, 301]
    assert rv.history[0].headers["Location"] == "/b"
    assert rv.request.path == "/c"
    rv = client.post("/post-redirect", follow_redirects=True)
    assert rv.text == "at c with 2 via GET"
    rv = client.post("/keep", data=b"payload", content_type="text/plain", follow_redirects=True)
    assert rv.text == "POST payload"
    assert client.get("/a").history == ()


def test_redirect_loop_is_bounded(app, client):
    @app.route("/loop")
    def loop():
        return redirect("/loop")

    with pytest.raises(RuntimeError, match="redirect"):
        client.get("/loop", follow_redirects=True)


def test_with_client_preserves_context(app, client):
    @app.route("/p")
    def p():
        g.user = "ann"
        return "ok"

    with client:
        client.get("/p?x=5")
        assert request.path == "/p"
        assert request.args["x"] == "5"
        assert g.user == "ann"
        client.get("/p?x=6")
        assert request.args["x"] == "6"
    from stein import has_request_context

    assert not has_request_context()
    with pytest.raises(RuntimeError):
        with client:
            with client:
                pass


def test_teardown_deferred_until_with_block_ends(app, client):
    torn = []

    @app.teardown_request
    def t(exc):
        torn.append(request.path)

    @app.route("/x")
    def x():
        return "x"

    with client:
        client.get("/x")
        assert torn == []
    assert torn == ["/x"]


def test_environ_builder_directly(app):
    env = EnvironBuilder(app, "/path?q=1", method="post", data={"a": "b"},
                         headers={"X-H": "v"}).get_environ()
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/path" and env["QUERY_STRING"] == "q=1"
    assert env["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert env["CONTENT_LENGTH"] == "3"
    assert env["HTTP_X_H"] == "v"
    assert env["wsgi.input"].read() == b"a=b"
    env = EnvironBuilder(app, "/caf%C3%A9").get_environ()
    assert env["PATH_INFO"] == "/café".encode().decode("latin-1")


def test_test_client_on_raw_environ(app, client):
    @app.route("/raw")
    def raw():
        return "raw ok"

    env = EnvironBuilder(app, "/raw").get_environ()
    assert client.open(env).text == "raw ok"
