"""Hostile HTTP/1.1 against the dev server over raw sockets.

Every case: the server answers a 4xx (400, 408, 414, 431, 501, 505) or closes, never
answers twice to one smuggled byte stream, and keeps serving other clients afterwards.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rawhttp import exchange, get, responses_in, running_server, status_of
from stein import Stein, request


def _app() -> Stein:
    app = Stein("raw_socket")

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return f"ok {len(request.get_data())}"

    @app.route("/echo-header")
    def echo_header() -> str:
        return repr(request.headers.get("X-Test"))

    return app


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with running_server(_app(), request_timeout=1.0, keepalive_timeout=1.0) as p:
        yield p


def _still_serving(port: int) -> None:
    raw = get(port)
    assert status_of(raw) == 200, raw[:200]
    assert raw.endswith(b"ok 0")


def test_baseline(port: int) -> None:
    _still_serving(port)


MALFORMED: list[tuple[str, bytes, set[int | None]]] = [
    ("garbage line", b"GARBAGE\r\n\r\n", {400}),
    ("two spaces", b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n", {400}),
    ("no version", b"GET /\r\n\r\n", {400}),
    ("http/2 version", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", {505}),
    ("bad version", b"GET / FTP/1.1\r\nHost: t\r\n\r\n", {400}),
    ("non-alpha method", b"G\x00T / HTTP/1.1\r\nHost: t\r\n\r\n", {400}),
    ("nul in target", b"GET /\x00 HTTP/1.1\r\nHost: t\r\n\r\n", {400}),
    ("header without colon", b"GET / HTTP/1.1\r\nHost t\r\n\r\n", {400}),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", {400}),
    ("space inside name", b"GET / HTTP/1.1\r\nX Bad: 1\r\n\r\n", {400}),
    ("control char in name", b"GET / HTTP/1.1\r\nX\x01Bad: 1\r\n\r\n", {400}),
    ("nul in value", b"GET / HTTP/1.1\r\nX-Test: a\x00b\r\n\r\n", {400}),
    ("bare CR in value", b"GET / HTTP/1.1\r\nX-Test: a\rb\r\n\r\n", {400}),
    ("obs-fold", b"GET / HTTP/1.1\r\nX-Test: a\r\n b\r\n\r\n", {400}),
    ("empty header name", b"GET / HTTP/1.1\r\n: v\r\n\r\n", {400}),
    ("CL not a number", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", {400}),
    ("CL signed", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello", {400}),
    ("CL list", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello", {400}),
    ("duplicate CL differing",
     b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 0\r\n\r\nhello", {400}),
    ("CL and TE",
     b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n", {400}),
    ("TE and CL (order swapped)",
     b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
     b"0\r\n\r\n", {400}),
    ("TE not chunked last",
     b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n", {501}),
    ("TE obfuscated", b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n", {501}),
    ("TE with underscore name ignored, CL wins",
     b"POST / HTTP/1.1\r\nHost: t\r\nTransfer_Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
     {200}),
    ("bad chunk size",
     b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     b"zz\r\nhello\r\n0\r\n\r\n", {400}),
    ("chunk size 0x-prefixed",
     b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     b"0x5\r\nhello\r\n0\r\n\r\n", {400}),
    ("chunk size with underscore",
     b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     b"0_5\r\nhello\r\n0\r\n\r\n", {400}),
    ("version suffix", b"GET / HTTP/1.1x\r\nHost: t\r\n\r\n", {400}),
    ("request line too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", {414}),
    ("header line too long", b"GET / HTTP/1.1\r\nX-Test: " + b"a" * 9000 + b"\r\n\r\n", {431}),
    ("too many headers",
     b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(200)) + b"\r\n", {431}),
]


@pytest.mark.parametrize("name,data,expected", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests(port: int, name: str, data: bytes, expected: set[int | None]) -> None:
    raw = exchange(port, data)
    assert status_of(raw) in expected, raw[:300]
    assert responses_in(raw) <= 1, f"{name}: more than one response (smuggling?): {raw!r}"
    assert b"smuggled" not in raw
    _still_serving(port)


def test_duplicate_identical_content_length_is_accepted(port: int) -> None:
    raw = exchange(port, b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                         b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert status_of(raw) == 200
    assert raw.endswith(b"ok 5")


def test_bare_lf_line_endings_parse_as_one_request(port: int) -> None:
    # RFC 9112 2.2 lets a server accept a bare LF as a line end; it must then be one request.
    raw = exchange(port, b"GET / HTTP/1.1\nHost: t\nConnection: close\n\n")
    assert status_of(raw) in (200, 400)
    assert responses_in(raw) == 1


def test_chunked_body_is_decoded(port: int) -> None:
    raw = exchange(port, b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                         b"Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    assert status_of(raw) == 200
    assert raw.endswith(b"ok 11")


CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
_SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.mark.parametrize("body", [
    b"5\r\nhelloXX\r\n0\r\n\r\n",          # two bytes of junk where the CRLF belongs
    b"5\r\nhello\r0\r\n\r\n",               # CR without LF
    b"5\r\nhello\n0\r\n\r\n",               # bare LF
    b"3\r\nhello\r\n0\r\n\r\n",            # size says 3, data is 5: "lo" is not CRLF
    b"5\r\nhello0\r\n\r\n" + _SMUGGLED,      # CRLF missing, a request hidden behind
], ids=["junk", "cr-only", "lf-only", "data-longer-than-size", "smuggle"])
def test_chunk_data_without_crlf_is_400_and_closes(port: int, body: bytes) -> None:
    # No "Connection: close" from the client: the server must close on its own, since it
    # cannot tell where this request's body ends (exchange() reads until the close).
    raw = exchange(port, CHUNKED_HEAD + body + b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert status_of(raw) == 400, raw[:300]
    assert b"Chunk data not followed by CRLF in the chunked body" in raw
    assert b"\r\nConnection: close\r\n" in raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    assert responses_in(raw) == 1, raw
    assert b"<timeout>" not in raw
    assert b"smuggled" not in raw
    _still_serving(port)


def test_chunked_body_with_crlf_keeps_the_connection(port: int) -> None:
    # The same connection serves a well-framed chunked request (with a trailer) and the next.
    raw = exchange(port, CHUNKED_HEAD + b"5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: 1\r\n\r\n"
                         b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert responses_in(raw) == 2, raw
    assert status_of(raw) == 200
    assert raw.index(b"ok 6") < raw.index(b"ok 0")


def test_oversized_chunked_trailers_are_400(port: int) -> None:
    trailers = b"".join(b"X-T%d: %s\r\n" % (i, b"a" * 8000) for i in range(10))
    raw = exchange(port, CHUNKED_HEAD + b"2\r\nhi\r\n0\r\n" + trailers + b"\r\n")
    assert status_of(raw) == 400, raw[:300]
    assert b"Trailer fields too large in the chunked body" in raw
    assert responses_in(raw) == 1
    _still_serving(port)


def test_overlong_chunk_size_line_is_400(port: int) -> None:
    raw = exchange(port, CHUNKED_HEAD + b"5;" + b"e" * 9000 + b"\r\nhello\r\n0\r\n\r\n")
    assert status_of(raw) == 400, raw[:300]
    assert b"Chunk size line too long in the chunked body" in raw
    assert responses_in(raw) == 1
    _still_serving(port)


def test_pipelined_requests_answered_in_order(port: int) -> None:
    raw = exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
                         b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                         b"Connection: close\r\n\r\nabc")
    assert responses_in(raw) == 2
    assert raw.index(b"ok 0") < raw.index(b"ok 3")


def test_slowloris_head_gets_408_or_close(port: int) -> None:
    # Send a request head one byte at a time, slower than the 1 s request timeout allows.
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        got = b""
        try:
            for b in b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100:
                s.sendall(bytes([b]))
                time.sleep(0.05)
                if time.monotonic() - start > 4:
                    break
            got = s.recv(65536)
        except OSError:
            pass
    assert status_of(got) in (408, None), got[:200]
    assert time.monotonic() - start < 5


def test_idle_connection_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        first = s.recv(65536)
        while not first.endswith(b"ok 0"):
            first += s.recv(65536)
        assert status_of(first) == 200
        start = time.monotonic()
        rest = s.recv(65536)  # the keep-alive timeout (1 s) ends the connection
        assert rest == b""
        assert time.monotonic() - start < 4


def test_slow_body_times_out(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
        start = time.monotonic()
        data = b""
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
        except OSError:
            pass
        assert time.monotonic() - start < 5
    assert status_of(data) in (400, 408, 500, None)


def test_many_slow_clients_do_not_block_others(port: int) -> None:
    socks: list[socket.socket] = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")  # never finished
            socks.append(s)
        t0 = time.monotonic()
        _still_serving(port)
        assert time.monotonic() - t0 < 1.0
    finally:
        for s in socks:
            s.close()


def test_concurrent_clients_during_attack(port: int) -> None:
    results: list[Any] = []

    def attacker() -> None:
        for data in (m[1] for m in MALFORMED[:10]):
            exchange(port, data)

    def client() -> None:
        for _ in range(10):
            results.append(status_of(get(port)))

    threads = [threading.Thread(target=attacker) for _ in range(3)]
    threads += [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 30
