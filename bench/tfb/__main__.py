"""``python -m bench.tfb`` (``make bench-tfb``): start PostgreSQL, run every server, the
blog, write ``bench/tfb.md``; exit 1 when any answer was wrong."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time

from .pg import Postgres
from .runner import FRAMEWORKS, SERVERS, TESTS, ServerRun, run_server

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tfb")
    parser.add_argument("--seconds", type=int, default=1, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="runs per cell (the best counts)")
    parser.add_argument("--connections", default="16,64,256")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--tests", default=",".join(TESTS))
    parser.add_argument("--frameworks", default="", help="limit to these (comma-separated)")
    parser.add_argument("--no-blog", action="store_true")
    parser.add_argument("--blog-only", action="store_true", help="only the blog (no database)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (make bench-tfb installs it with apt-get)")
        return 2
    tests = [t for t in args.tests.split(",") if t]
    conns = [int(c) for c in args.connections.split(",") if c]
    only = [f for f in args.frameworks.split(",") if f]
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    runs: list[ServerRun] = []
    if args.blog_only:
        from .blog import run_blog

        print(run_blog())
        return 0
    with Postgres() as pg:
        print(f"PostgreSQL on 127.0.0.1:{pg.port} ({time.monotonic() - started:.0f} s)",
              flush=True)
        for server in [s for s in args.servers.split(",") if s]:
            fws = [f for f in FRAMEWORKS[SERVERS[server]] if not only or f in only]
            print(f"{server}: {', '.join(fws)}", flush=True)
            runs.append(run_server(server, fws, pg.dsn, tests, conns, args.seconds, args.rounds))
            print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    blog = ""
    if not args.no_blog:
        from .blog import run_blog

        blog = run_blog()
        print(blog, flush=True)
    elapsed = time.monotonic() - started
    header = (f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime(time.time() - elapsed))} UTC "
              f"on {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"{elapsed / 60:.1f} min; load average (1 min) before / after: "
              f"{load_before:.1f} / {os.getloadavg()[0]:.1f}.")
    from .report import render

    text = render(runs, tests, conns, args.seconds, args.rounds, header, blog)
    print(text)
    if not args.no_write:
        path = os.path.join(HERE, "tfb.md")
        with open(path, "w") as f:
            f.write(text)
        print(f"written {path}")
        if ({r.server for r in runs} == set(SERVERS) and set(tests) == set(TESTS)
                and not only and blog):
            # results.md holds a full run only (a partial one would read as the summary).
            from ..results_file import PATH, write_section
            from .report import results_section

            write_section("<!-- tfb -->", results_section(runs, tests, conns, header, blog))
            print(f"written {PATH}")
    failed = any(r.invalid for r in runs) or any(
        c.rps is None for r in runs for c in r.cells.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
