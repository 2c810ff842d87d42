"""A throwaway PostgreSQL for the run: ``initdb`` in a temporary directory, a free loopback
port, the TFB ``world`` (10,000 rows) and ``fortune`` (12 rows) tables, stopped at the end.

PostgreSQL refuses to run as root; as root the cluster runs as the ``postgres`` user the
Debian package creates (``make bench-tfb`` installs the package when it is missing).
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import time
from types import TracebackType

from ..servers import free_port
from .spec import ROWS

FORTUNES = [
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
]

SCHEMA = """
CREATE TABLE world (id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0);
CREATE TABLE fortune (id integer NOT NULL PRIMARY KEY, message varchar(2048) NOT NULL);
"""


def bindir() -> str | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return cmd if user is None else ["runuser", "-u", user, "--", *cmd]


class Postgres:
    """``with Postgres() as pg: pg.dsn`` -- a started, loaded cluster; stopped on exit."""

    def __init__(self) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError("no PostgreSQL (make bench-tfb installs it with apt-get)")
        self.bin = found
        self.user = "postgres" if os.geteuid() == 0 else None
        self.base = tempfile.mkdtemp(prefix="stein-tfb-pg-")
        self.data = os.path.join(self.base, "data")
        self.port = free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        self._env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def _run(self, *cmd: str, timeout: float = 120) -> None:
        subprocess.run(_as_user(list(cmd), self.user), check=True, capture_output=True,
                       timeout=timeout, env=self._env, cwd=self.base)

    def start(self) -> None:
        sock = os.path.join(self.base, "sock")
        os.mkdir(sock)
        if self.user is not None:
            info = pwd.getpwnam(self.user)
            for path in (self.base, sock):
                os.chown(path, info.pw_uid, info.pw_gid)
        self._run(f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync")
        # fsync off: the run measures the frameworks, not the disk (TFB's own servers sync).
        opts = (f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c max_connections=200 -c shared_buffers=64MB")
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-l", os.path.join(self.base, "log"),
                  "-w", "-t", "60", "-o", opts, "start", timeout=90)
        self.load()

    def load(self) -> None:
        """Create and fill both tables (random numbers in 1..10000, as the spec's)."""
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(self.dsn, autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            conn.execute(SCHEMA)
            with conn.cursor() as cur:
                with cur.copy("COPY world (id, randomnumber) FROM STDIN") as copy:
                    for i in range(1, ROWS + 1):
                        copy.write_row((i, random.randint(1, ROWS)))
                cur.executemany("INSERT INTO fortune (id, message) VALUES (%s, %s)", FORTUNES)
            conn.execute("VACUUM ANALYZE")

    def stop(self) -> None:
        try:
            self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30",
                      "stop", timeout=60)
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Postgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
