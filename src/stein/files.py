"""Sending files: ``send_file``, ``send_from_directory`` and the streamed file body.

A file response carries a :class:`FileBody` that reads the open file in chunks. When the
WSGI server offers ``wsgi.file_wrapper`` (which may use ``sendfile(2)``), the body hands the
file to it instead. ``Range`` requests narrow the body with :meth:`FileBody.limit_to`, so a
206 reads only the bytes it sends.
"""

from __future__ import annotations

import io
import mimetypes
import os
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import IO, Any
from urllib.parse import quote

from .ctx import _cv_app, _cv_request
from .exceptions import NotFound
from .security import safe_join
from .wrappers import Response

CHUNK_SIZE = 64 * 1024


class FileBody:
    """A response body read from an open binary file, ``chunk_size`` bytes at a time.

    ``file`` is the file object; :meth:`limit_to` restricts the body to ``[start, stop)``.
    The file is closed when the server closes the body.
    """

    __slots__ = ("file", "chunk_size", "start", "stop", "_closed")

    def __init__(self, file: IO[bytes], chunk_size: int = CHUNK_SIZE) -> None:
        self.file = file
        self.chunk_size = chunk_size
        self.start: int | None = None
        self.stop: int | None = None
        self._closed = False

    def limit_to(self, start: int, stop: int) -> None:
        """Send only the bytes ``start`` to ``stop - 1`` of the file (for a 206)."""
        self.start = start
        self.stop = stop

    def __iter__(self) -> Iterator[bytes]:
        file = self.file
        if self.start is not None:
            file.seek(self.start)
        read = file.read
        size = self.chunk_size
        if self.stop is None:
            while True:
                chunk = read(size)
                if not chunk:
                    return
                yield chunk
        remaining = self.stop - (self.start or 0)
        while remaining > 0:
            chunk = read(min(size, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk

    def to_wsgi(self, environ: dict[str, Any]) -> Any:
        """The iterable to give the WSGI server: its ``wsgi.file_wrapper`` when it has one
        and the body runs to the end of the file, else this body itself."""
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is None:
            return self
        if self.stop is not None:
            # A file wrapper sends to end of file; only use it when that is what we want.
            try:
                if self.stop != os.fstat(self.file.fileno()).st_size:
                    return self
            except (AttributeError, OSError, io.UnsupportedOperation):
                return self
        if self.start is not None:
            self.file.seek(self.start)
        return wrapper(self.file, self.chunk_size)

    def close(self) -> None:
        """Close the file (once)."""
        if not self._closed:
            self._closed = True
            self.file.close()


def _content_disposition(disposition: str, name: str) -> str:
    """``attachment; filename=...`` with RFC 6266 ``filename*`` for non-ASCII names."""
    # Header values must not carry line breaks or quotes that would end the parameter.
    name = name.replace("\r", "").replace("\n", "")
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        import unicodedata

        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        simple = simple.replace("\\", "\\\\").replace('"', '\\"')
        quoted = quote(name, safe="!#$&+-.^_`|~")
        return f"{disposition}; filename=\"{simple}\"; filename*=UTF-8''{quoted}"
    name = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'{disposition}; filename="{name}"'


def _file_size(file: Any) -> int | None:
    if isinstance(file, io.BytesIO):
        return file.getbuffer().nbytes - file.tell()
    try:
        return os.fstat(file.fileno()).st_size - file.tell()
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        return None


def _current() -> tuple[Any, Any]:
    """``(app, request)`` of the active contexts (either may be ``None``)."""
    actx = _cv_app.get(None)
    rctx = _cv_request.get(None)
    return (actx.app if actx is not None else None), (rctx.request if rctx is not None else None)


def send_file(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | Callable[[str | None], int | None] | None = None,
) -> Response:
    """A response with the contents of a file.

    ``path_or_file`` is a path (relative ones are relative to the app's ``root_path``) or
    a binary file object (read from its current position; it is closed afterwards).

    - ``mimetype``: guessed from ``download_name`` or the path when not given.
    - ``as_attachment``: ``Content-Disposition: attachment`` (the browser saves the file);
      ``download_name`` is the file name it saves under (any Unicode, RFC 6266 encoded).
    - ``conditional``: answer ``If-None-Match``/``If-Modified-Since`` with 304 and a single
      ``Range`` with 206 (416 when it cannot be satisfied).
    - ``etag``: ``True`` derives one from the file's path, time and size; a string is used
      as is; ``False`` sends none. ``last_modified`` defaults to the file's mtime.
    - ``max_age``: seconds for ``Cache-Control: public, max-age=...`` (or a function of the
      path); ``None`` sends ``no-cache``, so browsers revalidate with the ETag.

    >>> from stein import Stein, send_file
    >>> app = Stein(__name__)
    >>> @app.route("/report")
    ... def report():
    ...     return send_file("reports/latest.pdf", as_attachment=True,
    ...                      download_name="Übersicht 2024.pdf")
    """
    app, request = _current()
    environ = request.environ if request is not None else None
    path: str | None = None
    file: Any
    stat: os.stat_result | None = None
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.fspath(path_or_file)
        if app is not None and not os.path.isabs(path):
            path = os.path.join(app.root_path, path)
        stat = os.stat(path)
        size: int | None = stat.st_size
        file = None
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        size = _file_size(file)

    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not available. Either"
                " set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype = mimetypes.guess_type(download_name)[0] or "application/octet-stream"

    response_class = app.response_class if app is not None else None
    if response_class is None:
        response_class = Response

    headers: list[tuple[str, str]] = []
    if download_name is not None:
        disposition = "attachment" if as_attachment else "inline"
        headers.append(("Content-Disposition", _content_disposition(disposition, download_name)))

    use_x_sendfile = path is not None and app is not None and app.config.get("USE_X_SENDFILE")
    if use_x_sendfile:
        headers.append(("X-Sendfile", path))  # type: ignore[arg-type]
        rv = response_class(None, headers=headers, mimetype=mimetype)  # type: ignore[misc]
        rv.headers.remove("Content-Length")
    else:
        if file is None:
            file = open(path, "rb")  # type: ignore[arg-type]  # noqa: SIM115 - closed with the body
        rv = response_class(FileBody(file), headers=headers, mimetype=mimetype,  # type: ignore[misc]
                            direct_passthrough=True)
    if size is not None:
        rv.headers.set("Content-Length", str(size))

    if last_modified is None and stat is not None:
        last_modified = stat.st_mtime
    if last_modified is not None:
        rv.last_modified = last_modified

    if callable(max_age):
        max_age = max_age(path)
    if max_age is not None:
        if max_age > 0:
            rv.headers.set("Cache-Control", f"public, max-age={int(max_age)}")
            rv.expires = datetime.now(timezone.utc) + timedelta(seconds=int(max_age))
        else:
            rv.headers.set("Cache-Control", "no-cache, max-age=0")
    else:
        rv.headers.set("Cache-Control", "no-cache")

    if isinstance(etag, str):
        rv.set_etag(etag)
    elif etag and stat is not None:
        check = zlib.adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF  # type: ignore[union-attr]
        rv.set_etag(f"{stat.st_mtime_ns:x}-{stat.st_size:x}-{check:x}")

    if conditional and environ is not None:
        try:
            rv = rv.make_conditional(environ, accept_ranges=size is not None and not use_x_sendfile,
                                     complete_length=size)
        except BaseException:
            rv.close()
            raise
    return rv  # type: ignore[no-any-return]


def send_from_directory(directory: str | os.PathLike[str], path: str | os.PathLike[str],
                        **kwargs: Any) -> Response:
    """Send the file ``path`` from inside ``directory``: a 404 when it is missing, not a
    regular file, or the path tries to leave ``directory`` (``..``, absolute paths,
    drive letters, backslashes, NUL bytes).

    ``directory`` relative paths are relative to the app's ``root_path``. The keyword
    arguments are those of :func:`send_file`.

    >>> from stein import Stein, send_from_directory
    >>> app = Stein(__name__)
    >>> @app.route("/uploads/<path:name>")
    ... def download(name):
    ...     return send_from_directory("uploads", name)
    """
    directory = os.fspath(directory)
    app, _ = _current()
    if app is not None and not os.path.isabs(directory):
        directory = os.path.join(app.root_path, directory)
    full = safe_join(directory, os.fspath(path))
    if full is None or not os.path.isfile(full):
        raise NotFound()
    return send_file(full, **kwargs)
