"""The scenarios every framework runs: the request each one sends and the answer it must get.

Each framework module builds one small app per scenario (``build(name)``), so that
``route-1000`` does not slow ``hello`` down and every app does exactly one job.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
SECRET = "bench-secret-key-0123456789abcdef"

# The data the template scenario renders: 100 rows, prepared once.
ROWS = [{"id": i, "name": f"item {i}"} for i in range(100)]
FORM_FIELDS = [(f"field{i}", f"value {i}") for i in range(10)]
UPLOAD_SIZE = 1024 * 1024
ROUTES_50 = 50
ROUTES_1000 = 1000


class Skip(Exception):
    """A framework cannot run a scenario the way its docs write apps; the message says why."""


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = ""
    # Checks the answer once before timing; a benchmark of a 404 is worthless.
    check: Callable[[str, bytes], str | None] = lambda status, body: None


def _expect_text(text: str) -> Callable[[str, bytes], str | None]:
    def check(status: str, body: bytes) -> str | None:
        if not status.startswith("200"):
            return f"status {status!r}"
        if body.decode() != text:
            return f"body {body[:80]!r}, wanted {text!r}"
        return None

    return check


def _expect_json(value: Any) -> Callable[[str, bytes], str | None]:
    def check(status: str, body: bytes) -> str | None:
        if not status.startswith("200"):
            return f"status {status!r}"
        if json.loads(body) != value:
            return f"body {body[:80]!r}, wanted {value!r}"
        return None

    return check


def _expect_template(status: str, body: bytes) -> str | None:
    if not status.startswith("200"):
        return f"status {status!r}"
    text = body.decode()
    if text.count("<tr>") != 100 or "<td>item 99</td>" not in text or "<title>Rows</title>" not in text:
        return f"body {body[:80]!r} is not the 100-row page"
    return None


def _multipart(boundary: str) -> bytes:
    payload = bytes(range(256)) * (UPLOAD_SIZE // 256)
    return (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        "report\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + payload + f"\r\n--{boundary}--\r\n".encode()


_BOUNDARY = "----steinbenchboundary7MA4YWxkTrZu0gW"

SCENARIOS: list[Scenario] = [
    Scenario("hello", "GET", "/", check=_expect_text("Hello, World!")),
    Scenario("param-json", "GET", "/users/42", check=_expect_json({"id": 42, "name": "user 42"})),
    Scenario("route-50", "GET", f"/api/res{ROUTES_50 - 1}/7",
             check=_expect_text(f"res{ROUTES_50 - 1} 7")),
    Scenario("route-1000", "GET", f"/api/res{ROUTES_1000 - 1}/7",
             check=_expect_text(f"res{ROUTES_1000 - 1} 7")),
    Scenario("query+headers", "GET", "/search", query="q=stein&page=2&limit=10",
             headers={"X-Token": "abc123", "Accept-Language": "en-GB"},
             check=_expect_text("stein 2 10 abc123 en-GB")),
    Scenario("form-post", "POST", "/form",
             body="&".join(f"{k}={v.replace(' ', '+')}" for k, v in FORM_FIELDS).encode(),
             content_type="application/x-www-form-urlencoded",
             check=_expect_text("10 value 0 value 9")),
    Scenario("template", "GET", "/rows", check=_expect_template),
    # The session cookie is filled in by the runner from the app's own first answer.
    Scenario("session", "GET", "/count", check=_expect_text("2")),
    Scenario("upload", "POST", "/upload", body=_multipart(_BOUNDARY),
             content_type=f"multipart/form-data; boundary={_BOUNDARY}",
             check=_expect_text(f"report {UPLOAD_SIZE}")),
]

BY_NAME = {s.name: s for s in SCENARIOS}


def base_environ(s: Scenario, cookie: str | None = None) -> dict[str, Any]:
    """A PEP 3333 environ for ``s`` as a server on 127.0.0.1:8000 would pass it."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": s.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": s.path,
        "QUERY_STRING": s.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "stein-bench",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for k, v in s.headers.items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    if s.body:
        env["CONTENT_LENGTH"] = str(len(s.body))
    if s.content_type:
        env["CONTENT_TYPE"] = s.content_type
    if cookie:
        env["HTTP_COOKIE"] = cookie
    return env


def environ_factory(s: Scenario, cookie: str | None = None) -> Callable[[], dict[str, Any]]:
    """A fresh environ per call (frameworks cache parsed values in it; a shared one would let
    them skip work). The copy costs the same for every framework."""
    base = base_environ(s, cookie)
    if not s.body:
        return base.copy
    body = s.body

    def make() -> dict[str, Any]:
        env = base.copy()
        env["wsgi.input"] = io.BytesIO(body)
        return env

    return make
