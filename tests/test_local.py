"""stein.local (Werkzeug's werkzeug.local) and the operators of stein.ctx.LocalProxy."""

from __future__ import annotations

import asyncio
import copy
import threading
from contextvars import ContextVar, copy_context
from typing import Any

import pytest

from stein import Stein
from stein.ctx import LocalProxy, app_ctx, request_ctx
from stein.local import Local, LocalManager, LocalStack, release_local


def test_local_attributes_are_per_thread() -> None:
    ns = Local()
    ns.value = "main"
    seen: list[Any] = []

    def worker() -> None:
        seen.append(getattr(ns, "value", None))
        ns.value = "thread"
        seen.append(ns.value)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [None, "thread"]
    assert ns.value == "main"
    assert dict(ns) == {"value": "main"}
    del ns.value
    with pytest.raises(AttributeError):
        ns.value  # noqa: B018
    with pytest.raises(AttributeError):
        del ns.value


def test_local_is_per_task_and_a_copied_context_cannot_change_its_parent() -> None:
    ns = Local()
    ns.n = 1

    def child() -> int:
        ns.n = 2
        return ns.n  # type: ignore[no-any-return]

    assert copy_context().run(child) == 2
    assert ns.n == 1

    async def task(i: int) -> int:
        ns.n = i
        await asyncio.sleep(0)
        return ns.n  # type: ignore[no-any-return]

    async def main() -> list[int]:
        return list(await asyncio.gather(*(task(i) for i in range(5))))

    assert asyncio.run(main()) == [0, 1, 2, 3, 4]


def test_local_proxy_to_an_attribute() -> None:
    ns = Local()
    user = ns("user", unbound_message="no user")
    with pytest.raises(RuntimeError, match="no user"):
        user.upper()
    assert not user
    ns.user = "ada"
    assert user.upper() == "ADA"
    assert user == "ada"
    with pytest.raises(TypeError, match="'name' is required"):
        LocalProxy(ns)


def test_local_stack() -> None:
    stack: LocalStack[dict[str, int]] = LocalStack()
    assert stack.top is None and stack.pop() is None
    assert stack.push({"a": 1}) == [{"a": 1}]
    stack.push({"a": 2})
    top = stack()
    values = stack("values")
    assert top["a"] == 2
    assert list(values()) == [2]
    assert stack.pop() == {"a": 2}
    assert top["a"] == 1
    stack.pop()
    with pytest.raises(RuntimeError):
        top["a"]  # noqa: B018
    stack.push({"a": 3})
    release_local(stack)
    assert stack.top is None


def test_local_manager_cleans_up_after_each_response() -> None:
    ns = Local()
    stack: LocalStack[int] = LocalStack()
    manager = LocalManager([ns, stack])
    assert repr(manager) == "<LocalManager storages: 2>"
    assert LocalManager(ns).locals == [ns] and LocalManager().locals == []

    @manager.middleware
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        ns.user = "ada"
        stack.push(1)
        start_response("200 OK", [])
        return [b"hi"]

    body = app({}, lambda *a: None)
    assert app.__name__ == "app"
    assert ns.user == "ada" and stack.top == 1
    assert list(body) == [b"hi"]
    body.close()
    assert not hasattr(ns, "user") and stack.top is None


def test_local_proxy_forwards_operators() -> None:
    var: ContextVar[Any] = ContextVar("var")
    p = LocalProxy(var)
    var.set(10)
    assert (p + 1, 1 + p, p - 3, 30 - p, p * 2, p / 4, p // 3, p % 3, p ** 2) == \
        (11, 11, 7, 20, 20, 2.5, 3, 1, 100)
    assert (2 ** p, divmod(p, 3), -p, +p, abs(p), ~p) == (1024, (3, 1), -10, 10, 10, -11)
    assert (p << 1, p >> 1, p & 3, p | 1, p ^ 1) == (20, 5, 2, 11, 11)
    assert p < 11 and p <= 10 and p > 9 and p >= 10
    assert int(p) == 10 and float(p) == 10.0 and [0] * 11 == [0] * (p + 1)
    assert round(p) == 10 and f"{p:03d}" == "010" and hash(p) == hash(10)
    items: list[int] = []
    var.set(items)
    p += [1]  # in place: the list changes and the name still holds the proxy
    assert isinstance(p, list) and type(p) is LocalProxy and items == [1]
    assert copy.copy(p) == [1] and copy.copy(p) is not items
    assert copy.deepcopy(p) == [1]
    assert list(reversed(p)) == [1] and 1 in p and len(p) == 1


def test_local_proxy_with_and_async_with() -> None:
    events: list[str] = []

    class Managed:
        def __enter__(self) -> str:
            events.append("enter")
            return "value"

        def __exit__(self, *exc: Any) -> None:
            events.append("exit")

        async def __aenter__(self) -> str:
            events.append("aenter")
            return "avalue"

        async def __aexit__(self, *exc: Any) -> None:
            events.append("aexit")

    p = LocalProxy(Managed)  # a callable: a new Managed on each use
    with p as v:
        assert v == "value"

    async def main() -> None:
        async with p as av:
            assert av == "avalue"

    asyncio.run(main())
    assert events == ["enter", "exit", "aenter", "aexit"]


def test_local_proxy_repr_and_class_when_unbound() -> None:
    var: ContextVar[int] = ContextVar("unset")
    p = LocalProxy(var)
    assert repr(p) == "<LocalProxy unbound>"
    assert p.__class__ is LocalProxy
    assert p.__wrapped__ is var
    var.set(3)
    assert repr(p) == "3" and p.__class__ is int


def test_app_ctx_and_request_ctx_proxies_push_and_pop(app: Stein) -> None:
    teardowns: list[str] = []
    app.teardown_appcontext(lambda exc: teardowns.append("app"))

    @app.route("/")
    def index() -> str:
        # Re-entering the current contexts through the proxies nests, and only the
        # outermost pop tears down.
        with app_ctx:
            with request_ctx:
                pass
        assert teardowns == []
        return "ok"

    assert app.test_client().get("/").text == "ok"
    assert teardowns == ["app"]


def test_compat_shows_g_and_unbound_proxies_in_flasks_words() -> None:
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import stein, stein.compat
        from stein import Stein, g
        app = Stein("demo")
        assert repr(g) == "<unbound proxy g>"
        with app.app_context():
            assert repr(g) == "<stein.g of 'demo'>"
        stein.compat.install()
        assert repr(g) == "<LocalProxy unbound>"
        with app.app_context():
            assert repr(g) == "<flask.g of 'demo'>"
        stein.compat.uninstall()
        assert repr(g) == "<unbound proxy g>"
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
