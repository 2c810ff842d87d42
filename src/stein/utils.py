"""Helpers apps import from ``werkzeug.utils``: ``secure_filename``, ``import_string``."""

from __future__ import annotations

import importlib
import os
import re
import sys
import unicodedata
from typing import Any

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
