"""Tagged JSON: JSON that round-trips the Python types a session holds (``flask.json.tag``).

Plain JSON loses types: a tuple comes back a list, bytes cannot be written at all, a
``datetime`` becomes a string. :class:`TaggedJSONSerializer` writes such a value as a
one-key object whose key names the type, ``{" t": [1, 2]}`` for ``(1, 2)``, and turns
it back on load. The keys start with a space, which no ordinary identifier does; a real
one-key dict whose key happens to be a tag is itself wrapped (``" di"``), so no data is
misread.

The session cookie uses the serializer ``SecureCookieSessionInterface.serializer``
(:data:`stein.sessions.session_json_serializer`); a tag registered there applies to
sessions. The stock tags are also written by a fast path in :mod:`stein.sessions`,
held to give the same text as :meth:`TaggedJSONSerializer.dumps` by a differential test.

Adding a tag, for example for ``OrderedDict`` (it must be checked before ``dict``, so
it goes first)::

    from collections import OrderedDict
    from stein.json_tag import JSONTag

    class TagOrderedDict(JSONTag):
        __slots__ = ()
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from .http import http_date, parse_date
from .json import dumps as _dumps
from .json import loads as _loads

__all__ = [
    "JSONTag", "PassDict", "PassList", "TagBytes", "TagDateTime", "TagDict", "TagMarkup",
    "TagTuple", "TagUUID", "TaggedJSONSerializer",
]


class JSONTag:
    """One type the serializer knows: how to recognise it (:meth:`check`), write it
    (:meth:`to_json`) and read it back (:meth:`to_python`). ``key`` marks it in the
    JSON; a tag with an empty key only transforms values on the way out.

    >>> class TagSet(JSONTag):
    ...     __slots__ = ()
    ...     key = " s"
    ...     def check(self, value): return isinstance(value, set)
    ...     def to_json(self, value): return [self.serializer.tag(v) for v in sorted(value)]
    ...     def to_python(self, value): return set(value)
    >>> s = TaggedJSONSerializer()
    >>> s.register(TagSet)
    >>> s.dumps({"tags": {2, 1}}), s.loads(s.dumps({"tags": {2, 1}}))
    ('{"tags":{" s":[1,2]}}', {'tags': {1, 2}})
    """

    __slots__ = ("serializer",)
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """``value`` as JSON-ready data (the tag is added around it by :meth:`tag`)."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The Python value back from what :meth:`to_json` made (the tag already removed)."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """``value`` converted and wrapped in this tag: ``{key: to_json(value)}``."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a tag: written with the key suffixed ``__`` inside a
    ``" di"`` tag, so loading does not mistake it for a tagged value."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return isinstance(value, dict) and len(value) == 1 and \
            next(iter(value)) in self.serializer.tags

    def to_json(self, value: Any) -> Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: Any) -> Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: its values are tagged, the dict itself is not."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        # JSON keys are strings: only the values can need a tag.
        tag = self.serializer.tag
        return {k: tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """``tuple`` (and its subclasses, which come back as plain tuples)."""

    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: its items are tagged, the list itself is not."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """``bytes``, as base64."""

    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """An object with ``__html__`` (``Markup``): its HTML, loaded back as ``Markup``."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        from markupsafe import Markup  # Jinja's dependency; loaded when a value needs it

        return Markup(value)


class TagUUID(JSONTag):
    """``uuid.UUID``, as its hex string."""

    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """``datetime``, as an HTTP date (whole seconds, UTC); loads timezone-aware."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """Compact JSON for values with ``dict``, ``tuple``, ``bytes``, ``Markup``, ``UUID``
    and ``datetime`` in them, loaded back as the same types.

    >>> s = TaggedJSONSerializer()
    >>> s.dumps({"ids": (1, 2), "raw": b"\\xff"})
    '{"ids":{" t":[1,2]},"raw":{" b":"/w=="}}'
    >>> s.loads('{"ids":{" t":[1,2]},"raw":{" b":"/w=="}}')
    {'ids': (1, 2), 'raw': b'\\xff'}

    The JSON itself is written and read with :func:`stein.json.dumps`/``loads``: the
    active app's provider (sorted keys, by default) inside an app context.
    """

    __slots__ = ("tags", "order", "_changed")

    #: The tags every serializer starts with, in checking order.
    default_tags: list[type[JSONTag]] = [
        TagDict, PassDict, TagTuple, PassList, TagBytes, TagMarkup, TagUUID, TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        self._changed = False
        for tag_class in self.default_tags:
            self.register(tag_class)
        # A subclass with other tags or methods, or a tag registered from here on: not
        # the stock behaviour the session fast path reproduces.
        cls, base = type(self), TaggedJSONSerializer
        self._changed = cls is not base and (
            cls.default_tags is not base.default_tags or cls.tag is not base.tag
            or cls.untag is not base.untag or cls.dumps is not base.dumps
            or cls.loads is not base.loads)

    def register(self, tag_class: type[JSONTag], force: bool = False,
                 index: int | None = None) -> None:
        """Add a tag: an instance of ``tag_class`` bound to this serializer.

        A key already registered raises ``KeyError`` unless ``force`` replaces it.
        ``index`` places the tag in the checking order (``None``: last); a tag for a
        subclass of a type already handled must come before that type's tag.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        self._changed = True

    @property
    def is_standard(self) -> bool:
        """Whether only the default tags were ever registered (the session fast path
        writes exactly those)."""
        return not self._changed

    def tag(self, value: Any) -> Any:
        """``value`` with every part that needs a tag tagged (JSON-ready data)."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """A loaded object back to the tagged type, when it is one tag."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def _untag_scan(self, value: Any) -> Any:
        # Inside out, as a JSON decoder's object hook sees the objects.
        if isinstance(value, dict):
            return self.untag({k: self._untag_scan(v) for k, v in value.items()})
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: Any) -> str:
        """``value`` tagged and written as compact JSON."""
        return _dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """JSON text back to Python values, tags turned back into their types."""
        return self._untag_scan(_loads(value))
