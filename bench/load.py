"""Load test: the example blog under gunicorn (2 sync workers) on loopback, loaded by wrk.

A logged-in visitor's mix (wrk Lua script): the post index, the login page, login posts,
new posts and /hello, all with the session cookie and a CSRF token taken from a real
login first. Passes with zero non-2xx/3xx responses and no socket errors; prints req/s and
p99. ``python -m bench.load [seconds]``; ``make soak`` runs it after the in-process soak.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOG = os.path.join(ROOT, "examples", "blog")
BIN = os.path.dirname(sys.executable)

LUA = """
local cookie = %(cookie)s
local login_body = %(login)s
local post_body = %(post)s
local n = 0
request = function()
  n = n + 1
  local r = n %% 100
  local h = {["Cookie"] = cookie}
  if r < 70 then
    return wrk.format("GET", "/", h)
  elseif r < 85 then
    return wrk.format("GET", "/auth/login", h)
  elseif r < 86 then
    h["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/auth/login", h, login_body)
  elseif r < 88 then
    h["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/create", h, post_body .. n)
  else
    return wrk.format("GET", "/hello", h)
  end
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if m is None:
        raise RuntimeError("no csrf_token in the page")
    return m.group(1)


def _login(base: str) -> tuple[str, str]:
    """Register and log in a user; return (Cookie header value, CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, **fields: str) -> str:
        page = opener.open(base + path, timeout=10).read().decode()
        fields["csrf_token"] = _token(page)
        data = urllib.parse.urlencode(fields).encode()
        return opener.open(base + path, data=data, timeout=10).read().decode()  # type: ignore[no-any-return]

    post("/auth/register", username="load", password="load-password")
    post("/auth/login", username="load", password="load-password")
    page = opener.open(base + "/create", timeout=10).read().decode()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, _token(page)


def _parse_wrk(out: str) -> dict[str, Any]:
    def num(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else 0.0

    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = 0.0
    if p99:
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "requests": int(num(r"(\d+) requests in")),
        "rps": num(r"Requests/sec:\s+([\d.]+)"),
        "non_2xx_3xx": int(num(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out)),
        "p99_ms": p99_ms,
    }


def run(seconds: int = 20) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (make soak installs it with apt-get)")
    tmp = tempfile.mkdtemp(prefix="stein-load-")
    env = {**os.environ, "STEIN_DATABASE": os.path.join(tmp, "blog.sqlite"),
           "STEIN_SECRET_KEY": "load-test-secret-key-0123456789abcdef"}
    subprocess.run([os.path.join(BIN, "stein"), "--app", "blog", "init-db"], cwd=BLOG, env=env,
                   check=True, capture_output=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, "gunicorn.log"), "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--chdir", BLOG, "--log-level", "warning", "blog:create_app()"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/hello", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start; see " + log.name) from None
                time.sleep(0.2)
        cookie, token = _login(base)
        q = urllib.parse.quote_plus
        script = os.path.join(tmp, "mix.lua")
        with open(script, "w") as f:
            f.write(LUA % {
                "cookie": _lua_str(cookie),
                "login": _lua_str(f"username=load&password=load-password&csrf_token={q(token)}"),
                "post": _lua_str(f"body=written+by+wrk&csrf_token={q(token)}&title=Load+"),
            })
        out = subprocess.run([wrk, "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", script,
                              base + "/"], capture_output=True, text=True, timeout=seconds + 60).stdout
        result = _parse_wrk(out)
        result["wrk_output"] = out
        return result
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    r = run(seconds)
    print(r.pop("wrk_output"))
    print(f"blog under gunicorn -w 2: {r['requests']:,} requests, {r['rps']:,.0f} req/s, "
          f"p99 {r['p99_ms']:.1f} ms, non-2xx/3xx {r['non_2xx_3xx']}, "
          f"socket errors {r['socket_errors']}")
    ok = r["requests"] > 0 and r["non_2xx_3xx"] == 0 and r["socket_errors"] == 0
    print("LOAD PASS" if ok else "LOAD FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
