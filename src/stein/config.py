"""``app.config``: a dict with loaders for objects, Python files, data files and env vars."""

from __future__ import annotations

import errno
import json
import os
import types
from collections.abc import Callable, Mapping
from typing import IO, Any

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


class Config(dict):  # type: ignore[type-arg]
    """The app's settings. Only UPPERCASE keys are taken from objects and files."""

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, Any] | None = None) -> None:
        super().__init__(defaults or {})
        self.root_path = os.fspath(root_path)

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
        return self.from_pyfile(rv, silent=silent)

    def from_prefixed_env(self, prefix: str | None = None, *,
                          loads: Callable[[str], Any] = json.loads) -> bool:
        """Load ``STEIN_*`` environment variables; values are parsed as JSON when they can be.

        ``STEIN_A__B=1`` sets ``config["A"]["B"] = 1``. The default prefix is
        ``DEFAULT_ENV_PREFIX``: ``STEIN``, or ``FLASK`` while :mod:`stein.compat` is on.
        """
        prefix = f"{DEFAULT_ENV_PREFIX if prefix is None else prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: Any = os.environ[key]
            try:
                value = loads(value)
            except Exception:
                pass
            key = key[len(prefix):]
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value
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
        self.from_object(d)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of an object or module (or an import path to one)."""
        if isinstance(obj, str):
            from .utils import import_string

            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

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
        return self.from_mapping(obj)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the UPPERCASE keys of a mapping and keyword arguments."""
        mappings: dict[str, Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
