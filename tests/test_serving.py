"""The development server over real sockets: framing, keep-alive, limits, errors, the
debug page, Ctrl-C, and the reloader."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from liveserver import BIN, free_port, stop, wait_until_up
from stein import Stein, http1, reloader, send_file, serving
from stein.debugpage import DebugMiddleware, render_exception
from stein.reloader import Watcher
from stein.serving import DebugBindRefused, check_debug_bind, is_loopback


def raw(server: serving.DevServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes; everything the server sends until it closes (or goes quiet)."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    info = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']}"
    payload = info.encode() + b"|" + body
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Seen-Cookie",
                                                               environ.get("HTTP_COOKIE", ""))])
    return [payload]


def stream_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first,"
    yield b""
    yield b"second"


def url(server: serving.DevServer, path: str = "/") -> str:
    return f"http://127.0.0.1:{server.server_port}{path}"


# -- framing and keep-alive -----------------------------------------------------------------


def test_keep_alive_two_requests_on_one_connection(start: Any) -> None:
    server = start(echo_app, keepalive_timeout=0.5)
    data = raw(server, b"GET /a?x=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                       b"POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
    assert data.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert b"Content-Length: 11\r\n" in data
    assert b"\r\n\r\nGET /a?x=1|HTTP/1.1 200 OK" in data
    assert data.endswith(b"POST /b?|abc")
    assert b"Connection: close" not in data


def test_connection_close_and_http10(start: Any) -> None:
    server = start(stream_app)
    data = raw(server, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert b"Connection: close\r\n" in data
    data = raw(server, b"GET / HTTP/1.0\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK")
    assert b"Transfer-Encoding" not in head
    assert b"Connection: close" in head
    assert body == b"first,second"  # the end of the body is the close


def test_streamed_body_is_chunked(start: Any) -> None:
    server = start(stream_app)
    data = raw(server, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert b"Content-Length" not in head
    assert body == b"6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n"
    r = httpx.get(url(server))
    assert r.text == "first,second"


def test_list_body_gets_content_length_and_head_has_no_body(start: Any) -> None:
    server = start(echo_app)
    r = httpx.get(url(server, "/x"))
    assert r.headers["content-length"] == str(len(b"GET /x?|"))
    assert r.headers["server"] == "stein-devserver"
    assert "date" in r.headers
    data = raw(server, b"HEAD /x HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert data.endswith(b"\r\n\r\n")
    assert b"Content-Length: 9\r\n" in data


def test_duplicate_headers_joined_and_underscore_headers_dropped(start: Any) -> None:
    server = start(echo_app)
    data = raw(server, b"GET / HTTP/1.1\r\nCookie: a=1\r\nCookie: b=2\r\nX_Evil: 1\r\n"
                       b"Connection: close\r\n\r\n")
    assert b"X-Seen-Cookie: a=1; b=2\r\n" in data


def test_chunked_request_body(start: Any) -> None:
    server = start(echo_app)
    data = raw(server, b"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close"
                       b"\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    assert data.endswith(b"POST /up?|hello world")


def test_expect_100_continue(start: Any) -> None:
    server = start(echo_app)
    data = raw(server, b"PUT / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
                       b"Connection: close\r\n\r\nok")
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")


# -- bad requests and limits ----------------------------------------------------------------


@pytest.mark.parametrize(("request_bytes", "status", "message"), [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", b"414 URI Too Long",
     b"Request line too long"),
    (b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n",
     b"431 Request Header Fields Too Large", b"Request header fields too large"),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-Big%d: %s\r\n" % (i, b"v" * 8000) for i in range(9))
     + b"\r\n", b"431 Request Header Fields Too Large", b"Request header fields too large"),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(101)) + b"\r\n",
     b"431 Request Header Fields Too Large", b"Too many request header fields"),
    (b"GET /\r\n\r\n", b"400 Bad Request", b"Malformed request line"),
    (b"GET / HTTP/2.0\r\n\r\n", b"505 HTTP Version Not Supported", b"Only HTTP/1.0"),
    (b"GET / HTTP/1.1\r\nNo-Colon\r\n\r\n", b"400 Bad Request", b"Malformed header line"),
    (b"GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", b"400 Bad Request", b"Folded header"),
    (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     b"400 Bad Request", b"Both Content-Length and Transfer-Encoding"),
    (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
     b"400 Bad Request", b"Conflicting Content-Length"),
    (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", b"400 Bad Request",
     b"Invalid Content-Length"),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", b"501 Not Implemented",
     b"Unsupported Transfer-Encoding"),
], ids=["long-line", "long-header", "headers-total", "header-count", "no-version",
        "http2", "no-colon", "folded", "cl-and-te", "two-cl", "negative-cl", "gzip-te"])
def test_bad_requests(start: Any, request_bytes: bytes, status: bytes, message: bytes) -> None:
    server = start(echo_app)
    data = raw(server, request_bytes)
    assert data.startswith(b"HTTP/1.1 " + status + b"\r\n")
    assert b"Connection: close" in data
    assert message in data.partition(b"\r\n\r\n")[2]


def test_slow_client_gets_408(start: Any) -> None:
    server = start(echo_app, request_timeout=0.3)
    began = time.monotonic()
    data = raw(server, b"GET / HTTP/1.1\r\nHost: slow", timeout=5)
    assert data.startswith(b"HTTP/1.1 408 Request Timeout")
    assert b"Request timed out" in data
    assert time.monotonic() - began < 3


def test_idle_keep_alive_connection_is_closed_quietly(start: Any) -> None:
    server = start(echo_app, keepalive_timeout=0.2)
    data = raw(server, b"GET / HTTP/1.1\r\n\r\n", timeout=5)
    assert data.count(b"HTTP/1.1") == 1  # the response, and then a plain close (no 408)


# -- files ----------------------------------------------------------------------------------


def test_file_wrapper_sent_with_sendfile(start: Any, tmp_path: Any) -> None:
    payload = os.urandom(200_000)
    path = tmp_path / "blob.bin"
    path.write_bytes(payload)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", str(len(payload)))])
        return environ["wsgi.file_wrapper"](open(path, "rb"), 8192)

    server = start(app)
    r = httpx.get(url(server))
    assert r.content == payload


def test_send_file_with_range_through_the_server(start: Any, tmp_path: Any) -> None:
    payload = bytes(range(256)) * 40
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    app = Stein("files")

    @app.get("/f")
    def f() -> Any:
        return send_file(str(path), conditional=True)

    server = start(app)
    r = httpx.get(url(server, "/f"))
    assert r.content == payload
    r = httpx.get(url(server, "/f"), headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == payload[100:200]
    r = httpx.get(url(server, "/f"), headers={"Range": "bytes=10000-"})
    assert r.status_code == 206
    assert r.content == payload[10000:]


def test_file_wrapper_limit_to() -> None:
    import io

    wrapper = serving.FileWrapper(io.BytesIO(b"0123456789"), blksize=3)
    wrapper.limit_to(2, 8)
    assert b"".join(wrapper) == b"234567"


# -- errors ---------------------------------------------------------------------------------


def test_app_error_is_plain_500_and_logged(start: Any, caplog: Any) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        raise ValueError("secret detail")

    caplog.set_level(logging.INFO, logger="stein.serving")
    server = start(app)
    r = httpx.get(url(server, "/err"))
    assert r.status_code == 500
    assert "Internal Server Error" in r.text
    assert "secret detail" not in r.text
    assert "ValueError: secret detail" in caplog.text
    assert '"GET /err HTTP/1.1" 500' in caplog.text


def test_error_after_headers_closes_connection(start: Any) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"partial"
        raise RuntimeError("mid-stream")

    server = start(app)
    data = raw(server, b"GET / HTTP/1.1\r\n\r\n")
    assert b"7\r\npartial\r\n" in data
    assert not data.endswith(b"0\r\n\r\n")  # no clean end: the client sees the failure


def test_request_log_line(start: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="stein.serving")
    server = start(echo_app)
    httpx.get(url(server, "/logged?q=1"))
    lines = [r.getMessage() for r in caplog.records if "/logged" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("127.0.0.1 - - [")
    assert '"GET /logged?q=1 HTTP/1.1" 200 ' in lines[0]


def _debug_app() -> Stein:
    app = Stein("debugged")

    @app.get("/fail")
    def fail() -> str:
        marker = "<script>alert(1)</script>"  # noqa: F841 - shown in the source listing
        raise KeyError("<b>missing</b>")

    return app


def test_debug_page_shows_escaped_source(start: Any, caplog: Any) -> None:
    app = _debug_app()
    app.debug = True
    server = start(DebugMiddleware(app))
    r = httpx.get(url(server, "/fail"))
    assert r.status_code == 500
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["x-stein-debug"] == "traceback"
    html = r.text
    assert "<h1>KeyError</h1>" in html
    assert "&lt;b&gt;missing&lt;/b&gt;" in html
    assert "<b>missing</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert 'class="cur"' in html and "raise KeyError(" in html
    assert "test_serving.py" in html
    assert 'form class="console"' in html  # the interactive debugger (tests/test_debugger.py)
    assert "KeyError" in caplog.text


def test_debug_off_gives_plain_500(start: Any) -> None:
    server = start(_debug_app())
    r = httpx.get(url(server, "/fail"))
    assert r.status_code == 500
    assert "missing" not in r.text
    assert "Traceback" not in r.text


def test_render_exception_chains() -> None:
    try:
        try:
            raise OSError("inner")
        except OSError as e:
            raise RuntimeError("outer") from e
    except RuntimeError as e:
        html = render_exception(e)
    assert html.index("<h2>OSError: inner") < html.index("<h2>RuntimeError: outer")
    assert "direct cause" in html


# -- debug mode binding ---------------------------------------------------------------------


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("127.0.0.5", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("", False),
])
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_debug_bind_refused_then_allowed_with_warning(capsys: Any) -> None:
    check_debug_bind("0.0.0.0", debug=False, debug_public=False)
    check_debug_bind("127.0.0.1", debug=True, debug_public=False)
    with pytest.raises(DebugBindRefused) as e:
        check_debug_bind("0.0.0.0", debug=True, debug_public=False)
    assert "--debug-public" in str(e.value)
    with pytest.raises(DebugBindRefused):
        serving.run_simple("0.0.0.0", 0, echo_app, use_debugger=True)
    check_debug_bind("0.0.0.0", debug=True, debug_public=True)
    assert "WARNING: debug mode is reachable on '0.0.0.0'" in capsys.readouterr().err


# -- the watcher ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["stat", "watchfiles"])
def test_watcher_sees_changes(tmp_path: Any, kind: str) -> None:
    extra = tmp_path / "settings.toml"
    extra.write_text("a = 1\n")
    changes: list[str] = []
    watcher = Watcher([str(extra)], interval=0.05, kind=kind,
                      on_change=lambda path: (changes.append(path), watcher.stop_event.set()))
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # let it take its first look
        extra.write_text("a = 2\n")
        os.utime(extra, (time.time() + 5, time.time() + 5))
        thread.join(timeout=10)
    finally:
        watcher.stop_event.set()
    assert changes and os.path.samefile(changes[0], extra)


def test_watcher_files_skip_the_interpreter() -> None:
    files = Watcher().files()
    assert os.path.realpath(serving.__file__) in files
    assert os.path.realpath(reloader.__file__) in files
    assert os.path.realpath(os.__file__) not in files


def test_names_moved_out_of_serving_still_import_from_it() -> None:
    # The reloader and the request parsing live in their own modules; stein.serving keeps
    # offering the names it always had, as the very same objects.
    for name in ("Watcher", "is_running_from_reloader", "run_with_reloader_supervisor",
                 "files_of_exception"):
        assert getattr(serving, name) is getattr(reloader, name), name
    for name in ("MAX_REQUEST_LINE", "MAX_HEADER_LINE", "MAX_HEADERS_SIZE", "MAX_HEADER_COUNT"):
        assert getattr(serving, name) == getattr(http1, name), name
    assert (serving.MAX_REQUEST_LINE, serving.MAX_HEADER_COUNT) == (8190, 100)
    assert set(serving.__all__) <= set(vars(serving))


def test_import_stein_leaves_the_server_modules_alone() -> None:
    code = ("import sys, stein; print(sorted(m for m in sys.modules if m in "
            "('stein.serving', 'stein.reloader', 'stein.http1')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


# -- processes: Ctrl-C and the reloader -----------------------------------------------------


def _start_cli(args: list[str], cwd: Any, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([os.path.join(BIN, "stein"), *args, "--port", str(port)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith("STEIN_")})


def test_ctrl_c_stops_cleanly(tmp_path: Any) -> None:
    (tmp_path / "app.py").write_text("from stein import Stein\napp = Stein(__name__)\n"
                                     "app.get('/')(lambda: 'up')\n")
    port = free_port()
    proc = _start_cli(["run", "--no-reload"], tmp_path, port)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc)
        assert httpx.get(f"http://127.0.0.1:{port}/").text == "up"
    finally:
        code = stop(proc, signal.SIGINT)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0, out
    assert "Traceback" not in out
    assert f"Running on http://127.0.0.1:{port}/" in out


def _wait_for_text(url: str, expected: str, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=2)
            if expected in last.text:
                return last
        except httpx.TransportError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"never saw {expected!r} at {url}; last: {last!r}")


def test_reloader_restarts_and_survives_a_syntax_error(tmp_path: Any) -> None:
    source = "from stein import Stein\napp = Stein(__name__)\napp.get('/')(lambda: {!r})\n"
    module = tmp_path / "app.py"
    module.write_text(source.format("version one"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    proc = _start_cli(["run", "--reload", "--extra-files", "notes.txt"], tmp_path, port)
    try:
        wait_until_up(base.rstrip("/"), proc)
        assert httpx.get(base).text == "version one"
        time.sleep(0.5)
        module.write_text(source.format("version two"))
        _wait_for_text(base, "version two")
        module.write_text("from stein import Stein\napp = Stein(__name__\n")  # broken
        broken = _wait_for_text(base, "could not be loaded")
        assert broken.status_code == 500
        assert "SyntaxError" in broken.text
        module.write_text(source.format("version three"))
        _wait_for_text(base, "version three")
        (tmp_path / "notes.txt").write_text("changed")
        time.sleep(0.3)
    finally:
        code = stop(proc, signal.SIGINT)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0, out
    assert "Restarting with" in out
    assert "Detected change in" in out
    assert "SyntaxError" in out
    assert out.count(f"Running on http://127.0.0.1:{port}/") == 1


def test_https_with_cert_and_key(start: Any, tmp_path: Any) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None, "openssl is part of the base system"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    server = start(echo_app, ssl_context=(str(cert), str(key)))
    assert server.url_scheme == "https"
    r = httpx.get(f"https://127.0.0.1:{server.server_port}/tls", verify=False)
    assert r.status_code == 200
    assert r.text == "GET /tls?|"
