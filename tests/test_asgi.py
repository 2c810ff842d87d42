"""The app served over ASGI in-process: same routing, hooks, handlers, sessions, templates;
body pre-read with limits, streaming both ways, disconnects, lifespan, the thread pool."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from asgi_helpers import acall, call, make_scope
from stein import (
    Response,
    Stein,
    abort,
    after_this_request,
    g,
    render_template_string,
    request,
    session,
    stream_with_context,
)
from stein.asgi import build_environ, stream_body


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- one object, two protocols ----------------------------------------------------------


def test_call_signature_selects_the_protocol(app: Stein) -> None:
    @app.route("/")
    def index() -> str:
        return "hi"

    # WSGI: an iterable body, through the test client.
    assert app.test_client().get("/").text == "hi"
    # ASGI 3: app(scope, receive, send) is a coroutine.
    assert call(app).text == "hi"
    # ASGI 2: app(scope) returns instance(receive, send), as uvicorn's auto mode calls it.
    instance = app(make_scope())
    assert callable(instance)

    async def asgi2() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)

        await instance(receive, send)
        return sent

    sent = run(asgi2())
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"hi"


def test_asgi_app_is_wrappable_like_wsgi_app(app: Stein) -> None:
    @app.route("/")
    def index() -> str:
        return "inner"

    inner = app.asgi_app

    async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send2(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                msg["headers"] = [*msg["headers"], (b"x-mw", b"1")]
            await send(msg)

        await inner(scope, receive, send2)

    app.asgi_app = middleware  # type: ignore[method-assign]
    res = call(app)
    assert res.text == "inner" and res.headers["x-mw"] == "1"


# -- the same request path ----------------------------------------------------------------


def test_routing_json_and_errors(app: Stein) -> None:
    @app.route("/users/<int:uid>")
    async def user(uid: int) -> Any:
        return {"id": uid, "q": request.args.get("q")}

    @app.post("/only-post")
    def only_post() -> str:
        return "posted"

    async def go() -> None:
        async with app.asgi_test_client() as c:
            r = await c.get("/users/7?q=x")
            assert r.status_code == 200 and r.json() == {"id": 7, "q": "x"}
            r = await c.get("/users/abc")
            assert r.status_code == 404 and "Not Found" in r.text
            r = await c.get("/only-post")
            assert r.status_code == 405 and "POST" in r.headers["allow"]
            r = await c.post("/only-post")
            assert r.status_code == 200 and r.text == "posted"

    run(go())


def test_hooks_and_handlers_sync_and_async(app: Stein) -> None:
    order: list[str] = []

    @app.before_request
    async def before_async() -> None:
        order.append("before-async")
        g.user = "ann"

    @app.before_request
    def before_sync() -> None:
        order.append("before-sync")

    @app.after_request
    async def after(resp: Response) -> Response:
        resp.headers["X-After"] = "1"
        return resp

    @app.errorhandler(403)
    async def forbidden(e: Exception) -> Any:
        return {"error": "no", "user": g.user}, 403

    @app.errorhandler(ValueError)
    def value_error(e: Exception) -> Any:
        return f"bad value: {e}", 400

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        order.append(f"teardown:{type(exc).__name__ if exc else None}")

    @app.route("/secret")
    async def secret() -> Any:
        abort(403)

    @app.route("/value")
    def value() -> Any:
        # A sync view with async hooks: the view goes to the pool, the hooks stay on the loop.
        order.append("view-thread:" + threading.current_thread().name.split("_")[0])
        raise ValueError("seven")

    @app.route("/hello")
    async def hello() -> Any:
        @after_this_request
        def add(resp: Response) -> Response:
            resp.headers["X-This"] = "yes"
            return resp

        return f"hello {g.user}"

    res = call(app, path="/secret")
    assert res.status == 403 and res.headers["x-after"] == "1"
    assert res.body == b'{"error":"no","user":"ann"}\n' or b'"user":"ann"' in res.body
    res = call(app, path="/value")
    assert res.status == 400 and res.text == "bad value: seven"
    assert "view-thread:stein-asgi" in order
    res = call(app, path="/hello")
    assert res.text == "hello ann" and res.headers["x-this"] == "yes" and res.headers["x-after"] == "1"
    assert order.count("before-async") == 3 and order.count("before-sync") == 3
    assert "teardown:None" in order


def test_all_sync_app_runs_whole_dispatch_in_pool(app: Stein) -> None:
    threads: list[str] = []

    @app.before_request
    def before() -> None:
        threads.append(threading.current_thread().name)

    @app.route("/")
    def index() -> str:
        threads.append(threading.current_thread().name)
        return "ok"

    app.config["ASGI_THREAD_POOL_SIZE"] = 3
    assert call(app).text == "ok"
    assert all(t.startswith("stein-asgi") for t in threads), threads
    assert app.__dict__["_asgi_pool"]._max_workers == 3


def test_async_view_runs_on_the_loop_thread(app: Stein) -> None:
    seen: list[bool] = []

    @app.route("/")
    async def index() -> str:
        seen.append(threading.current_thread() is threading.main_thread())
        return "ok"

    assert call(app).text == "ok" and seen == [True]


def test_unhandled_error_is_500_or_propagates(app: Stein) -> None:
    @app.route("/boom")
    async def boom() -> str:
        raise RuntimeError("kaput")

    @app.route("/boom-sync")
    def boom_sync() -> str:
        raise RuntimeError("kaput sync")

    with pytest.raises(RuntimeError, match="kaput"):
        call(app, path="/boom")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    res = call(app, path="/boom")
    assert res.status == 500 and "Internal Server Error" in res.text
    res = call(app, path="/boom-sync")
    assert res.status == 500 and "Internal Server Error" in res.text


def test_sessions_persist_over_asgi(app: Stein) -> None:
    app.secret_key = "s3cret"

    @app.route("/inc")
    async def inc() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    async def go() -> list[str]:
        async with app.asgi_test_client() as c:
            return [(await c.get("/inc")).text for _ in range(3)]

    assert run(go()) == ["1", "2", "3"]


def test_templates_render_under_asgi(app: Stein) -> None:
    @app.route("/t")
    async def t() -> str:
        return render_template_string("<p>{{ name }} {{ request.path }}</p>", name="<b>")

    assert call(app, path="/t").text == "<p>&lt;b&gt; /t</p>"


def test_head_and_204_have_no_body(app: Stein) -> None:
    @app.route("/")
    async def index() -> str:
        return "body"

    @app.route("/empty")
    async def empty() -> Any:
        return "", 204

    res = call(app, method="HEAD")
    assert res.status == 200 and res.body == b"" and res.headers["content-length"] == "4"
    res = call(app, path="/empty")
    assert res.status == 204 and res.body == b"" and "content-length" not in res.headers


def test_environ_from_scope() -> None:
    scope = make_scope("POST", "/mount/caf\u00e9", b"a=1", [("Content-Type", "text/plain"),
                       ("Cookie", "a=1"), ("Cookie", "b=2"), ("X-Multi", "1"), ("X-Multi", "2")],
                       root_path="/mount", scheme="https")
    env = build_environ(scope)
    assert env["SCRIPT_NAME"] == "/mount"
    assert env["PATH_INFO"] == "/caf\u00e9".encode().decode("latin-1")
    assert env["QUERY_STRING"] == "a=1" and env["CONTENT_TYPE"] == "text/plain"
    assert env["HTTP_COOKIE"] == "a=1; b=2" and env["HTTP_X_MULTI"] == "1, 2"
    assert env["wsgi.url_scheme"] == "https" and env["REMOTE_ADDR"] == "127.0.0.1"


def test_root_path_and_unicode_path(app: Stein) -> None:
    @app.route("/caf\u00e9")
    async def cafe() -> str:
        return f"{request.script_root} {request.path} {request.url}"

    res = call(app, path="/app/caf\u00e9", root_path="/app")
    assert res.text == "/app /caf\u00e9 http://testserver/app/caf%C3%A9"


# -- the request body ---------------------------------------------------------------------


def test_body_pre_read_keeps_form_and_json_sync(app: Stein) -> None:
    @app.post("/form")
    async def form() -> str:
        return f"{request.form['a']} {request.form.getlist('b')}"

    @app.post("/json")
    def json_view() -> Any:
        return {"echo": request.get_json()}

    res = call(app, "POST", "/form", headers=[("Content-Type", "application/x-www-form-urlencoded"),
                                               ("Content-Length", "11")],
               body=[b"a=1&b=", b"2&b=3"])
    assert res.status == 200 and res.text == "1 ['2', '3']"
    res = call(app, "POST", "/json", headers=[("Content-Type", "application/json")],
               body=[b'{"x":', b' [1, 2]}'])
    assert res.status == 200 and res.body == b'{"echo":{"x":[1,2]}}\n'


def test_multipart_upload_over_asgi(app: Stein) -> None:
    @app.post("/up")
    async def up() -> str:
        f = request.files["file"]
        return f"{request.form['title']} {f.filename} {len(f.read())}"

    async def go() -> Any:
        async with app.asgi_test_client() as c:
            return await c.post("/up", data={"title": "t"},
                                files={"file": ("a.bin", b"x" * 100_000, "application/octet-stream")})

    r = run(go())
    assert r.status_code == 200 and r.text == "t a.bin 100000"


def test_content_length_over_limit_is_413_without_reading(app: Stein) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    async def index() -> str:
        return request.get_data(as_text=True)

    res = call(app, "POST", "/", headers=[("Content-Length", "1000")], body=[b"x" * 500, b"x" * 500])
    assert res.status == 413 and "limit is 10 bytes" in res.text
    # Only the disconnect watch may have called receive; no body message was taken.
    assert res.receive_calls == 0


def test_chunked_body_over_limit_stops_reading(app: Stein) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    async def index() -> str:
        return request.get_data(as_text=True)

    chunks = [b"x" * 6] * 20
    res = call(app, "POST", "/", headers=[("Transfer-Encoding", "chunked")], body=chunks)
    assert res.status == 413 and "over the limit of 10 bytes" in res.text
    assert res.receive_calls == 2  # the byte past the limit ends the reading
    res = call(app, "POST", "/", headers=[("Transfer-Encoding", "chunked")], body=[b"abc", b"def"])
    assert res.status == 200 and res.text == "abcdef"


def test_stream_body_view_reads_chunks_as_they_come(app: Stein) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/up")
    @stream_body
    async def up() -> str:
        sizes = [len(chunk) async for chunk in request.stream()]
        return ",".join(map(str, sizes))

    @app.post("/bad")
    @stream_body
    async def bad() -> str:
        return request.get_data(as_text=True)

    @app.post("/normal")
    async def normal() -> str:
        # Pre-read body: request.stream() still works and yields it at once.
        return ",".join([str(len(c)) async for c in request.stream()])

    res = call(app, "POST", "/up", headers=[("Transfer-Encoding", "chunked")], body=[b"a" * 10, b"b" * 20, b"c" * 5])
    assert res.status == 200 and res.text == "10,20,5"
    res = call(app, "POST", "/up", headers=[("Transfer-Encoding", "chunked")], body=[b"a" * 60, b"b" * 60])
    assert res.status == 413 and "over the limit of 100 bytes" in res.text
    with pytest.raises(RuntimeError, match="marked stream_body"):
        call(app, "POST", "/bad", body=[b"x"])
    res = call(app, "POST", "/normal", headers=[("Content-Length", "6")], body=[b"abc", b"def"])
    assert res.text == "6"


# -- responses ------------------------------------------------------------------------------


def test_async_generator_is_streamed_in_chunks(app: Stein) -> None:
    @app.route("/")
    async def index() -> Any:
        async def gen() -> Any:
            for i in range(3):
                await asyncio.sleep(0)
                yield f"part{i};"

        return gen(), {"Content-Type": "text/plain"}

    res = call(app)
    assert res.status == 200 and res.chunks == [b"part0;", b"part1;", b"part2;"]
    assert res.headers["content-type"] == "text/plain"


def test_sync_generator_iterates_in_pool_with_context(app: Stein) -> None:
    @app.route("/")
    async def index() -> Any:
        @stream_with_context
        def gen() -> Any:
            yield request.args["a"]
            yield threading.current_thread().name.split("_")[0]

        return gen()

    res = call(app, query=b"a=hi")
    assert res.chunks == [b"hi", b"stein-asgi"]


def test_send_file_over_asgi(app: Stein, tmp_path: Any) -> None:
    from stein import send_file

    data = bytes(range(256)) * 1000
    p = tmp_path / "data.bin"
    p.write_bytes(data)

    @app.route("/f")
    async def f() -> Any:
        return send_file(str(p), conditional=True)

    res = call(app, path="/f")
    assert res.status == 200 and res.body == data
    assert res.headers["content-length"] == str(len(data))
    res = call(app, path="/f", headers=[("Range", "bytes=10-19")])
    assert res.status == 206 and res.body == data[10:20]


def test_disconnect_stops_generator_and_runs_teardown(app: Stein) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/forever")
    async def forever() -> Any:
        async def gen() -> Any:
            try:
                i = 0
                while True:
                    yield f"{i}\n"
                    i += 1
                    await asyncio.sleep(0.01)
            finally:
                events.append("gen-closed")

        return gen()

    @app.route("/forever-sync")
    def forever_sync() -> Any:
        def gen() -> Any:
            try:
                while True:
                    yield b"x"
                    threading.Event().wait(0.01)
            finally:
                events.append("sync-gen-closed")

        return gen()

    res = call(app, path="/forever", disconnect_after_chunks=3)
    assert res.status == 200 and len(res.chunks) in (3, 4)
    assert events == ["gen-closed", "teardown"]
    events.clear()
    res = call(app, path="/forever-sync", disconnect_after_chunks=2)
    assert len(res.chunks) >= 2
    assert events == ["sync-gen-closed", "teardown"]


# -- lifespan -------------------------------------------------------------------------------


async def _lifespan(app: Stein, steps: list[str]) -> list[dict[str, Any]]:
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    out: list[dict[str, Any]] = []
    for s in steps:
        incoming.put_nowait({"type": f"lifespan.{s}"})

    async def send(msg: dict[str, Any]) -> None:
        out.append(msg)

    await asyncio.wait_for(app({"type": "lifespan", "asgi": {"version": "3.0"}}, incoming.get, send), 5)
    return out


def test_lifespan_runs_startup_and_shutdown(app: Stein) -> None:
    events: list[str] = []

    @app.on_startup
    def sync_start() -> None:
        events.append("start-sync " + app.name)

    @app.on_startup
    async def async_start() -> None:
        from stein import current_app

        events.append(f"start-async {current_app.name}")

    @app.on_shutdown
    async def stop() -> None:
        events.append("stop")

    out = run(_lifespan(app, ["startup", "shutdown"]))
    assert [m["type"] for m in out] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["start-sync test_app", "start-async test_app", "stop"]


def test_lifespan_startup_failure_is_reported(app: Stein) -> None:
    @app.on_startup
    async def broken() -> None:
        raise ConnectionError("database down")

    out = run(_lifespan(app, ["startup"]))
    assert out == [{"type": "lifespan.startup.failed", "message": "ConnectionError: database down"}]


def test_startup_runs_on_first_request_without_lifespan(app: Stein) -> None:
    events: list[str] = []

    @app.on_startup
    async def start() -> None:
        events.append("start")

    @app.route("/")
    async def index() -> str:
        return "ok"

    assert call(app).text == "ok" and call(app).text == "ok"
    assert events == ["start"]


def test_wsgi_startup_on_first_request_and_shutdown_at_exit(app: Stein, monkeypatch: Any) -> None:
    import atexit

    events: list[str] = []
    registered: list[Any] = []
    monkeypatch.setattr(atexit, "register", lambda f, *a: registered.append((f, a)))

    @app.on_startup
    async def start() -> None:
        events.append("start")

    @app.on_shutdown
    def stop() -> None:
        events.append("stop")

    @app.route("/")
    def index() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/").text == "ok" and client.get("/").text == "ok"
    assert events == ["start"] and len(registered) == 1
    func, args = registered[0]
    func(*args)
    assert events == ["start", "stop"]


def test_concurrent_requests_share_one_startup(app: Stein) -> None:
    events: list[str] = []

    @app.on_startup
    async def start() -> None:
        await asyncio.sleep(0.05)
        events.append("start")

    @app.route("/")
    async def index() -> str:
        return "started" if events else "too early"

    async def go() -> list[str]:
        results = await asyncio.gather(*(acall(app) for _ in range(10)))
        return [r.text for r in results]

    assert run(go()) == ["started"] * 10 and events == ["start"]


def test_other_scope_types_are_refused(app: Stein) -> None:
    with pytest.raises(ValueError, match="Unknown ASGI scope type 'foo'"):
        async def receive() -> dict[str, Any]:
            return {}

        async def send(msg: dict[str, Any]) -> None:
            return None

        run(app({"type": "foo"}, receive, send))
