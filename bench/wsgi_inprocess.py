"""Section 1: every framework's WSGI app called in-process with a prebuilt environ."""

from __future__ import annotations

import importlib
import statistics
import warnings
from collections.abc import Callable
from typing import Any

from .report import Cell, Section
from .scenarios import SCENARIOS, Scenario, Skip, base_environ, environ_factory
from .timing import calibrate, call_once, timed_us


def _builders() -> dict[str, Callable[[str], Any]]:
    from . import apps_bottle, apps_falcon, apps_flasklike

    return {
        "stein": lambda name: apps_flasklike.build("stein", name),
        "falcon": apps_falcon.build,
        "bottle": apps_bottle.build,
        "flask": lambda name: apps_flasklike.build("flask", name),
    }


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def versions() -> dict[str, str]:
    return {name: _version(name) for name in ("stein", "falcon", "bottle", "flask", "jinja2")}


def _session_cookie(app: Any, s: Scenario) -> str:
    """The cookie the app sets on a first visit, to send back on every timed request."""
    status, headers, body = call_once(app, base_environ(s))
    pairs = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    if not status.startswith("200") or not pairs:
        raise RuntimeError(f"first visit gave {status} {body[:60]!r} and no cookie")
    return "; ".join(pairs)


def prepare(framework: str, build: Callable[[str], Any], s: Scenario
            ) -> Cell | tuple[Any, Callable[[], dict[str, Any]]]:
    """Build and verify one framework's app for ``s``: ``(app, make_environ)``, or a
    skipped ``Cell``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            app = build(s.name)
    except Skip as e:
        return Cell(note=str(e))
    cookie = _session_cookie(app, s) if s.name == "session" else None
    make = environ_factory(s, cookie)
    status, _, body = call_once(app, make())
    problem = s.check(status, body)
    if problem:
        raise RuntimeError(f"{framework} / {s.name} answered wrongly: {problem}")
    return app, make


def run(target_s: float = 0.08, only: list[str] | None = None, repeats: int = 7) -> Section:
    """Time every framework on every scenario and return the table.

    The repeats of one scenario take turns across the frameworks, so a burst of other
    load on the machine hits them all rather than one.
    """
    builders = _builders()
    for name in list(builders):
        try:
            importlib.import_module(name)
        except ImportError:
            print(f"  {name} is not installed; run `make bench` to install the peers")
            del builders[name]
    section = Section("WSGI in-process", list(builders),
                      unit="µs/request (median of thread CPU time)")
    for s in SCENARIOS:
        if only and s.name not in only:
            continue
        cells: dict[str, Cell] = {}
        ready: dict[str, tuple[Any, Callable[[], dict[str, Any]], int]] = {}
        for fw, build in builders.items():
            got = prepare(fw, build, s)
            if isinstance(got, Cell):
                cells[fw] = got
            else:
                app, make = got
                ready[fw] = (app, make, calibrate(app, make, target_s))
        samples: dict[str, list[float]] = {fw: [] for fw in ready}
        for _ in range(repeats):
            for fw, (app, make, n) in ready.items():
                samples[fw].append(timed_us(app, make, n))
        for fw in builders:
            if fw in samples:
                cells[fw] = Cell(statistics.median(samples[fw]))
            c = cells[fw]
            print(f"  {s.name:14} {fw:8} " + (f"{c.us:9.2f} µs" if c.us is not None else f"skip: {c.note}"),
                  flush=True)
        section.add(s.name, cells)
    return section
