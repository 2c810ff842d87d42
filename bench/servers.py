"""``python -m bench.servers`` (``make bench-http``): each framework behind real servers on a
loopback port, loaded by ``wrk``; req/s and p99 latency; appends to ``bench/results.md``.

Servers: granian (``--interface wsgi``, 1 worker) and gunicorn (sync worker, 1 worker).
Every wait is bounded, every server is stopped (also on error), and any non-2xx response
or socket error marks the row invalid.
"""

from __future__ import annotations

import argparse
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
FRAMEWORKS = ["bare", "stein", "falcon", "bottle", "flask"]
SCENARIOS = ["hello", "param-json"]


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
    return [os.path.join(BIN, "gunicorn"), "--worker-class", "sync", "--workers", "1",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> str | None:
    """Poll until the server answers 200; the error text if it never does."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"server exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return None
                last = f"status {r.status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
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


def run_one(server: str, framework: str, scenario: str, duration: int, connections: int) -> Result:
    port = free_port()
    path = BY_NAME[scenario].path
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(server_command(server, f"bench.http_apps:{target_name(framework, scenario)}", port),
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        problem = _wait_ready(url, proc)
        if problem:
            return Result(note=problem)
        # One second of warm-up (connections, caches, the server's own start-up), then the run.
        subprocess.run(["wrk", "-t1", f"-c{connections}", "-d1s", url],
                       capture_output=True, text=True, timeout=30)
        wrk = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
                              "--timeout", "5s", url],
                             capture_output=True, text=True, timeout=duration + 30)
        return parse_wrk(wrk.stdout)
    finally:
        _stop(proc)


def render(results: dict[tuple[str, str, str], Result], servers: list[str],
           frameworks: list[str], duration: int, connections: int) -> str:
    lines = [f"### Over HTTP (wrk -t1 -c{connections} -d{duration}s, 1 worker, 127.0.0.1)", ""]
    notes: list[str] = []
    for server in servers:
        lines += [f"#### {server}", "", "| scenario | " + " | ".join(
            f"{f} req/s (p99 ms)" for f in frameworks) + " | stein/falcon |",
            "|" + "---|" * (len(frameworks) + 2)]
        for scenario in SCENARIOS:
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
            s, fa = results.get((server, "stein", scenario)), results.get((server, "falcon", scenario))
            row.append(f"{s.rps / fa.rps:.2f}" if s and fa and s.rps and fa.rps else "-")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines + notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--servers", default="granian,gunicorn")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (make bench-http installs it with apt-get)")
        return 2
    servers = [s for s in args.servers.split(",") if s]
    results: dict[tuple[str, str, str], Result] = {}
    for server in servers:
        for scenario in SCENARIOS:
            for f in FRAMEWORKS:
                r = run_one(server, f, scenario, args.duration, args.connections)
                results[(server, f, scenario)] = r
                shown = f"{r.rps:10,.0f} req/s  p99 {r.p99_ms} ms" if r.rps else "failed"
                print(f"  {server:8} {scenario:11} {f:7} {shown} {r.note}", flush=True)
    text = render(results, servers, FRAMEWORKS, args.duration, args.connections)
    print()
    print(text)
    if not args.no_write:
        path = os.path.join(HERE, "results.md")
        marker = "<!-- http -->"
        old = open(path).read() if os.path.exists(path) else "# Stein benchmark results\n"
        old = old.split(marker)[0].rstrip("\n")
        with open(path, "w") as f:
            f.write(f"{old}\n\n{marker}\n{text}")
        print(f"written {path}")
    bad = [k for k, r in results.items() if r.rps is None or r.note.startswith("INVALID")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
