"""The application: return types, hooks, error handlers, streaming, signals, logging."""

from __future__ import annotations

import logging

import pytest

from stein import (
    Response,
    Stein,
    abort,
    after_this_request,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from stein.datastructures import Headers
from stein.exceptions import BadRequest, HTTPException, InternalServerError, NotFound

# -- return types ----------------------------------------------------------------------


def test_return_types(app, client):
    @app.route("/str")
    def s():
        return "text é"

    @app.route("/bytes")
    def b():
        return b"\x00\x01"

    @app.route("/dict")
    def d():
        return {"a": 1}

    @app.route("/list")
    def lst():
        return [1, "two"]

    @app.route("/resp")
    def resp():
        return Response("made", 201, {"X-A": "1"}, mimetype="text/plain")

    @app.route("/gen")
    def gen():
        def chunks():
            yield "a"
            yield b"b"
            yield "c"

        return chunks()

    rv = client.get("/str")
    assert rv.status_code == 200
    assert rv.text == "text é"
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len("text é".encode()))
    assert client.get("/bytes").data == b"\x00\x01"
    rv = client.get("/dict")
    assert rv.get_json() == {"a": 1}
    assert rv.mimetype == "application/json"
    assert client.get("/list").get_json() == [1, "two"]
    rv = client.get("/resp")
    assert (rv.status_code, rv.text, rv.headers["X-A"], rv.mimetype) == (201, "made", "1", "text/plain")
    rv = client.get("/gen")
    assert rv.data == b"abc"
    assert "Content-Length" not in rv.headers


def test_tuple_return_forms(app, client):
    @app.route("/status")
    def status():
        return "created", 201

    @app.route("/status-str")
    def status_str():
        return "odd", "299 Custom Reason"

    @app.route("/headers")
    def headers():
        return "h", {"X-Test": "yes"}

    @app.route("/header-list")
    def header_list():
        return "h", [("X-Multi", "1"), ("X-Multi", "2")]

    @app.route("/all")
    def all_three():
        return {"ok": True}, 202, {"X-Kind": "json"}

    @app.route("/resp-tuple")
    def resp_tuple():
        return Response("r"), 404, Headers([("X-R", "1")])

    @app.route("/bad-tuple")
    def bad_tuple():
        return "a", 200, {}, "extra"

    rv = client.get("/status")
    assert (rv.status_code, rv.text) == (201, "created")
    rv = client.get("/status-str")
    assert rv.status == "299 Custom Reason" and rv.status_code == 299
    assert client.get("/headers").headers["X-Test"] == "yes"
    assert client.get("/header-list").headers.getlist("X-Multi") == ["1", "2"]
    rv = client.get("/all")
    assert (rv.status_code, rv.get_json(), rv.headers["X-Kind"]) == (202, {"ok": True}, "json")
    rv = client.get("/resp-tuple")
    assert (rv.status_code, rv.text, rv.headers["X-R"]) == (404, "r", "1")
    with pytest.raises(TypeError, match="valid response tuple"):
        client.get("/bad-tuple")


def test_view_returning_none_names_the_view(app, client):
    @app.route("/none")
    def forgot_return():
        pass

    with pytest.raises(TypeError) as ei:
        client.get("/none")
    assert "forgot_return" in str(ei.value)
    assert "did not return a valid response" in str(ei.value)


def test_view_returning_wrong_type(app, client):
    @app.route("/int")
    def int_view():
        return 42

    with pytest.raises(TypeError, match="but it was a int"):
        client.get("/int")


def test_wsgi_app_and_http_exception_as_return(app, client):
    def wsgi(environ, start_response):
        start_response("203 Whatever", [("X-W", "1"), ("Content-Type", "text/plain")])
        return [b"from wsgi"]

    @app.route("/wsgi")
    def w():
        return wsgi

    @app.route("/exc")
    def e():
        return NotFound("returned, not raised")

    rv = client.get("/wsgi")
    assert (rv.status_code, rv.text, rv.headers["X-W"]) == (203, "from wsgi", "1")
    rv = client.get("/exc")
    assert rv.status_code == 404 and "returned, not raised" in rv.text


def test_make_response_helper(app, client):
    @app.route("/mr")
    def mr():
        resp = make_response("body", 202)
        resp.headers["X-Made"] = "1"
        return resp

    @app.route("/mr-empty")
    def mr_empty():
        resp = make_response()
        resp.status_code = 204
        return resp

    @app.route("/mr-dict")
    def mr_dict():
        return make_response({"k": "v"}, 200, {"X-D": "d"})

    rv = client.get("/mr")
    assert (rv.status_code, rv.text, rv.headers["X-Made"]) == (202, "body", "1")
    rv = client.get("/mr-empty")
    assert rv.status_code == 204 and rv.data == b""
    assert "Content-Length" not in rv.headers
    rv = client.get("/mr-dict")
    assert rv.get_json() == {"k": "v"} and rv.headers["X-D"] == "d"


def test_jsonify_and_redirect(app, client):
    @app.route("/j")
    def j():
        return jsonify(a=1, b=[1, 2])

    @app.route("/j2")
    def j2():
        return jsonify(1, 2)

    @app.route("/go")
    def go():
        return redirect(url_for("j"))

    @app.route("/go301")
    def go301():
        return redirect("/j", 301)

    assert client.get("/j").get_json() == {"a": 1, "b": [1, 2]}
    assert client.get("/j2").get_json() == [1, 2]
    rv = client.get("/go")
    assert rv.status_code == 302 and rv.headers["Location"] == "/j"
    assert 'href="/j"' in rv.text
    assert client.get("/go301").status_code == 301
    with pytest.raises(ValueError, match="CR or LF"):
        redirect("/x\r\nSet-Cookie: a=b")


def test_async_view(app, client):
    @app.route("/async")
    async def av():
        return "async ok"

    @app.before_request
    async def before():
        g.seen = True

    assert client.get("/async").text == "async ok"


# -- hooks -----------------------------------------------------------------------------


def test_hook_order_and_after_request(app, client):
    calls = []

    @app.before_request
    def b1():
        calls.append("before1")

    @app.before_request
    def b2():
        calls.append("before2")

    @app.after_request
    def a1(resp):
        calls.append("after1")
        resp.headers["X-After1"] = "1"
        return resp

    @app.after_request
    def a2(resp):
        calls.append("after2")
        return resp

    @app.teardown_request
    def t(exc):
        calls.append(("teardown", exc))

    @app.teardown_appcontext
    def tac(exc):
        calls.append(("appctx", exc))

    @app.route("/")
    def index():
        calls.append("view")
        return "ok"

    rv = client.get("/")
    assert rv.headers["X-After1"] == "1"
    # after_request hooks run in reverse registration order, like Flask.
    assert calls == ["before1", "before2", "view", "after2", "after1",
                     ("teardown", None), ("appctx", None)]


def test_before_request_short_circuits(app, client):
    called = []

    @app.before_request
    def gate():
        if request.args.get("block"):
            return "blocked", 403
        return None

    @app.before_request
    def second():
        called.append("second")

    @app.after_request
    def after(resp):
        resp.headers["X-After"] = "ran"
        return resp

    @app.route("/")
    def index():
        called.append("view")
        return "open"

    rv = client.get("/?block=1")
    assert (rv.status_code, rv.text, rv.headers["X-After"]) == (403, "blocked", "ran")
    assert called == []
    assert client.get("/").text == "open"
    assert called == ["second", "view"]


def test_teardown_request_gets_the_exception(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen = {}

    @app.teardown_request
    def t(exc):
        seen["request"] = exc

    @app.teardown_appcontext
    def tac(exc):
        seen["app"] = exc

    @app.route("/boom")
    def boom():
        raise ZeroDivisionError("bad math")

    rv = app.test_client().get("/boom")
    assert rv.status_code == 500
    assert isinstance(seen["request"], ZeroDivisionError)
    assert isinstance(seen["app"], ZeroDivisionError)


def test_after_this_request(app, client):
    @app.route("/")
    def index():
        @after_this_request
        def add(resp):
            resp.headers["X-Once"] = "yes"
            return resp

        return "x"

    @app.route("/other")
    def other():
        return "y"

    assert client.get("/").headers["X-Once"] == "yes"
    assert "X-Once" not in client.get("/other").headers


def test_after_this_request_outside_context():
    with pytest.raises(RuntimeError):
        after_this_request(lambda r: r)


# -- errors ----------------------------------------------------------------------------


def test_errorhandler_by_code_and_class(app, client):
    class AppError(Exception):
        pass

    class SpecificError(AppError):
        pass

    @app.errorhandler(404)
    def not_found(e):
        return f"custom 404: {e.description}", 404

    @app.errorhandler(AppError)
    def app_error(e):
        return f"app error {type(e).__name__}", 409

    @app.route("/specific")
    def specific():
        raise SpecificError()

    @app.route("/abort")
    def ab():
        abort(404, "nothing here")

    rv = client.get("/missing")
    assert rv.status_code == 404 and rv.text.startswith("custom 404: The requested URL")
    assert client.get("/abort").text == "custom 404: nothing here"
    rv = client.get("/specific")
    assert (rv.status_code, rv.text) == (409, "app error SpecificError")


def test_errorhandler_mro_prefers_closest(app, client):
    class Base(Exception):
        pass

    class Child(Base):
        pass

    @app.errorhandler(Base)
    def base(e):
        return "base", 500

    @app.errorhandler(Child)
    def child(e):
        return "child", 500

    @app.errorhandler(HTTPException)
    def any_http(e):
        return f"http {e.code}", e.code

    @app.route("/c")
    def c():
        raise Child()

    @app.route("/b")
    def b():
        raise Base()

    @app.route("/teapot")
    def teapot():
        abort(418)

    assert client.get("/c").text == "child"
    assert client.get("/b").text == "base"
    rv = client.get("/teapot")
    assert (rv.status_code, rv.text) == (418, "http 418")
    assert client.get("/nothing").text == "http 404"


def test_register_error_handler_and_validation(app, client):
    def handler(e):
        return "bad request handled", 400

    app.register_error_handler(BadRequest, handler)
    with pytest.raises(ValueError):
        app.register_error_handler(999, handler)
    with pytest.raises(TypeError):
        app.register_error_handler(NotFound(), handler)

    @app.route("/")
    def index():
        raise BadRequest()

    assert client.get("/").text == "bad request handled"


def test_unhandled_exception_500_or_propagate(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    with pytest.raises(RuntimeError, match="kaboom"):
        app.test_client().get("/boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    rv = app.test_client().get("/boom")
    assert rv.status_code == 500
    assert "Internal Server Error" in rv.text
    assert "kaboom" not in rv.text


def test_500_handler_gets_original_exception(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(500)
    def on_500(e):
        assert isinstance(e, InternalServerError)
        return f"oops: {type(e.original_exception).__name__}", 500

    @app.route("/boom")
    def boom():
        raise KeyError("x")

    rv = app.test_client().get("/boom")
    assert (rv.status_code, rv.text) == (500, "oops: KeyError")


def test_error_in_error_handler_propagates_as_500(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(404)
    def broken(e):
        raise ValueError("handler broke")

    rv = app.test_client().get("/missing")
    assert rv.status_code == 500


def test_unhandled_exception_is_logged(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("logged boom")

    with caplog.at_level(logging.ERROR, logger=app.name):
        app.test_client().get("/boom")
    assert any("Exception on /boom [GET]" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info and "logged boom" in str(r.exc_info[1]) for r in caplog.records)


def test_trap_http_exceptions(app, client):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/")
    def index():
        abort(404)

    with pytest.raises(NotFound):
        client.get("/")


def test_bad_request_key_error_through_request(app, client):
    @app.route("/q")
    def q():
        return request.args["needed"]

    @app.route("/f", methods=["POST"])
    def f():
        return request.form["field"]

    # The page does not name the missing key outside debug mode.
    rv = client.get("/q")
    assert rv.status_code == 400
    assert "needed" not in rv.text
    rv = client.post("/f", data={"other": "1"})
    assert rv.status_code == 400
    assert "field" not in rv.text
    # With TRAP_BAD_REQUEST_ERRORS off, debug mode still answers 400, naming the key.
    app.config.update(DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False)
    rv = client.get("/q")
    assert rv.status_code == 400 and "KeyError: &#x27;needed&#x27;" in rv.text
    assert client.post("/f", data={"field": "v"}).text == "v"


def test_bad_request_key_error_trapped_in_debug(app, client):
    app.config["DEBUG"] = True

    @app.route("/q")
    def q():
        return request.args["needed"]

    with pytest.raises(KeyError):
        client.get("/q")


# -- streaming -------------------------------------------------------------------------


def test_streamed_response_direct_passthrough(app, client):
    @app.route("/stream")
    def stream():
        def gen():
            for i in range(3):
                yield f"{i},".encode()

        return Response(gen(), mimetype="text/csv", direct_passthrough=True)

    rv = client.get("/stream")
    assert rv.data == b"0,1,2,"
    assert rv.mimetype == "text/csv"


def test_stream_with_context_teardown_after_stream(app):
    events = []

    @app.teardown_request
    def t(exc):
        events.append("teardown")

    @app.route("/s")
    def s():
        def gen():
            events.append(f"start {request.path}")
            yield "a"
            events.append(f"middle {request.args['x']}")
            yield "b"

        return stream_with_context(gen())

    @app.route("/deco")
    def deco():
        @stream_with_context
        def gen():
            yield request.method

        return gen()

    app_iter = app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/s", "QUERY_STRING": "x=1",
         "SERVER_NAME": "localhost", "SERVER_PORT": "80", "wsgi.url_scheme": "http"},
        lambda status, headers, exc_info=None: None,
    )
    assert events == []
    # Returning the stream must not leave the request context set in the caller.
    assert not has_request_context() and not has_app_context()
    body = b"".join(app_iter)
    assert body == b"ab"
    assert events == ["start /s", "middle 1"]
    app_iter.close()
    assert events == ["start /s", "middle 1", "teardown"]
    assert not has_request_context() and not has_app_context()
    assert app.test_client().get("/deco").text == "GET"


def test_streaming_response_close_called(app, client):
    closed = []

    class Body:
        def __iter__(self):
            yield b"x"

        def close(self):
            closed.append(True)

    @app.route("/")
    def index():
        return Response(Body())

    assert client.get("/").data == b"x"
    assert closed == [True]


# -- signals ---------------------------------------------------------------------------


def test_signals_sent(app):
    import stein.signals as sig

    app.config["PROPAGATE_EXCEPTIONS"] = False
    got = []

    def rec(name):
        def receiver(sender, **extra):
            assert sender is app
            got.append((name, sorted(extra)))

        return receiver

    receivers = {
        sig.request_started: rec("started"),
        sig.request_finished: rec("finished"),
        sig.got_request_exception: rec("exception"),
        sig.request_tearing_down: rec("tearing_down"),
        sig.appcontext_tearing_down: rec("appctx_tearing_down"),
        sig.appcontext_pushed: rec("pushed"),
        sig.appcontext_popped: rec("popped"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, app)

    @app.route("/")
    def index():
        return "ok"

    @app.route("/boom")
    def boom():
        raise RuntimeError("x")

    try:
        client = app.test_client()
        client.get("/")
        names = [n for n, _ in got]
        assert names == ["pushed", "started", "finished", "tearing_down",
                         "appctx_tearing_down", "popped"]
        assert ("finished", ["response"]) in got
        assert ("tearing_down", ["exc"]) in got
        got.clear()
        assert client.get("/boom").status_code == 500
        assert ("exception", ["exception"]) in got
        got.clear()
        with app.app_context():
            pass
        assert [n for n, _ in got] == ["pushed", "appctx_tearing_down", "popped"]
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)


def test_no_receivers_means_nothing_happens(app, client):
    import stein.signals as sig

    @app.route("/")
    def index():
        return "fine"

    assert not sig.request_started.receivers
    assert client.get("/").text == "fine"


def test_signal_for_other_app_not_received(app, client):
    import stein.signals as sig

    other = Stein("other")
    got = []

    def receiver(sender, **extra):
        got.append(sender)

    sig.request_started.connect(receiver, other)
    try:

        @app.route("/")
        def index():
            return "x"

        client.get("/")
        assert got == []
    finally:
        sig.request_started.disconnect(receiver)


def test_message_flashed_and_template_signals_exist():
    import stein
    import stein.signals as sig

    for name in ("template_rendered", "before_render_template", "message_flashed"):
        assert getattr(stein, name) is getattr(sig, name)


# -- misc app API ----------------------------------------------------------------------


def test_logger(app):
    logger = app.logger
    assert isinstance(logger, logging.Logger)
    assert logger.name == "test_app"
    assert logger is app.logger
    assert logger.handlers or logging.getLogger().handlers


def test_debug_testing_secret_key_properties(app):
    assert app.testing is True
    app.debug = True
    assert app.config["DEBUG"] is True and app.debug
    app.secret_key = "s3"
    assert app.config["SECRET_KEY"] == "s3"
    app.testing = False
    assert app.config["TESTING"] is False


def test_endpoint_decorator(app, client):
    app.add_url_rule("/ep", "named")

    @app.endpoint("named")
    def named():
        return "by endpoint"

    assert client.get("/ep").text == "by endpoint"


def test_instance_path_and_resources(tmp_path):
    (tmp_path / "data.txt").write_text("resource text")
    inst = tmp_path / "instance"
    inst.mkdir()
    app = Stein("res", root_path=str(tmp_path), instance_path=str(inst))
    assert app.instance_path == str(inst)
    with app.open_resource("data.txt") as f:
        assert f.read() == b"resource text"
    with app.open_resource("data.txt", "r") as f:
        assert f.read() == "resource text"
    with app.open_instance_resource("out.txt", "w") as f:
        f.write("written")
    with app.open_instance_resource("out.txt") as f:
        assert f.read() == b"written"
    with pytest.raises(ValueError):
        app.open_resource("data.txt", "w")
    with pytest.raises(ValueError, match="absolute"):
        Stein("res", instance_path="relative/path")
    default = Stein("res2", root_path=str(tmp_path))
    assert default.instance_path == str(tmp_path / "instance")


def test_instance_relative_config(tmp_path):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "cfg.py").write_text("VALUE = 'from instance'\n")
    app = Stein("rel", instance_path=str(inst), instance_relative_config=True)
    assert app.config.from_pyfile("cfg.py")
    assert app.config["VALUE"] == "from instance"


def test_signals_sent_under_asgi_in_the_same_order(app):
    import asyncio

    import stein.signals as sig

    got = []

    def rec(name):
        def receiver(sender, **extra):
            assert sender is app
            got.append(name)

        return receiver

    receivers = {
        sig.appcontext_pushed: rec("pushed"),
        sig.request_started: rec("started"),
        sig.request_finished: rec("finished"),
        sig.request_tearing_down: rec("tearing_down"),
        sig.appcontext_tearing_down: rec("appctx_tearing_down"),
        sig.appcontext_popped: rec("popped"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, app)

    @app.route("/")
    async def index():
        return "ok"

    async def run():
        async with app.asgi_test_client() as c:
            r = await c.get("/")
            assert r.status_code == 200 and r.text == "ok"

    try:
        asyncio.run(run())
        # The request, as under WSGI; then the client's lifespan shutdown runs in an app
        # context of its own.
        assert got == ["pushed", "started", "finished", "tearing_down",
                       "appctx_tearing_down", "popped",
                       "pushed", "appctx_tearing_down", "popped"]
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)


# -- setup and identity (Flask 3 behaviour) ------------------------------------------


def test_setup_methods_raise_after_the_first_request_in_debug_mode(app, client):
    from stein import Blueprint

    app.route("/")(lambda: "ok")
    bp = Blueprint("late", __name__)
    assert client.get("/").text == "ok"
    # Outside debug mode a late registration applies to every later request.
    app.add_url_rule("/later", "later", lambda: "later")
    assert client.get("/later").text == "later"
    app.debug = True
    for register in (lambda: app.add_url_rule("/foo", endpoint="late"),
                     lambda: app.before_request(lambda: None),
                     lambda: app.errorhandler(404)(lambda e: "x"),
                     lambda: app.teardown_appcontext(lambda e: None),
                     lambda: app.add_template_filter(str.upper),
                     lambda: app.register_blueprint(bp)):
        with pytest.raises(AssertionError, match="setup method '\\w+'.*already handled"):
            register()
    # A blueprint is closed for changes once registered.
    fresh = Stein(__name__)
    parent = Blueprint("parent", __name__)
    fresh.register_blueprint(parent)
    with pytest.raises(AssertionError, match="setup method 'add_url_rule'.*'parent'"):
        parent.route("/x")(lambda: "x")


def test_config_attributes_set_in_a_subclass_body():
    class MyApp(Stein):
        secret_key = "a-class-level-secret-key-long-enough-to-sign"
        testing = True

    app = MyApp(__name__)
    assert app.config["SECRET_KEY"] == app.secret_key == "a-class-level-secret-key-long-enough-to-sign"
    assert app.testing is True and app.config["TESTING"] is True
    # Still one value: setting the attribute updates the config.
    app.secret_key = "another-secret-key-that-is-long-enough-too"
    assert app.config["SECRET_KEY"] == "another-secret-key-that-is-long-enough-too"

    @app.route("/set")
    def set_it():
        from stein import session

        session["n"] = 1
        return "set"

    assert "session=" in app.test_client().get("/set").headers["Set-Cookie"]
    assert Stein(__name__).config["SECRET_KEY"] is None

    class FromEnv(Stein):
        @property
        def secret_key(self):  # a subclass's own property stays in charge
            return "from-a-property-and-long-enough-to-sign-with"

    assert FromEnv(__name__).secret_key == "from-a-property-and-long-enough-to-sign-with"
    assert FromEnv(__name__).config["SECRET_KEY"] is None


def test_app_is_freed_without_the_garbage_collector():
    import gc
    import weakref

    gc.disable()
    try:
        app = Stein(__name__)
        assert app.view_functions["static"]
        ref = weakref.ref(app)
        del app
        assert ref() is None
    finally:
        gc.enable()


def test_run_keeps_an_explicit_port_zero(app, monkeypatch):
    import stein.serving

    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(stein.serving, "run_simple", lambda h, p, *a, **k: seen.append((h, p)))
    app.config["SERVER_NAME"] = "localhost:8080"
    app.run("localhost", 0)
    app.run()
    assert seen == [("localhost", 0), ("localhost", 8080)]


def test_should_ignore_error_hides_the_error_from_teardown(client):
    class Quiet(Stein):
        def should_ignore_error(self, error):
            return isinstance(error, LookupError)

    seen: list[object] = []
    for cls in (Stein, Quiet):
        app = cls(__name__)
        app.teardown_request(seen.append)

        @app.route("/")
        def boom():
            raise LookupError("expected")

        assert app.test_client().get("/").status_code == 500
    assert isinstance(seen[0], LookupError) and seen[1] is None


def test_make_aborter_uses_aborter_class():
    from stein.exceptions import Aborter

    class MyAborter(Aborter):
        pass

    class MyApp(Stein):
        aborter_class = MyAborter

    assert isinstance(MyApp(__name__).aborter, MyAborter)


def test_subdomain_matching_refuses_hosts_outside_server_name():
    app = Stein(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test:3000"
    app.route("/")(lambda: ("", 204))
    c = app.test_client()
    assert c.get("/", "http://example.test:3000/").status_code == 204
    assert c.get("/", "http://127.0.0.1:3000/").status_code == 404
    assert c.get("/", "http://www.example.test:3000/").status_code == 404


@pytest.mark.parametrize("module", [
    "stein.app", "stein.blueprints", "stein.ctx", "stein.errors", "stein.local",
    "stein.loops", "stein.matching", "stein.scaffold", "stein.signals", "stein.templating",
    "stein.viewresults", "stein.views",
])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
