"""The example blog's pages, logged in, on Stein and on the same blog run on Flask.

The Flask blog is made at run time: ``examples/blog/blog`` copied to a temporary
``blog_flask`` package with its imports renamed back (``stein`` -> ``flask``,
``stein.security``/``stein.exceptions`` -> ``werkzeug.*``, ``Stein`` -> ``Flask``; ``stein.ext.csrf``,
which Flask lacks, -> ``bench.tfb.flask_csrf``, the same work in Flask's terms). Both run on
one SQLite file with 25 posts by the logged-in user (so every post has its Edit link) and
a session cookie that already holds the CSRF secret (no page writes the session).

Pages: ``/`` (the index), ``/1/update`` (a post's edit page), ``/create`` (the form). In
process: the WSGI app called with a prebuilt environ (``bench.timing``, thread CPU time,
median of 7). Under granian: one worker per core, ``wrk -c64``. A page is checked before it
is timed (posts listed, logged in, the token in the form); a wrong page is a failure.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from ..servers import ROOT, _stop, free_port
from ..timing import call_once, median_us
from .runner import BIN, WORKERS, wrk

BLOG = os.path.join(ROOT, "examples", "blog")
POSTS = 25
PAGES = {"index": "/", "edit": "/1/update", "create": "/create"}
FAST_HASH = "pbkdf2:sha256:1000"
_RENAMES = [
    (re.compile(r"^(\s*)from stein\.(security|exceptions) import", re.M),
     r"\1from werkzeug.\2 import"),
    (re.compile(r"^(\s*)from stein\.ext\.csrf import", re.M),
     r"\1from bench.tfb.flask_csrf import"),
    (re.compile(r"^(\s*)from stein import", re.M), r"\1from flask import"),
    (re.compile(r"\bStein\b"), "Flask"),
]


def port_to_flask(dest: str) -> str:
    """Write ``dest/blog_flask``, the blog with its imports renamed back to Flask."""
    pkg = os.path.join(dest, "blog_flask")
    shutil.copytree(os.path.join(BLOG, "blog"), pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "instance"))
    for name in os.listdir(pkg):
        if name.endswith(".py"):
            path = os.path.join(pkg, name)
            with open(path) as f:
                src = f.read()
            for pattern, repl in _RENAMES:
                src = pattern.sub(repl, src)
            if re.search(r"^\s*(from|import) stein\b", src, re.M):
                raise RuntimeError(f"{name}: a Stein import left after the port")
            with open(path, "w") as f:
                f.write(src)
    return pkg


TARGET = '''import os
from {pkg} import create_app
app = create_app({{"DATABASE": os.environ["BLOG_DATABASE"], "SECRET_KEY": "bench-blog-" + "0123456789abcdef" * 4}})
'''


def _seed(path: str) -> None:
    from stein.security import generate_password_hash

    with open(os.path.join(BLOG, "blog", "schema.sql")) as f:
        schema = f.read()
    db = sqlite3.connect(path)
    db.executescript(schema)
    db.execute("INSERT INTO user (username, password) VALUES (?, ?)",
               ("writer", generate_password_hash("writer", method=FAST_HASH)))
    db.executemany(
        "INSERT INTO post (title, body, author_id, created) VALUES (?, ?, 1, ?)",
        [(f"Post number {i} & <friends>", f"Body of post {i}.\n" * 8,
          f"2024-01-{1 + i % 28:02d} 12:00:00") for i in range(1, POSTS + 1)])
    db.commit()
    db.close()


def _environ(path: str, cookie: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000", "HTTP_COOKIE": cookie, "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0)}


def login_cookie(app: Any) -> str:
    """``session=...`` for user 1, holding the CSRF secret too (the edit page adds it on
    first use; taken back from its Set-Cookie so no timed page writes the session)."""
    value = app.session_interface.get_signing_serializer(app).dumps({"user_id": 1})
    cookie = f"session={value}"
    for _ in range(3):
        _, headers, _ = call_once(app, _environ(PAGES["edit"], cookie))
        new = [v.split(";", 1)[0] for k, v in headers
               if k.lower() == "set-cookie" and v.startswith("session=")]
        if not new or new[0] == cookie:
            return cookie
        cookie = new[0]
    return cookie


def check_page(page: str, status: str, body: bytes) -> str | None:
    text = body.decode("utf-8", "replace")
    if not status.startswith("200"):
        return f"status {status}"
    if "Log Out" not in text:
        return "not logged in"
    if page == "index" and (text.count("<article") != POSTS or text.count("/update\"") != POSTS
                            or "&amp; &lt;friends&gt;" not in text):
        return f"{text.count('<article')} posts listed, want {POSTS} with Edit links"
    if page in ("edit", "create") and not re.search(r'name="csrf_token" value="[\w.-]{20,}"',
                                                    text):
        return "no CSRF token in the form"
    if page == "edit" and "Post number 1 &amp;" not in text:
        return "not the post's edit page"
    return None


def _maker(path: str, cookie: str) -> Callable[[], dict[str, Any]]:
    return lambda: _environ(path, cookie)


def _inprocess(apps: dict[str, Any]) -> dict[tuple[str, str], float | str]:
    out: dict[tuple[str, str], float | str] = {}
    for name, app in apps.items():
        cookie = login_cookie(app)
        for page, path in PAGES.items():
            status, headers, body = call_once(app, _environ(path, cookie))
            problem = check_page(page, status, body)
            if not problem and any(k.lower() == "set-cookie" for k, _ in headers):
                problem = "the page wrote the session"
            if problem:
                out[(name, page)] = f"FAILED: {problem}"
                continue
            out[(name, page)] = median_us(app, _maker(path, cookie), target_s=0.1, repeats=7)
    return out


def _served(dest: str, apps: dict[str, Any], database: str, seconds: int
            ) -> dict[tuple[str, str], Any]:
    env = dict(os.environ, BLOG_DATABASE=database,
               PYTHONPATH=os.pathsep.join([dest, BLOG, ROOT, os.environ.get("PYTHONPATH", "")]))
    out: dict[tuple[str, str], Any] = {}
    procs = {}
    try:
        for name in apps:
            port = free_port()
            cmd = [f"{BIN}/granian", "--interface", "wsgi", "--workers", str(WORKERS),
                   "--host", "127.0.0.1", "--port", str(port), "--no-log", f"target_{name}:app"]
            procs[name] = (subprocess.Popen(cmd, cwd=dest, env=env, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True),
                           f"http://127.0.0.1:{port}")
        import urllib.request

        for name, (_, base) in procs.items():
            cookie = login_cookie(apps[name])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(base + "/hello", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            for page, path in PAGES.items():
                req = urllib.request.Request(base + path, headers={"Cookie": cookie})
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        problem = check_page(page, f"{r.status} OK", r.read())
                except OSError as e:
                    problem = str(e)
                if problem:
                    out[(name, page)] = f"FAILED: {problem}"
                    continue
                wrk(base + path, 1, 64, headers=[f"Cookie: {cookie}"])
                out[(name, page)] = wrk(base + path, seconds, 64, headers=[f"Cookie: {cookie}"])
        return out
    finally:
        for proc, _ in procs.values():
            _stop(proc)


def run_blog(seconds: int = 3) -> str:
    """Both blogs in process and under granian; the Markdown section of ``bench/tfb.md``."""
    dest = tempfile.mkdtemp(prefix="stein-tfb-blog-")
    try:
        port_to_flask(dest)
        database = os.path.join(dest, "blog.sqlite")
        _seed(database)
        for name, pkg in (("stein", "blog"), ("flask", "blog_flask")):
            with open(os.path.join(dest, f"target_{name}.py"), "w") as f:
                f.write(TARGET.format(pkg=pkg))
        os.environ["BLOG_DATABASE"] = database
        sys.path[:0] = [dest, BLOG]
        import importlib

        apps = {name: importlib.import_module(f"target_{name}").app for name in ("stein", "flask")}
        inproc = _inprocess(apps)
        served = _served(dest, apps, database, seconds)
        return render(inproc, served, seconds)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def render(inproc: dict[tuple[str, str], Any], served: dict[tuple[str, str], Any],
           seconds: int) -> str:
    lines = ["## The example blog, logged in (Stein vs the same blog on Flask)", "",
             f"{POSTS} posts on the index page; in process: µs per page (median of 7, thread "
             f"CPU time); granian: {WORKERS} workers, `wrk -c64 -d{seconds}s`, req/s "
             "(p50 / p99 ms).", "",
             "| page | stein µs | flask µs | flask/stein | stein granian | flask granian "
             "| stein/flask |", "|---|---|---|---|---|---|---|"]
    for page in PAGES:
        s, f = inproc.get(("stein", page)), inproc.get(("flask", page))
        gs, gf = served.get(("stein", page)), served.get(("flask", page))
        row = [page]
        row += [f"{v:.0f}" if isinstance(v, float) else str(v) for v in (s, f)]
        row.append(f"{f / s:.2f}" if isinstance(s, float) and isinstance(f, float) else "-")
        for c in (gs, gf):
            if c is None or isinstance(c, str) or c.rps is None:
                row.append(str(c if isinstance(c, str) else "FAILED"))
            else:
                row.append(f"{c.rps:,.0f} ({c.p50_ms:.1f} / {c.p99_ms:.1f})"
                           + (f" ! {c.note}" if c.note else ""))
        ok = all(c is not None and not isinstance(c, str) and c.rps for c in (gs, gf))
        row.append(f"{gs.rps / gf.rps:.2f}" if ok else "-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
