"""In-process soak: 1,000,000 requests through the WSGI entry point, RSS every 100k.

A rotating mix of hello, JSON, template, session (read + write) and a 16 KB multipart
upload (spooled to memory) plus a 2 MB upload (spooled to a temporary file), called with
hand-built environs (no test client in the loop). Passes when RSS grows less than 5%
from the first checkpoint after warm-up (200k) to the end, and no temporary files or file
descriptors are left behind. ``python -m bench.soak [N]``; ``make soak`` runs it.
"""

from __future__ import annotations

import gc
import io
import os
import sys
import tempfile
import time
from typing import Any

from stein import Stein, render_template, request, session

HERE = os.path.dirname(os.path.abspath(__file__))
BOUNDARY = "soakboundary"


def make_app() -> Stein:
    app = Stein("soak", root_path=HERE, template_folder="soak_templates")
    app.config["SECRET_KEY"] = "soak-test-secret-key-0123456789abcdef"

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    @app.route("/users/<int:id>")
    def user(id: int) -> dict[str, Any]:
        return {"id": id, "name": "user", "q": request.args.get("q")}

    @app.route("/page")
    def page() -> str:
        return render_template("page.html", items=range(20), name="<soak>")

    @app.route("/session")
    def sess() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/upload", methods=["POST"])
    def upload() -> dict[str, Any]:
        f = request.files["file"]
        return {"size": len(f.read()), "title": request.form["title"]}

    return app


def _multipart(size: int) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nsoak\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"x" * size + \
        f"\r\n--{BOUNDARY}--\r\n".encode()


SMALL = _multipart(16 * 1024)
LARGE = _multipart(2 * 1024 * 1024)


def _environ(path: str, method: str = "GET", body: bytes = b"", ctype: str = "",
             cookie: str = "", qs: str = "") -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": qs,
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = ctype
    if cookie:
        env["HTTP_COOKIE"] = cookie
    return env


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def temp_files() -> set[str]:
    d = tempfile.gettempdir()
    return set(os.listdir(d))


def run(total: int = 1_000_000, every: int = 100_000) -> dict[str, Any]:
    app = make_app()
    status: list[str] = []
    cookie = ""

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        nonlocal cookie
        status.append(s)
        for k, v in headers:
            if k == "Set-Cookie" and v.startswith("session="):
                cookie = v.split(";", 1)[0]

    mp_type = f"multipart/form-data; boundary={BOUNDARY}"
    kinds = ("hello", "json", "template", "session", "upload")
    # A private temp dir, so other processes' files cannot be mistaken for leaks.
    tempfile.tempdir = tempfile.mkdtemp(prefix="stein-soak-")
    fds0, tmp0 = fd_count(), temp_files()
    curve: list[tuple[int, int, float]] = []
    bad = 0
    t0 = time.perf_counter()
    for i in range(1, total + 1):
        kind = kinds[i % 5]
        if kind == "hello":
            env = _environ("/")
        elif kind == "json":
            env = _environ(f"/users/{i}", qs="q=soak")
        elif kind == "template":
            env = _environ("/page")
        elif kind == "session":
            if i % 1000 == 3:
                cookie = ""  # new visitor now and then: sessions start fresh
            env = _environ("/session", cookie=cookie)
        else:
            body = LARGE if i % 5000 == 4 else SMALL
            env = _environ("/upload", "POST", body, mp_type)
        it = app(env, start_response)
        for _ in it:
            pass
        close = getattr(it, "close", None)
        if close is not None:
            close()
        if status[-1][:3] != "200":
            bad += 1
        status.clear()
        if i % every == 0:
            gc.collect()
            curve.append((i, rss_kb(), time.perf_counter() - t0))
            print(f"{i:>9,} requests  RSS {curve[-1][1] / 1024:7.1f} MiB  "
                  f"{curve[-1][2]:6.1f} s", flush=True)
    leaked_fds = fd_count() - fds0
    leaked_tmp = sorted(temp_files() - tmp0)
    warm = curve[1][1] if len(curve) > 1 else curve[0][1]
    growth = (curve[-1][1] - warm) / warm * 100
    return {"curve": curve, "growth_pct": growth, "bad": bad, "leaked_fds": leaked_fds,
            "leaked_tmp": leaked_tmp, "seconds": time.perf_counter() - t0}


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    r = run(total, max(total // 10, 1))
    print(f"non-200: {r['bad']}  RSS growth after warm-up: {r['growth_pct']:+.2f}%  "
          f"leaked fds: {r['leaked_fds']}  leaked temp files: {len(r['leaked_tmp'])}  "
          f"({r['seconds']:.0f} s, {total / r['seconds']:,.0f} req/s)")
    ok = r["bad"] == 0 and r["growth_pct"] < 5 and r["leaked_fds"] <= 0 and not r["leaked_tmp"]
    print("SOAK PASS" if ok else "SOAK FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
