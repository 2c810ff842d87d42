"""Start a server process on a free loopback port for a test, and always stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def start_stein_cli(args: list[str], cwd: str, port: int,
                    env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``stein ARGS --port PORT`` in ``cwd``, output on a pipe, in its own session, with
    no ``STEIN_*`` variable of the caller's environment (``env`` adds to it)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STEIN_")}
    return subprocess.Popen([os.path.join(BIN, "stein"), *args, "--port", str(port)],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**clean, **(env or {})})


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # type: ignore[no-any-return]


@dataclass
class Running:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: str

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0,
                  path: str = "/") -> None:
    """Poll ``url + path`` until the server answers at all (any status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            httpx.get(url + path, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"server at {url} did not answer within {timeout}s")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
    """Stop the process group started for ``proc``; the exit code of ``proc``."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    return proc.returncode


@contextlib.contextmanager
def serve(args: list[str], port: int, cwd: str | None = None, env: dict[str, str] | None = None,
          ready_path: str = "/", timeout: float = 20.0) -> Iterator[Running]:
    """Run ``args`` (which must listen on ``port``) until the block ends; output goes to a
    log file that failing assertions can show."""
    log = tempfile.NamedTemporaryFile(prefix="stein-server-", suffix=".log", delete=False)
    full_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    proc = subprocess.Popen(args, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    running = Running(f"http://127.0.0.1:{port}", proc, log.name)
    try:
        try:
            wait_until_up(running.url, proc, timeout, ready_path)
        except (RuntimeError, TimeoutError) as e:
            raise RuntimeError(f"{e}\n--- server output ---\n{running.log()}") from None
        yield running
    finally:
        stop(proc)
        log.close()
        os.unlink(log.name)
