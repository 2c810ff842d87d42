"""``python -m chat`` (from examples/chat): the chat on http://127.0.0.1:5001 under uvicorn,
with a Redis and a PostgreSQL of its own started for it (and removed on Ctrl-C), unless
``STEIN_REDIS_URL`` / ``STEIN_DATABASE_URL`` point at yours.

    python -m chat [--port 5001] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys

from .devservers import LocalPostgres, LocalRedis


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m chat")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # SIGTERM (kill, a service manager) cleans up as Ctrl-C does: the servers are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = dict(os.environ)
    started: list[LocalRedis | LocalPostgres] = []
    try:
        if "STEIN_REDIS_URL" not in env:
            redis = LocalRedis()
            redis.start()
            started.append(redis)
            env["STEIN_REDIS_URL"] = redis.url
        if "STEIN_DATABASE_URL" not in env:
            pg = LocalPostgres()
            pg.start()
            started.append(pg)
            env["STEIN_DATABASE_URL"] = pg.url
        env.setdefault("STEIN_SECRET_KEY", "k-" + secrets.token_urlsafe(32))
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        subprocess.run([sys.executable, "-c", "from chat import create_app; app = create_app();"
                        " db = app.extensions['sqlalchemy'];"
                        " app.app_context().__enter__(); db.create_all()"],
                       cwd=here, env=env, check=True)
        print(f"chat on http://{args.host}:{args.port}/ (Redis {env['STEIN_REDIS_URL']},"
              f" PostgreSQL {env['STEIN_DATABASE_URL']}); Ctrl-C stops it", flush=True)
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "chat:create_app",
                                 "--host", args.host, "--port", str(args.port),
                                 "--workers", str(args.workers)], cwd=here, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)
    finally:
        for server in reversed(started):
            server.remove()


if __name__ == "__main__":
    sys.exit(main())
