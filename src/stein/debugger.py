"""The parts of the interactive debugger that guard and run code: the PIN, the signed
cookie that remembers it, the bounded store of recent tracebacks, and evaluation in a
frame.

The console runs arbitrary Python as the server's user, so every layer refuses by default:
:mod:`stein.debugpage` only routes a request here from a loopback client of an app in debug
mode; the request must be a same-origin POST carrying the secret token of one stored
traceback; and it must carry the cookie this module signs once the PIN printed on the
terminal was entered. Wrong PINs are counted and, past :attr:`PinGuard.max_attempts`, lock
the PIN (even the right one) for :attr:`PinGuard.lock_seconds`. PINs and signatures are
compared in constant time.

The PIN and the cookie key come from ``STEIN_DEBUG_PIN`` / ``STEIN_DEBUG_SECRET`` when set
(the reloader sets both for the serving process, so a reload keeps the PIN and the cookie
valid); otherwise they are made fresh here.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import hmac
import io
import os
import secrets
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .tracebacks import CapturedException, capture_exception, plain_text

__all__ = ["PIN_ENV", "SECRET_ENV", "PinGuard", "StoredTraceback", "TracebackStore",
           "Console", "new_pin"]

PIN_ENV = "STEIN_DEBUG_PIN"
SECRET_ENV = "STEIN_DEBUG_SECRET"
#: Name of the cookie that says "this browser entered the PIN".
COOKIE_NAME = "__stein_debugger"
#: Longest console output returned for one evaluation.
MAX_OUTPUT = 64 * 1024


def new_pin() -> str:
    """A fresh nine-digit PIN, grouped for reading aloud.

    >>> pin = new_pin()
    >>> len(pin), pin.replace("-", "").isdigit()
    (11, True)
    """
    digits = f"{secrets.randbelow(10**9):09d}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def _normal_pin(pin: str) -> bytes:
    # "123-456-789", "123456789" and " 123 456 789 " are the same PIN.
    return "".join(ch for ch in pin if ch not in "- \t").encode()


class PinGuard:
    """Checks PINs (constant time, with a lockout) and signs/verifies the cookie that
    proves the PIN was entered.

    >>> guard = PinGuard(pin="111-222-333", secret=b"k" * 32, max_attempts=2)
    >>> guard.check("000-000-000"), guard.check("111222333")
    ('wrong', 'ok')
    >>> guard.verify_cookie(guard.make_cookie())
    True
    """

    def __init__(self, pin: str | None = None, secret: bytes | None = None,
                 max_attempts: int = 5, lock_seconds: float = 60.0,
                 cookie_max_age: int = 8 * 3600) -> None:
        self.pin = pin or os.environ.get(PIN_ENV) or new_pin()
        env_secret = os.environ.get(SECRET_ENV)
        self.secret = secret or (env_secret.encode() if env_secret else secrets.token_bytes(32))
        self.max_attempts = max_attempts
        self.lock_seconds = lock_seconds
        self.cookie_max_age = cookie_max_age
        self._failures = 0
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def locked_for(self) -> float:
        """Seconds until PINs are accepted again (0 when not locked)."""
        return max(0.0, self._locked_until - time.monotonic())

    def check(self, attempt: str) -> str:
        """``"ok"``, ``"wrong"`` or ``"locked"`` (too many wrong tries lately: the attempt
        is not even compared)."""
        with self._lock:
            if self.locked_for() > 0:
                return "locked"
            if hmac.compare_digest(_normal_pin(attempt), _normal_pin(self.pin)):
                self._failures = 0
                return "ok"
            self._failures += 1
            if self._failures >= self.max_attempts:
                self._failures = 0
                self._locked_until = time.monotonic() + self.lock_seconds
            return "wrong"

    @property
    def attempts_left(self) -> int:
        return self.max_attempts - self._failures

    def _signature(self, issued: str) -> str:
        # The PIN is part of the message: a new PIN voids the cookies signed for the old one.
        message = f"{issued}|{self.pin}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def make_cookie(self) -> str:
        """The cookie value for a browser that just entered the right PIN."""
        issued = str(int(time.time()))
        return f"{issued}.{self._signature(issued)}"

    def verify_cookie(self, value: str | None) -> bool:
        """Whether ``value`` was signed here, for this PIN, less than the max age ago."""
        if not value or "." not in value:
            return False
        issued, _, signature = value.partition(".")
        if not issued.isdigit() or not hmac.compare_digest(signature, self._signature(issued)):
            return False
        return 0 <= time.time() - int(issued) <= self.cookie_max_age

    def set_cookie_header(self) -> str:
        """The ``Set-Cookie`` value: HttpOnly and SameSite=Strict, so scripts cannot read
        it and other sites cannot send it."""
        return (f"{COOKIE_NAME}={self.make_cookie()}; Max-Age={self.cookie_max_age}; "
                f"Path=/; HttpOnly; SameSite=Strict")


@dataclass
class StoredTraceback:
    """A traceback kept for the console: its id (in URLs), its secret token (in the page
    only), the captured chain with live frames, and one namespace per frame."""

    id: str
    token: str
    chain: list[CapturedException]
    plain: str
    namespaces: dict[int, dict[str, Any]] = field(default_factory=dict)

    def frame(self, index: int) -> Any:
        for exc in self.chain:
            for f in exc.frames:
                if f.index == index:
                    return f.frame
        return None


class TracebackStore:
    """The ``limit`` most recent tracebacks; older ones are dropped with their frames
    (a console request for one gets "no longer kept").

    >>> store = TracebackStore(limit=1)
    >>> for message in ("a", "b"):
    ...     try:
    ...         raise ValueError(message)
    ...     except ValueError as e:
    ...         last = store.add(e)
    >>> len(store), store.get(last.id) is last
    (1, True)
    """

    def __init__(self, limit: int = 10) -> None:
        if limit < 1:
            raise ValueError("the debugger must keep at least one traceback")
        self.limit = limit
        self._items: OrderedDict[str, StoredTraceback] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, exc: BaseException) -> StoredTraceback:
        stored = StoredTraceback(secrets.token_hex(8), secrets.token_urlsafe(24),
                                 capture_exception(exc, keep_frames=True), plain_text(exc))
        with self._lock:
            self._items[stored.id] = stored
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return stored

    def get(self, traceback_id: str) -> StoredTraceback | None:
        with self._lock:
            return self._items.get(traceback_id)

    def __len__(self) -> int:
        return len(self._items)


class Console:
    """Evaluates source in a copy of one frame's globals and locals; assignments persist
    in that copy between calls (the real frame is never changed).

    >>> def view():
    ...     total = 40
    ...     return sys._getframe()
    >>> console = Console(view())
    >>> console.run("total + 2"), console.run("n = 5"), console.run("n * 2")
    ('42\\n', '', '10\\n')
    """

    # Output is captured by swapping sys.stdout, which is process-wide: one at a time.
    _run_lock = threading.Lock()

    def __init__(self, frame: Any, namespace: dict[str, Any] | None = None) -> None:
        if namespace is None:
            namespace = dict(frame.f_globals)
            namespace.update(frame.f_locals)
        self.namespace = namespace

    def run(self, source: str) -> str:
        """Run ``source`` (an expression's value is shown with ``repr``); the printed
        output, or the error's traceback without the debugger's own frames."""
        out = io.StringIO()
        with self._run_lock, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                self._execute(source)
            except BaseException as e:  # noqa: BLE001 - SystemExit too must not stop the server
                tb = e.__traceback__.tb_next if e.__traceback__ else None
                # Skip the frames of _execute itself: show only the user's input.
                while tb is not None and tb.tb_frame.f_code.co_filename != "<console>":
                    tb = tb.tb_next
                out.write("".join(traceback.format_exception(type(e), e, tb)))
        text = out.getvalue()
        return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n[output cut]\n"

    def _execute(self, source: str) -> None:
        tree = ast.parse(source, "<console>", "exec")
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            # Like the interactive prompt: the value of a final expression is shown.
            body = ast.Module(body=tree.body[:-1], type_ignores=[])
            exec(compile(body, "<console>", "exec"), self.namespace)
            value = eval(compile(ast.Expression(last.value), "<console>", "eval"),
                         self.namespace)
            if value is not None:
                self.namespace["_"] = value
                sys.stdout.write(repr(value) + "\n")
        else:
            exec(compile(tree, "<console>", "exec"), self.namespace)
