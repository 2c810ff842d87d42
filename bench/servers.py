"""``python -m bench.servers`` (``make bench-http``): each framework behind real servers on a
loopback port, loaded by ``wrk``; req/s and p99 latency; writes the HTTP section of
``bench/results.md`` (everything after the ``<!-- http -->`` marker).

WSGI servers: granian (``--interface wsgi``) and gunicorn (sync worker), with bare WSGI,
Stein, Falcon, Bottle and Flask. ASGI servers: uvicorn (no access log; uvloop/httptools
when installed, as the dev extra does) and granian (``--interface asgi``), with a bare ASGI
callable, Stein (the same ``Stein`` object served as ASGI, ``async def`` views) and
Starlette. One worker each. Every run is loaded the same way (warm-up, then the timed run);
every wait is bounded, every server is stopped (also on error), and any non-2xx response or
socket error marks the row invalid.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from .http_apps import target_name
from .scenarios import BY_NAME

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
# server -> interface; the frameworks, scenarios and the peer of the ratio column per interface.
SERVERS = {"granian": "wsgi", "gunicorn": "wsgi", "uvicorn": "asgi", "granian-asgi": "asgi"}
FRAMEWORKS = {"wsgi": ["bare", "stein", "falcon", "bottle", "flask"],
              "asgi": ["bare", "stein", "starlette"]}
SCENARIOS = {"wsgi": ["hello", "param-json"], "asgi": ["hello", "param-json", "route-50"]}
PEER = {"wsgi": "falcon", "asgi": "starlette"}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# uvicorn's event loop and HTTP parser: the fast ones when installed (the dev extra has them).
UVICORN_LOOP = "uvloop" if _installed("uvloop") else "asyncio"
UVICORN_HTTP = "httptools" if _installed("httptools") else "h11"
GRANIAN_LOOP = "uvloop" if _installed("uvloop") else "asyncio"
SERVER_NOTES = {
    "granian": "granian --interface wsgi --workers 1",
    "gunicorn": "gunicorn --worker-class sync --workers 1",
    "uvicorn": f"uvicorn --workers 1 --no-access-log --loop {UVICORN_LOOP} --http {UVICORN_HTTP}",
    "granian-asgi": f"granian --interface asgi --workers 1 --loop {GRANIAN_LOOP}",
}


@dataclass
class Result:
    rps: float | None = None
    p99_ms: float | None = None
    note: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(server: str, target: str, port: int) -> list[str]:
    if server == "granian":
        return [os.path.join(BIN, "granian"), "--interface", "wsgi", "--workers", "1",
                "--host", "127.0.0.1", "--port", str(port), "--no-log", target]
    if server == "granian-asgi":
        return [os.path.join(BIN, "granian"), "--interface", "asgi", "--workers", "1",
                "--loop", GRANIAN_LOOP, "--host", "127.0.0.1", "--port", str(port), "--no-log",
                target]
    if server == "uvicorn":
        return [os.path.join(BIN, "uvicorn"), "--workers", "1", "--no-access-log",
                "--log-level", "warning", "--loop", UVICORN_LOOP, "--http", UVICORN_HTTP,
                "--host", "127.0.0.1", "--port", str(port), target]
    return [os.path.join(BIN, "gunicorn"), "--worker-class", "sync", "--workers", "1",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target]


def target_for(server: str, framework: str, scenario: str) -> str:
    """The ``module:attribute`` the server loads (ASGI servers get the ``asgi_*`` apps)."""
    name = ("asgi_" if SERVERS[server] == "asgi" else "") + framework
    return f"bench.http_apps:{target_name(name, scenario)}"


def _wait_ready(url: str, proc: subprocess.Popen[bytes], scenario: str,
                timeout: float = 30.0) -> str | None:
    """Poll until the server answers 200 with the scenario's body; the error text if it
    never does (a benchmark of a wrong answer is worthless)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"server exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                body = r.read()
                if r.status == 200:
                    return BY_NAME[scenario].check(f"{r.status} OK", body)
                last = f"status {r.status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.1)
    return f"not ready after {timeout:.0f} s ({last})"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(out: str) -> Result:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    if rps is None:
        return Result(note="wrk printed no rate")
    res = Result(float(rps.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else None)
    if bad and int(bad.group(1)):
        res.note = f"INVALID: {bad.group(1)} non-2xx responses"
    elif errors:
        res.note = errors.group(0).strip()
    return res


def _wrk(url: str, seconds: int, connections: int, latency: bool) -> str:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", url]
    if latency:
        cmd.insert(-1, "--latency")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout


def run_batch(server: str, frameworks: list[str], scenario: str, duration: int, rounds: int,
              connections: int) -> dict[str, Result]:
    """One scenario on one server for every framework: all servers started at once (each on
    its own port; an idle server costs nothing), 1 s of warm-up each, then ``rounds`` timed
    runs of ``duration`` s taking turns, so a burst of load elsewhere on the machine hits
    every framework alike. A framework's result is its best round (load only slows)."""
    path = BY_NAME[scenario].path
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    results: dict[str, Result] = {}
    try:
        for f in frameworks:
            port = free_port()
            procs[f] = (subprocess.Popen(server_command(server, target_for(server, f, scenario), port),
                                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True),
                        f"http://127.0.0.1:{port}{path}")
        live = []
        for f, (proc, url) in procs.items():
            problem = _wait_ready(url, proc, scenario)
            if problem:
                results[f] = Result(note=problem)
            else:
                live.append(f)
        for f in live:
            # Warm-up: connections, caches, the server's own start-up.
            _wrk(procs[f][1], 1, connections, latency=False)
        for _ in range(rounds):
            for f in live:
                r = parse_wrk(_wrk(procs[f][1], duration, connections, latency=True))
                prev = results.get(f)
                if prev is None:
                    results[f] = r
                elif prev.note.startswith("INVALID"):
                    pass  # one invalid round keeps the row invalid
                elif r.note.startswith("INVALID") or (r.rps or 0) > (prev.rps or 0):
                    results[f] = r
        return results
    finally:
        for proc, _ in procs.values():
            _stop(proc)


def render(results: dict[tuple[str, str, str], Result], servers: list[str],
           duration: int, rounds: int, connections: int) -> str:
    lines = [f"### Over HTTP (wrk -t1 -c{connections}, best of {rounds} rounds of {duration} s "
             "taking turns after a 1 s warm-up; 1 worker, 127.0.0.1)", "",
             "Ratio column: stein req/s / peer req/s (> 1 means Stein serves more).", ""]
    notes: list[str] = []
    for server in servers:
        kind = SERVERS[server]
        frameworks, peer = FRAMEWORKS[kind], PEER[kind]
        lines += [f"#### {server} ({kind.upper()}: `{SERVER_NOTES[server]}`)", "",
                  "| scenario | " + " | ".join(f"{f} req/s (p99 ms)" for f in frameworks)
                  + f" | stein/{peer} |", "|" + "---|" * (len(frameworks) + 2)]
        for scenario in SCENARIOS[kind]:
            if not any((server, f, scenario) in results for f in frameworks):
                continue  # left out with --only
            row = [scenario]
            for f in frameworks:
                r = results.get((server, f, scenario), Result(note="not run"))
                if r.rps is None:
                    row.append("failed")
                else:
                    p99 = f"{r.p99_ms:.2f}" if r.p99_ms is not None else "?"
                    row.append(f"{r.rps:,.0f} ({p99})" + (" !" if r.note else ""))
                if r.note:
                    notes.append(f"- {server} / {f} / {scenario}: {r.note}")
            s, pr = results.get((server, "stein", scenario)), results.get((server, peer, scenario))
            row.append(f"{s.rps / pr.rps:.2f}" if s and pr and s.rps and pr.rps else "-")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines + notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("--duration", type=int, default=2, help="seconds per timed round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--only", default="", help="scenarios to run (comma-separated)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (make bench-http installs it with apt-get)")
        return 2
    servers = [s for s in args.servers.split(",") if s]
    unknown = [s for s in servers if s not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s) {unknown}; known: {', '.join(SERVERS)}")
    results: dict[tuple[str, str, str], Result] = {}
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    for server in servers:
        kind = SERVERS[server]
        print(f"{server}: {SERVER_NOTES[server]}", flush=True)
        for scenario in SCENARIOS[kind]:
            if args.only and scenario not in args.only.split(","):
                continue
            batch = run_batch(server, FRAMEWORKS[kind], scenario, args.duration, args.rounds,
                              args.connections)
            for f in FRAMEWORKS[kind]:
                r = batch.get(f, Result(note="not run"))
                results[(server, f, scenario)] = r
                shown = f"{r.rps:10,.0f} req/s  p99 {r.p99_ms} ms" if r.rps else "failed"
                print(f"  {server:12} {scenario:11} {f:9} {shown} {r.note}", flush=True)
            peer = results.get((server, PEER[kind], scenario))
            mine = results.get((server, "stein", scenario))
            if peer and mine and peer.rps and mine.rps:
                print(f"  {server:12} {scenario:11} stein/{PEER[kind]} {mine.rps / peer.rps:.2f}",
                      flush=True)
    print(f"({time.monotonic() - started:.0f} s)")
    text = render(results, servers, args.duration, args.rounds, args.connections)
    # Server work per request dwarfs the framework's, and wrk shares the cores: on a busy
    # machine these numbers move by tens of percent, so say how busy it was.
    text += (f"\nLoad average (1 min) before / after: {load_before:.1f} / "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n")
    print()
    print(text)
    if not args.no_write:
        from .results_file import PATH, write_section

        write_section("<!-- http -->", text)
        print(f"written {PATH}")
    bad = [k for k, r in results.items() if r.rps is None or r.note.startswith("INVALID")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
