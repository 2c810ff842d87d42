"""Helpers Flask code imports from ``werkzeug.utils``.

``secure_filename`` and ``import_string`` are Stein's own; ``cached_property``,
``redirect``, ``append_slash_redirect``, ``send_file`` and ``send_from_directory`` take
Werkzeug's arguments (an explicit WSGI environ, no app needed), so code written against
Werkzeug runs unchanged. ``stein.redirect`` and ``stein.send_file`` are the Flask-level
ones that consult the current app.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .exceptions import NotFound
from .files import send_file as _send_file
from .response import redirect_response
from .security import safe_join

if TYPE_CHECKING:
    from .response import Response

_T = TypeVar("_T")
_missing: Any = object()

_filename_ascii_strip_re = re.compile(r"[^A-Za-z0-9_.-]")
_windows_device_files = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
}


def secure_filename(filename: str) -> str:
    """A safe ASCII file name for storing an upload: no path parts, no dots at the ends.

    >>> secure_filename("../../etc/passwd")
    'etc_passwd'
    >>> secure_filename("My cool movie.mov")
    'My_cool_movie.mov'
    """
    filename = unicodedata.normalize("NFKD", filename)
    filename = filename.encode("ascii", "ignore").decode("ascii")
    for sep in (os.sep, os.path.altsep, "/", "\\"):
        if sep:
            filename = filename.replace(sep, " ")
    filename = str(_filename_ascii_strip_re.sub("", "_".join(filename.split()))).strip("._")
    if os.name == "nt" and filename and filename.split(".")[0].upper() in _windows_device_files:
        filename = f"_{filename}"
    if filename.split(".")[0].upper() in _windows_device_files:
        filename = f"_{filename}"
    return filename


class ImportStringError(ImportError):
    """``import_string`` could not import the name."""


def import_string(import_name: str, silent: bool = False) -> Any:
    """Import ``"pkg.mod:obj"`` or ``"pkg.mod.obj"`` and return the object."""
    import_name = import_name.replace(":", ".")
    try:
        try:
            __import__(import_name)
        except ImportError:
            if "." not in import_name:
                raise
        else:
            return sys.modules[import_name]
        module_name, obj_name = import_name.rsplit(".", 1)
        module = importlib.import_module(module_name)
        try:
            return getattr(module, obj_name)
        except AttributeError as e:
            raise ImportError(e) from None
    except ImportError as e:
        if not silent:
            raise ImportStringError(f"import_string() failed for {import_name!r}: {e}") from e
    return None


def find_modules(import_path: str, include_packages: bool = False,
                 recursive: bool = False) -> Iterator[str]:
    """The dotted names of the modules in package ``import_path`` (packages too with
    ``include_packages``, and their modules with ``recursive``).

    >>> "stein.ext.auth" in list(find_modules("stein.ext"))
    True
    """
    module = import_string(import_path)
    path = getattr(module, "__path__", None)
    if path is None:
        raise ValueError(f"{import_path!r} is not a package")
    prefix = f"{module.__name__}."
    for _, name, is_pkg in pkgutil.iter_modules(path):
        name = prefix + name
        if is_pkg:
            if include_packages:
                yield name
            if recursive:
                yield from find_modules(name, include_packages, True)
        else:
            yield name


class cached_property(property, Generic[_T]):  # noqa: N801 - Werkzeug's name
    """A property computed on first access and then kept on the instance.

    Assigning sets the kept value, ``del`` forgets it (the next access computes again).
    A class with ``__slots__`` needs a ``_cache_<name>`` slot for it.

    >>> class Page:
    ...     @cached_property
    ...     def title(self):
    ...         print("computing"); return "Home"
    >>> p = Page(); p.title
    computing
    'Home'
    >>> p.title = "About"; p.title
    'About'
    """

    def __init__(self, fget: Callable[[Any], _T], name: str | None = None,
                 doc: str | None = None) -> None:
        super().__init__(fget, doc=doc)
        self.__name__ = name or fget.__name__
        self.slot_name = f"_cache_{self.__name__}"
        self.__module__ = fget.__module__

    def __set_name__(self, owner: type, name: str) -> None:
        if name != self.__name__:  # assigned under another name: cache under that one
            self.__name__ = name
            self.slot_name = f"_cache_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        d = getattr(obj, "__dict__", None)
        value = d.get(self.__name__, _missing) if d is not None else getattr(
            obj, self.slot_name, _missing)
        if value is _missing:
            value = self.fget(obj)  # type: ignore[misc]
            if d is not None:
                d[self.__name__] = value
            else:
                setattr(obj, self.slot_name, value)
        return value

    def __set__(self, obj: object, value: Any) -> None:
        d = getattr(obj, "__dict__", None)
        if d is not None:
            d[self.__name__] = value
        else:
            setattr(obj, self.slot_name, value)

    def __delete__(self, obj: object) -> None:
        d = getattr(obj, "__dict__", None)
        if d is not None:
            d.pop(self.__name__, None)
        else:
            setattr(obj, self.slot_name, _missing)


def get_content_type(mimetype: str, charset: str) -> str:
    """``mimetype`` with ``; charset=...`` added for text types.

    >>> get_content_type("text/html", "utf-8"), get_content_type("image/png", "utf-8")
    ('text/html; charset=utf-8', 'image/png')
    """
    if (mimetype.startswith("text/") or mimetype in (
            "application/xml", "application/javascript", "application/ecmascript")
            or mimetype.endswith("+xml")) and "charset" not in mimetype:
        mimetype += f"; charset={charset}"
    return mimetype


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:  # noqa: N803
    """A redirect response to ``location`` with a short HTML body (no app consulted).

    >>> redirect("/login").headers["Location"]
    '/login'
    """
    return redirect_response(location, code, Response)


def append_slash_redirect(environ: dict[str, Any], code: int = 308) -> Response:
    """Redirect to the request's URL with a ``/`` appended (relative: ``user/42`` -> ``42/``),
    keeping the query string; 308 keeps the method and body.

    >>> append_slash_redirect({"PATH_INFO": "/user/42", "QUERY_STRING": "a=1"}).location
    '42/?a=1'
    """
    tail = environ.get("PATH_INFO", "").rpartition("/")[2]
    new_path = f"{tail}/" if tail else "./"
    qs = environ.get("QUERY_STRING")
    if qs:
        new_path = f"{new_path}?{qs}"
    return redirect(new_path, code)


def send_file(path_or_file: Any, environ: dict[str, Any] | None = None,
              mimetype: str | None = None, as_attachment: bool = False,
              download_name: str | None = None, conditional: bool = True,
              etag: bool | str = True, last_modified: Any = None, max_age: Any = None,
              use_x_sendfile: bool = False, response_class: type[Response] | None = None,
              _root_path: str | os.PathLike[str] | None = None) -> Response:
    """Werkzeug's ``send_file``: the request is the ``environ`` passed in (conditional
    requests and ranges are answered from it), not the current one.

    ``use_x_sendfile`` sends an empty body and an ``X-Sendfile`` header for the server.
    """
    if _root_path is not None and isinstance(path_or_file, (str, os.PathLike)):
        path_or_file = os.path.join(_root_path, os.fspath(path_or_file))
    rv = _send_file(path_or_file, mimetype=mimetype, as_attachment=as_attachment,
                    download_name=download_name, conditional=False, etag=etag,
                    last_modified=last_modified, max_age=max_age)
    is_path = isinstance(path_or_file, (str, os.PathLike))
    if use_x_sendfile and is_path and "X-Sendfile" not in rv.headers:
        rv.close()
        rv.response = []
        rv.headers.set("X-Sendfile", os.path.abspath(os.fspath(path_or_file)))
        rv.headers.remove("Content-Length")
    if response_class is not None and not isinstance(rv, response_class):
        rv = response_class.force_type(rv)
    if conditional and environ is not None:
        size = rv.headers.get("Content-Length", type=int)
        try:
            rv = rv.make_conditional(environ, accept_ranges=size is not None, complete_length=size)
        except BaseException:
            rv.close()
            raise
    return rv


def send_from_directory(directory: str | os.PathLike[str], path: str | os.PathLike[str],
                        environ: dict[str, Any] | None = None, **kwargs: Any) -> Response:
    """Werkzeug's ``send_from_directory``: ``path`` inside ``directory`` or a 404 (no
    escaping it with ``..`` or an absolute path), answered for ``environ``."""
    directory = os.fspath(directory)
    root = kwargs.pop("_root_path", None)
    if root is not None and not os.path.isabs(directory):
        directory = os.path.join(root, directory)
    full = safe_join(directory, os.fspath(path))
    if full is None or not os.path.isfile(full):
        raise NotFound()
    return send_file(full, environ, **kwargs)
