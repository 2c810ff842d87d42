"""Where an app's code is installed, and so where its instance folder goes.

The instance folder holds what belongs to one deployment and not to the code: a local
config file, an SQLite database, uploads. Beside the code while the project is worked on
(``<project>/instance``); under the interpreter's prefix once the package is installed
(``<prefix>/var/<name>-instance``), because ``site-packages`` is no place to write to.
No module is imported to find this: an app whose module fails at import still gets a path.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

__all__ = ["find_package", "instance_path_for"]


def _spec_of(name: str) -> Any:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        # ValueError: a module in sys.modules without __spec__ (``__main__`` of a script).
        return None


def _package_path(import_name: str) -> str | None:
    """The folder that holds the top-level module or package of ``import_name``, or None
    when it cannot be located."""
    root = import_name.partition(".")[0]
    spec = _spec_of(root)
    if spec is None:
        module = sys.modules.get(import_name)
        file = getattr(module, "__file__", None)
        return os.path.dirname(os.path.abspath(file)) if file else None
    locations = list(spec.submodule_search_locations or ())
    if not locations:  # a plain module: its folder
        if spec.origin in (None, "built-in", "frozen"):
            return None
        return os.path.dirname(os.path.abspath(spec.origin))
    if spec.origin not in (None, "namespace"):  # a regular package: the folder above it
        return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
    # A namespace package spans several folders: use the one holding this submodule.
    if root != import_name:
        sub = _spec_of(import_name)
        origin = getattr(sub, "origin", None)
        if origin not in (None, "namespace"):
            origin = os.path.abspath(origin)
            for location in locations:
                location = os.path.abspath(location)
                if origin.startswith(location + os.sep):
                    return os.path.dirname(location)
    return os.path.dirname(os.path.abspath(locations[0]))


def find_package(import_name: str, default: str | None = None) -> tuple[str | None, str]:
    """``(prefix, folder)`` for ``import_name``: ``prefix`` is the installation prefix
    when the code is installed (under ``sys.prefix`` or in a ``site-packages``), else None;
    ``folder`` is where its top-level module or package lives (``default``, or the current
    folder, when it cannot be located).

    >>> import os
    >>> find_package("not_importable_here") == (None, os.getcwd())
    True
    """
    folder = _package_path(import_name)
    if folder is None:
        return None, default or os.getcwd()
    prefix = os.path.abspath(sys.prefix)
    if folder == prefix or folder.startswith(prefix + os.sep):
        return prefix, folder
    parent, last = os.path.split(folder)
    if last.lower() == "site-packages":
        # <prefix>/lib/pythonX.Y/site-packages or <prefix>/lib/site-packages
        above, name = os.path.split(parent)
        if name.lower() == "lib":
            return above, folder
        if os.path.basename(above).lower() == "lib":
            return os.path.dirname(above), folder
        return parent, folder
    return None, folder


def instance_path_for(import_name: str, name: str, default: str | None = None) -> str:
    """The default instance folder of an app imported as ``import_name`` and named ``name``;
    ``default`` is the folder to use when the code cannot be located (the app's
    ``root_path``, so ``Stein("x", root_path=...)`` keeps its instance folder beside it).

    >>> import os
    >>> instance_path_for("not_importable_here", "shop", "/srv/shop")
    '/srv/shop/instance'
    """
    prefix, folder = find_package(import_name, default)
    if prefix is None:
        return os.path.join(folder, "instance")
    return os.path.join(prefix, "var", f"{name}-instance")
