"""``async def`` views and hooks: under WSGI on the per-thread reused loop, under ASGI on
the server's loop; context variables stay per request across concurrent tasks."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgi_helpers import acall
from stein import Response, Stein, abort, current_app, g, request, session


def test_async_view_and_hooks_through_the_wsgi_test_client(app: Stein) -> None:
    @app.before_request
    async def before() -> None:
        g.who = request.args.get("who", "nobody")

    @app.after_request
    async def after(resp: Response) -> Response:
        resp.headers["X-Who"] = g.who
        return resp

    @app.errorhandler(404)
    async def missing(e: Exception) -> Any:
        return {"missing": request.path}, 404

    @app.route("/hi")
    async def hi() -> str:
        await asyncio.sleep(0)
        return f"hi {g.who}"

    @app.route("/teapot")
    async def teapot() -> str:
        abort(418)

    client = app.test_client()
    r = client.get("/hi?who=ann")
    assert r.status_code == 200 and r.text == "hi ann" and r.headers["X-Who"] == "ann"
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.get_json() == {"missing": "/nowhere"}
    r = client.get("/teapot")
    assert r.status_code == 418 and "teapot, not a coffee machine" in r.text


def test_wsgi_reuses_one_loop_per_thread(app: Stein) -> None:
    loops: list[int] = []

    @app.route("/")
    async def index() -> str:
        loops.append(id(asyncio.get_running_loop()))
        return "ok"

    client = app.test_client()
    for _ in range(3):
        assert client.get("/").text == "ok"
    assert len(set(loops)) == 1

    other: list[int] = []

    def in_thread() -> None:
        assert client.get("/").text == "ok"
        other.append(loops[-1])

    t = threading.Thread(target=in_thread)
    t.start()
    t.join(5)
    assert other and other[0] != loops[0]  # each thread has its own loop


def test_async_generator_response_under_wsgi(app: Stein) -> None:
    closed: list[bool] = []

    @app.route("/")
    async def index() -> Any:
        async def gen() -> Any:
            try:
                for i in range(3):
                    await asyncio.sleep(0)
                    yield f"{i},"
            finally:
                closed.append(True)

        return gen()

    r = app.test_client().get("/")
    assert r.status_code == 200 and r.text == "0,1,2," and closed == [True]


def test_async_teardown_under_wsgi(app: Stein) -> None:
    seen: list[Any] = []

    @app.teardown_request
    async def td(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    async def index() -> str:
        return "ok"

    assert app.test_client().get("/").text == "ok" and seen == [None]


def test_method_view_with_async_dispatch(app: Stein) -> None:
    from stein.views import MethodView

    class Item(MethodView):
        async def get(self, n: int) -> Any:
            return {"n": n}

    app.add_url_rule("/item/<int:n>", view_func=Item.as_view("item"))
    assert app.test_client().get("/item/3").get_json() == {"n": 3}


def test_context_is_per_task_across_100_concurrent_asgi_requests(app: Stein) -> None:
    app.secret_key = "k"

    @app.before_request
    async def before() -> None:
        g.n = request.args["n"]

    @app.route("/check")
    async def check() -> Any:
        n = request.args["n"]
        session["n"] = n
        # Yield to the other 99 tasks many times; each must still see its own request.
        for _ in range(5):
            await asyncio.sleep(0.01)
            assert request.args["n"] == n and g.n == n and session["n"] == n
            assert current_app.name == "test_app"
        return {"n": n, "g": g.n, "session": session["n"], "path": request.full_path}

    async def go() -> list[Any]:
        return list(await asyncio.gather(*(
            acall(app, path="/check", query=f"n={i}".encode()) for i in range(100)
        )))

    import json

    results = asyncio.run(go())
    for i, res in enumerate(results):
        assert res.status == 200, res.text
        assert json.loads(res.body) == {"n": str(i), "g": str(i), "session": str(i),
                                        "path": f"/check?n={i}"}
        assert "set-cookie" in res.headers


def test_context_in_pool_for_100_concurrent_sync_views(app: Stein) -> None:
    @app.route("/s")
    def sync_view() -> str:
        n = request.args["n"]
        threading.Event().wait(0.005)
        assert request.args["n"] == n
        return f"{n} {threading.current_thread().name.split('_')[0]}"

    async def go() -> list[Any]:
        return list(await asyncio.gather(*(
            acall(app, path="/s", query=f"n={i}".encode()) for i in range(100)
        )))

    results = asyncio.run(go())
    assert [r.text for r in results] == [f"{i} stein-asgi" for i in range(100)]


def test_asgi_request_closes_setup_in_debug_mode(app: Stein) -> None:
    import pytest

    app.debug = True

    @app.route("/")
    async def index() -> str:
        return "ok"

    assert not app._got_first_request
    res = asyncio.run(acall(app, path="/"))
    assert res.status == 200 and app._got_first_request
    with pytest.raises(AssertionError, match="setup method 'add_url_rule'"):
        app.add_url_rule("/late", "late", lambda: "late")


def test_async_view_through_the_wsgi_client_inside_a_running_loop(app: Stein) -> None:
    # The sync test client used from async code: this thread's loop is busy, so the view
    # runs on a helper thread, still seeing the request and app contexts.
    import pytest

    @app.route("/")
    async def index() -> str:
        g.seen = request.args["n"]
        await asyncio.sleep(0)
        return f"n={request.args['n']} app={current_app.name}"

    @app.route("/boom")
    async def boom() -> str:
        raise LookupError("from the view")

    async def main() -> tuple[str, str]:
        client = app.test_client()
        text = client.get("/?n=7").text
        with pytest.raises(LookupError, match="from the view"):
            client.get("/boom")  # TESTING propagates, through the helper thread
        return text, threading.current_thread().name

    text, thread = asyncio.run(main())
    assert text == "n=7 app=test_app" and thread == threading.main_thread().name
