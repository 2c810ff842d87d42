"""Containers the request and response hand out: MultiDict, Headers, FileStorage.

This is the module Flask code knows as ``werkzeug.datastructures``. The multi-valued
dicts, the header list and uploaded files are defined here; the smaller dict and list
variants (:mod:`stein.structures`) and the parsed header values (:mod:`stein.headervalues`,
:mod:`stein.authheaders`) are defined beside it and importable from here too.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from os import PathLike, fsdecode, fspath
from typing import IO, Any

from ._accel import speedups
from .authheaders import Authorization, WWWAuthenticate
from .exceptions import BadRequestKeyError
from .headersyntax import dump_options_header, parse_options_header
from .headervalues import (
    Accept,
    CharsetAccept,
    ContentRange,
    ContentSecurityPolicy,
    ETags,
    IfRange,
    LanguageAccept,
    MIMEAccept,
    Range,
    RequestCacheControl,
    ResponseCacheControl,
    cache_control_property,
)
from .structures import (
    CallbackDict,
    HeaderSet,
    ImmutableDict,
    ImmutableDictMixin,
    ImmutableList,
    ImmutableListMixin,
    ImmutableTypeConversionDict,
    TypeConversionDict,
    UpdateDictMixin,
    iter_multi_items,
)

__all__ = [
    "Accept", "Authorization", "CallbackDict", "CharsetAccept", "CombinedMultiDict",
    "ContentRange", "ContentSecurityPolicy", "ETags", "EnvironHeaders", "FileStorage", "HeaderSet", "Headers",
    "IfRange", "ImmutableDict", "ImmutableDictMixin", "ImmutableList", "ImmutableListMixin",
    "ImmutableMultiDict", "ImmutableOrderedMultiDict", "ImmutableTypeConversionDict",
    "LanguageAccept", "MIMEAccept", "MultiDict", "Range", "RequestCacheControl",
    "ResponseCacheControl", "TypeConversionDict", "UpdateDictMixin", "WWWAuthenticate",
    "cache_control_property", "iter_multi_items",
]

_missing: Any = object()


def _copyfileobj(src: Any, dst: Any, length: int) -> None:
    import shutil  # on first save: shutil pulls in compression modules at import

    shutil.copyfileobj(src, dst, length)


def _check_header_value(value: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError("Header values must not contain CR, LF or NUL characters.")
    return value


class MultiDict(TypeConversionDict):
    """A dict that keeps every value given for a key.

    Plain indexing returns the first value; :meth:`getlist` returns them all. A missing key
    raises :class:`~stein.exceptions.BadRequestKeyError`, which is a ``KeyError`` and a 400.

    >>> d = MultiDict([("a", "1"), ("a", "2")])
    >>> d["a"], d.getlist("a")
    ('1', ['1', '2'])

    Storage: the dict itself maps each key to its *first* value, so ``d[key]``, ``in``,
    ``len`` and ``dict(d)`` are plain C dict operations (a view reads form fields one at a
    time). Keys with more than one value also have their full list in ``_multi``
    (``None`` until a key repeats); every method that writes keeps the two in step.
    """

    # key -> every value (first one equal to the dict's value); None: no key repeats.
    _multi: dict[Any, list[Any]] | None = None

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            return
        if mapping.__class__ is list:
            _fill(self, mapping)
        elif isinstance(mapping, MultiDict):
            dict.update(self, mapping)
            if mapping._multi:
                self._multi = {k: list(vs) for k, vs in mapping._multi.items()}
        elif isinstance(mapping, Mapping):
            _fill_mapping(self, mapping)
        else:
            _fill(self, mapping)

    def __missing__(self, key: Any) -> Any:
        # Called by dict's own ``d[key]`` on a miss: indexing stays the C path.
        raise BadRequestKeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, key, value)
        if self._multi:
            self._multi.pop(key, None)

    def __delitem__(self, key: Any) -> None:
        try:
            dict.__delitem__(self, key)
        except KeyError:
            raise BadRequestKeyError(key) from None
        if self._multi:
            self._multi.pop(key, None)

    def add(self, key: Any, value: Any) -> None:
        """Append ``value`` to the values of ``key``."""
        _fill(self, ((key, value),))

    def get(self, key: Any, default: Any = None, type: Callable[[Any], Any] | None = None) -> Any:
        """First value of ``key`` or ``default``; ``type`` converts it (``ValueError`` -> default)."""
        if type is None:
            return dict.get(self, key, default)
        rv = dict.get(self, key, _missing)
        if rv is _missing:
            return default
        try:
            return type(rv)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: Any, type: Callable[[Any], Any] | None = None) -> list[Any]:
        """All values of ``key`` (empty list if none); ``type`` converts, dropping failures."""
        m = self._multi
        if m is not None and key in m:
            rv = list(m[key])
        elif key in self:
            rv = [dict.__getitem__(self, key)]
        else:
            return []
        if type is None:
            return rv
        out = []
        for v in rv:
            try:
                out.append(type(v))
            except (ValueError, TypeError):
                pass
        return out

    def setlist(self, key: Any, new_list: Iterable[Any]) -> None:
        """Replace every value of ``key`` (an empty list removes the key)."""
        values = list(new_list)
        if not values:
            dict.pop(self, key, None)
            if self._multi:
                self._multi.pop(key, None)
            return
        dict.__setitem__(self, key, values[0])
        if len(values) > 1:
            if self._multi is None:
                self._multi = {}
            self._multi[key] = values
        elif self._multi:
            self._multi.pop(key, None)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            MultiDict.__setitem__(self, key, default)
        return dict.__getitem__(self, key)

    def setlistdefault(self, key: Any, default_list: Iterable[Any] | None = None) -> list[Any]:
        """The values of ``key``, set to ``default_list`` first when it has none. Values
        appended to the returned list show in :meth:`getlist` (as in Werkzeug)."""
        m = self._multi
        if m is not None and key in m:
            return m[key]
        if key in self:
            values = [dict.__getitem__(self, key)]
        else:
            values = list(default_list or ())
            if not values:
                return values
            dict.__setitem__(self, key, values[0])
        if m is None:
            m = self._multi = {}
        m[key] = values
        return values

    def items(self, multi: bool = False) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """``(key, first value)`` pairs, or every ``(key, value)`` with ``multi=True``."""
        m = self._multi
        if not multi or not m:
            return iter(dict.items(self))
        return self._multi_items(m)

    def _multi_items(self, m: dict[Any, list[Any]]) -> Iterator[tuple[Any, Any]]:
        for k, v in dict.items(self):
            vs = m.get(k)
            if vs is None:
                yield k, v
            else:
                for x in vs:
                    yield k, x

    def lists(self) -> Iterator[tuple[Any, list[Any]]]:
        """``(key, [values])`` pairs (fresh lists)."""
        m = self._multi or {}
        for k, v in dict.items(self):
            vs = m.get(k)
            yield k, (list(vs) if vs is not None else [v])

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        """The first value of each key."""
        return iter(dict.values(self))

    def listvalues(self) -> Iterator[list[Any]]:
        """Every key's list of values."""
        for _, vs in self.lists():
            yield vs

    def copy(self) -> MultiDict:
        return self.__class__(self)

    def deepcopy(self, memo: Any = None) -> MultiDict:
        """A copy whose values are deep copies too."""
        return self.__class__(copy.deepcopy(list(self.items(multi=True)), memo))

    __deepcopy__ = deepcopy

    def to_dict(self, flat: bool = True) -> dict[Any, Any]:
        """A plain dict: first values (``flat``) or lists of values."""
        if flat:
            return dict(self)
        return dict(self.lists())

    def update(self, mapping: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        """Add the values of ``mapping`` to the existing ones (it does not replace)."""
        if isinstance(mapping, MultiDict):
            _fill(self, list(mapping.items(multi=True)))
        elif isinstance(mapping, Mapping):
            _fill_mapping(self, mapping)
        else:
            _fill(self, mapping)
        _fill(self, list(kwargs.items()))

    def __ior__(self, other: Any) -> MultiDict:  # type: ignore[override,misc]
        self.update(other)
        return self

    def pop(self, key: Any, default: Any = _missing) -> Any:
        """Remove ``key``; its first value, else ``default`` (no default: 400 ``KeyError``)."""
        if key not in self:
            if default is not _missing:
                return default
            raise BadRequestKeyError(key)
        if self._multi:
            self._multi.pop(key, None)
        return dict.pop(self, key)

    def poplist(self, key: Any) -> list[Any]:
        """Remove ``key`` and return all its values (``[]`` when absent)."""
        values = self.getlist(key)
        dict.pop(self, key, None)
        if self._multi:
            self._multi.pop(key, None)
        return values

    def popitem(self) -> tuple[Any, Any]:
        k, v = dict.popitem(self)
        if self._multi:
            self._multi.pop(k, None)
        return k, v

    def popitemlist(self) -> tuple[Any, list[Any]]:
        k, v = dict.popitem(self)
        vs = self._multi.pop(k, None) if self._multi else None
        return k, (vs if vs is not None else [v])

    def clear(self) -> None:
        dict.clear(self)
        if self._multi is not None:
            self._multi = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            if not dict.__eq__(self, other):
                return False
            if not self._multi and not other._multi:
                return True
            return dict(self.lists()) == dict(other.lists())
        if isinstance(other, Mapping):
            # A plain mapping holds one value per key: equal when no key repeats here.
            if self._multi:
                return False
            return dict.__eq__(self, other) if isinstance(other, dict) else dict(self) == dict(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        rv = self.__eq__(other)
        return rv if rv is NotImplemented else not rv

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (list(self.items(multi=True)),)

    def __copy__(self) -> MultiDict:
        return self.copy()


def _fill(md: MultiDict, pairs: Iterable[tuple[Any, Any]]) -> None:
    """Add ``(key, value)`` pairs to ``md``: first values in the dict, repeats in ``_multi``.

    Writes through ``dict`` methods, so it also fills immutable dicts while they are built.
    """
    setitem = dict.__setitem__
    for k, v in pairs:
        if k not in md:
            setitem(md, k, v)
            continue
        m = md._multi
        if m is None:
            m = md._multi = {}
        vs = m.get(k)
        if vs is None:
            m[k] = [dict.__getitem__(md, k), v]
        else:
            vs.append(v)


def _fill_mapping(md: MultiDict, mapping: Mapping[Any, Any]) -> None:
    """Add a plain mapping's items to ``md``; a list or tuple value adds each of its items."""
    for k, v in mapping.items():
        if isinstance(v, (list, tuple)):
            _fill(md, [(k, x) for x in v])
        else:
            _fill(md, [(k, v)])


def multidict_from_pairs(cls: type[MultiDict], pairs: list[tuple[Any, Any]]) -> Any:
    """``cls(pairs)`` for the parsers' pair lists, built by one C ``dict.update`` when no key
    repeats (the usual query string or form). Other classes go through their constructor."""
    if cls is not ImmutableMultiDict and cls is not MultiDict:
        return cls(pairs)
    md = dict.__new__(cls)
    dict.update(md, pairs)
    if len(md) != len(pairs):
        # A key repeats: dict.update kept its last value; rebuild first-value-wins.
        dict.clear(md)
        _fill(md, pairs)
    return md


class ImmutableMultiDict(MultiDict):
    """A :class:`MultiDict` that refuses changes, as the request's ``args`` and ``form`` are."""

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = add = setlist = setdefault = setlistdefault = _immutable
    update = pop = poplist = popitem = popitemlist = clear = __ior__ = _immutable  # type: ignore[assignment]

    # No __init__ of its own: MultiDict.__init__ fills through dict methods, which stay
    # allowed (and a request builds two of these, so a pass-through call would cost).

    def copy(self) -> MultiDict:
        """A mutable copy."""
        return MultiDict(self)

    def __copy__(self) -> MultiDict:
        return self  # nothing can change it, so a shallow copy may be itself

    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)


class ImmutableOrderedMultiDict(ImmutableMultiDict):
    """An :class:`ImmutableMultiDict` whose ``items(multi=True)`` keeps the order the pairs
    came in across keys (``a=1&b=2&a=3`` gives a, b, a), not grouped by key.

    >>> list(ImmutableOrderedMultiDict([("a", 1), ("b", 2), ("a", 3)]).items(multi=True))
    [('a', 1), ('b', 2), ('a', 3)]
    """

    _pairs: list[tuple[Any, Any]]

    def __init__(self, mapping: Any = None) -> None:
        if isinstance(mapping, MultiDict):
            pairs = list(mapping.items(multi=True))
        elif isinstance(mapping, Mapping):
            pairs = []
            for k, v in mapping.items():
                pairs.extend((k, x) for x in v) if isinstance(v, (list, tuple)) else pairs.append((k, v))
        else:
            pairs = list(mapping or ())
        _fill(self, pairs)
        self._pairs = pairs

    def items(self, multi: bool = False) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        if multi:
            return iter(self._pairs)
        return iter(dict.items(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ImmutableOrderedMultiDict):
            return self._pairs == other._pairs
        return MultiDict.__eq__(self, other)

    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)

    def copy(self) -> MultiDict:
        return MultiDict(list(self._pairs))


class CombinedMultiDict(ImmutableMultiDict):
    """Read-only view over several MultiDicts, first match wins (``request.values``)."""

    def __init__(self, dicts: Iterable[MultiDict] | None = None) -> None:
        self.dicts: list[MultiDict] = list(dicts or ())  # as Werkzeug's, for code that reads it
        for d in self.dicts:
            _fill(self, list(d.items(multi=True)))

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), ([MultiDict(list(self.items(multi=True)))],)


class Headers:
    """An ordered, case-insensitive multi-valued header list.

    Stored as a plain list of ``(name, value)`` tuples so it can be handed to
    ``start_response`` as it is.
    """

    __slots__ = ("_list",)

    def __init__(self, defaults: Any = None) -> None:
        self._list: list[tuple[str, str]] = []
        if defaults is not None:
            self.extend(defaults)

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._list[key]
        ikey = key.lower()
        for k, v in self._list:
            if k.lower() == ikey:
                return v
        raise BadRequestKeyError(key)

    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        """First value of header ``key``, or ``default``; ``type`` converts it."""
        ikey = key.lower()
        for k, v in self._list:
            if k.lower() == ikey:
                if type is None:
                    return v
                try:
                    return type(v)
                except (ValueError, TypeError):
                    return default
        return default

    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Every value of header ``key``."""
        ikey = key.lower()
        out = []
        for k, v in self._list:
            if k.lower() == ikey:
                if type is None:
                    out.append(v)
                else:
                    try:
                        out.append(type(v))
                    except (ValueError, TypeError):
                        pass
        return out

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        ikey = key.lower()
        return any(k.lower() == ikey for k, _ in self._list)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            other = other._list
        return self._list == other

    def keys(self, lower: bool = False) -> list[str]:
        return [k.lower() if lower else k for k, _ in self._list]

    def values(self) -> list[str]:
        return [v for _, v in self._list]

    def items(self, lower: bool = False) -> list[tuple[str, str]]:
        return [(k.lower(), v) if lower else (k, v) for k, v in self._list]

    @staticmethod
    def _value(value: Any, kw: dict[str, Any]) -> str:
        value = str(value)
        if kw:
            value = dump_options_header(value, kw)
        return _check_header_value(value)

    def add(self, key: str, value: Any, **kw: Any) -> None:
        """Append a header; keyword arguments become ``; name=value`` options."""
        self._list.append((_check_header_value(key), self._value(value, kw)))

    add_header = add

    def set(self, key: str, value: Any, **kw: Any) -> None:
        """Replace every header ``key`` by one with ``value`` (at the first one's place)."""
        value = self._value(value, kw)
        _check_header_value(key)
        ikey = key.lower()
        lst = self._list
        for i, (k, _) in enumerate(lst):
            if k.lower() == ikey:
                lst[i] = (key, value)
                self._list = lst[: i + 1] + [t for t in lst[i + 1 :] if t[0].lower() != ikey]
                return
        lst.append((key, value))

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        self.remove(key)
        for v in values:
            self.add(key, v)

    def setdefault(self, key: str, default: Any) -> Any:
        if key in self:
            return self[key]
        self.add(key, default)
        return default

    def remove(self, key: str) -> None:
        """Remove every header ``key`` (no error when there is none)."""
        ikey = key.lower()
        self._list = [t for t in self._list if t[0].lower() != ikey]

    def __delitem__(self, key: str | int) -> None:
        if isinstance(key, int):
            del self._list[key]
        else:
            self.remove(key)

    def pop(self, key: str | int | None = None, default: Any = _missing) -> Any:
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            rv = self[key]
        except KeyError:
            if default is _missing:
                raise
            return default
        self.remove(key)
        return rv

    def extend(self, arg: Any = None, **kwargs: Any) -> None:
        """Add every header of ``arg`` (mapping, Headers or pairs)."""
        if arg is not None:
            if isinstance(arg, Headers):
                items: Iterable[tuple[str, Any]] = arg._list
            elif isinstance(arg, Mapping):
                items = []
                for k, v in arg.items():
                    if isinstance(v, (list, tuple)):
                        items.extend((k, x) for x in v)  # type: ignore[attr-defined]
                    else:
                        items.append((k, v))  # type: ignore[attr-defined]
            else:
                items = arg
            for k, v in items:
                self.add(k, v)
        for k, v in kwargs.items():
            self.add(k, v)

    def update(self, arg: Any = None, **kwargs: Any) -> None:
        """Replace headers by those in ``arg`` (lists set every value)."""
        pairs: list[tuple[str, Any]] = []
        if isinstance(arg, Headers):
            pairs = list(arg._list)
        elif isinstance(arg, Mapping):
            pairs = list(arg.items())
        elif arg is not None:
            pairs = list(arg)
        pairs.extend(kwargs.items())
        seen: set[str] = set()
        for k, v in pairs:
            if isinstance(v, (list, tuple)):
                self.setlist(k, v)
            elif k.lower() in seen:
                self.add(k, v)
            else:
                self.set(k, v)
            seen.add(k.lower())

    def clear(self) -> None:
        self._list.clear()

    def copy(self) -> Headers:
        h = Headers()
        h._list = list(self._list)
        return h

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The list as ``start_response`` takes it."""
        return list(self._list)

    def __repr__(self) -> str:
        return f"Headers({self._list!r})"

    def __str__(self) -> str:
        return "".join(f"{k}: {v}\r\n" for k, v in self._list) + "\r\n"


_environ_keys: dict[str, str] = {}


class EnvironHeaders(Headers):
    """Read-only, case-insensitive view of a WSGI environ's request headers."""

    __slots__ = ("environ",)

    def __init__(self, environ: dict[str, Any]) -> None:  # noqa: D107
        self.environ = environ

    @staticmethod
    def _key(key: str) -> str:
        # Header names come from code, a handful per app: remember their environ keys.
        rv = _environ_keys.get(key)
        if rv is not None:
            return rv
        rv = key.upper().replace("-", "_")
        if rv not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            rv = "HTTP_" + rv
        if len(_environ_keys) < 512 and key.__class__ is str:
            _environ_keys[key] = rv
        return rv

    @property
    def _list(self) -> list[tuple[str, str]]:  # type: ignore[override]
        out = []
        for k, v in self.environ.items():
            if k.startswith("HTTP_"):
                out.append((k[5:].replace("_", "-").title(), v))
            elif k in ("CONTENT_TYPE", "CONTENT_LENGTH") and v:
                out.append((k.replace("_", "-").title(), v))
        return out

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._list[key]
        try:
            return self.environ[self._key(key)]
        except KeyError:
            raise BadRequestKeyError(key) from None

    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        rv = self.environ.get(_environ_keys.get(key) or self._key(key))
        if rv is None:
            return default
        if type is not None:
            try:
                return type(rv)
            except (ValueError, TypeError):
                return default
        return rv

    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        rv = self.get(key, type=type)
        return [] if rv is None else [rv]

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._key(key) in self.environ

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Request headers are read-only.")

    add = set = remove = extend = update = clear = setlist = _readonly  # type: ignore[assignment]
    __setitem__ = __delitem__ = pop = setdefault = _readonly  # type: ignore[assignment]

    def copy(self) -> Headers:
        return Headers(self._list)


if speedups is not None:
    # The same get() in C: views call it more than any other method (request.args.get,
    # request.headers.get); tests/test_speedups.py holds both to the same answers.
    MultiDict.get = speedups.multidict_get  # type: ignore[method-assign]
    EnvironHeaders.get = speedups.environ_get_method(  # type: ignore[method-assign]
        _environ_keys, EnvironHeaders._key, EnvironHeaders)


class FileStorage:
    """An uploaded file: ``filename``, ``name``, ``content_type``, ``stream``, ``save()``."""

    def __init__(
        self,
        stream: IO[bytes] | None = None,
        filename: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.stream: IO[bytes] = stream if stream is not None else io.BytesIO()
        if filename is None:
            # A file opened from disk carries its path; Werkzeug takes the name from it.
            filename = getattr(stream, "name", None)
            filename = fsdecode(filename) if isinstance(filename, (str, bytes)) else None
            if filename and filename[0] == "<" and filename[-1] == ">":
                filename = None  # a pseudo-name such as "<stdin>"
        self.filename = filename
        self.name = name
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers.set("Content-Type", content_type)
        if content_length is not None:
            headers.set("Content-Length", str(content_length))

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type`` header."""
        return self.headers.get("Content-Type")  # type: ignore[no-any-return]

    @property
    def content_length(self) -> int:
        return int(self.headers.get("Content-Length") or 0)

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lowercased."""
        ct = self.content_type or ""
        return ct.split(";", 1)[0].strip().lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.content_type or "")[1]

    def save(self, dst: str | PathLike[str] | IO[bytes], buffer_size: int = 16384) -> None:
        """Write the file to a path or a binary file object."""
        if isinstance(dst, (str, PathLike)):
            with open(fspath(dst), "wb") as f:
                _copyfileobj(self.stream, f, buffer_size)
        else:
            _copyfileobj(self.stream, dst, buffer_size)

    def read(self, *args: Any) -> bytes:
        return self.stream.read(*args)

    def __getattr__(self, name: str) -> Any:
        # Delegate file methods (seek, readline, tell, ...) to the stream.
        if name == "stream":
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"<FileStorage: {self.filename!r} ({self.content_type!r})>"
