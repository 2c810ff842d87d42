"""The WebSocket protocol (RFC 6455) as the development server speaks it, without I/O of
its own: the opening handshake checked and answered, frames read from a blocking stream
and built for sending, fragmented messages put back together, and every way a client can
break the protocol turned into the close code it deserves.

What a client must do and is refused for not doing: mask every frame (1002), set no RSV
bit (no extension is negotiated, 1002), keep control frames short and unfragmented (1002),
use only defined opcodes (1002), send valid UTF-8 in text messages and close reasons
(1007), stay under :attr:`WebSocketLimits.max_message_size` (1009), and send a close code
that may appear on the wire (1002). A handshake that is not a version 13 WebSocket GET is
answered over HTTP (400, or 426 naming the version spoken).

The Origin header is not judged here: like an ASGI server, the development server hands
it to the app in the scope's headers, and the app decides (see ``stein.websocket``).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["WebSocketLimits", "ProtocolError", "HandshakeError", "Frame", "Message",
           "MessageReader", "accept_key", "build_frame", "close_payload", "check_handshake",
           "wants_websocket"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPS = (OP_CONT, OP_TEXT, OP_BINARY)
_CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class WebSocketLimits:
    """The bounds of one development-server WebSocket connection.

    ``max_message_size``: longest message (all its fragments) a client may send, bytes
    (longer -> close 1009); ``max_queue``: messages read ahead of the app before the
    server stops reading (back pressure on the client); ``close_timeout``: seconds to wait
    for the client's close frame after the server's; ``write_timeout``: seconds a send may
    wait for a client that does not read (then the connection is dropped)::

        DevServer("127.0.0.1", 5000, app, ws_limits=WebSocketLimits(max_message_size=2**16))
    """

    max_message_size: int = 1 << 20
    max_queue: int = 32
    close_timeout: float = 5.0
    write_timeout: float = 10.0


class ProtocolError(Exception):
    """The client broke the protocol: the connection is closed with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class HandshakeError(Exception):
    """An upgrade request that cannot be accepted: answered with ``status`` over HTTP."""

    def __init__(self, status: int, message: str,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


# -- the opening handshake ------------------------------------------------------------------


def _tokens(value: str) -> list[str]:
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in headers if k.lower() == name]
    return ", ".join(values) if values else None


def wants_websocket(headers: list[tuple[str, str]]) -> bool:
    """Whether a request asks to upgrade to the WebSocket protocol.

    >>> wants_websocket([("Upgrade", "websocket"), ("Connection", "Upgrade")])
    True
    """
    upgrade = _header(headers, "upgrade")
    return upgrade is not None and "websocket" in _tokens(upgrade)


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 4.2.2).

    >>> accept_key("dGhlIHNhbXBsZSBub25jZQ==")
    's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    """
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode()


def check_handshake(method: str, version: str,
                    headers: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """Check an upgrade request (RFC 6455 4.2.1): ``(accept_key, subprotocols)``, or
    :class:`HandshakeError` with the HTTP answer it deserves."""
    if method != "GET":
        raise HandshakeError(400, "A WebSocket handshake is a GET request")
    if version != "HTTP/1.1":
        raise HandshakeError(400, "A WebSocket handshake needs HTTP/1.1")
    if "upgrade" not in _tokens(_header(headers, "connection") or ""):
        raise HandshakeError(400, "A WebSocket handshake needs 'Connection: Upgrade'")
    if not _header(headers, "host"):
        raise HandshakeError(400, "A WebSocket handshake needs a Host header")
    ws_version = _header(headers, "sec-websocket-version")
    if ws_version is None or ws_version.strip() != "13":
        raise HandshakeError(426, "Only WebSocket version 13 is spoken here",
                             [("Sec-WebSocket-Version", "13")])
    key = (_header(headers, "sec-websocket-key") or "").strip()
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise HandshakeError(400, "Invalid Sec-WebSocket-Key")
    offered = _header(headers, "sec-websocket-protocol") or ""
    subprotocols = [p.strip() for p in offered.split(",") if p.strip()]
    if any(not _TOKEN_RE.match(p) for p in subprotocols):
        raise HandshakeError(400, "Invalid Sec-WebSocket-Protocol")
    return accept_key(key), subprotocols


def accept_response(accept: str, subprotocol: str | None,
                    extra: list[tuple[bytes, bytes]] | None) -> bytes:
    """The ``101 Switching Protocols`` head; header names and values the app added are
    checked (a CR or LF in one is refused, never sent)."""
    lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Accept: {accept}"]
    if subprotocol is not None:
        lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
    reserved = {"upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol",
                "sec-websocket-extensions"}
    for raw_name, raw_value in extra or ():
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if not _TOKEN_RE.match(name) or _CTL_RE.search(value):
            raise ValueError(f"Invalid header in websocket.accept: {name[:40]!r}")
        if name.lower() not in reserved:
            lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# -- frames ---------------------------------------------------------------------------------


@dataclass
class Frame:
    """One frame as read: FIN bit, opcode and the unmasked payload."""

    fin: bool
    opcode: int
    payload: bytes


def _unmask(data: bytes, mask: bytes) -> bytes:
    n = len(data)
    if not n:
        return data
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def _read_exactly(rfile: Any, n: int) -> bytes:
    data: bytes = rfile.read(n) if n else b""
    if len(data) < n:
        raise ConnectionError("the client closed the connection mid-frame")
    return data


def read_frame(rfile: Any, max_size: int) -> Frame:
    """Read one frame from a client (it must be masked); :class:`ProtocolError` for a
    frame that breaks the protocol or is longer than ``max_size``."""
    head = _read_exactly(rfile, 2)
    fin, rsv, opcode = head[0] & 0x80, head[0] & 0x70, head[0] & 0x0F
    masked, length = head[1] & 0x80, head[1] & 0x7F
    if rsv:
        raise ProtocolError(1002, "RSV bits set, but no extension was negotiated")
    if opcode not in _DATA_OPS and opcode not in _CONTROL_OPS:
        raise ProtocolError(1002, f"Unknown opcode {opcode:#x}")
    if not masked:
        raise ProtocolError(1002, "Frames from a client must be masked")
    if opcode in _CONTROL_OPS and (not fin or length > 125):
        raise ProtocolError(1002, "Control frames must be short and unfragmented")
    if length == 126:
        length = struct.unpack("!H", _read_exactly(rfile, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exactly(rfile, 8))[0]
        if length >> 63:
            raise ProtocolError(1002, "Invalid frame length")
    if length > max_size:
        raise ProtocolError(1009, f"Message longer than {max_size} bytes")
    mask = _read_exactly(rfile, 4)
    return Frame(bool(fin), opcode, _unmask(_read_exactly(rfile, length), mask))


def build_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A server frame (servers never mask).

    >>> build_frame(OP_TEXT, b"hi")
    b'\\x81\\x02hi'
    """
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", first, 126, n)
    else:
        head = struct.pack("!BBQ", first, 127, n)
    return head + payload


def close_payload(code: int, reason: str = "") -> bytes:
    """The payload of a close frame; the reason is cut to fit a control frame (123 bytes,
    whole characters only)."""
    data = reason.encode("utf-8")[:123]
    return struct.pack("!H", code) + data.decode("utf-8", "ignore").encode("utf-8")


def valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a close frame.

    >>> valid_close_code(1000), valid_close_code(1005), valid_close_code(4001)
    (True, False, True)
    """
    # RFC 6455 7.4: 1004-1006 and 1015 never go on the wire; 1016-2999 are unassigned.
    return code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
                    1014) or 3000 <= code <= 4999


def parse_close(payload: bytes) -> tuple[int, str]:
    """The code and reason of a client's close frame (1005 when it gave no code)."""
    if not payload:
        return 1005, ""
    if len(payload) == 1:
        raise ProtocolError(1002, "A close frame with a one-byte payload")
    code = struct.unpack("!H", payload[:2])[0]
    if not valid_close_code(code):
        raise ProtocolError(1002, f"Invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(1007, "Close reason is not valid UTF-8") from None
    return code, reason


# -- messages -------------------------------------------------------------------------------


@dataclass
class Message:
    """What the reader hands on: a whole text (``str``) or binary (``bytes``) message, a
    ping to answer, or the client's close (``code``, ``reason``)."""

    kind: str  # "text", "binary", "ping", "pong", "close"
    data: str | bytes = b""
    code: int = 1000


class MessageReader:
    """Reads frames and returns whole messages, checking fragmentation and UTF-8 (text is
    decoded as it arrives, so invalid UTF-8 is refused at the first bad fragment)."""

    def __init__(self, rfile: Any, limits: WebSocketLimits) -> None:
        self.rfile = rfile
        self.limits = limits
        self._opcode: int | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._decoder: Any = None

    def next(self) -> Message:
        """The next message (or control frame) from the client."""
        while True:
            left = self.limits.max_message_size - self._size
            frame = read_frame(self.rfile, left)
            op = frame.opcode
            if op == OP_CLOSE:
                code, reason = parse_close(frame.payload)
                return Message("close", reason, code)
            if op == OP_PING:
                return Message("ping", frame.payload)
            if op == OP_PONG:
                return Message("pong", frame.payload)
            if op == OP_CONT:
                if self._opcode is None:
                    raise ProtocolError(1002, "A continuation frame without a message")
            elif self._opcode is not None:
                raise ProtocolError(1002, "A new message inside a fragmented one")
            else:
                self._opcode = op
                self._parts, self._size = [], 0
                self._decoder = (codecs.getincrementaldecoder("utf-8")("strict")
                                 if op == OP_TEXT else None)
            self._size += len(frame.payload)
            if self._decoder is not None:
                try:
                    self._parts.append(self._decoder.decode(frame.payload, frame.fin))
                except UnicodeDecodeError:
                    raise ProtocolError(1007, "Text message is not valid UTF-8") from None
            else:
                self._parts.append(frame.payload)
            if frame.fin:
                opcode, parts = self._opcode, self._parts
                self._opcode, self._parts, self._size = None, [], 0
                if opcode == OP_TEXT:
                    return Message("text", "".join(parts))  # type: ignore[arg-type]
                return Message("binary", b"".join(parts))
