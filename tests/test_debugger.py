"""The interactive debugger: a real ``stein run --debug`` on loopback (the PIN it prints,
the page, the console in a frame), the guards (PIN, lockout, loopback and host only, the
same-origin POST, input and store limits), the syntax-error page after a reload, and
debug off giving a plain 500 without a traceback."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from typing import Any

import httpx
import pytest

from liveserver import BIN, free_port, start_stein_cli, stop, wait_until_up
from stein import Stein, serving
from stein.debugger import PinGuard, TracebackStore
from stein.debugpage import DEBUGGER_PATH, DebugMiddleware, client_allowed
from stein.tracebacks import capture_exception

FIXTURE_DIR = os.path.join(os.path.dirname(__file__), "fixtures", "debugapp")
HEADERS = {"X-Stein-Debugger": "1"}


# -- helpers --------------------------------------------------------------------------------


def _frames(html: str) -> list[tuple[str, str, str, str]]:
    """(kind, file, line, function) of each frame on a page, in page order."""
    return re.findall(r'<details class="frame (user|lib)" id="frame-\d+"[^>]*><summary>'
                      r'<span class="pos">[^<]*</span>File <b>([^<]*)</b>, line (\d+), in '
                      r"<b>([^<]*)</b>", html)


def _page_ids(html: str) -> tuple[str, str]:
    tb = re.search(r'data-tb="([^"]+)"', html)
    token = re.search(r'data-token="([^"]+)"', html)
    assert tb and token, "the page has no console"
    return tb[1], token[1]


def _frame_index(html: str, function: str) -> str:
    m = re.search(r'id="frame-(\d+)"[^>]*><summary><span class="pos">[^<]*</span>File '
                  r"<b>[^<]*</b>, line \d+, in <b>" + re.escape(function) + "</b>", html)
    assert m, f"no frame for {function}"
    return m[1]


class _Output:
    """Collects a process's output in a thread (so the pipe never fills)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.chunks: list[bytes] = []
        assert proc.stdout is not None
        stdout = proc.stdout
        self.thread = threading.Thread(target=lambda: self.chunks.extend(iter(
            lambda: stdout.read1(4096), b"")), daemon=True)
        self.thread.start()

    @property
    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text)
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError(f"never saw {pattern!r} in:\n{self.text}")


def _failing_app() -> Stein:
    app = Stein("debugged")

    def helper(values: list[int]) -> int:
        count = len(values)
        return sum(values) // (count - 3)

    @app.get("/fail")
    def fail() -> str:
        values = [1, 2, 3]
        return str(helper(values))

    app.debug = True
    return app


def _not_the_debugger(r: httpx.Response) -> None:
    # The request went to the app (its 404), not to the debugger (which answers JSON).
    assert r.status_code != 200 and not r.headers.get("content-type", "").startswith(
        "application/json"), (r.status_code, r.text[:200])
    assert "Traceback" not in r.text


def _base(server: serving.DevServer) -> str:
    return f"http://127.0.0.1:{server.server_port}"


# -- the real development server -------------------------------------------------------------


def test_stein_run_debug_pin_page_and_console() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_stein_cli(["--app", "debug_app", "run", "--debug"], FIXTURE_DIR, port)
    out = _Output(proc)
    try:
        wait_until_up(base, proc)
        pin = out.wait_for(r"Debugger PIN: (\d{3}-\d{3}-\d{3})")[1]
        assert "Debugger is active" in out.text

        r = httpx.get(base + "/fail")
        assert r.status_code == 500
        assert r.headers["x-stein-debug"] == "traceback"
        assert "script-src 'nonce-" in r.headers["content-security-policy"]
        html = r.text
        frames = _frames(html)
        # The user's frames come first, expanded; the framework's are folded after them.
        assert frames[0][0] == "user" and frames[0][3] == "fail", frames
        assert [f[3] for f in frames if f[0] == "user"] == ["fail", "order_total"]
        assert 'class="frame user" id="frame-' in html and 'class="lib-group">' in html
        # Every frame once: no re-raise duplicates.
        assert len(frames) == len(set(frames)), frames
        assert sum(1 for f in frames if f[3] == "handle_user_exception") <= 1
        # Local variables, short and escaped.
        assert "basket" in html and "discount" in html and "&#x27;tea&#x27;" in html

        tb, token = _page_ids(html)
        frame = _frame_index(html, "order_total")
        fields = {"tb": tb, "token": token, "frame": frame}
        console = f"{base}{DEBUGGER_PATH}/eval"
        # No PIN yet: the console refuses.
        r = httpx.post(console, data={**fields, "source": "total"}, headers=HEADERS)
        assert r.status_code == 403 and r.json()["pin_required"] is True
        # A wrong PIN, then the printed one.
        r = httpx.post(f"{base}{DEBUGGER_PATH}/pin", data={**fields, "pin": "000-000-000"},
                       headers=HEADERS)
        assert r.status_code == 403 and r.json()["ok"] is False
        assert "set-cookie" not in r.headers
        r = httpx.post(f"{base}{DEBUGGER_PATH}/pin", data={**fields, "pin": pin},
                       headers=HEADERS)
        assert r.status_code == 200 and r.json() == {"ok": True}
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        jar = r.cookies
        # The console evaluates in the frame: its locals, and assignments persist.
        r = httpx.post(console, data={**fields, "source": "total, discount"},
                       headers=HEADERS, cookies=jar)
        assert r.status_code == 200 and r.json()["output"] == "(12.0, 0.0)\n"
        httpx.post(console, data={**fields, "source": "doubled = total * 2"},
                   headers=HEADERS, cookies=jar)
        r = httpx.post(console, data={**fields, "source": "print(doubled)"},
                       headers=HEADERS, cookies=jar)
        assert r.json()["output"] == "24.0\n"
        # An error in the console is shown, not raised.
        r = httpx.post(console, data={**fields, "source": "1/0"}, headers=HEADERS,
                       cookies=jar)
        assert "ZeroDivisionError" in r.json()["output"]
        # Another frame: its own locals.
        r = httpx.post(console, data={**fields, "frame": _frame_index(html, "fail"),
                                      "source": "len(basket)"}, headers=HEADERS, cookies=jar)
        assert r.json()["output"] == "2\n"
        # The page offered again with the cookie says the console is unlocked.
        assert 'data-authed="1"' in httpx.get(base + "/fail", cookies=jar).text
    finally:
        code = stop(proc, signal.SIGINT)
    assert code == 0, out.text
    assert out.text.count("Debugger PIN:") == 1


def test_syntax_error_after_reload_shows_the_users_file_and_line(tmp_path: Any) -> None:
    good = "from stein import Stein\napp = Stein(__name__)\napp.get('/')(lambda: 'fine')\n"
    module = tmp_path / "app.py"
    module.write_text(good)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    proc = start_stein_cli(["run", "--debug"], str(tmp_path), port)
    out = _Output(proc)
    try:
        wait_until_up(base.rstrip("/"), proc)
        assert httpx.get(base).text == "fine"
        time.sleep(0.5)
        module.write_text("from stein import Stein\napp = Stein(__name__)\n\n"
                          "def broken(:\n    pass\n")
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(base, timeout=2)
                if "SyntaxError" in r.text:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, out.text
            time.sleep(0.2)
        assert r.status_code == 500
        frames = _frames(r.text)
        assert frames[0][0] == "user" and frames[0][1] == "app.py", frames
        assert frames[0][2] == "4"  # the line of the error in the user's file
        assert "def broken(:" in r.text
        assert "stein/cli.py" not in [f[1] for f in frames if f[0] == "user"]
    finally:
        stop(proc, signal.SIGINT)


def test_debug_off_is_a_plain_500_without_traceback() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_stein_cli(["--app", "debug_app", "run", "--no-debug"], FIXTURE_DIR, port)
    out = _Output(proc)
    try:
        wait_until_up(base, proc)
        r = httpx.get(base + "/fail")
        assert r.status_code == 500
        for leak in ("Traceback", "order_total", "ZeroDivisionError", "debug_app.py",
                     "basket"):
            assert leak not in r.text
        assert "x-stein-debug" not in r.headers
        # The debugger's addresses are not there at all.
        _not_the_debugger(httpx.post(f"{base}{DEBUGGER_PATH}/pin", data={"pin": "1"},
                                     headers=HEADERS))
        assert "Debugger PIN" not in out.text
    finally:
        stop(proc, signal.SIGINT)


# -- the guards, in process -----------------------------------------------------------------


def test_middleware_with_debug_off_passes_everything_through(start: Any) -> None:
    app = _failing_app()
    app.debug = False
    server = start(DebugMiddleware(app))
    r = httpx.get(_base(server) + "/fail")
    assert r.status_code == 500 and "Traceback" not in r.text and "helper" not in r.text
    _not_the_debugger(httpx.get(_base(server) + f"{DEBUGGER_PATH}/tb/x"))


def _error_page(server: serving.DevServer, **headers: str) -> httpx.Response:
    return httpx.get(_base(server) + "/fail", headers=headers)


def test_only_loopback_clients_naming_a_loopback_host(start: Any) -> None:
    server = start(DebugMiddleware(_failing_app()))
    assert "data-token" in _error_page(server).text
    assert "data-token" in _error_page(server, host=f"localhost:{server.server_port}").text
    # A page that rebinds its DNS name to 127.0.0.1 sends its own Host: refused.
    for headers in ({"host": "evil.example"}, {"x-forwarded-for": "203.0.113.9"},
                    {"forwarded": "for=203.0.113.9"}):
        r = _error_page(server, **headers)
        assert r.status_code == 500, headers
        assert "Traceback" not in r.text and "helper" not in r.text and "data-token" not in r.text
    r = httpx.post(_base(server) + f"{DEBUGGER_PATH}/pin", data={"pin": "1"},
                   headers={**HEADERS, "host": "evil.example"})
    _not_the_debugger(r)


def test_non_loopback_client_gets_plain_500() -> None:
    # The WSGI call with a remote address (deterministic), then a real socket from this
    # machine's own non-loopback address when it has one.
    middleware = DebugMiddleware(_failing_app())
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/fail", "SERVER_NAME": "x",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "REMOTE_ADDR": "192.0.2.4",
               "HTTP_HOST": "localhost", "wsgi.input": None, "SERVER_PROTOCOL": "HTTP/1.1"}
    body = b"".join(middleware(environ, lambda s, h, e=None: statuses.append(s)))
    assert statuses[0].startswith("500") and b"Traceback" not in body and b"helper" not in body
    assert len(middleware.store) == 0  # nothing kept for a console
    environ = dict(environ, PATH_INFO=f"{DEBUGGER_PATH}/tb/anything")
    assert not client_allowed(environ)

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            own = s.getsockname()[0]
        except OSError:
            own = "127.0.0.1"
    if own.startswith("127."):
        pytest.skip("this machine has no non-loopback address")
    server = serving.DevServer("0.0.0.0", 0, DebugMiddleware(_failing_app()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        r = httpx.get(f"http://{own}:{server.server_port}/fail",
                      headers={"host": "localhost"})
        assert r.status_code == 500 and "Traceback" not in r.text and "data-token" not in r.text
    finally:
        server.shutdown()
        server.server_close()


def test_wrong_pins_lock_the_console(start: Any) -> None:
    middleware = DebugMiddleware(_failing_app(), pin="123-456-789", max_attempts=3,
                                 lock_seconds=1.0)
    server = start(middleware)
    tb, token = _page_ids(_error_page(server).text)
    pin_url = _base(server) + f"{DEBUGGER_PATH}/pin"

    def attempt(pin: str) -> httpx.Response:
        return httpx.post(pin_url, data={"tb": tb, "token": token, "pin": pin},
                          headers=HEADERS)

    assert attempt("111-111-111").json()["message"] == "Wrong PIN (2 tries left)."
    assert attempt("111-111-112").status_code == 403
    third = attempt("111-111-113")  # the last allowed wrong try locks it
    assert third.status_code == 429 and third.json()["locked"] is True
    # Past the limit even the right PIN is refused, without a cookie.
    locked = attempt("123-456-789")
    assert locked.status_code == 429 and "set-cookie" not in locked.headers
    time.sleep(1.1)  # the lock runs out
    assert attempt("123456789").status_code == 200


def test_console_requests_must_come_from_the_page(start: Any) -> None:
    middleware = DebugMiddleware(_failing_app(), pin="123-456-789", max_input=2048)
    server = start(middleware)
    html = _error_page(server).text
    tb, token = _page_ids(html)
    base = _base(server) + DEBUGGER_PATH
    jar = httpx.post(base + "/pin", data={"tb": tb, "token": token, "pin": "123-456-789"},
                     headers=HEADERS).cookies
    fields = {"tb": tb, "token": token, "frame": _frame_index(html, "helper"),
              "source": "count"}
    ok = httpx.post(base + "/eval", data=fields, headers=HEADERS, cookies=jar)
    assert ok.json()["output"] == "3\n"
    refusals = [
        httpx.post(base + "/eval", data=fields, cookies=jar),  # no debugger header
        httpx.post(base + "/eval", data=fields, cookies=jar,
                   headers={**HEADERS, "origin": "http://evil.example"}),
        httpx.post(base + "/eval", data=fields, cookies=jar,
                   headers={**HEADERS, "sec-fetch-site": "cross-site"}),
        httpx.post(base + "/eval", data={**fields, "token": "guess"}, headers=HEADERS,
                   cookies=jar),
        httpx.post(base + "/eval", data=fields, headers=HEADERS,
                   cookies={"__stein_debugger": "1.forged"}),
        httpx.get(base + "/eval", params=fields, headers=HEADERS, cookies=jar),
    ]
    assert [r.status_code for r in refusals] == [403, 403, 403, 403, 403, 405]
    # The input limit, and one byte past it.
    big = {**fields, "source": "x" * 2048}
    r = httpx.post(base + "/eval", data=big, headers=HEADERS, cookies=jar)
    assert r.status_code == 413
    r = httpx.post(base + "/eval", data={**fields, "frame": "999"}, headers=HEADERS,
                   cookies=jar)
    assert r.status_code == 404
    # Malformed input is answered, never raised: not a number, not UTF-8, no body.
    r = httpx.post(base + "/eval", data={**fields, "frame": "x"}, headers=HEADERS, cookies=jar)
    assert r.status_code == 404
    r = httpx.post(base + "/eval", content=b"tb=\xff\xfe&token=%ff", headers={
        **HEADERS, "content-type": "application/x-www-form-urlencoded"}, cookies=jar)
    assert r.status_code == 403
    assert httpx.post(base + "/pin", headers=HEADERS).status_code == 403
    r = httpx.post(base + "/nothing", headers=HEADERS)
    assert r.status_code == 404 and "Traceback" not in r.text


def test_only_the_newest_tracebacks_are_kept(start: Any) -> None:
    middleware = DebugMiddleware(_failing_app(), pin="123-456-789", max_tracebacks=1)
    server = start(middleware)
    first = _page_ids(_error_page(server).text)
    second = _page_ids(_error_page(server).text)
    assert len(middleware.store) == 1
    base = _base(server) + DEBUGGER_PATH
    r = httpx.post(base + "/pin", data={"tb": first[0], "token": first[1], "pin": "1"},
                   headers=HEADERS)
    assert r.status_code == 403 and "expired" in r.json()["message"]
    assert httpx.get(f"{base}/tb/{first[0]}").status_code == 404
    assert httpx.get(f"{base}/tb/{second[0]}").status_code == 200


def test_pin_guard_and_cookie() -> None:
    guard = PinGuard(pin="123-456-789", secret=b"s" * 32, cookie_max_age=60)
    cookie = guard.make_cookie()
    assert guard.verify_cookie(cookie)
    assert not guard.verify_cookie(cookie[:-1] + ("0" if cookie[-1] != "0" else "1"))
    assert not PinGuard(pin="999-999-999", secret=b"s" * 32).verify_cookie(cookie)
    issued, _, sig = cookie.partition(".")
    old = str(int(issued) - 120)
    assert not guard.verify_cookie(f"{old}.{guard._signature(old)}")  # past max age
    with pytest.raises(ValueError):
        TracebackStore(limit=0)


def test_captured_chain_has_no_duplicates_and_marks_user_frames() -> None:
    def inner() -> None:
        raise KeyError("k")

    def outer() -> None:
        try:
            inner()
        except KeyError as e:
            raise e  # a re-raise: Python lists this frame twice

    try:
        outer()
    except KeyError as e:
        chain = capture_exception(e)
    names = [f.name for f in chain[-1].frames]
    assert names.count("outer") == 1 and names[-2:] == ["outer", "inner"]
    assert all(f.is_user for f in chain[-1].frames)


def test_a_broken_repr_does_not_break_the_page(start: Any) -> None:
    class Nasty:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    app = Stein("nasty")
    app.debug = True

    @app.get("/fail")
    def fail() -> str:
        thing = Nasty()  # noqa: F841 - a local the page shows
        huge = "y" * 100_000  # noqa: F841
        raise ValueError("<script>alert(1)</script>")

    server = start(DebugMiddleware(app))
    r = httpx.get(_base(server) + "/fail")
    assert r.status_code == 500
    assert "repr() failed: RuntimeError" in r.text
    assert "y" * 1000 not in r.text
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text


def test_pin_is_kept_across_reloads() -> None:
    # The reloader hands one PIN to every serving child (so a reload keeps the console
    # unlocked): the child's environment carries it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEIN_")}
    code = ("import os, stein.reloader as r; os.environ['STEIN_RUN_MAIN']='';"
            "import subprocess\n"
            "class P:\n"
            "    def __init__(self, args, env, pass_fds):\n"
            "        print(env['STEIN_DEBUG_PIN'], len(env['STEIN_DEBUG_SECRET']))\n"
            "    def wait(self): return 0\n"
            "subprocess.Popen = P\n"
            "import sys\n"
            "try:\n    r.run_with_reloader_supervisor('127.0.0.1', 0)\n"
            "except SystemExit:\n    pass\n")
    python = shutil.which("python", path=BIN) or os.path.join(BIN, "python")
    with contextlib.suppress(subprocess.TimeoutExpired):
        out = subprocess.run([python, "-c", code], capture_output=True, text=True,
                             env=env, timeout=60).stdout
    assert re.fullmatch(r"\d{3}-\d{3}-\d{3} 64\n", out), out
