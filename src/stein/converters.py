"""URL converters: the ``int`` of ``/users/<int:id>``, and the base class for your own.

A converter gives a ``regex`` for its part of the path, ``to_python`` to turn the matched
text into the view's argument (raising :class:`ValidationError` to say "no match"), and
``to_url`` for the way back when building. Add one with ``app.url_map.converters["name"] =
MyConverter``:

>>> class Upper(BaseConverter):
...     def to_python(self, value):
...         return value.upper()
>>> Upper(None).to_python("abc")
'ABC'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .routing import Map


class ValidationError(ValueError):
    """Raised by a converter's ``to_python`` to say "this segment does not match"."""



_SEGMENT_SAFE = "!$&'()*+,:;=@"
# Text that quote(text, safe=...) returns unchanged: the characters it never escapes
# (ASCII letters, digits, "_.-~") and the safe ones. Checked first, because quote itself
# costs several times more than the match (twin: tests/test_build_fastpath.py).
_unquoted_segment = re.compile(r"[A-Za-z0-9_.\-~!$&'()*+,:;=@]*").fullmatch
_unquoted_path = re.compile(r"[A-Za-z0-9_.\-~!$&'()*+,:;=@/]*").fullmatch


class BaseConverter:
    """Base of URL converters: ``regex`` to match, ``to_python``/``to_url`` to convert.

    ``part_isolating`` says the regex never matches a ``/``.
    """

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        return value

    def to_url(self, value: Any) -> str:
        value = str(value)
        return value if _unquoted_segment(value) else quote(value, safe=_SEGMENT_SAFE)


class UnicodeConverter(BaseConverter):
    """The default ``string`` converter: one segment, optional ``minlength``/``maxlength``/``length``."""

    def __init__(self, map: Map, minlength: int = 1, maxlength: int | None = None,
                 length: int | None = None) -> None:
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{int(length)}}}"
        else:
            hi = "" if maxlength is None else str(int(maxlength))
            self.regex = f"[^/]{{{int(minlength)},{hi}}}"


class AnyConverter(BaseConverter):
    """``any(a, b, c)``: one of the given words."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        if not items:
            raise ValueError("any() needs at least one item")
        self.items = items
        self.regex = "(?:" + "|".join(re.escape(str(x)) for x in items) + ")"


class PathConverter(BaseConverter):
    """``path``: like ``string`` but also takes slashes."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False

    def to_url(self, value: Any) -> str:
        value = str(value)
        return value if _unquoted_path(value) else quote(value, safe=_SEGMENT_SAFE + "/")


class NumberConverter(BaseConverter):
    """Base of the ``int`` and ``float`` converters: ``fixed_digits``, ``min``, ``max``, ``signed``."""

    weight = 50
    num_convert: Callable[[str], Any] = int

    def __init__(self, map: Map, fixed_digits: int = 0, min: Any = None, max: Any = None,
                 signed: bool = False) -> None:
        super().__init__(map)
        if signed:
            self.regex = "-?" + self.regex
        self.fixed_digits, self.min, self.max, self.signed = fixed_digits, min, max, signed
        if not fixed_digits and min is None and max is None and \
                type(self).to_python is NumberConverter.to_python:
            # Nothing to check after the regex matched: to_python is the bare conversion.
            self.to_python = self.num_convert  # type: ignore[method-assign,assignment]

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        rv = self.num_convert(value)
        if (self.min is not None and rv < self.min) or (self.max is not None and rv > self.max):
            raise ValidationError()
        return rv

    def to_url(self, value: Any) -> str:
        value = str(self.num_convert(value))
        if self.fixed_digits:
            value = value.zfill(self.fixed_digits)
        return value


class IntegerConverter(NumberConverter):
    """``int``: non-negative integers (``signed=True`` for negatives)."""

    regex = r"\d+"


class FloatConverter(NumberConverter):
    """``float``: numbers with a decimal point."""

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(self, map: Map, min: float | None = None, max: float | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """``uuid``: a UUID, given to the view as :class:`uuid.UUID`."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> Any:
        import uuid  # on first use: uuid is not free to import

        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter, "string": UnicodeConverter, "any": AnyConverter,
    "path": PathConverter, "int": IntegerConverter, "float": FloatConverter,
    "uuid": UUIDConverter,
}
