"""Small dict and list variants that header values and Flask code build on.

``TypeConversionDict`` (``get(key, type=int)``), the immutable dict and list, and
``CallbackDict``, which calls a function after every change: that is how a parsed header
(``response.cache_control``, ``response.vary``) writes itself back into the headers. They
sit below :mod:`stein.datastructures` and the header-value classes, and import only the header
syntax helpers, so both can use them. :mod:`stein.datastructures` re-exports every name here,
as ``werkzeug.datastructures`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

from .headersyntax import dump_header

_missing: Any = object()


def _is_immutable(self: object) -> NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class TypeConversionDict(dict):  # type: ignore[type-arg]
    """A dict whose :meth:`get` can convert the value, falling back to the default.

    >>> d = TypeConversionDict(page="3", size="big")
    >>> d.get("page", type=int), d.get("size", 10, type=int)
    (3, 10)
    """

    def get(self, key: Any, default: Any = None, type: Callable[[Any], Any] | None = None) -> Any:
        """``self[key]``, converted by ``type`` when given; ``default`` when the key is
        missing or the conversion raises ``ValueError``/``TypeError``."""
        try:
            rv = self[key]
        except KeyError:
            return default
        if type is None:
            return rv
        try:
            return type(rv)
        except (ValueError, TypeError):
            return default


class ImmutableDictMixin:
    """Makes a dict subclass refuse every change (and hashable by identity of content).

    >>> class Frozen(ImmutableDictMixin, dict): pass
    >>> Frozen(a=1).pop("a")
    Traceback (most recent call last):
    TypeError: 'Frozen' objects are immutable
    """

    _hash_cache: int | None = None

    @classmethod
    def fromkeys(cls, keys: Iterable[Any], value: Any = None) -> Any:
        instance = super().__new__(cls)  # type: ignore[misc]
        dict.__init__(instance, [(k, value) for k in keys])  # type: ignore[call-overload]
        return instance

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (dict(self),)  # type: ignore[call-overload]

    def __hash__(self) -> int:
        if self._hash_cache is None:
            self._hash_cache = hash(frozenset(dict.items(self)))  # type: ignore[arg-type]
        return self._hash_cache

    def setdefault(self, key: Any, default: Any = None) -> Any:
        _is_immutable(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        _is_immutable(self)

    def pop(self, key: Any, default: Any = None) -> Any:
        _is_immutable(self)

    def popitem(self) -> Any:
        _is_immutable(self)

    def __setitem__(self, key: Any, value: Any) -> None:
        _is_immutable(self)

    def __delitem__(self, key: Any) -> None:
        _is_immutable(self)

    def __ior__(self, other: Any) -> Any:
        _is_immutable(self)

    def clear(self) -> None:
        _is_immutable(self)


class ImmutableDict(ImmutableDictMixin, dict):  # type: ignore[type-arg,misc]
    """A dict that cannot change after it is built; ``copy()`` gives a mutable dict.

    >>> d = ImmutableDict(a=1)
    >>> d["a"], hash(d) == hash(ImmutableDict(a=1))
    (1, True)
    """

    def copy(self) -> dict[Any, Any]:
        return dict(self)

    def __copy__(self) -> ImmutableDict:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


class ImmutableTypeConversionDict(ImmutableDictMixin, TypeConversionDict):  # type: ignore[misc]
    """A :class:`TypeConversionDict` that cannot change; ``copy()`` is mutable."""

    def copy(self) -> TypeConversionDict:
        return TypeConversionDict(self)

    def __copy__(self) -> ImmutableTypeConversionDict:
        return self


class ImmutableListMixin:
    """Makes a list subclass refuse every change."""

    _hash_cache: int | None = None

    def __hash__(self) -> int:
        if self._hash_cache is None:
            self._hash_cache = hash(tuple(self))  # type: ignore[arg-type]
        return self._hash_cache

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (list(self),)  # type: ignore[call-overload]

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        _is_immutable(self)

    __delitem__ = __setitem__ = __iadd__ = __imul__ = _refuse
    append = remove = extend = insert = pop = reverse = sort = clear = _refuse


class ImmutableList(ImmutableListMixin, list):  # type: ignore[type-arg,misc]
    """A list that cannot change (hashable, so it can be a dict key).

    >>> ImmutableList([1, 2]).append(3)
    Traceback (most recent call last):
    TypeError: 'ImmutableList' objects are immutable
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class UpdateDictMixin(dict):  # type: ignore[type-arg]
    """Calls ``self.on_update(self)`` after every change made through the dict's methods."""

    on_update: Callable[[Any], None] | None = None

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        modified = key not in self
        rv = super().setdefault(key, default)
        if modified:
            self._changed()
        return rv

    def pop(self, key: Any, default: Any = _missing) -> Any:
        modified = key in self
        rv = super().pop(key) if default is _missing else super().pop(key, default)
        if modified:
            self._changed()
        return rv

    def popitem(self) -> tuple[Any, Any]:
        rv = super().popitem()
        self._changed()
        return rv

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: Any) -> Any:  # type: ignore[override,misc]
        self.update(other)
        return self


class CallbackDict(UpdateDictMixin):
    """A dict that calls ``on_update(self)`` whenever it changes.

    >>> seen = []
    >>> d = CallbackDict({"a": 1}, on_update=lambda d: seen.append(dict(d)))
    >>> d["b"] = 2
    >>> seen
    [{'a': 1, 'b': 2}]
    """

    def __init__(self, initial: Any = None, on_update: Callable[[Any], None] | None = None) -> None:
        if initial is None:
            dict.__init__(self)
        else:
            dict.__init__(self, initial)
        self.on_update = on_update

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class HeaderSet:
    """A set of header tokens kept in order, compared case-insensitively (``Vary``,
    ``Allow``, ``Content-Language``); ``on_update`` is called after each change.

    >>> hs = HeaderSet(["GET", "head"])
    >>> "HEAD" in hs, hs.to_header()
    (True, 'GET, head')
    >>> hs.add("Post"); sorted(hs.as_set())
    ['get', 'head', 'post']
    """

    def __init__(self, headers: Iterable[str] | None = None,
                 on_update: Callable[[HeaderSet], None] | None = None) -> None:
        self._headers: list[str] = []
        self._set: set[str] = set()
        for h in headers or ():
            if h.lower() not in self._set:
                self._headers.append(h)
                self._set.add(h.lower())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless an equal one (ignoring case) is there."""
        self.update((header,))

    def remove(self, header: str) -> None:
        """Remove ``header``; ``KeyError`` when it is absent."""
        key = header.lower()
        if key not in self._set:
            raise KeyError(header)
        self._set.remove(key)
        self._headers = [h for h in self._headers if h.lower() != key]
        self._changed()

    def discard(self, header: str) -> None:
        """Remove ``header`` when present."""
        try:
            self.remove(header)
        except KeyError:
            pass

    def update(self, iterable: Iterable[str]) -> None:
        """Add every header of ``iterable`` that is not there yet."""
        changed = False
        for header in iterable:
            key = header.lower()
            if key not in self._set:
                self._headers.append(header)
                self._set.add(key)
                changed = True
        if changed:
            self._changed()

    def find(self, header: str) -> int:
        """The index of ``header``, or -1."""
        key = header.lower()
        for i, h in enumerate(self._headers):
            if h.lower() == key:
                return i
        return -1

    def index(self, header: str) -> int:
        """The index of ``header``; ``IndexError`` when it is absent."""
        rv = self.find(header)
        if rv < 0:
            raise IndexError(header)
        return rv

    def clear(self) -> None:
        self._set.clear()
        self._headers.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """The tokens as a plain set (lowercased unless ``preserve_casing``)."""
        return set(self._headers) if preserve_casing else set(self._set)

    def to_header(self) -> str:
        """The header value: the tokens joined by ``", "`` (quoted where they need it)."""
        return dump_header(self._headers)

    def __getitem__(self, idx: int) -> str:
        return self._headers[idx]

    def __delitem__(self, idx: int) -> None:
        rv = self._headers.pop(idx)
        self._set.discard(rv.lower())
        self._changed()

    def __setitem__(self, idx: int, value: str) -> None:
        old = self._headers[idx]
        self._set.discard(old.lower())
        self._headers[idx] = value
        self._set.add(value.lower())
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __len__(self) -> int:
        return len(self._set)

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __bool__(self) -> bool:
        return bool(self._set)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderSet):
            return self._set == other._set
        if isinstance(other, (set, frozenset)):
            return self._set == {str(x).lower() for x in other}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


def iter_multi_items(mapping: Any) -> Iterator[tuple[Any, Any]]:
    """Every ``(key, value)`` of a MultiDict (all values), of a dict (a list or tuple value
    gives each of its items) or of an iterable of pairs.

    >>> list(iter_multi_items({"a": [1, 2], "b": 3}))
    [('a', 1), ('a', 2), ('b', 3)]
    """
    if hasattr(mapping, "lists") and hasattr(mapping, "getlist"):  # a MultiDict
        yield from mapping.items(multi=True)
    elif isinstance(mapping, dict) or hasattr(mapping, "keys"):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for v in value:
                    yield key, v
            else:
                yield key, value
    else:
        yield from mapping
