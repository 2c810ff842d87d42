"""Running a coroutine from synchronous code: ``async def`` views, hooks and async body
iterators served under WSGI.

Each thread keeps one event loop, made on first use and reused for every later call, so
an ``async def`` view under a threaded WSGI server costs a ``run_until_complete`` rather
than a new loop per request (``asyncio.run`` would build and close one each time). The
loop belongs to its thread: objects bound to it (a client session, a connection pool)
stay usable across that thread's requests. Under ASGI none of this runs; coroutines are
awaited on the server's loop.
"""

from __future__ import annotations

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
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        import asyncio  # not at import: ``import stein`` does not load asyncio

        loop = _loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coro)
