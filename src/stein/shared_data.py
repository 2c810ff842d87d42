"""Serve static files in front of a WSGI app (``SharedDataMiddleware``).

>>> from stein import Stein
>>> app = SharedDataMiddleware(Stein(__name__), {"/static": "/srv/static"})

``exports`` maps a URL prefix to a directory, a single file, or ``(package, folder)``
inside an installed package. A GET or HEAD whose path falls under a prefix and names an
existing file is answered here, with ``ETag``/``Last-Modified`` and a 304 for a matching
conditional request; every other request goes to the app. Paths are joined with
:func:`stein.security.safe_join`, so ``..``, absolute paths and backslashes never reach
outside the exported folder.
"""

from __future__ import annotations

import mimetypes
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from fnmatch import fnmatch
from typing import Any

from .http import http_date, is_resource_modified
from .security import safe_join

# ``loader(path)`` -> (name for the Content-Type guess, absolute file path) or (None, None).
Loader = Callable[[str | None], tuple[str | None, str | None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CHUNK = 64 * 1024


def _read_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


class SharedDataMiddleware:
    """Answer requests for exported files before they reach ``app``.

    ``disallow`` is an :func:`fnmatch.fnmatch` pattern of file names never served;
    ``cache=False`` sends no caching headers; ``cache_timeout`` is the ``max-age`` in
    seconds; ``fallback_mimetype`` is the type of files :mod:`mimetypes` cannot guess.
    """

    def __init__(self, app: WSGIApp, exports: Mapping[str, Any] | Iterable[tuple[str, Any]],
                 disallow: str | None = None, cache: bool = True,
                 cache_timeout: int = 60 * 60 * 12,
                 fallback_mimetype: str = "application/octet-stream") -> None:
        self.app = app
        self.exports: list[tuple[str, Loader]] = []
        self.cache = cache
        self.cache_timeout = cache_timeout
        self.fallback_mimetype = fallback_mimetype
        items = exports.items() if isinstance(exports, Mapping) else exports
        for prefix, value in items:
            if isinstance(value, tuple):
                loader = self.get_package_loader(*value)
            elif isinstance(value, (str, os.PathLike)):
                path = os.fspath(value)
                loader = (self.get_file_loader(path) if os.path.isfile(path)
                          else self.get_directory_loader(path))
            else:
                raise TypeError(f"unknown export {value!r}: a path or (package, folder)")
            self.exports.append((prefix, loader))
        if disallow is not None:
            pattern = disallow
            self.is_allowed = lambda name: not fnmatch(name, pattern)  # type: ignore[method-assign,assignment]

    def is_allowed(self, filename: str) -> bool:
        """Whether ``filename`` may be served (override, or pass ``disallow``)."""
        return True

    def get_file_loader(self, filename: str) -> Loader:
        """A loader for one exported file (its prefix is the whole URL)."""
        def loader(path: str | None) -> tuple[str | None, str | None]:
            return os.path.basename(filename), os.path.abspath(filename)
        return loader

    def get_directory_loader(self, directory: str) -> Loader:
        """A loader for the files under ``directory``."""
        directory = os.path.abspath(directory)

        def loader(path: str | None) -> tuple[str | None, str | None]:
            if path is None:
                return None, None
            full = safe_join(directory, path)
            if full is None or not os.path.isfile(full):
                return None, None
            return os.path.basename(full), full
        return loader

    def get_package_loader(self, package: str, package_path: str) -> Loader:
        """A loader for the files of ``package_path`` inside an installed package."""
        import importlib.util

        spec = importlib.util.find_spec(package)
        roots = list(spec.submodule_search_locations or []) if spec is not None else []
        if not roots and spec is not None and spec.origin:
            roots = [os.path.dirname(spec.origin)]
        if not roots:
            raise ValueError(f"package {package!r} has no folder to serve files from")
        return self.get_directory_loader(os.path.join(roots[0], package_path))

    def generate_etag(self, mtime: datetime, file_size: int, real_filename: str) -> str:
        """An ETag from the file's time, size and name (no read of its content)."""
        name_crc = zlib.adler32(real_filename.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        return f"sd-{mtime.timestamp():.0f}-{file_size}-{name_crc}"

    def _find(self, path_info: str) -> tuple[str | None, str | None]:
        # Normalise first: empty and ".." segments never select another export.
        path = "/" + "/".join(p for p in path_info.split("/") if p and p != "..")
        for prefix, loader in self.exports:
            base = prefix.rstrip("/")
            if path == prefix or path == base:
                name, real = loader(None)
            elif path.startswith(base + "/"):
                name, real = loader(path[len(base) + 1:])
            else:
                continue
            if real is not None:
                return name, real
        return None, None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        path_info = environ.get("PATH_INFO", "")
        # WSGI gives the path as latin-1 code points of its UTF-8 bytes.
        path_info = path_info.encode("latin-1", "replace").decode("utf-8", "replace")
        name, real = self._find(path_info)
        if real is None or name is None or not self.is_allowed(name):
            return self.app(environ, start_response)
        stat = os.stat(real)
        mtime = datetime.fromtimestamp(int(stat.st_mtime), tz=timezone.utc)
        mime = mimetypes.guess_type(name)[0] or self.fallback_mimetype
        if mime.startswith("text/") or mime in ("application/javascript", "application/json"):
            mime += "; charset=utf-8"
        headers = [("Date", http_date())]
        if self.cache:
            etag = self.generate_etag(mtime, stat.st_size, real)
            headers += [("Etag", f'"{etag}"'),
                        ("Cache-Control", f"max-age={self.cache_timeout}, public")]
            if not is_resource_modified(environ, etag, last_modified=mtime):
                start_response("304 Not Modified", headers)
                return []
            headers += [("Last-Modified", http_date(mtime)),
                        ("Expires", http_date(time.time() + self.cache_timeout))]
        else:
            headers.append(("Cache-Control", "public"))
        headers += [("Content-Type", mime), ("Content-Length", str(stat.st_size))]
        start_response("200 OK", headers)
        if method == "HEAD":
            return []
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:
            return wrapper(open(real, "rb"), _CHUNK)  # type: ignore[no-any-return]
        return _read_chunks(real)
