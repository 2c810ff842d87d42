"""Throwaway Redis and PostgreSQL servers on free loopback ports, for the demo, the tests and
the scale-out run (``bench/scaleout``): each lives in a temporary directory and is stopped
and removed by ``stop()``.

>>> redis = LocalRedis()          # doctest: +SKIP
>>> redis.start(); redis.url      # doctest: +SKIP
'redis://127.0.0.1:40123/0'

Redis runs with ``appendonly yes`` so that a restart (``restart()``) keeps the sessions and
the broadcast history, as a production Redis holding sessions must.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    """A TCP port nothing listens on at the moment."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


class LocalRedis:
    """``redis-server`` on a free port, persisting to an append-only file in a temp dir."""

    def __init__(self, binary: str | None = None, port: int | None = None) -> None:
        found = binary or shutil.which("redis-server")
        if found is None:
            raise FileNotFoundError("redis-server is not installed (`make redis` installs it)")
        self.binary = found
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="stein-chat-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM: Redis flushes its append-only file first)."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None

    def restart(self) -> float:
        """Stop and start again on the same port; returns the seconds it was down."""
        t0 = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - t0

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class LocalPostgres:
    """A PostgreSQL cluster of its own (``initdb`` + ``pg_ctl``); run as the ``postgres`` user
    when we are root, since PostgreSQL refuses to run as root."""

    def __init__(self) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL is not installed (`make postgres` installs it)")
        self.bindir = bindir
        self.user: str | None = None
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # KeyError when the package did not make the user
            self.user = "postgres"
        self.base = tempfile.mkdtemp(prefix="stein-chat-pg-")
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        os.mkdir(self.sock)
        if self.user is not None:
            info = pwd.getpwnam(self.user)
            for path in (self.base, self.sock):
                os.chown(path, info.pw_uid, info.pw_gid)
        self.port = free_port()
        self.env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str, timeout: float = 120) -> None:
        full = [f"{self.bindir}/{cmd[0]}", *cmd[1:]]
        if self.user is not None:
            full = ["runuser", "-u", self.user, "--", *full]
        subprocess.run(full, check=True, capture_output=True, timeout=timeout, env=self.env,
                       cwd=self.base)

    def start(self) -> None:
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.base, "server.log"), "-w",
                  "-t", "60", "-o", f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1"
                  " -c max_connections=200", "start")
        wait_for_port(self.port)

    def remove(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.base, ignore_errors=True)
