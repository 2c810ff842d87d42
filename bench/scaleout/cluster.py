"""The processes of the scale-out run: app nodes (gunicorn + uvicorn) and HAProxy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import IO

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAT = os.path.join(ROOT, "examples", "chat")
sys.path.insert(0, CHAT)

from chat.devservers import free_port, wait_for_port  # noqa: E402

__all__ = ["CHAT", "HAProxy", "Node", "free_port", "wait_for_port"]


def _stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Signal ``proc``'s process group and wait; SIGKILL it when it does not go."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


class Node:
    """One app host: gunicorn (HTTP) and uvicorn (WebSocket), each its own process group."""

    def __init__(self, name: str, env: dict[str, str], logdir: str) -> None:
        self.name = name
        self.env = {**env, "STEIN_NODE": name}
        self.http_port, self.ws_port = free_port(), free_port()
        self.log: IO[bytes] = open(os.path.join(logdir, f"{name}.log"), "ab")
        self.http: subprocess.Popen[bytes] | None = None
        self.ws: subprocess.Popen[bytes] | None = None

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", *args], cwd=CHAT, env=self.env,
                                stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_http(self) -> None:
        self.http = self._spawn("gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.http_port}",
                                "--graceful-timeout", "10", "--timeout", "30", "--log-level", "warning",
                                "chat:create_app()")

    def start_ws(self) -> None:
        self.ws = self._spawn("uvicorn", "--factory", "chat:create_app", "--host", "127.0.0.1",
                              "--port", str(self.ws_port), "--log-level", "warning",
                              "--timeout-graceful-shutdown", "5")

    def start(self) -> None:
        self.start_http()
        self.start_ws()
        self.wait()

    def wait(self) -> None:
        wait_for_port(self.http_port)
        wait_for_port(self.ws_port)

    def kill(self) -> None:
        """SIGKILL the whole node (gunicorn master and workers, uvicorn): a lost host."""
        for proc in (self.http, self.ws):
            _stop(proc, signal.SIGKILL)

    def reload_http(self) -> None:
        """gunicorn HUP: new workers start, the old ones finish their requests and exit."""
        assert self.http is not None
        self.http.send_signal(signal.SIGHUP)

    def restart_ws(self) -> None:
        """uvicorn has no graceful reload: stop it (TERM) and start a new one."""
        _stop(self.ws)
        self.start_ws()
        wait_for_port(self.ws_port)

    def stop(self) -> None:
        for proc in (self.http, self.ws):
            _stop(proc)
        self.log.close()


HAPROXY_CFG = """
global
    maxconn 4000
    log stdout format raw local0

defaults
    mode http
    log global
    log-format "%%Ts.%%ms %%ST %%b %%s %%tsc %%rc %%Ta %%HM %%HU %%hs"
    timeout connect 1s
    timeout client 60s
    timeout server 30s
    timeout tunnel 1h
    timeout queue 30s
    # A request that could not reach a node, or whose node closed the connection without
    # answering (it was killed), goes to another node. Safe here because every write
    # carries an idempotency key; without one, "empty-response" could store a row twice.
    retries 10
    option redispatch 1
    retry-on %(retry_on)s
    # Passive checks mark a node down at its first refused connection; the active ones
    # (GET /healthz) bring it back. A check waits behind busy sync workers: give it time.
    timeout check 5s
    default-server inter 1s fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down

frontend web
    bind 127.0.0.1:%(port)d
    capture response header X-Key len 64
    acl is_ws path_beg /ws
    use_backend ws if is_ws
    default_backend http

backend http
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
%(http_servers)s

backend ws
    balance leastconn
    option httpchk GET /healthz
    http-check expect status 200
%(ws_servers)s
"""


class HAProxy:
    """HAProxy (foreground, ``-db``) logging one line per request to ``log_path``."""

    def __init__(self, nodes: list[Node], workdir: str, replay: bool = True) -> None:
        self.port = free_port()
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        self.log_path = os.path.join(workdir, "haproxy.log")
        # maxconn = the node's gunicorn workers: requests wait in HAProxy's queue, where a
        # node's death cannot take them along, rather than in the node's listen backlog.
        http = "\n".join(f"    server {n.name} 127.0.0.1:{n.http_port} check maxconn 2" for n in nodes)
        ws = "\n".join(f"    server {n.name} 127.0.0.1:{n.ws_port} check" for n in nodes)
        with open(self.cfg, "w") as f:
            f.write(HAPROXY_CFG % {"port": self.port, "http_servers": http, "ws_servers": ws,
                                   "retry_on": "conn-failure empty-response" if replay
                                   else "conn-failure"})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        subprocess.run(["haproxy", "-c", "-q", "-f", self.cfg], check=True)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port)

    def stop(self) -> None:
        _stop(self.proc, signal.SIGUSR1)  # soft stop: finish, flush the log
        self.log.close()


def wait_healthy(url: str, timeout: float = 30) -> None:
    """Until ``url`` answers 200 (through HAProxy: some node is up)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout} s")
        time.sleep(0.2)
