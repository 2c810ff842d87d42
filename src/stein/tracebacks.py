"""What the debug page knows about an exception: its chain, each traceback as the call
stack a reader wants (re-raise detours and repeated frames removed), which frames are the
user's code and which are the framework's, a short escaped-later ``repr`` of each frame's
locals, and where a ``SyntaxError`` really is.

Python's own traceback lists a frame again each time an exception is caught and re-raised
in it (Stein's dispatcher does that on its way to the error handlers), so a plain listing
shows framework frames twice and the handler that re-raised as if it were a caller. Here a
frame seen again cuts the listing back to its first appearance: what remains is the real
chain of calls from the server down to the line that raised.

A ``SyntaxError`` has no frame in the bad file (the compiler never ran it); its file and
line come from the exception itself and are added as the innermost frame, so that a broken
module shows that module, not the import machinery that tripped over it.

Nothing here writes HTML: :mod:`stein.debugpage` renders these objects with escaping on.
"""

from __future__ import annotations

import linecache
import os
import reprlib
import sysconfig
import traceback
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

__all__ = ["CapturedException", "CapturedFrame", "capture_exception", "is_framework_file"]

#: Source lines shown above and below the line of each frame.
CONTEXT_LINES = 5
#: Longest ``repr`` shown for one local variable (longer ones end in "...").
MAX_REPR = 240
#: Most local variables listed per frame.
MAX_LOCALS = 60

_STEIN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _library_dirs() -> tuple[str, ...]:
    # The interpreter's library directories, not sys.prefix itself: a project may live
    # beside (or even inside) its virtualenv's directory.
    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return tuple(os.path.abspath(d) + os.sep for d in dirs)


_LIBRARY_DIRS = _library_dirs()


def is_framework_file(filename: str) -> bool:
    """Whether ``filename`` belongs to Stein, the standard library or an installed package
    (folded on the debug page) rather than to the user's own code.

    >>> import stein.app, os
    >>> is_framework_file(stein.app.__file__), is_framework_file(os.path.abspath("app.py"))
    (True, False)
    """
    if filename.startswith("<"):
        # "<frozen importlib._bootstrap>" is the import system; "<stdin>", "<doctest ...>"
        # or "<string>" (exec) is code the user typed or generated.
        return filename.startswith("<frozen ")
    path = os.path.abspath(filename)
    if path.startswith(_STEIN_DIR) or os.sep + "site-packages" + os.sep in path:
        return True
    return path.startswith(_LIBRARY_DIRS)


_repr = reprlib.Repr()
_repr.maxstring = MAX_REPR
_repr.maxother = MAX_REPR
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 20
_repr.maxlevel = 3


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_REPR` characters; a ``repr`` that raises says so
    instead of breaking the page.

    >>> "..." in short_repr("x" * 1000), len(short_repr("x" * 1000)) <= MAX_REPR + 3
    (True, True)
    """
    try:
        text = _repr.repr(value)
    except Exception as e:  # a broken __repr__ in user code must not hide the traceback
        return f"<repr() failed: {type(e).__name__}: {e}>"[:MAX_REPR]
    return text if len(text) <= MAX_REPR else text[:MAX_REPR] + "..."


@dataclass
class CapturedFrame:
    """One frame of the call stack as the page shows it.

    ``frame`` is the live frame (kept only while the traceback is stored, for the console);
    ``None`` for the location of a ``SyntaxError``, which never ran.
    """

    index: int
    filename: str
    lineno: int
    name: str
    is_user: bool
    source: list[tuple[int, str]]
    locals: list[tuple[str, str]]
    frame: FrameType | None = field(default=None, repr=False)
    offset: int | None = None

    @property
    def short_filename(self) -> str:
        """The file name relative to the project or the site-packages directory."""
        name = self.filename
        if name.startswith(_STEIN_DIR):
            return "stein/" + name[len(_STEIN_DIR):]
        marker = os.sep + "site-packages" + os.sep
        if marker in name:
            return name.split(marker, 1)[1]
        try:
            rel = os.path.relpath(name)
        except ValueError:
            return name
        return name if rel.startswith("..") else rel


@dataclass
class CapturedException:
    """One exception of a chain: its type name, message and frames (outermost first).

    ``relation`` says how it is tied to the next one shown: ``"cause"`` (``raise ... from``),
    ``"context"`` (raised while handling it) or ``None`` for the last.
    """

    type_name: str
    message: str
    frames: list[CapturedFrame]
    relation: str | None = None

    @property
    def title(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name

    @property
    def has_user_frames(self) -> bool:
        return any(f.is_user for f in self.frames)


def _source(filename: str, lineno: int, module_globals: dict[str, Any] | None
            ) -> list[tuple[int, str]]:
    linecache.checkcache(filename)
    lines = []
    for n in range(max(1, lineno - CONTEXT_LINES), lineno + CONTEXT_LINES + 1):
        text = linecache.getline(filename, n, module_globals)
        if not text and n > lineno:
            break
        lines.append((n, text.rstrip("\r\n")))
    return lines


def _locals(frame: FrameType) -> list[tuple[str, str]]:
    items = list(frame.f_locals.items())
    shown = [(name, short_repr(value)) for name, value in items[:MAX_LOCALS]]
    if len(items) > MAX_LOCALS:
        shown.append(("...", f"{len(items) - MAX_LOCALS} more not shown"))
    return shown


def call_stack(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    """The ``(frame, line)`` pairs of ``tb`` from the outermost call to the raise, with
    each re-raise detour cut out (see the module docstring).

    >>> def inner(): raise KeyError("k")
    >>> def outer():
    ...     try:
    ...         inner()
    ...     except KeyError as e:
    ...         raise e
    >>> try:
    ...     outer()
    ... except KeyError as e:
    ...     [f.f_code.co_name for f, _ in call_stack(e.__traceback__)][-2:]
    ['outer', 'inner']
    """
    stack: list[tuple[FrameType, int]] = []
    position: dict[int, int] = {}
    while tb is not None:
        frame = tb.tb_frame
        seen = position.get(id(frame))
        if seen is not None:
            for dropped, _ in stack[seen:]:
                position.pop(id(dropped), None)
            del stack[seen:]
        position[id(frame)] = len(stack)
        stack.append((frame, tb.tb_lineno))
        tb = tb.tb_next
    return stack


def _capture_one(exc: BaseException, start: int, keep_frames: bool) -> CapturedException:
    frames: list[CapturedFrame] = []
    for frame, lineno in call_stack(exc.__traceback__):
        filename = frame.f_code.co_filename
        frames.append(CapturedFrame(
            index=start + len(frames), filename=filename, lineno=lineno,
            name=frame.f_code.co_name, is_user=not is_framework_file(filename),
            source=_source(filename, lineno, frame.f_globals), locals=_locals(frame),
            frame=frame if keep_frames else None))
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        frames.append(CapturedFrame(
            index=start + len(frames), filename=exc.filename, lineno=exc.lineno,
            name="<module>", is_user=not is_framework_file(exc.filename),
            source=_source(exc.filename, exc.lineno, None), locals=[], offset=exc.offset))
    message = str(exc.msg if isinstance(exc, SyntaxError) and exc.msg else exc)
    if isinstance(exc, SyntaxError) and exc.filename:
        message += f" ({exc.filename}, line {exc.lineno})"
    return CapturedException(type(exc).__name__, message, frames)


def exception_chain(exc: BaseException) -> list[tuple[BaseException, str | None]]:
    """``exc`` and the exceptions behind it, the first cause first (as Python prints
    them), each with how it leads to the next: ``"cause"``, ``"context"`` or ``None``."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    relation: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, relation))
        if current.__cause__ is not None:
            current, relation = current.__cause__, "cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, relation = current.__context__, "context"
        else:
            current = None
    chain.reverse()
    # The relation was recorded on the later exception; it belongs to the earlier one.
    return [(e, chain[i + 1][1] if i + 1 < len(chain) else None)
            for i, (e, _) in enumerate(chain)]


def capture_exception(exc: BaseException, keep_frames: bool = False) -> list[CapturedException]:
    """The chain behind ``exc``, the first cause first, each frame numbered uniquely across
    the chain (the console names a frame by that number). ``keep_frames`` keeps the live
    frames for evaluation; without it nothing holds on to them.

    >>> try:
    ...     {}["missing"]
    ... except KeyError as e:
    ...     chain = capture_exception(e)
    >>> chain[-1].title, chain[-1].frames[-1].is_user
    ("KeyError: 'missing'", True)
    """
    captured: list[CapturedException] = []
    start = 0
    for error, relation in exception_chain(exc):
        one = _capture_one(error, start, keep_frames)
        one.relation = relation
        start += len(one.frames)
        captured.append(one)
    return captured


def plain_text(exc: BaseException) -> str:
    """The traceback as Python prints it, to copy into an issue."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
