"""WebSockets under the development server: a minimal RFC 6455 client over a raw socket
(written here, so the server is checked against the RFC and not against one library),
against ``stein run`` and against an in-process DevServer: the handshake, text and
binary messages, fragmentation, ping/pong, close codes, masking, UTF-8, the configured
limits, the reloader and the debugger."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import signal
import socket
import struct
import threading
import time
from typing import Any

import pytest

from liveserver import free_port, start_stein_cli, stop
from stein import Stein, request
from stein.debugpage import DebugMiddleware
from stein.wsproto import WebSocketLimits, accept_key

FIXTURE_DIR = os.path.join(os.path.dirname(__file__), "fixtures", "debugapp")


# -- a minimal client -----------------------------------------------------------------------


class Client:
    """The client end of one WebSocket, over a raw socket."""

    def __init__(self, port: int, path: str = "/echo", headers: dict[str, str] | None = None,
                 timeout: float = 5.0, key: str | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        fields = {"Host": f"127.0.0.1:{port}", "Upgrade": "websocket",
                  "Connection": "Upgrade", "Sec-WebSocket-Key": self.key,
                  "Sec-WebSocket-Version": "13", **(headers or {})}
        head = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        self.sock.sendall(head.encode() + b"\r\n")
        self.buffer = b""
        raw = self._read_until(b"\r\n\r\n")
        self.status = int(raw.split(b" ", 2)[1])
        self.head = raw.decode("latin-1")
        self.response_body = b""
        if self.status != 101:
            m = re.search(r"content-length: (\d+)", self.head, re.I)
            if m:
                self.response_body = self._read_exactly(int(m[1]))

    def header(self, name: str) -> str | None:
        m = re.search(rf"^{name}: (.*?)\r$", self.head, re.I | re.M)
        return m[1] if m else None

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def _read_exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True, mask: bool = True,
                   rsv: int = 0) -> None:
        first = (0x80 if fin else 0) | rsv | opcode
        n = len(payload)
        bit = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", first, bit | n)
        elif n < 65536:
            head = struct.pack("!BBH", first, bit | 126, n)
        else:
            head = struct.pack("!BBQ", first, bit | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.sock.sendall(head + payload)

    def send_text(self, text: str) -> None:
        self.send_frame(0x1, text.encode())

    def recv_frame(self) -> tuple[int, bytes]:
        b0, b1 = self._read_exactly(2)
        assert not b1 & 0x80, "server frames are never masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read_exactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read_exactly(8))[0]
        return b0 & 0x0F, self._read_exactly(n)

    def recv_close(self) -> int:
        """Read frames up to the server's close; its code."""
        while True:
            opcode, payload = self.recv_frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if payload else 1005

    def close(self, code: int = 1000) -> int:
        self.send_frame(0x8, struct.pack("!H", code))
        reply = self.recv_close()
        self.sock.close()
        return reply

    def at_eof(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True


# -- apps and servers -----------------------------------------------------------------------


def ws_app() -> Stein:
    app = Stein("ws")

    @app.websocket("/echo")
    async def echo(ws: Any) -> None:
        await ws.accept()
        async for message in ws:
            await ws.send(message)

    @app.websocket("/origin")
    async def origin(ws: Any) -> None:
        await ws.accept(subprotocol=ws.subprotocols[0] if ws.subprotocols else None)
        await ws.send(f"{request.headers.get('Origin')}|{request.args.get('q')}|{ws.path}")

    @app.websocket("/fail")
    async def fail(ws: Any) -> None:
        await ws.accept()
        await ws.receive()
        raise RuntimeError("handler failed after accept")

    @app.websocket("/early")
    async def early(ws: Any) -> None:
        secret = "in-the-frame"  # noqa: F841 - the debugger shows it
        raise LookupError("failed before accept")

    @app.websocket("/badheader")
    async def badheader(ws: Any) -> None:
        await ws.accept(headers=[("X-Bad", "a\r\nSet-Cookie: injected=1")])

    @app.get("/plain")
    def plain() -> str:
        return "plain http still works"

    return app


def _connect_when_up(port: int, path: str = "/echo", timeout: float = 20.0) -> Client:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = Client(port, path)
            if client.status == 101:
                return client
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the server never accepted a WebSocket")
        time.sleep(0.2)


# -- the real command -----------------------------------------------------------------------


def test_stein_run_serves_websockets() -> None:
    port = free_port()
    proc = start_stein_cli(["--app", "debug_app", "run", "--no-reload"], FIXTURE_DIR, port)
    try:
        ws = _connect_when_up(port)
        assert ws.header("Sec-WebSocket-Accept") == accept_key(ws.key)
        ws.send_text("hello")
        assert ws.recv_frame() == (0x1, b"hello")
        ws.send_text("caf\u00e9 \u2603")
        assert ws.recv_frame() == (0x1, "caf\u00e9 \u2603".encode())
        assert ws.close(1000) == 1000
        # Plain HTTP to the same server still works, and to the route it is the 426.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 426")
        time.sleep(0.5)  # the WebSocket's log line is written as its thread ends
    finally:
        code = stop(proc, signal.SIGINT)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0, out
    assert '"GET /echo HTTP/1.1" 101' in out


def test_websocket_with_the_reloader(tmp_path: Any) -> None:
    source = ("from stein import Stein\napp = Stein(__name__)\n"
              "@app.websocket('/echo')\nasync def echo(ws):\n    await ws.accept()\n"
              "    async for m in ws:\n        await ws.send({!r} + m)\n")
    module = tmp_path / "app.py"
    module.write_text(source.format("one:"))
    port = free_port()
    proc = start_stein_cli(["run", "--reload"], str(tmp_path), port)
    try:
        ws = _connect_when_up(port)
        ws.send_text("x")
        assert ws.recv_frame() == (0x1, b"one:x")
        time.sleep(0.5)
        module.write_text(source.format("two:"))
        # The reload ends the connection; a new one talks to the new code.
        deadline = time.monotonic() + 20
        while True:
            try:
                ws = _connect_when_up(port, timeout=5)
                ws.send_text("x")
                if ws.recv_frame() == (0x1, b"two:x"):
                    break
            except (OSError, TimeoutError):
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        ws.close()
    finally:
        code = stop(proc, signal.SIGINT)
    assert code == 0


# -- the protocol, in process ---------------------------------------------------------------


def test_messages_fragments_ping_and_close(start: Any) -> None:
    server = start(ws_app())
    ws = Client(server.server_port)
    assert ws.status == 101
    ws.send_frame(0x2, b"\x00\x01\xff")
    assert ws.recv_frame() == (0x2, b"\x00\x01\xff")
    # A text message in three fragments, with a ping between them (allowed, RFC 5.4).
    ws.send_frame(0x1, "h\u00e9".encode()[:2], fin=False)
    ws.send_frame(0x9, b"are you there")
    ws.send_frame(0x0, "h\u00e9".encode()[2:] + b"l", fin=False)
    ws.send_frame(0x0, b"lo")
    assert ws.recv_frame() == (0xA, b"are you there")
    assert ws.recv_frame() == (0x1, "h\u00e9llo".encode())
    big = os.urandom(70_000)  # a 64-bit length
    ws.send_frame(0x2, big)
    assert ws.recv_frame() == (0x2, big)
    ws.send_frame(0xA, b"unsolicited pong")  # ignored
    assert ws.close(4000) == 4000
    assert ws.at_eof()


@pytest.mark.parametrize(("frame", "code"), [
    ({"opcode": 0x1, "payload": b"hi", "mask": False}, 1002),      # unmasked
    ({"opcode": 0x1, "payload": b"\xff\xfe"}, 1007),                # not UTF-8
    ({"opcode": 0x1, "payload": b"hi", "rsv": 0x40}, 1002),         # RSV1 without extension
    ({"opcode": 0x3, "payload": b""}, 1002),                        # reserved opcode
    ({"opcode": 0x0, "payload": b"orphan"}, 1002),                  # continuation, no start
    ({"opcode": 0x9, "payload": b"p", "fin": False}, 1002),        # fragmented control
    ({"opcode": 0x9, "payload": b"p" * 126}, 1002),                 # long control
    ({"opcode": 0x8, "payload": struct.pack("!H", 999)}, 1002),     # invalid close code
    ({"opcode": 0x8, "payload": b"\x03"}, 1002),                    # one-byte close
    ({"opcode": 0x8, "payload": b"\x03\xe8\xff"}, 1007),            # close reason not UTF-8
])
def test_protocol_errors_close_with_their_code(start: Any, frame: dict[str, Any],
                                               code: int) -> None:
    server = start(ws_app())
    ws = Client(server.server_port)
    ws.send_frame(**frame)
    assert ws.recv_close() == code
    assert ws.at_eof()
    # The server is fine afterwards.
    again = Client(server.server_port)
    again.send_text("still here")
    assert again.recv_frame() == (0x1, b"still here")
    again.close()


def test_new_message_inside_a_fragmented_one_and_utf8_across_fragments(start: Any) -> None:
    server = start(ws_app())
    ws = Client(server.server_port)
    ws.send_frame(0x1, b"start", fin=False)
    ws.send_frame(0x1, b"again")
    assert ws.recv_close() == 1002
    ws = Client(server.server_port)
    ws.send_frame(0x1, b"ok \xe2", fin=False)  # the character continues in the next one
    ws.send_frame(0x0, b"\x98\x83")
    assert ws.recv_frame() == (0x1, "ok \u2603".encode())
    ws.send_frame(0x1, b"bad \xe2", fin=False)
    ws.send_frame(0x0, b"\x28")  # not a continuation byte
    assert ws.recv_close() == 1007


def test_message_size_limit_and_one_past_it(start: Any) -> None:
    server = start(ws_app(), ws_limits=WebSocketLimits(max_message_size=1000))
    ws = Client(server.server_port)
    ws.send_frame(0x2, b"x" * 1000)  # exactly the limit
    assert ws.recv_frame() == (0x2, b"x" * 1000)
    ws.send_frame(0x2, b"x" * 1001)
    assert ws.recv_close() == 1009
    # Fragments count together.
    ws = Client(server.server_port)
    ws.send_frame(0x2, b"x" * 600, fin=False)
    ws.send_frame(0x0, b"x" * 401)
    assert ws.recv_close() == 1009


def test_close_timeout_for_a_client_that_never_answers_close(start: Any) -> None:
    app = Stein("closer")

    @app.websocket("/bye")
    async def bye(ws: Any) -> None:
        await ws.accept()
        await ws.close(1001, "going away")

    server = start(app, ws_limits=WebSocketLimits(close_timeout=0.5))
    ws = Client(server.server_port, "/bye")
    began = time.monotonic()
    opcode, payload = ws.recv_frame()
    assert opcode == 0x8 and payload == struct.pack("!H", 1001) + b"going away"
    assert ws.at_eof()  # the client never sent its close: the server gives up on it
    assert 0.3 < time.monotonic() - began < 4


def test_write_timeout_drops_a_client_that_does_not_read(start: Any) -> None:
    gave_up = threading.Event()
    app = Stein("flood")

    @app.websocket("/flood")
    async def flood(ws: Any) -> None:
        await ws.accept()
        try:
            for _ in range(10_000):
                await ws.send(b"z" * 1_000_000)
        except OSError:
            gave_up.set()

    server = start(app, ws_limits=WebSocketLimits(write_timeout=0.5))
    ws = Client(server.server_port, "/flood")
    assert ws.status == 101
    assert gave_up.wait(15), "the server kept waiting for a client that does not read"
    ws.sock.close()


def test_read_ahead_is_bounded_by_max_queue(start: Any) -> None:
    release = threading.Event()
    app = Stein("slow")

    @app.websocket("/slow")
    async def slow(ws: Any) -> None:
        import asyncio

        await ws.accept()
        while not release.is_set():
            await asyncio.sleep(0.02)
        count = 0
        async for _ in ws:
            count += 1
            if count == 200:
                await ws.send(str(count))

    server = start(app, ws_limits=WebSocketLimits(max_queue=4))
    ws = Client(server.server_port, "/slow")
    for _ in range(200):
        ws.send_frame(0x1, b"m")
    release.set()
    assert ws.recv_frame() == (0x1, b"200")  # nothing lost while the reader waited
    ws.close()


def test_handshake_checks(start: Any) -> None:
    server = start(ws_app())
    port = server.server_port
    old = Client(port, headers={"Sec-WebSocket-Version": "8"})
    assert old.status == 426 and old.header("Sec-WebSocket-Version") == "13"
    assert Client(port, key="not-a-key").status == 400
    assert Client(port, key=base64.b64encode(b"short").decode()).status == 400
    assert Client(port, headers={"Connection": "keep-alive"}).status == 400
    assert Client(port, path="/nowhere").status == 403  # no such route, as under uvicorn
    expected = base64.b64encode(hashlib.sha1(b"dGhlIHNhbXBsZSBub25jZQ=="
                                             b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                .digest()).decode()
    ws = Client(port, key="dGhlIHNhbXBsZSBub25jZQ==")
    assert ws.header("Sec-WebSocket-Accept") == expected
    ws.close()


def test_origin_query_and_subprotocol_reach_the_app(start: Any) -> None:
    server = start(ws_app())
    ws = Client(server.server_port, "/origin?q=1",
                headers={"Origin": "http://example.test", "Sec-WebSocket-Protocol": "chat, x"})
    assert ws.header("Sec-WebSocket-Protocol") == "chat"
    assert ws.recv_frame() == (0x1, b"http://example.test|1|/origin")
    assert ws.recv_close() == 1000


def test_handler_error_after_accept_closes_1011(start: Any, caplog: Any) -> None:
    server = start(ws_app())
    ws = Client(server.server_port, "/fail")
    ws.send_text("go")
    assert ws.recv_close() == 1011
    assert "handler failed after accept" in caplog.text


def test_no_crlf_injection_through_accept_headers(start: Any) -> None:
    server = start(ws_app())
    ws = Client(server.server_port, "/badheader")
    assert ws.status == 500
    assert "injected" not in ws.head


def test_plain_http_beside_websockets(start: Any) -> None:
    server = start(ws_app())
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as s:
        s.sendall(b"GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"plain http still works")


# -- the debugger ---------------------------------------------------------------------------


def test_debug_page_for_a_handler_error(start: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO)
    app = ws_app()
    app.debug = True
    server = start(DebugMiddleware(app))
    # Before accept: the handshake is answered with the debug page.
    early = Client(server.server_port, "/early")
    assert early.status == 500
    assert early.header("X-Stein-Debug") == "traceback"
    page = early.response_body.decode()
    assert "LookupError" in page and "in-the-frame" in page and "data-token" in page
    # After accept: 1011, and the log names the page.
    ws = Client(server.server_port, "/fail")
    ws.send_text("go")
    assert ws.recv_close() == 1011
    m = re.search(r"debugger: (http://\S+/__stein_debugger__/tb/\w+)", caplog.text)
    assert m, caplog.text
    import httpx

    r = httpx.get(m[1])
    assert r.status_code == 200 and "handler failed after accept" in r.text


def test_debug_off_handler_error_shows_nothing(start: Any) -> None:
    app = ws_app()
    server = start(DebugMiddleware(app))  # app.debug is False: the middleware is inert
    early = Client(server.server_port, "/early")
    assert early.status == 403
    assert b"LookupError" not in early.response_body


def test_app_sending_an_invalid_close_code_gets_1011(start: Any) -> None:
    app = Stein("badclose")

    @app.websocket("/bad")
    async def bad(ws: Any) -> None:
        await ws.accept()
        await ws.close(1005)  # reserved: never on the wire

    server = start(app)
    ws = Client(server.server_port, "/bad")
    assert ws.recv_close() == 1011


def test_garbage_after_the_handshake_never_breaks_the_server(start: Any) -> None:
    import random

    server = start(ws_app(), ws_limits=WebSocketLimits(max_message_size=4096))
    rng = random.Random(17)
    for _ in range(40):
        ws = Client(server.server_port)
        ws.sock.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
        ws.sock.shutdown(socket.SHUT_WR)
        try:
            while ws.sock.recv(65536):
                pass
        except OSError:
            pass
        ws.sock.close()
    ok = Client(server.server_port)
    ok.send_text("alive")
    assert ok.recv_frame() == (0x1, b"alive")
    ok.close()


# -- stein.wsproto without a socket ---------------------------------------------------------


def _masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    key = b"\x01\x02\x03\x04"
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", (0x80 if fin else 0) | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", (0x80 if fin else 0) | opcode, 0x80 | 127, n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("n", [0, 125, 126, 65535, 65536])
def test_frame_lengths_at_the_encoding_boundaries(n: int) -> None:
    import io

    from stein.wsproto import MessageReader, build_frame

    frame = build_frame(0x2, b"x" * n)
    length = frame[1] & 0x7F
    assert length == (n if n < 126 else 126 if n < 65536 else 127)
    assert frame.endswith(b"x" * n) and len(frame) - n in (2, 4, 10)
    reader = MessageReader(io.BytesIO(_masked(0x2, b"y" * n)), WebSocketLimits())
    message = reader.next()
    assert message.kind == "binary" and message.data == b"y" * n


def test_close_payload_cuts_the_reason_on_a_character() -> None:
    from stein.wsproto import close_payload, parse_close

    payload = close_payload(1000, "\u00e9" * 100)  # 200 bytes of UTF-8
    assert len(payload) <= 125
    code, reason = parse_close(payload)
    assert code == 1000 and set(reason) == {"\u00e9"}
    assert parse_close(b"") == (1005, "")
