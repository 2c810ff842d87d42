"""The reloader: a supervising process keeps the listening socket and runs the serving
process as its child, which exits with a reload code when a watched file changes
(watchfiles when installed, else polling mtimes). When the app fails to load, the files
named in the error are watched too, so that fixing them reloads it.
"""

from __future__ import annotations

import fnmatch
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from .debugger import PIN_ENV, SECRET_ENV, new_pin

_RUN_MAIN_ENV = "STEIN_RUN_MAIN"
_SERVER_FD_ENV = "STEIN_SERVER_FD"
_RELOAD_EXIT_CODE = 3


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def is_running_from_reloader() -> bool:
    """Whether this process is the serving child that the reloader restarts."""
    return os.environ.get(_RUN_MAIN_ENV) == "true"


def _child_args() -> list[str]:
    """The command line that started this process, to start it again."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    args = [sys.executable, *(f"-W{w}" for w in sys.warnoptions)]
    if spec is not None and spec.name:
        name = spec.name
        if name.endswith(".__main__"):
            name = name[: -len(".__main__")]
        return [*args, "-m", name, *sys.argv[1:]]
    script = sys.argv[0]
    if not os.path.exists(script) and os.path.exists(script + ".exe"):
        script += ".exe"
    return [*args, script, *sys.argv[1:]]


def run_with_reloader_supervisor(host: str, port: int, extra_files: Iterable[str] | None = None,
                                 ssl_context: Any = None) -> None:
    """Bind the socket here, then run this same command as a child that serves on it, and
    start it again each time it exits asking for a reload (exit code 3)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    env = dict(os.environ, **{_RUN_MAIN_ENV: "true", _SERVER_FD_ENV: str(sock.fileno())})
    # One debugger PIN and cookie key for every serving child: a reload keeps the PIN
    # printed at start, and a browser that entered it stays unlocked.
    env.setdefault(PIN_ENV, new_pin())
    env.setdefault(SECRET_ENV, secrets.token_hex(32))
    print(f" * Restarting with {_watcher_kind('auto')}", file=sys.stderr)
    sys.stderr.flush()
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            child = subprocess.Popen(_child_args(), env=env, pass_fds=(sock.fileno(),))
            code = child.wait()
            if code != _RELOAD_EXIT_CODE:
                sys.exit(code)
            env["STEIN_RELOADED"] = "1"
    except KeyboardInterrupt:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
    finally:
        sock.close()


def _watcher_kind(kind: str) -> str:
    if kind in ("auto", "watchfiles"):
        try:
            import watchfiles  # noqa: F401

            return "watchfiles"
        except ImportError:
            if kind == "watchfiles":
                raise
    return "stat"


_SKIP_PREFIXES = tuple({os.path.realpath(p) for p in (
    sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix)})


class Watcher:
    """Watches the app's Python files (and ``extra_files``); on a change it calls
    ``on_change``, which by default exits the process with the reload code.

    ``exclude_patterns`` (``fnmatch`` patterns, matched against the full path) name files
    whose changes never reload, e.g. ``["*/migrations/*", "*.tmp"]``.

    >>> w = Watcher(exclude_patterns=["*/generated/*"], on_change=print)
    >>> w.is_excluded("/site/generated/models.py")
    True
    """

    def __init__(self, extra_files: Iterable[str] = (), interval: float = 1.0,
                 kind: str = "auto", on_change: Callable[[str], None] | None = None,
                 exclude_patterns: Iterable[str] | None = None) -> None:
        self.extra_files = {os.path.abspath(f) for f in extra_files}
        self.exclude_patterns = tuple(exclude_patterns or ())
        self.interval = interval
        self.kind = _watcher_kind(kind)
        self.on_change = on_change or self._exit_for_reload
        self.stop_event = threading.Event()
        # Taken now, before serving starts, so a change made while the watcher thread is
        # still starting up is not missed.
        self._mtimes: dict[str, float] = {}
        self._changed()

    @staticmethod
    def _exit_for_reload(path: str) -> None:
        print(f" * Detected change in {path!r}, reloading", file=sys.stderr)
        sys.stderr.flush()
        os._exit(_RELOAD_EXIT_CODE)

    def files(self) -> set[str]:
        """The files to watch now: loaded modules outside the interpreter, and extras."""
        found = set(self.extra_files)
        for module in list(sys.modules.values()):
            name = getattr(module, "__file__", None)
            if not name:
                continue
            path = os.path.realpath(name)
            if path.endswith((".pyc", ".pyo")):
                path = path[:-1]
            if path.startswith(_SKIP_PREFIXES) or "site-packages" in path:
                continue
            found.add(path)
        if self.exclude_patterns:
            found = {f for f in found if not self.is_excluded(f)}
        return found

    def is_excluded(self, path: str) -> bool:
        """Whether a change to ``path`` is ignored (it matches an ``exclude_patterns``)."""
        return any(fnmatch.fnmatch(path, pattern) for pattern in self.exclude_patterns)

    def run_and_exit(self) -> None:
        self.run()

    def run(self) -> None:
        """Watch until a change (or ``stop_event``)."""
        if self.kind == "watchfiles":
            self._run_watchfiles()
        else:
            self._run_stat()

    def _changed(self) -> str | None:
        """The first watched file whose mtime moved since last looked at, if any."""
        for path in self.files():
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            old = self._mtimes.setdefault(path, mtime)
            if mtime != old:
                self._mtimes[path] = mtime
                return path
        return None

    def _run_stat(self) -> None:
        while not self.stop_event.is_set():
            path = self._changed()
            if path is not None:
                self.on_change(path)
            self.stop_event.wait(self.interval)

    def _run_watchfiles(self) -> None:
        import watchfiles

        while not self.stop_event.is_set():
            files = self.files()
            # watchfiles watches folders; filter events to .py files and the extras.
            dirs = sorted({os.path.dirname(f) for f in files if os.path.exists(f)})
            dirs = [d for d in dirs if not any(d.startswith(o + os.sep) for o in dirs)]
            if not dirs:
                self.stop_event.wait(self.interval)
                continue
            for changes in watchfiles.watch(
                    *dirs, stop_event=self.stop_event, rust_timeout=int(self.interval * 1000),
                    yield_on_timeout=True, raise_interrupt=False):
                for _change, path in changes:
                    if self.exclude_patterns and self.is_excluded(path):
                        continue
                    if path.endswith(".py") or os.path.abspath(path) in self.extra_files:
                        self.on_change(path)
                        return
                # A cheap stat pass too: catches what happened before the watch began.
                changed = self._changed()
                if changed is not None:
                    self.on_change(changed)
                    return
                new = self.files()
                if new != files:
                    break  # more modules were imported: watch again with the new set


# -- when the app cannot be loaded ------------------------------------------------------------


def files_of_exception(error: BaseException) -> list[str]:
    """Files named by an exception (and its cause): watched so fixing them reloads."""
    files: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, SyntaxError) and seen.filename:
            files.append(seen.filename)
        files.extend(f.filename for f in traceback.extract_tb(seen.__traceback__))
        seen = seen.__cause__
    return [f for f in files if os.path.isfile(f)]
