"""Contexts: request, g, current_app, and the helpers that carry them."""

from __future__ import annotations

import threading

import pytest

from stein import (
    Stein,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    stream_with_context,
)


def test_proxies_outside_context_raise():
    assert not has_request_context() and not has_app_context()
    with pytest.raises(RuntimeError, match="request context"):
        _ = request.path
    with pytest.raises(RuntimeError, match="application context"):
        _ = current_app.name
    with pytest.raises(RuntimeError, match="application context"):
        g.x = 1
    with pytest.raises(RuntimeError):
        session.get("a")


def test_app_context(app):
    with app.app_context():
        assert has_app_context() and not has_request_context()
        assert current_app.name == "test_app"
        assert current_app._get_current_object() is app
        g.value = 1
        assert g.value == 1
    assert not has_app_context()
    with app.app_context():
        assert "value" not in g


def test_g_namespace(app):
    with app.app_context():
        assert g.get("x") is None
        assert g.get("x", 5) == 5
        assert "x" not in g
        assert g.setdefault("x", [1]) == [1]
        assert g.setdefault("x", [2]) == [1]
        assert "x" in g
        assert g.pop("x") == [1]
        assert g.pop("x", "gone") == "gone"
        with pytest.raises(KeyError):
            g.pop("x")
        g.a = 1
        g.b = 2
        assert sorted(g) == ["a", "b"]
        with pytest.raises(AttributeError):
            _ = g.missing
        del g.a
        assert "a" not in g


def test_g_is_per_request(app, client):
    @app.route("/")
    def index():
        before = g.get("count")
        g.count = 1
        return str(before)

    assert client.get("/").text == "None"
    assert client.get("/").text == "None"


def test_test_request_context(app):
    @app.route("/users/<int:id>", methods=["GET", "POST"])
    def user(id):
        return ""

    with app.test_request_context("/users/4?x=1", method="POST", headers={"X-A": "a"}):
        assert has_request_context() and has_app_context()
        assert request.path == "/users/4"
        assert request.method == "POST"
        assert request.args["x"] == "1"
        assert request.headers["X-A"] == "a"
        assert request.endpoint == "user" and request.view_args == {"id": 4}
        assert current_app._get_current_object() is app
    assert not has_request_context()


def test_nested_request_contexts_restore(app):
    with app.test_request_context("/outer"):
        with app.test_request_context("/inner"):
            assert request.path == "/inner"
        assert request.path == "/outer"


def test_app_context_pushed_by_request_is_reused(app):
    with app.app_context():
        g.shared = "yes"
        with app.test_request_context("/"):
            assert g.shared == "yes"


def test_request_context_teardown_runs_on_pop(app):
    seen = []

    @app.teardown_request
    def t(exc):
        seen.append(exc)

    ctx = app.test_request_context("/")
    ctx.push()
    assert request.path == "/"
    ctx.pop()
    assert seen == [None]
    assert not has_request_context()


def test_copy_current_request_context_in_thread(app, client):
    results = {}

    @app.route("/work")
    def work():
        @copy_current_request_context
        def in_thread():
            results["path"] = request.path
            results["arg"] = request.args["n"]
            results["app"] = current_app.name

        t = threading.Thread(target=in_thread)
        t.start()
        t.join(timeout=5)
        return "started"

    assert client.get("/work?n=3").text == "started"
    assert results == {"path": "/work", "arg": "3", "app": "test_app"}


def test_copy_current_request_context_needs_request():
    with pytest.raises(RuntimeError, match="request context"):
        copy_current_request_context(lambda: None)


def test_context_is_per_thread(app):
    seen = {}

    def other():
        seen["has"] = has_request_context()

    with app.test_request_context("/"):
        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=5)
    assert seen == {"has": False}


def test_stream_with_context_keeps_request(app, client):
    torn_down = []

    @app.teardown_request
    def t(exc):
        # The request is still there for teardown after the stream ended.
        torn_down.append(request.path)

    @app.route("/stream")
    def stream():
        def gen():
            yield "hello "
            yield request.args["name"]
            yield f" {g.get('flag')}"

        g.flag = "on"
        return stream_with_context(gen())

    rv = client.get("/stream?name=ann")
    assert rv.text == "hello ann on"
    assert torn_down == ["/stream"]
    assert not has_request_context() and not has_app_context()


def test_stream_with_context_outside_request():
    with pytest.raises(RuntimeError, match="request context"):
        stream_with_context(iter(["x"]))


def test_with_client_keeps_context(app):
    @app.route("/set")
    def set_view():
        g.marker = "kept"
        return "ok"

    client = app.test_client()
    with client:
        client.get("/set?a=1")
        assert request.args["a"] == "1"
        assert g.marker == "kept"
        assert current_app._get_current_object() is app
    assert not has_request_context()


def test_two_apps_do_not_share_context():
    a, b = Stein("a"), Stein("b")

    @b.route("/")
    def index():
        return current_app.name

    with a.app_context():
        assert b.test_client().get("/").text == "b"
        assert current_app.name == "a"


def test_session_proxy_item_access_opens_the_session_and_fails_outside_a_request() -> None:
    from stein import Stein, session

    app = Stein(__name__)
    app.secret_key = "a-test-secret-key-that-is-long-enough"
    for use in (lambda: session["k"], lambda: "k" in session, lambda: session.get("k"),
                lambda: session.__setitem__("k", 1)):
        with pytest.raises(RuntimeError, match="request context"):
            use()
    with app.test_request_context("/"):
        assert "k" not in session
        session["k"] = 1
        assert session["k"] == 1 and "k" in session and session.get("k") == 1
        assert session.modified


def test_proxies_can_be_unwrapped_outside_a_context() -> None:
    import inspect

    from stein import current_app, g, request, session
    from stein.ctx import app_ctx

    # inspect.unwrap (doctest, pytest collection) must not need a context.
    for proxy in (request, session, g, current_app, app_ctx):
        assert hasattr(proxy, "__wrapped__")
        inspect.unwrap(proxy)
