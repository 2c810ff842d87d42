"""Section 2: ASGI apps called in-process (prebuilt scope, no-op send) - Stein vs Starlette.

Also measures what ``async def`` views cost under WSGI (Stein's per-thread reused loop
against Flask's asgiref ``async_to_sync``), reported as notes under the table.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from .report import Cell, Section
from .scenarios import BY_NAME, SCENARIOS, Scenario, Skip

FRAMEWORKS = ("stein", "starlette")
# "hello-sync": a sync view; both frameworks run it in a thread pool under ASGI.
EXTRA = [Scenario("hello-sync", "GET", "/", check=BY_NAME["hello"].check)]


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("starlette", "asgiref"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


def make_scope(s: Scenario, cookie: str | None = None) -> dict[str, Any]:
    """The scope uvicorn would pass for ``s`` on 127.0.0.1:8000."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"stein-bench"), (b"accept", b"*/*")]
    headers += [(k.lower().encode(), v.encode()) for k, v in s.headers.items()]
    if s.body:
        headers.append((b"content-length", str(len(s.body)).encode()))
    if s.content_type:
        headers.append((b"content-type", s.content_type.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": s.method, "scheme": "http", "path": s.path, "raw_path": s.path.encode(),
        "query_string": s.query.encode(), "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }


async def _once(app: Any, scope: dict[str, Any], body: bytes) -> tuple[int, list[Any], bytes]:
    sent: list[dict[str, Any]] = []
    msgs = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if msgs:
            return msgs.pop()
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    await app(dict(scope), receive, send)
    start = sent[0]
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in sent[1:])


async def _run(app: Any, scope: dict[str, Any], body: bytes, n: int) -> float:
    message = {"type": "http.request", "body": body, "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        return None

    t0 = time.perf_counter()
    for _ in range(n):
        # A fresh receive per request: servers give each request its own channel.
        first = [message]

        async def receive(first: list[Any] = first) -> dict[str, Any]:
            if first:
                return first.pop()
            return {"type": "http.disconnect"}

        await app(scope.copy(), receive, send)
    return time.perf_counter() - t0


async def _median_us(app: Any, scope: dict[str, Any], body: bytes, target_s: float,
                     repeats: int = 7, max_n: int = 200_000) -> float:
    await _run(app, scope, body, 50)
    n = 1
    while True:
        t = await _run(app, scope, body, n)
        if t >= target_s / 10 or n >= max_n:
            break
        n *= 2
    n = max(1, min(max_n, int(n * (target_s / max(t, 1e-9)))))
    results = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            results.append(await _run(app, scope, body, n) / n * 1e6)
        finally:
            gc.enable()
    return statistics.median(results)


async def _measure(build: Callable[[str], Any], s: Scenario, target_s: float) -> Cell:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            app = build(s.name)
    except Skip as e:
        return Cell(note=str(e))
    cookie = None
    if s.name == "session":
        status, headers, body = await _once(app, make_scope(s), b"")
        pairs = [v.decode().split(";", 1)[0] for k, v in headers if k.lower() == b"set-cookie"]
        if status != 200 or not pairs:
            raise RuntimeError(f"session first visit gave {status} and no cookie")
        cookie = "; ".join(pairs)
    scope = make_scope(s, cookie)
    status, _, out = await _once(app, scope, s.body)
    problem = s.check(f"{status} X", out)
    if problem:
        raise RuntimeError(f"{s.name} answered wrongly: {problem}")
    return Cell(await _median_us(app, scope, s.body, target_s))


def _wsgi_async_notes(target_s: float) -> list[str]:
    """Hello with a sync vs an ``async def`` view under WSGI, Stein and Flask."""
    from .scenarios import environ_factory
    from .timing import median_us

    s = BY_NAME["hello"]
    rows = []
    for fw in ("stein", "flask"):
        try:
            mod = __import__(fw)
        except ImportError:
            continue
        times = {}
        for kind in ("sync", "async"):
            app = (mod.Stein if fw == "stein" else mod.Flask)(__name__)
            if kind == "sync":
                app.add_url_rule("/", "hello", lambda: "Hello, World!")
            else:
                async def hello() -> str:
                    return "Hello, World!"

                app.add_url_rule("/", "hello", hello)
            try:
                times[kind] = median_us(app, environ_factory(s), target_s=target_s)
            except Exception as e:  # flask without asgiref: RuntimeError asking for flask[async]
                times[kind] = float("nan")
                print(f"  {fw} {kind}: {e}")
        rows.append((fw, times["sync"], times["async"]))
    notes = ["WSGI `async def` view overhead (hello, in-process): "]
    for fw, sync_us, async_us in rows:
        notes.append(f"- {fw}: sync view {sync_us:.2f} µs, async view {async_us:.2f} µs "
                     f"(+{async_us - sync_us:.2f} µs per request)")
    return notes


def run(target_s: float = 0.08, only: list[str] | None = None) -> Section:
    """Time Stein's and Starlette's ASGI apps on every scenario."""
    from .asgi_apps import build_starlette, build_stein

    builders: dict[str, Callable[[str], Any]] = {"stein": build_stein, "starlette": build_starlette}
    try:
        import starlette  # noqa: F401
    except ImportError:
        print("  starlette is not installed; run `make bench` to install the peers")
        del builders["starlette"]
    section = Section("ASGI in-process (async views; hello-sync: sync views in the thread pool)",
                      list(builders))
    loop = asyncio.new_event_loop()
    try:
        for s in [*SCENARIOS, *EXTRA]:
            if only and s.name not in only:
                continue
            cells = {}
            for fw, build in builders.items():
                cells[fw] = c = loop.run_until_complete(_measure(build, s, target_s))
                print(f"  {s.name:14} {fw:9} " + (f"{c.us:9.2f} µs" if c.us is not None else f"skip: {c.note}"),
                      flush=True)
            section.add(s.name, cells)
    finally:
        loop.close()
    if not only or "hello" in only:
        section.notes = _wsgi_async_notes(target_s)
    return section


if __name__ == "__main__":
    import sys

    print(run(only=sys.argv[1:] or None).render())
