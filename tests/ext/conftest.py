"""Real servers for the battery tests: PostgreSQL and Redis, started by the test run on a
free loopback port in a temporary directory, stopped at the end.

When a binary is missing the tests that need it are skipped with the reason printed
(`make postgres` / `make redis` install them); under CI=true they fail instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest
from ext_servers import RedisServer, free_port, wait_for_port


def missing(what: str) -> None:
    msg = f"{what}; install it with `make {what.split()[0]}`"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg} (CI=true: failing instead of skipping)")
    print(f"\nSKIP: {msg}", file=sys.stderr)
    pytest.skip(msg)


def _pg_bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    if user is None:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *cmd]
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(cmd)]


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL cluster; yields a SQLAlchemy URL."""
    bindir = _pg_bindir()
    if bindir is None:
        missing("postgres (no initdb under /usr/lib/postgresql/*/bin)")
    # PostgreSQL refuses to run as root: run it as the `postgres` user the package made.
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
            user = "postgres"
        except KeyError:
            missing("postgres (running as root and there is no `postgres` user)")
    base = tempfile.mkdtemp(prefix="stein-pg-")
    data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
    os.mkdir(sock)
    if user is not None:
        info = pwd.getpwnam(user)
        for path in (base, sock):
            os.chown(path, info.pw_uid, info.pw_gid)
    port = free_port()
    log = os.path.join(base, "server.log")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run(_as_user([f"{bindir}/initdb", "-D", data, "-U", "postgres", "-A", "trust",
                             "-E", "UTF8", "--no-sync"], user),
                   check=True, capture_output=True, timeout=120, env=env, cwd=base)
    subprocess.run(_as_user([f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-t", "60",
                             "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
                             "start"], user),
                   check=True, capture_output=True, timeout=90, env=env, cwd=base)
    try:
        wait_for_port(port)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_user([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "30",
                                 "stop"], user), capture_output=True, timeout=60, env=env, cwd=base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server of our own; tests may stop and start it (``.stop()``/``.start()``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis (no redis-server on PATH)")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
