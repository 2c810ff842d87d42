"""Servers x frameworks x test types x connection counts, loaded by ``wrk``.

For one server, every framework's app is started at once (each on its own port, one worker
per core), validated on all six test types (``validate``), warmed up, then loaded test type
by test type and connection count by connection count, the frameworks taking turns so a
burst of load elsewhere on the machine hits them alike. The RSS of each worker is read at
the end, after every test type has run. Each cell is the best of ``rounds`` runs taking
turns (a burst of other work on the machine only slows a run). Any non-2xx answer or socket error under load marks
the cell invalid, as a failed validation marks the whole row.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

from ..servers import GRANIAN_LOOP, ROOT, UVICORN_HTTP, UVICORN_LOOP, _stop, free_port
from .spec import DSN_ENV
from .validate import CHECKS, PATHS, fetch

BIN = os.path.dirname(sys.executable)
WORKERS = os.cpu_count() or 1
TESTS = list(PATHS)
SERVERS = {"granian": "wsgi", "gunicorn": "wsgi", "granian-asgi": "asgi", "uvicorn": "asgi"}
# Frameworks per interface; the first is Stein, the second the peer of the target ratio.
# The last is a control: a second server running Stein's same app, its turn after the
# peers'. Two copies of one app differ only by the noise of the run, so their ratio is
# how far a ratio can move before it means anything.
CONTROL = "stein-again"
# And the server's ceiling: a bare callable with no framework (json and plaintext only).
BARE = "bare"
FRAMEWORKS = {"wsgi": ["stein", "falcon", "flask", CONTROL, BARE],
              "asgi": ["stein", "starlette", "fastapi", CONTROL, BARE]}
# The test types a framework answers, when not all of them.
TESTS_OF = {BARE: ("json", "plaintext")}
PEER = {"wsgi": "falcon", "asgi": "starlette"}
MODULES = {"stein": "apps_stein", "flask": "apps_flask", "falcon": "apps_falcon",
           "starlette": "apps_starlette", "fastapi": "apps_fastapi",
           "stein-sa": "apps_stein_sa", CONTROL: "apps_stein", BARE: "apps_bare"}
SERVER_NOTES = {
    "granian": f"granian --interface wsgi --workers {WORKERS}",
    "gunicorn": f"gunicorn --worker-class sync --workers {WORKERS}",
    "granian-asgi": f"granian --interface asgi --workers {WORKERS} --loop {GRANIAN_LOOP}",
    "uvicorn": f"uvicorn --workers {WORKERS} --no-access-log --loop {UVICORN_LOOP} "
               f"--http {UVICORN_HTTP}",
}


@dataclass
class Cell:
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.rps is not None and not self.note


@dataclass
class ServerRun:
    server: str
    frameworks: list[str]
    cells: dict[tuple[str, str, int], Cell] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)  # "framework/test" -> problem


def command(server: str, target: str, port: int) -> list[str]:
    w = str(WORKERS)
    host = ["--host", "127.0.0.1", "--port", str(port)]
    if server == "granian":
        return [f"{BIN}/granian", "--interface", "wsgi", "--workers", w, *host, "--no-log",
                target]
    if server == "granian-asgi":
        return [f"{BIN}/granian", "--interface", "asgi", "--workers", w, "--loop",
                GRANIAN_LOOP, *host, "--no-log", target]
    if server == "uvicorn":
        return [f"{BIN}/uvicorn", "--workers", w, "--no-access-log", "--log-level", "warning",
                "--loop", UVICORN_LOOP, "--http", UVICORN_HTTP, *host, target]
    return [f"{BIN}/gunicorn", "--worker-class", "sync", "--workers", w, "--bind",
            f"127.0.0.1:{port}", "--log-level", "warning", target]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(out: str) -> Cell:
    """req/s, p50 and p99 from ``wrk --latency``; a note when anything went wrong."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        return Cell(note="wrk printed no rate")

    def pct(p: str) -> float | None:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * _UNITS[m.group(2)] if m else None

    cell = Cell(float(rps.group(1)), pct("50"), pct("99"))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:\s*connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    if bad and int(bad.group(1)):
        cell.note = f"{bad.group(1)} non-2xx responses"
    elif errors and any(int(g) for i, g in enumerate(errors.groups()) if i != 1):
        # read errors alone are gunicorn's sync worker closing each connection after
        # its response (it does not keep connections alive): wrk reconnects, not an error.
        cell.note = errors.group(0)
    return cell


def wrk(url: str, seconds: int, connections: int, headers: list[str] = ()) -> Cell:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "8s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 40).stdout
    except subprocess.TimeoutExpired:
        return Cell(note="wrk did not finish")
    return parse_wrk(out)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out.append(int(entry))
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_per_worker_mb(pid: int) -> float:
    """Mean RSS of the ``WORKERS`` largest processes in the server's tree (the workers; a
    master or supervisor process is smaller)."""
    tree, todo = [pid], [pid]
    while todo:
        kids = _children(todo.pop())
        tree += kids
        todo += kids
    sizes = sorted((_rss_kb(p) for p in tree), reverse=True)[:WORKERS]
    return sum(sizes) / max(1, len(sizes)) / 1024


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> str | None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"server exited with {proc.returncode}"
        try:
            if fetch(url).status == 200:
                return None
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    return f"not up after {timeout:.0f} s ({last})"


def _tests_of(framework: str, tests: list[str]) -> list[str]:
    only = TESTS_OF.get(framework)
    return tests if only is None else [t for t in tests if t in only]


def _better(prev: Cell | None, new: Cell) -> Cell:
    """The best round (load elsewhere only slows a round); a round with errors sticks."""
    if prev is None or (prev.note == "" and (new.note or (new.rps or 0) > (prev.rps or 0))):
        return new
    return prev


def run_server(server: str, frameworks: list[str], dsn: str, tests: list[str],
               connections: list[int], seconds: int, rounds: int = 1,
               log: bool = True) -> ServerRun:
    """Every framework on ``server``: start, validate, warm up, load, measure, stop."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env[DSN_ENV] = dsn
    suffix = "asgi" if SERVERS[server] == "asgi" else "wsgi"
    run = ServerRun(server, frameworks)
    procs: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for f in frameworks:
            port = free_port()
            target = f"bench.tfb.{MODULES[f]}:{suffix}"
            procs[f] = (subprocess.Popen(command(server, target, port), cwd=ROOT, env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True),
                        f"http://127.0.0.1:{port}")
        live = []
        for f, (proc, base) in procs.items():
            problem = _wait_up(base + "/json", proc)
            if problem:
                run.invalid[f"{f}/*"] = problem
                continue
            live.append(f)
            for t in _tests_of(f, tests):
                # Twice: every worker of the server should answer (each has its own pool).
                for _ in range(WORKERS):
                    problem = CHECKS[t](base, dsn, True)
                    if problem:
                        run.invalid[f"{f}/{t}"] = problem
                        break
        for t in tests:
            here = [f for f in live if t in _tests_of(f, tests)]
            for f in here:
                wrk(procs[f][1] + PATHS[t], 1, 64)  # warm-up: pools, prepared statements
            for c in connections:
                for f in here:
                    if f"{f}/{t}" in run.invalid:
                        run.cells[(f, t, c)] = Cell(note=run.invalid[f"{f}/{t}"])
                for r in range(rounds):
                    # Every other round in reverse: whoever goes first after a change of
                    # test type or connection count (a cold cache, a database still busy
                    # with the last load) does so in only one round of two.
                    for f in here if r % 2 == 0 else here[::-1]:
                        if f"{f}/{t}" not in run.invalid:
                            run.cells[(f, t, c)] = _better(run.cells.get((f, t, c)),
                                                           wrk(procs[f][1] + PATHS[t], seconds, c))
                for f in here:
                    cell = run.cells[(f, t, c)]
                    if log:
                        shown = (f"{cell.rps:9,.0f} req/s p50 {cell.p50_ms} p99 {cell.p99_ms} ms"
                                 if cell.rps else "failed")
                        print(f"  {server:12} {t:9} c={c:<3} {f:9} {shown} {cell.note}",
                              flush=True)
        time.sleep(1)  # let requests wrk left queued finish
        for f in live:
            run.rss_mb[f] = rss_per_worker_mb(procs[f][0].pid)
            # After load, answers must still be right (pools healthy, shapes right).
            for t in _tests_of(f, tests):
                problem = CHECKS[t](procs[f][1], dsn, False)
                if problem:
                    run.invalid[f"{f}/{t}"] = f"after load: {problem}"
                    for c in connections:
                        run.cells[(f, t, c)].note = run.invalid[f"{f}/{t}"]
        return run
    finally:
        for proc, _ in procs.values():
            _stop(proc)
