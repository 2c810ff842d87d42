"""Timing a WSGI app in-process: prebuilt environ, warm-up, median of several repeats."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def call_once(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run ``app`` for one request and return ``(status, headers, body)``."""
    got: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got[:] = [status, list(headers)]

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return got[0], got[1], data


# Thread CPU time, not wall time: a benchmark sharing the machine with other work is not
# charged for the time it is preempted (in-process calls never block on I/O).
clock = time.thread_time


def _run(app: WSGIApp, make_environ: Callable[[], dict[str, Any]], n: int) -> float:
    sr = _start_response
    join = b"".join
    t0 = clock()
    for _ in range(n):
        body = app(make_environ(), sr)
        join(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return clock() - t0


def calibrate(app: WSGIApp, make_environ: Callable[[], dict[str, Any]],
              target_s: float = 0.08, max_n: int = 200_000) -> int:
    """Warm up, then the iteration count that takes about ``target_s``."""
    _run(app, make_environ, 50)  # warm-up: imports, caches, compiled templates
    n = 1
    while True:
        t = _run(app, make_environ, n)
        if t >= target_s / 10 or n >= max_n:
            break
        n *= 2
    return max(1, min(max_n, int(n * (target_s / max(t, 1e-9)))))


def timed_us(app: WSGIApp, make_environ: Callable[[], dict[str, Any]], n: int) -> float:
    """Microseconds per request over ``n`` calls; the garbage collector is paused inside
    (as ``timeit`` does) and run before, so every framework pays for its garbage alike."""
    gc.collect()
    gc.disable()
    try:
        return _run(app, make_environ, n) / n * 1e6
    finally:
        gc.enable()


def median_us(app: WSGIApp, make_environ: Callable[[], dict[str, Any]],
              target_s: float = 0.08, repeats: int = 7, max_n: int = 200_000) -> float:
    """Median microseconds per request over ``repeats`` runs of about ``target_s`` each."""
    n = calibrate(app, make_environ, target_s, max_n)
    return statistics.median(timed_us(app, make_environ, n) for _ in range(repeats))
