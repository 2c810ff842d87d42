"""``python -m bench.scaleout [seconds] [--no-replay]``: see the package docstring. Default 90 s
of load. ``--no-replay`` runs HAProxy with ``retry-on conn-failure`` only (its default), so
the requests in flight on the killed node fail instead of being replayed on another one;
it writes ``results-no-replay.md`` and passes when every failure is one of those.
``--keep`` keeps the work directory (HAProxy's log, the nodes' logs) after a passing run."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from .clients import Background, login_cookie, whoami
from .cluster import CHAT, HAProxy, Node, wait_healthy

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results.md")
N_SESSIONS, N_LISTENERS = 40, 6


def _need(binary: str, target: str) -> None:
    if shutil.which(binary) is None:
        raise SystemExit(f"{binary} is not installed (`make {target}` installs it)")


def parse_log(path: str) -> list[dict[str, Any]]:
    """HAProxy's log: ``ts status backend server tsc retries Ta method uri {x-key}``."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 9 or not re.fullmatch(r"\d+\.\d+", parts[0]):
                continue
            key = parts[9].strip("{}") if len(parts) > 9 else ""
            out.append({"ts": float(parts[0]), "status": int(parts[1]), "backend": parts[2],
                        "server": parts[3], "tsc": parts[4], "retries": parts[5],
                        "ta": int(parts[6]), "method": parts[7], "uri": parts[8], "key": key})
    return out


def parse_wrk(out: str) -> dict[str, Any]:
    def num(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else 0.0

    m = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {"requests": int(num(r"(\d+) requests in")), "rps": num(r"Requests/sec:\s+([\d.]+)"),
            "socket_detail": m.group(1).strip() if m else "none",
            "p99": p99.group(1) if p99 else "?",
            "non_2xx_3xx": int(num(r"Non-2xx or 3xx responses: (\d+)")),
            "socket_errors": sum(int(x) for x in
                                 re.findall(r"(?:connect|read|write|timeout) (\d+)", out))}


class Timeline:
    def __init__(self) -> None:
        self.t0 = time.time()
        self.events: list[tuple[str, float, float]] = []

    @contextlib.contextmanager
    def event(self, name: str) -> Any:
        start = time.time()
        print(f"[{start - self.t0:6.1f}s] {name} ...", flush=True)
        yield
        self.events.append((name, start, time.time()))

    def label(self, ts: float, slack: float = 3.0) -> str:
        for name, start, end in self.events:
            if start - slack <= ts <= end + slack:
                return name
        return "outside any event"


def run(seconds: int, replay: bool = True, keep: bool = False) -> int:
    for binary, target in (("haproxy", "scale"), ("wrk", "scale"), ("redis-server", "redis")):
        _need(binary, target)
    from chat.devservers import LocalPostgres, LocalRedis

    work = tempfile.mkdtemp(prefix="stein-scale-")
    print(f"work dir {work}", flush=True)
    with contextlib.ExitStack() as stack:
        redis = LocalRedis()
        redis.start()
        stack.callback(redis.remove)
        pg = LocalPostgres()
        pg.start()
        stack.callback(pg.remove)
        env = {**os.environ, "STEIN_DATABASE_URL": pg.url, "STEIN_REDIS_URL": redis.url,
               "STEIN_SECRET_KEY": "scale-out-secret-key-0123456789abcdef",
               "STEIN_PASSWORD_METHOD": "pbkdf2:sha256:1000",
               "STEIN_BROADCAST_MAXLEN": "10000000"}
        subprocess.run([sys.executable, "-c", "from chat import create_app; app = create_app();"
                        " app.app_context().__enter__(); app.extensions['sqlalchemy'].create_all()"],
                       cwd=CHAT, env=env, check=True)
        nodes = [Node(f"n{i}", env, work) for i in (1, 2, 3)]
        for node in nodes:
            node.start()
            stack.callback(node.stop)
        ha = HAProxy(nodes, work, replay)
        ha.start()
        stack.callback(ha.stop)
        wait_healthy(ha.url + "/healthz")
        time.sleep(1.5)  # every server's health check passed (rise 2 x 500 ms)

        cookies = {f"u{i}": login_cookie(ha.url, f"u{i}") for i in range(N_SESSIONS)}
        bg = Background(ha.url, N_LISTENERS)
        bg.start()
        stopped = threading.Event()
        stack.callback(lambda: stopped.set())
        deadline = time.monotonic() + 20
        while not all(s.connects for s in bg.listeners) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        import httpx

        warm = httpx.post(ha.url + "/api/messages", json={"text": "warm-up", "key": "warm"},
                          cookies={"session": cookies["u0"]}, timeout=10)
        warm.raise_for_status()
        while not all(s.rows for s in bg.listeners) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not all(s.rows for s in bg.listeners):
            raise RuntimeError("the WebSocket clients did not get the warm-up message")

        script = os.path.join(work, "load.lua")
        with open(os.path.join(HERE, "load.lua")) as f:
            lua = f.read().replace("COOKIES", ", ".join(json.dumps(c) for c in cookies.values()))
        with open(script, "w") as f:
            f.write(lua)
        tl = Timeline()
        wrk = subprocess.Popen(["wrk", "-t2", "-c12", f"-d{seconds}s", "--timeout", "15s",
                                "--latency", "-s", script, ha.url + "/"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        stack.callback(lambda: wrk.poll() is None and wrk.kill())
        prober = bg.probe_forever(stopped)

        def at(fraction: float) -> None:
            time.sleep(max(0.0, tl.t0 + fraction * seconds - time.time()))

        at(0.15)
        with tl.event("SIGKILL node n2 (gunicorn master + workers, uvicorn)"):
            nodes[1].kill()
        at(0.25)
        with tl.event("start node n2 again"):
            nodes[1].start()
        at(0.40)
        with tl.event("rolling restart n1, n2, n3 (gunicorn HUP, uvicorn TERM + start)"):
            for node in nodes:
                node.reload_http()
                node.restart_ws()
                time.sleep(3)
        at(0.75)
        with tl.event("restart Redis (SIGTERM, start)"):
            down = redis.restart()
        print(f"          Redis was down {down:.2f} s", flush=True)
        wrk_out, _ = wrk.communicate(timeout=seconds + 120)
        with open(os.path.join(work, "wrk.txt"), "w") as f:
            f.write(wrk_out)
        stopped.set()
        prober.join(15)
        load_end = time.time()

        # Let the listeners catch up with the last broadcast, then count.
        import redis as redis_py

        r = redis_py.Redis.from_url(redis.url, decode_responses=True)
        stream = [sid for sid, _ in r.xrange("broadcast:room")]
        first = stream.index(next(s for s in stream if s in bg.listeners[0].events))
        expected = stream[first:]
        until = time.monotonic() + 20
        while time.monotonic() < until and not all(
                set(expected) <= set(s.events) for s in bg.listeners):
            time.sleep(0.2)
        bg.stop()

        sessions = {**cookies, **bg.sessions}
        lost_sessions = [u for u, c in sessions.items() if whoami(ha.url, c) != (200, {"user": u})]

        from sqlalchemy import create_engine, text

        engine = create_engine(pg.url)
        with engine.connect() as conn:
            rows = conn.execute(text("select key, count(*), bool_and(published) from chat_message"
                                     " group by key")).all()
        engine.dispose()
        time.sleep(0.5)
        ha.stop()
        log = parse_log(ha.log_path)
        code = report(seconds, tl, load_end, wrk_out, log, rows, stream, expected, bg,
                      sessions, lost_sessions, down, replay)
        if code == 0 and not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", flush=True)
        return code
    return 1


def report(seconds: int, tl: Timeline, load_end: float, wrk_out: str, log: list[dict[str, Any]],
           rows: list[Any], stream: list[str], expected: list[str], bg: Background,
           sessions: dict[str, str], lost_sessions: list[str], redis_down: float,
           replay: bool = True) -> int:
    http = [e for e in log if e["backend"] == "http"]
    during = [e for e in http if tl.t0 <= e["ts"] <= load_end]
    failed = [e for e in http if not 200 <= e["status"] < 400]
    retried = [e for e in http if e["retries"] not in ("0", "+0")]
    me_401 = [e for e in http if e["uri"].startswith("/api/me") and e["status"] == 401]
    acked = {e["key"] for e in http if e["method"] == "POST" and e["uri"].startswith("/api/messages")
             and e["status"] in (200, 201) and e["key"]} - {"warm"}
    db_keys = {k: n for k, n, _ in rows}
    rows_lost = sorted(acked - set(db_keys))
    rows_doubled = sum(n - 1 for n in db_keys.values() if n > 1)
    unpublished = [k for k, _, p in rows if not p]
    db_keys.pop("warm", None)
    unacked_keys = sorted(set(db_keys) - acked)
    stored_unacked = len(unacked_keys)
    unacked_lines = [e for e in http if e["method"] == "POST" and e["key"] in unacked_keys]
    want = set(expected)
    listeners = []
    for s in bg.listeners:
        got = set(s.events)
        listeners.append({"name": s.name, "connects": s.connects, "received": len(s.events),
                          "missed": len(want - got), "repeated": len(s.events) - len(got),
                          "same_row": len(s.rows) - len(set(s.rows))})
    missed = sum(x["missed"] for x in listeners)
    wrk = parse_wrk(wrk_out)
    by_event: dict[str, int] = {}
    for e in failed:
        by_event[tl.label(e["ts"])] = by_event.get(tl.label(e["ts"]), 0) + 1
    # Without replays, the requests in flight on the killed node may fail, and only those.
    kill = next(ev for ev in tl.events if ev[0].startswith("SIGKILL"))
    killed = [e for e in failed if kill[1] - 1 <= e["ts"] <= kill[2] + 1 and e["server"] == "n2"]
    allowed = 0 if replay else len(killed)
    retried_by: dict[str, int] = {}
    for e in retried:
        retried_by[tl.label(e["ts"])] = retried_by.get(tl.label(e["ts"]), 0) + 1

    lines = [
        "# Scale-out run",
        "",
        "Written by `make scale` (`python -m bench.scaleout`): HAProxy 2.6 in front of three app",
        "nodes (gunicorn with 2 sync workers for HTTP, uvicorn for WebSockets), Redis 7 with",
        "appendonly for sessions and broadcast, PostgreSQL for rows; wrk -t2 -c12 for"
        f" {seconds} s (10% logins, 20% writes, 20% room reads, 50% session reads),",
        f"{len(bg.listeners)} WebSocket clients, a new login every second. On a 2-core machine.",
        "HAProxy " + ("replays a request whose node died before answering (`retry-on conn-failure"
                      " empty-response`; writes carry idempotency keys)." if replay else
                      "does not replay requests (`retry-on conn-failure`, its default): this"
                      " run shows what fails without replays."),
        "",
        "## Timeline",
        "",
        "| at (s) | event | took (s) |",
        "|---|---|---|",
        *[f"| {s - tl.t0:.1f} | {name} | {e - s:.1f} |" for name, s, e in tl.events],
        "",
        f"Redis was down for {redis_down:.2f} s.",
        "",
        "## Counts",
        "",
        "<!-- --8<-- [start:counts] -->",
        "| what | count |",
        "|---|---|",
        f"| HTTP requests through HAProxy (during the load) | {len(http)} ({len(during)}) |",
        f"| wrk: requests, req/s, p99 latency, non-2xx/3xx | {wrk['requests']}, {wrk['rps']:.0f},"
        f" {wrk['p99']}, {wrk['non_2xx_3xx']} |",
        f"| wrk: socket errors | {wrk['socket_detail']} |",
        f"| requests failed (not 2xx/3xx) | {len(failed)} |",
        *[f"| &nbsp; during: {name} | {n} |" for name, n in sorted(by_event.items())],
        f"| &nbsp; of them in flight on n2 when it was killed | {len(killed)} |",
        f"| requests HAProxy replayed on another node (answered there) | {len(retried)} |",
        *[f"| &nbsp; during: {name} | {n} |" for name, n in sorted(retried_by.items())],
        f"| sessions checked at the end / lost | {len(sessions)} / {len(lost_sessions)} |",
        f"| session reads answered 401 under load | {len(me_401)} |",
        f"| writes acknowledged / rows stored | {len(acked)} / {sum(db_keys.values())} |",
        f"| rows lost (acknowledged, not stored) | {len(rows_lost)} |",
        f"| rows doubled (a key stored twice) | {rows_doubled} |",
        f"| rows stored but not acknowledged (request failed after the commit) | {stored_unacked} |",
        f"| rows never broadcast | {len(unpublished)} |",
        f"| broadcasts published during the run (with the warm-up) | {len(expected)} |",
        f"| broadcasts missed, summed over the WebSocket clients | {missed} |",
        "",
        "| client | connects | received | missed | repeated | same row twice |",
        "|---|---|---|---|---|---|",
        *[f"| {x['name']} | {x['connects']} | {x['received']} | {x['missed']} | {x['repeated']} |"
          f" {x['same_row']} |" for x in listeners],
        "<!-- --8<-- [end:counts] -->",
        "",
        "A client's connects beyond the first are reconnections (its node was killed or"
        " restarted); each time it sent `since=` with the last event it had and got the rest."
        " wrk counts a request that took longer than its `--timeout` (15 s) as a socket error"
        " (timeout) even when it is answered later; a read error is a connection HAProxy closed"
        " after answering 502. \"Same row twice\": a write whose node died after it published"
        " but before it marked the row published is published again when it is replayed (at"
        " least once); clients drop the repeat by the row id, as the chat page does.",
        "",
        f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores, shared"
        " with other work): the latencies say more about the machine than about the setup.",
        "",
    ]
    if unacked_keys:
        lines += ["Rows stored without an acknowledgement (keys): " + ", ".join(unacked_keys[:20])
                  + f"; their log lines: {len(unacked_lines)}. A request cut off when wrk stops"
                  " at the end of its run leaves one.", ""]
    if failed:
        lines += ["## Failed requests", "", "| at (s) | status | node | HAProxy state | request |",
                  "|---|---|---|---|---|"]
        lines += [f"| {e['ts'] - tl.t0:.2f} | {e['status']} | {e['server']} | {e['tsc']} |"
                  f" {e['method']} {e['uri']} |" for e in failed[:50]]
        lines.append("")
    text = "\n".join(lines)
    print("\n" + text)
    name = "results.md" if replay else "results-no-replay.md"
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)
    ok = not (lost_sessions or rows_lost or rows_doubled or missed or me_401
              or len(failed) > allowed)
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    # SIGTERM unwinds like an error: every process started here is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sys.exit(run(int(args[0]) if args else 90, replay="--no-replay" not in sys.argv,
                 keep="--keep" in sys.argv))
