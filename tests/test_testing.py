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


# -- Werkzeug's test API, as Flask code and extensions use it -----------------------------


def test_auth_tuple_and_authorization_object(app, client):
    from stein.datastructures import Authorization

    @app.route("/who")
    def who():
        a = request.authorization
        return f"{a.type}|{a.username}|{a.password}|{request.headers['Authorization']}"

    assert client.get("/who", auth=("ann", "s3cr:et")).text == \
        "basic|ann|s3cr:et|Basic YW5uOnMzY3I6ZXQ="
    rv = client.get("/who", auth=Authorization("basic", {"username": "bo", "password": "pw"}))
    assert rv.text.startswith("basic|bo|pw|Basic ")
    assert EnvironBuilder(auth=("u", "p")).headers["Authorization"] == "Basic dTpw"


def test_query_string_none_value_drops_the_key(echo, client):
    got = client.get("/echo", query_string={"k": None, "a": "1", "m": ["x", None]}).get_json()
    assert got["args"] == {"a": ["1"], "m": ["x"]}
    assert EnvironBuilder(query_string={"gone": None}).get_environ()["QUERY_STRING"] == ""


def test_cookie_attributes_as_werkzeug_cookie(app, client):
    from datetime import datetime, timezone

    @app.route("/set")
    def set_():
        r = Response("ok")
        r.set_cookie("c", "v 1", max_age=3600, domain="localhost", secure=True,
                     samesite="Strict", path="/app")
        r.set_cookie("plain", "p")
        return r

    client.get("/set")
    c = client.get_cookie("c", path="/app")
    # value as the Cookie header carries it (quoted), decoded_value as the app reads it.
    assert (c.key, c.decoded_key, c.decoded_value) == ("c", "c", "v 1")
    assert c.value.startswith('"') and c._to_request_header() == f"c={c.value}"
    assert c.max_age == 3600 and c.expires is not None and c.expires > datetime.now(timezone.utc)
    assert c.domain == "localhost" and not c.origin_only and c.path == "/app"
    assert c.secure and not c.http_only and c.same_site == "Strict"
    p = client.get_cookie("plain")
    assert p.expires is None and p.max_age is None and p.origin_only and p.secure is False
    assert client.get_cookie("c") is None  # another path


def test_set_cookie_and_delete_cookie_signatures(app, client):
    @app.route("/read")
    def read():
        return request.cookies.get("k", "-")

    client.set_cookie("k", "1", domain="localhost", path="/", max_age=60)
    assert client.get("/read").text == "1"
    assert client.get_cookie("k").max_age == 60
    client.set_cookie("k", "gone", max_age=0)  # an expired cookie is not kept
    assert client.get_cookie("k") is None
    client.set_cookie("k", "2")
    client.delete_cookie("k", domain="localhost", path="/")
    assert client.get("/read").text == "-"
    with pytest.raises(TypeError):
        client.set_cookie("localhost", "k", "v")  # Werkzeug 2's order is gone, as in 3
    # A cookie for a parent domain is sent to its subdomains unless origin_only.
    client.set_cookie("k", "sub", domain="example.test", origin_only=False)
    assert client.get("http://api.example.test/read").text == "sub"


def test_upload_mimetype_guessed_from_the_filename(app, client):
    import io

    @app.post("/up")
    def up():
        return {k: [f.filename, f.content_type] for k, f in request.files.items()}

    rv = client.post("/up", data={
        "a": (io.BytesIO(b"x"), "photo.png"),
        "b": (io.BytesIO(b"x"), "notes.unknownext"),
        "c": (io.BytesIO(b"x"), "data.json", "application/x-mine"),
    })
    assert rv.get_json() == {
        "a": ["photo.png", "image/png"],
        "b": ["notes.unknownext", "application/octet-stream"],
        "c": ["data.json", "application/x-mine"],
    }


def test_session_not_modified_by_a_request_that_does_not_touch_it(app, client):
    from stein import session

    app.secret_key = "modified-test-key-0123456789"

    @app.route("/nothing")
    def nothing():
        return ""

    @app.route("/read")
    def read():
        return str(session.get("x"))

    with client:
        rv = client.get("/nothing")
        assert not session.modified
        assert "Set-Cookie" not in rv.headers and "Cookie" not in rv.headers.get("Vary", "")
    with client:
        rv = client.get("/read")
        assert session.accessed and not session.modified
        assert "Set-Cookie" not in rv.headers and "Cookie" in rv.headers["Vary"]


def test_secret_key_as_class_attribute_of_an_app_subclass():
    from stein import Stein, session

    class KeyedApp(Stein):
        secret_key = "class-attribute-key-0123456789"

    app = KeyedApp("keyed")

    @app.route("/set")
    def set_():
        session["n"] = 7
        return "ok"

    @app.route("/get")
    def get():
        return str(session.get("n"))

    client = app.test_client()
    assert client.get("/set").headers.get("Set-Cookie", "").startswith("session=")
    assert client.get("/get").text == "7"


def test_werkzeug_client_on_a_plain_wsgi_app():
    from stein.testing import Client, TestResponse

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Set-Cookie", "seen=1; Path=/")])
        return [f"{environ['PATH_INFO']}|{environ.get('HTTP_COOKIE', '')}".encode()]

    c = Client(wsgi)
    rv = c.get("/x")
    assert isinstance(rv, TestResponse) and rv.text == "/x|"
    assert c.get("/y").text == "/y|seen=1" and c.get_cookie("seen").value == "1"
    assert rv.request.path == "/x" and rv.headers["Content-Type"] == "text/plain"


def test_run_wsgi_app_and_create_environ():
    from stein.testing import create_environ, run_wsgi_app

    def gen_app(environ, start_response):
        start_response("201 Created", [("X-A", "1")])
        yield b"a"
        yield b"b"

    env = create_environ("/p?q=1", "https://h.test:8443/root", method="PUT")
    assert (env["SCRIPT_NAME"], env["PATH_INFO"], env["QUERY_STRING"]) == ("/root", "/p", "q=1")
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["wsgi.url_scheme"]) == \
        ("h.test", "8443", "https")
    app_iter, status, headers = run_wsgi_app(gen_app, env)
    assert status == "201 Created" and headers["X-A"] == "1" and b"".join(app_iter) == b"ab"
    app_iter, _, _ = run_wsgi_app(gen_app, env, buffered=True)
    assert app_iter == [b"a", b"b"]


def test_environ_builder_parameters():
    import io
    import sys

    err = io.StringIO()
    b = EnvironBuilder("/x", method="post", data=b"12345", content_type="text/plain",
                       errors_stream=err, multithread=True, multiprocess=True, run_once=True,
                       environ_overrides={"REMOTE_ADDR": "1.2.3.4"}, headers=[("X-A", "1"),
                                                                             ("X-A", "2")])
    env = b.get_environ()
    assert env["REQUEST_METHOD"] == "POST" and env["CONTENT_LENGTH"] == "5"
    assert env["wsgi.errors"] is err and env["wsgi.multithread"] and env["wsgi.run_once"]
    assert env["REMOTE_ADDR"] == "1.2.3.4" and env["HTTP_X_A"] == "1, 2"
    assert "HTTP_CONTENT_TYPE" not in env and env["CONTENT_TYPE"] == "text/plain"
    assert EnvironBuilder().get_environ()["wsgi.errors"] is sys.stderr
    # mimetype adds the charset to text types; content_length may be stated.
    assert EnvironBuilder(mimetype="text/csv").content_type == "text/csv; charset=utf-8"
    assert EnvironBuilder(content_length=3, input_stream=io.BytesIO(b"abcdef")) \
        .get_environ()["CONTENT_LENGTH"] == "3"
    form = EnvironBuilder(method="POST", data={"a": "1"})
    assert form.form["a"] == "1" and form.mimetype == "application/x-www-form-urlencoded"
    form.files.add_file("f", io.BytesIO(b"data"), "f.txt")
    assert form.content_type == "multipart/form-data"
    env = form.get_environ()
    assert env["CONTENT_TYPE"].startswith("multipart/form-data; boundary=")
    assert b'filename="f.txt"' in env["wsgi.input"].read()
    with pytest.raises(ValueError):
        EnvironBuilder("/a?b=1", query_string="c=2")
    with pytest.raises(TypeError):
        EnvironBuilder(data="x", input_stream=io.BytesIO())
    again = EnvironBuilder.from_environ(EnvironBuilder("/p?x=1", "http://h.test/r").get_environ())
    assert (again.path, again.script_root, again.query_string, again.host) == \
        ("/p", "/r", "x=1", "h.test")


def test_flask_form_of_the_builder(app):
    app.config.update(SERVER_NAME="example.test:1234", APPLICATION_ROOT="/app")
    b = EnvironBuilder(app, "/x", subdomain="api", url_scheme="https")
    assert b.base_url == "https://api.example.test:1234/app/" and b.path == "/x"
    assert EnvironBuilder(app, "https://other.test/y").host == "other.test"
    with pytest.raises(ValueError):
        EnvironBuilder(app, base_url="http://a.test/", subdomain="x")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    assert EnvironBuilder(app, json="\u20ac").input_stream.read().decode() == '"\u20ac"'


def test_open_with_builder_or_environ_and_client_defaults(app, client):
    @app.route("/ip")
    def ip():
        return f"{request.remote_addr}|{request.user_agent.string}"

    builder = EnvironBuilder(app, "/ip")
    assert client.open(builder).text == "127.0.0.1|Stein/test"
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert client.open(builder.get_environ()).text == "10.0.0.2|Stein/test"
    mine = EnvironBuilder(app, "/ip", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert client.open(mine).text == "10.9.9.9|Stein/test"


def test_redirects_307_keep_body_and_external_refused(app, client):
    @app.route("/start", methods=["POST"])
    def start():
        return redirect("/end", 307)

    @app.route("/end", methods=["POST"])
    def end():
        return request.get_data()

    @app.route("/away")
    def away():
        return redirect("http://elsewhere.test/")

    rv = client.post("/start", data=b"body!", follow_redirects=True)
    assert rv.data == b"body!" and [r.status_code for r in rv.history] == [307]
    assert rv.request.path == "/end" and rv.history[0].request.path == "/start"
    with pytest.raises(RuntimeError, match="external"):
        client.get("/away", follow_redirects=True)


def test_session_transaction_keeps_the_callers_context(app, client):
    from stein import session

    app.secret_key = "transaction-key-0123456789"

    @app.route("/")
    def index():
        return str(session.get("k"))

    with app.test_request_context("/outer"):
        outer = request._get_current_object()
        with client.session_transaction() as sess:
            assert request._get_current_object() is outer
            sess["k"] = "v"
    assert client.get("/").text == "v"


def test_response_wrapper_combines_with_the_apps_response_class(app):
    from stein.testing import TestResponse

    class MyResponse(Response):
        def shout(self):
            return self.get_data(as_text=True).upper()

    app.response_class = MyResponse

    @app.route("/")
    def index():
        return "hi"

    rv = app.test_client().get("/")
    assert isinstance(rv, TestResponse) and isinstance(rv, MyResponse) and rv.shout() == "HI"


def test_response_headers_assignment_under_compat():
    from stein.response import allow_headers_assignment

    allow_headers_assignment(True)
    try:
        r = Response("x")
        r.headers = {"X-Mine": "1"}
        r.headers = [("X-List", "2")]
        assert r.headers["X-List"] == "2" and "X-Mine" not in r.headers
        r.set_cookie("a", "b")
        assert r.headers.getlist("Set-Cookie") == ["a=b; Path=/"]
    finally:
        allow_headers_assignment(False)
    assert "headers" not in Response.__dict__


def test_cli_runner_is_a_click_runner(app):
    from click.testing import CliRunner

    @app.cli.command("hello")
    def hello():
        print("hello from the app")

    runner = app.test_cli_runner()
    assert isinstance(runner, CliRunner)
    assert runner.invoke(args=["hello"]).output == "hello from the app\n"


def test_werkzeug_names_under_compat():
    import importlib

    import stein.compat

    was = stein.compat.is_installed()
    stein.compat.install()
    try:
        wt = importlib.import_module("werkzeug.test")
        ds = importlib.import_module("werkzeug.datastructures")
        ft = importlib.import_module("flask.testing")
        assert wt.EnvironBuilder is ft.EnvironBuilder and ft.FlaskClient is wt.TestClient
        files = ds.FileMultiDict()
        files.add_file("f", __file__)
        assert files["f"].content_type == "text/x-python"
        files["f"].close()
        client = importlib.import_module("flask").Flask("ua").test_client()
        assert client.environ_base["HTTP_USER_AGENT"].startswith("Werkzeug/")
    finally:
        if not was:
            stein.compat.uninstall()


def test_malformed_host_does_not_break_the_cookie_jar(app, client):
    @app.route("/")
    def index():
        return "ok"

    client.set_cookie("a", "b")
    for host in ("[bad", "\x8a", "a b"):
        rv = client.get("/", headers={"Host": host})
        assert rv.status_code in (200, 400)  # the app judges the Host; the client must not crash
    assert client.get_cookie("a").value == "b"
