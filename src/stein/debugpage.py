"""The debug-mode traceback page: each frame with its source lines, everything escaped.

There is deliberately no console: the page reads, it never executes. The development server
wraps the app in :class:`DebugMiddleware` only in debug mode, and refuses debug mode on a
non-loopback address unless told ``--debug-public``.
"""

from __future__ import annotations

import linecache
import sys
import traceback
from collections.abc import Iterable, Iterator
from html import escape
from typing import Any

from .serving import _log

#: Source lines shown above and below the line of each frame.
CONTEXT_LINES = 5

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{background:#8b1e1e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}header p{margin:6px 0 0;font-family:monospace;white-space:pre-wrap}
main{padding:12px 28px}
.frame{background:#fff;border:1px solid #ddd;border-radius:6px;margin:12px 0;overflow:hidden}
.frame.lib{opacity:.7}
.loc{padding:8px 12px;background:#efefeb;font-family:monospace}
.loc b{color:#8b1e1e}
pre{margin:0;padding:6px 0;font:13px/1.4 ui-monospace,monospace;overflow-x:auto}
pre span{display:block;padding:0 12px;white-space:pre}
pre span.cur{background:#fbe3e3;font-weight:bold}
pre i{color:#999;font-style:normal;display:inline-block;width:4em}
details{margin-top:18px}textarea{width:100%;height:16em;font:12px monospace}
"""


def _frame_html(frame: traceback.FrameSummary) -> str:
    lineno = frame.lineno or 0
    lines = []
    first = max(1, lineno - CONTEXT_LINES)
    for n in range(first, lineno + CONTEXT_LINES + 1):
        text = linecache.getline(frame.filename, n)
        if not text and n > lineno:
            break
        cls = ' class="cur"' if n == lineno else ""
        lines.append(f"<span{cls}><i>{n}</i>{escape(text.rstrip())}</span>")
    library = "site-packages" in frame.filename or frame.filename.startswith(sys.prefix)
    return (f'<div class="frame{" lib" if library else ""}"><div class="loc">'
            f"File <b>{escape(frame.filename)}</b>, line {lineno}, in "
            f"<b>{escape(frame.name)}</b></div><pre>{''.join(lines)}</pre></div>")


def render_exception(exc: BaseException) -> str:
    """The whole HTML page for ``exc``: message, frames (innermost last), chained causes,
    and the plain-text traceback to copy."""
    sections = []
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    for i, error in enumerate(reversed(chain)):
        frames = traceback.extract_tb(error.__traceback__)
        title = escape(f"{type(error).__name__}: {error}")
        if i:
            sections.append("<p>The above exception was the direct cause of / happened "
                            "while handling:</p>")
        sections.append(f"<h2>{title}</h2>" + "".join(_frame_html(f) for f in frames))
    plain = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    summary = escape(f"{type(exc).__name__}: {exc}")
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{summary} // Stein debug page</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(type(exc).__name__)}</h1><p>{escape(str(exc))}</p></header>"
        "<main><p>Traceback <em>(most recent call last)</em>. This page is shown because "
        "the app runs in debug mode; never enable it where others can reach it.</p>"
        f"{''.join(sections)}<details><summary>Plain-text traceback</summary>"
        f"<textarea readonly>{escape(plain)}</textarea></details></main></body></html>"
    )


class DebugMiddleware:
    """Wraps a WSGI app: an unhandled exception before the response started becomes the
    traceback page (status 500); the traceback is logged too. After the headers went out
    nothing can be shown, so the error is logged and the connection dropped."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started: list[bool] = []

        def tracking_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            started.append(True)
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, tracking_start_response)
        except Exception as e:
            return self._error_page(e, start_response)
        return self._iterate(body, start_response, started)

    def _iterate(self, body: Iterable[bytes], start_response: Any,
                 started: list[bool]) -> Iterator[bytes]:
        try:
            yield from body
        except Exception as e:
            if started:
                _log().error("Error while streaming the response:\n%s",
                                  traceback.format_exc().rstrip())
                raise
            yield from self._error_page(e, start_response)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def _error_page(self, exc: BaseException, start_response: Any) -> list[bytes]:
        _log().error("Exception in the app (debug page sent):\n%s",
                          "".join(traceback.format_exception(type(exc), exc,
                                                             exc.__traceback__)).rstrip())
        page = render_exception(exc).encode("utf-8", "replace")
        start_response("500 INTERNAL SERVER ERROR", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page))),
            ("X-Stein-Debug", "traceback"),
        ], sys.exc_info())
        return [page]
