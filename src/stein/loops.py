"""Running a coroutine from synchronous code: ``async def`` views, hooks and async body
iterators served under WSGI.

Each thread keeps one event loop, made on first use and reused for every later call, so
an ``async def`` view under a threaded WSGI server costs a ``run_until_complete`` rather
than a new loop per request (``asyncio.run`` would build and close one each time). The
loop belongs to its thread: objects bound to it (a client session, a connection pool)
stay usable across that thread's requests. Under ASGI none of this runs; coroutines are
awaited on the server's loop.

A thread whose own loop is already running (the sync test client called from an async
test, say) cannot run another one; the coroutine then runs to completion on a short-lived
helper thread, in a copy of the caller's context (so ``request`` and ``g`` still resolve),
while the caller waits, as asgiref's ``async_to_sync`` does for Flask.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Coroutine
from typing import Any

_loops = threading.local()


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion on this thread's event loop; return its result.

    >>> async def answer():
    ...     return 42
    >>> run_coroutine(answer())
    42
    """
    aio = sys.modules.get("asyncio")
    if aio is not None and aio._get_running_loop() is not None:
        return _run_on_helper_thread(coro)
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        import asyncio  # not at import: ``import stein`` does not load asyncio

        loop = _loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coro)


def _run_on_helper_thread(coro: Coroutine[Any, Any, Any]) -> Any:
    import asyncio

    context = contextvars.copy_context()
    outcome: list[Any] = []

    def target() -> None:
        try:
            # A loop of its own, closed at the end: the thread does not outlive the call.
            outcome.append((True, context.run(asyncio.run, coro)))
        except BaseException as e:  # re-raised in the caller's thread
            outcome.append((False, e))

    helper = threading.Thread(target=target, name="stein-run-coroutine")
    helper.start()
    helper.join()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
