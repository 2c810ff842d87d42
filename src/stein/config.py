"""``app.config``: a dict with loaders for objects, Python files, data files and env vars.

Every write also records where the value came from (:class:`ConfigSource`: a default, a
loader and what it loaded, or the file and line of the assignment), for
``stein inspect app``. Reads are plain ``dict`` reads: only writes pay, and they happen at
start-up.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, NamedTuple

# The prefix of from_prefixed_env() when none is given; stein.compat sets "FLASK".
DEFAULT_ENV_PREFIX = "STEIN"


class ConfigAttribute:
    """Forward an app attribute to a config key (``app.secret_key`` <-> ``SECRET_KEY``)."""

    def __init__(self, name: str, get_converter: Callable[[Any], Any] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        rv = obj.config[self.__name__]
        if self.get_converter is not None:
            rv = self.get_converter(rv)
        return rv

    def __set__(self, obj: Any, value: Any) -> None:
        obj.config[self.__name__] = value


class ConfigSource(NamedTuple):
    """Where a config value came from: ``how`` it was set (``"default"``, ``"set"`` for
    ``config[key] = value``, ``"update"``, ``"setdefault"``, or the loader's name:
    ``"from_object"``, ``"from_pyfile"``, ``"from_envvar"``, ``"from_file"``,
    ``"from_mapping"``, ``"from_prefixed_env"``), what was loaded (``detail``: the object,
    the file, the environment variable), and the file and line of the call (outside Stein's
    core; ``None`` for defaults).

    >>> config = Config(".")
    >>> config.from_mapping(GREETING="hi")
    True
    >>> src = config.source_of("GREETING")
    >>> src.how, src.line is not None
    ('from_mapping', True)
    """

    how: str
    detail: str | None = None
    file: str | None = None
    line: int | None = None


_DEFAULT = ConfigSource("default")
_STEIN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_EXT_DIR = os.path.join(_STEIN_DIR, "ext") + os.sep
_framework_files: dict[str, bool] = {}


def _is_framework(filename: str) -> bool:
    """Whether ``filename`` is Stein's own code (``stein.ext`` counts as the user's: an
    extension's ``setdefault`` is worth naming)."""
    rv = _framework_files.get(filename)
    if rv is None:
        rv = _framework_files[filename] = (filename.startswith(_STEIN_DIR)
                                           and not filename.startswith(_EXT_DIR))
    return rv


def _caller() -> tuple[str | None, int | None]:
    """The file and line of the nearest frame outside Stein's core."""
    frame: Any = sys._getframe(1)
    while frame is not None and _is_framework(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None, None
    return frame.f_code.co_filename, frame.f_lineno


class Config(dict):  # type: ignore[type-arg]
    """The app's settings. Only UPPERCASE keys are taken from objects and files.

    >>> config = Config(".", {"DEBUG": False})
    >>> config["DEBUG"] = True
    >>> config.source_of("DEBUG").how
    'set'
    """

    # The loader being run (the outermost one: from_envvar runs from_pyfile, which runs
    # from_object), whose source every write records; None for a plain write.
    _loading: ConfigSource | None = None
    #: How many writes the config has seen; a cache of values derived from the config
    #: (the session cookie's settings, the signing keys) is current while this is
    #: unchanged, which costs one attribute read a request instead of comparing each
    #: value. Every method that changes items adds one.
    writes = 0

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, Any] | None = None) -> None:
        super().__init__(defaults or {})
        self.root_path = os.fspath(root_path)
        self._sources: dict[str, ConfigSource] = dict.fromkeys(self, _DEFAULT)

    # -- where values came from ----------------------------------------------------------

    def _record(self, keys: Iterable[str], how: str) -> None:
        self.writes += 1
        source = self._loading or ConfigSource(how, None, *_caller())
        try:
            sources = self._sources
        except AttributeError:  # made without __init__ (unpickling sets items first)
            sources = self._sources = {}
        for key in keys:
            sources[key] = source

    def _begin(self, how: str, detail: str | None) -> ConfigSource | None:
        """Start a loader: its writes record ``how`` and ``detail`` unless an outer loader
        is running. Returns what to restore in ``finally``."""
        outer = self._loading
        if outer is None:
            self._loading = ConfigSource(how, detail, *_caller())
        return outer

    def source_of(self, key: str) -> ConfigSource | None:
        """Where the value of ``key`` came from, or ``None`` for a missing key.

        >>> class Settings:
        ...     PORT = 8000
        >>> config = Config(".")
        >>> config.from_object(Settings)
        >>> config.source_of("PORT").how, config.source_of("PORT").detail
        ('from_object', 'stein.config.Settings')
        """
        if key not in self:
            return None
        return getattr(self, "_sources", {}).get(key) or ConfigSource("set")

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self._record((key,), "set")

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """``dict.update``, recording where the values came from."""
        items = dict(other, **kwargs)
        dict.update(self, items)
        self._record(items, "update")

    def __ior__(self, other: Any) -> Config:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``dict.setdefault``, recording where a value it sets came from."""
        if key not in self:
            dict.__setitem__(self, key, default)
            self._record((key,), "setdefault")
        return dict.__getitem__(self, key)

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self.writes += 1

    def pop(self, key: str, *default: Any) -> Any:
        """``dict.pop``, counted as a write."""
        self.writes += 1
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, Any]:
        """``dict.popitem``, counted as a write."""
        self.writes += 1
        return dict.popitem(self)

    def clear(self) -> None:
        """``dict.clear``, counted as a write."""
        self.writes += 1
        dict.clear(self)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable."""
        rv = os.environ.get(variable_name)
        if not rv:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such"
                " configuration could not be loaded. Set this variable and make it point to a"
                " configuration file"
            )
        outer = self._begin("from_envvar", f"{variable_name}={rv}")
        try:
            return self.from_pyfile(rv, silent=silent)
        finally:
            self._loading = outer

    def from_prefixed_env(self, prefix: str | None = None, *,
                          loads: Callable[[str], Any] = json.loads) -> bool:
        """Load ``STEIN_*`` environment variables; values are parsed as JSON when they can be.

        ``STEIN_A__B=1`` sets ``config["A"]["B"] = 1``. The default prefix is
        ``DEFAULT_ENV_PREFIX``: ``STEIN``, or ``FLASK`` while :mod:`stein.compat` is on.
        """
        prefix = f"{DEFAULT_ENV_PREFIX if prefix is None else prefix}_"
        outer = self._loading
        file, line = _caller()
        try:
            for var in sorted(os.environ):
                if not var.startswith(prefix):
                    continue
                value: Any = os.environ[var]
                try:
                    value = loads(value)
                except Exception:
                    pass
                if outer is None:
                    self._loading = ConfigSource("from_prefixed_env", var, file, line)
                key = var[len(prefix):]
                if "__" not in key:
                    self[key] = value
                    continue
                current: dict[str, Any] = self
                *parts, tail = key.split("__")
                for part in parts:
                    current = current.setdefault(part, {})
                current[tail] = value
                self._record((parts[0],), "from_prefixed_env")
        finally:
            self._loading = outer
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE names."""
        filename = os.path.join(self.root_path, filename)
        d = types.ModuleType("config")
        d.__file__ = filename
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), d.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        outer = self._begin("from_pyfile", filename)
        try:
            self.from_object(d)
        finally:
            self._loading = outer
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of an object or module (or an import path to one)."""
        outer = self._begin("from_object", obj if isinstance(obj, str) else _describe(obj))
        try:
            if isinstance(obj, str):
                from .utils import import_string  # deferred: utils loads on first use

                obj = import_string(obj)
            for key in dir(obj):
                if key.isupper():
                    self[key] = getattr(obj, key)
        finally:
            self._loading = outer

    def from_file(self, filename: str | os.PathLike[str], load: Callable[[IO[Any]], Mapping[str, Any]],
                  silent: bool = False, text: bool = True) -> bool:
        """Load a data file with ``load`` (``json.load``, ``tomllib.load`` with ``text=False``)."""
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        outer = self._begin("from_file", filename)
        try:
            return self.from_mapping(obj)
        finally:
            self._loading = outer

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the UPPERCASE keys of a mapping and keyword arguments."""
        mappings: dict[str, Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        outer = self._begin("from_mapping", None)
        try:
            for key, value in mappings.items():
                if key.isupper():
                    self[key] = value
        finally:
            self._loading = outer
        return True

    def get_namespace(self, namespace: str, lowercase: bool = True, trim_namespace: bool = True) -> dict[str, Any]:
        """The keys starting with ``namespace`` (e.g. ``"IMAGE_STORE_"``) as a dict."""
        rv = {}
        for k, v in self.items():
            if not k.startswith(namespace):
                continue
            key = k[len(namespace):] if trim_namespace else k
            if lowercase:
                key = key.lower()
            rv[key] = v
        return rv

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Items first, without __setitem__, then the attributes (with the sources): copies
        # and pickles keep where each value came from.
        return _rebuild, (type(self), dict(self)), self.__dict__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


def _rebuild(cls: type[Config], items: dict[str, Any]) -> Config:
    config = cls.__new__(cls)
    dict.update(config, items)
    return config


def _describe(obj: object) -> str:
    """``module.QualName`` of a class or module loaded by ``from_object``, else its type's."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    if not isinstance(obj, type):
        obj = type(obj)
    return f"{obj.__module__}.{obj.__qualname__}"
