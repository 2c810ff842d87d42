"""Mount several WSGI apps under one server by path prefix (``DispatcherMiddleware``).

>>> from stein import Stein
>>> api, site = Stein("api"), Stein("site")
>>> app = DispatcherMiddleware(site, {"/api": api})

A request for ``/api/users`` reaches ``api`` with ``SCRIPT_NAME`` ``/api`` and
``PATH_INFO`` ``/users``, so ``url_for`` inside ``api`` builds ``/api/...`` URLs; every
other path goes to ``site``. The longest matching prefix wins, and a prefix matches whole
segments only (``/api`` takes ``/api`` and ``/api/x``, not ``/apis``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DispatcherMiddleware:
    """Send each request to the app mounted at the longest prefix of its path.

    ``mounts`` maps a prefix (``"/api"``, no trailing slash) to a WSGI app; ``app`` answers
    every path no prefix takes.
    """

    def __init__(self, app: WSGIApp, mounts: Mapping[str, WSGIApp] | None = None) -> None:
        self.app = app
        self.mounts: dict[str, WSGIApp] = dict(mounts or {})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        script = environ.get("PATH_INFO", "")
        rest = ""
        # Strip one trailing segment at a time: "/a/b/c" tries "/a/b/c", "/a/b", "/a".
        while True:
            app = self.mounts.get(script)
            if app is not None:
                break
            if "/" not in script:
                app = self.app
                script, rest = "", environ.get("PATH_INFO", "")
                break
            script, last = script.rsplit("/", 1)
            rest = f"/{last}{rest}"
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + script
        environ["PATH_INFO"] = rest
        return app(environ, start_response)
