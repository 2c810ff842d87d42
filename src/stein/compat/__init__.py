"""Run Flask code, and the extensions written for Flask, on Stein.

Extensions do ``import flask`` and ``import werkzeug`` themselves, so renaming an app's
imports is not enough for them. :func:`install` puts one finder first on ``sys.meta_path``
that answers those names with Stein's own module objects: ``flask.testing`` *is*
``stein.testing``, so a test that monkeypatches ``werkzeug.serving.run_simple`` patches
what Stein calls. It wins over a real Flask or Werkzeug installed beside Stein (``pip
install flask-login`` pulls both in), because it is asked before the path finders.

Flask's and Werkzeug's own names (``Flask``, ``FlaskClient``, ``FlaskGroup``, ...) are set
on Stein's modules at install time, not before: an app that never installs the layer pays
nothing for it, and ``stein`` itself exports no ``Flask``.

>>> import stein.compat
>>> stein.compat.install()
>>> import flask
>>> flask.Flask is __import__("stein").Stein
True

The one-line form at the top of an app is ``import stein.compat.flask``; the CLI and the
servers switch it on without editing the app through ``STEIN_COMPAT=1`` (see
``docs/porting.md``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

from ._names import ALIASES, MODULES, SYNTHETIC, WERKZEUG_VERSION

__all__ = ["install", "uninstall", "is_installed"]


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already imported Stein module under a Flask/Werkzeug name."""

    def __init__(self, target: str | None, fullname: str) -> None:
        self.target = target
        self.fullname = fullname

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.target is None and self.fullname in SYNTHETIC:
            return _synthetic(self.fullname)
        if self.target is None:
            raise ModuleNotFoundError(
                f"No module named {self.fullname!r}: stein.compat does not provide it",
                name=self.fullname)
        module = importlib.import_module(self.target)
        self._stein_spec = module.__spec__
        if not hasattr(module, "__path__"):
            # Python imports ``flask.json.tag`` only when ``flask.json`` looks like a
            # package; an empty search path lets this finder answer its children.
            module.__path__ = []  # type: ignore[attr-defined]
            _set.append((module, "__path__"))
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The module is Stein's, already executed; running it again would reset its state.
        # The import system has just set its __spec__ to the Flask name's spec; put Stein's
        # back, or each relative import the module runs later (a deferred ``from .helpers
        # import ...``) sees __package__ != __spec__.parent and warns (an error in suites
        # run with ``-W error``, as most Pallets extensions' are).
        stein_spec = getattr(self, "_stein_spec", None)
        if stein_spec is not None:
            module.__spec__ = stein_spec
        return None


class _FlaskFinder(importlib.abc.MetaPathFinder):
    """Answers ``flask``, ``werkzeug`` and their submodules from Stein."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        root = fullname.partition(".")[0]
        if root not in ("flask", "werkzeug"):
            return None
        # Every name under the two roots is answered here, a missing one with an
        # ImportError, so that a real Flask beside Stein never fills a gap half-way.
        loader = _AliasLoader(MODULES.get(fullname), fullname)
        return importlib.machinery.ModuleSpec(fullname, loader, is_package=True)


_finder = _FlaskFinder()
# (module, attribute) pairs that install() added to Stein's modules; uninstall() removes them.
_set: list[tuple[types.ModuleType, str]] = []


def _synthetic(fullname: str) -> types.ModuleType:
    """A namespace package Stein has no module for, with its few names resolved lazily."""
    module = types.ModuleType(fullname)
    module.__path__ = []  # type: ignore[attr-defined]
    names = SYNTHETIC[fullname]
    if fullname == "werkzeug":
        module.__version__ = WERKZEUG_VERSION  # type: ignore[attr-defined]

    def __getattr__(name: str) -> Any:
        if name in names:
            return _resolve(names[name])
        raise AttributeError(f"module {fullname!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def _apply_aliases() -> None:
    for (module_name, alias), target in ALIASES.items():
        module = importlib.import_module(module_name)
        if not hasattr(module, alias):
            setattr(module, alias, _resolve(target))
            _set.append((module, alias))


def _resolve(target: str) -> Any:
    module_name, _, attr = target.rpartition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def is_installed() -> bool:
    """Whether :func:`install` has run (and :func:`uninstall` has not since)."""
    return _finder in sys.meta_path


def install() -> None:
    """Make ``import flask`` and ``import werkzeug`` give Stein's modules. Idempotent.

    Any ``flask``/``werkzeug`` module imported before this call (a real Flask) is dropped
    from ``sys.modules`` so that later imports see Stein.

    >>> from stein import compat
    >>> compat.install(); compat.install()
    >>> import werkzeug.exceptions, stein.exceptions
    >>> werkzeug.exceptions.NotFound is stein.exceptions.NotFound
    True
    """
    if is_installed():
        return
    for name in list(sys.modules):
        if name.partition(".")[0] in ("flask", "werkzeug"):
            module = sys.modules[name]
            if not getattr(module, "__name__", "").startswith("stein"):
                del sys.modules[name]
    sys.meta_path.insert(0, _finder)
    _apply_aliases()
    from . import _behaviour  # deferred: loads Stein's modules, only install() needs it

    _behaviour.enable()


def uninstall() -> None:
    """Undo :func:`install`: the finder goes, the Flask names leave ``sys.modules`` and
    Stein's modules, and Stein's own behaviour comes back."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if name.partition(".")[0] in ("flask", "werkzeug"):
            module = sys.modules.pop(name)
            # ``import flask.json.tag`` also set ``tag`` on Stein's json module (but
            # ``flask.json`` set ``json`` on ``stein``, which is Stein's own attribute).
            parent, _, child = name.rpartition(".")
            target = sys.modules.get(MODULES.get(parent, ""))
            if (parent and target is not None and getattr(target, child, None) is module
                    and f"{target.__name__}.{child}" != getattr(module, "__name__", None)):
                _set.append((target, child))
    while _set:
        module, attr = _set.pop()
        if attr in vars(module):
            delattr(module, attr)
    from . import _behaviour  # deferred: see install()

    _behaviour.disable()
