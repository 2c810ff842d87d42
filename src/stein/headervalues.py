"""Parsed header values as objects: Accept, Cache-Control, CSP, ETags, Range, Content-Range, If-Range.

Each class reads one header's grammar and writes it back with ``to_header()`` (also
``str()``), so an app can inspect ``request.accept_mimetypes`` or change
``response.cache_control.max_age`` without string handling. The mutable ones take an
``on_update`` callback: :class:`~stein.response.Response` passes one that writes the header
back, which is how ``response.cache_control.no_store = True`` reaches the wire. Parsing
never raises on malformed input (a bad header is ignored, as RFC 9110 asks).
:mod:`stein.http` has the ``parse_*`` functions that build these from header strings
(``parse_accept_header`` is defined here, for :mod:`stein.exceptions` below ``http``).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from .headersyntax import (
    dump_header,
    dump_options_header,
    http_date,
    parse_list_header,
    parse_options_header,
)
from .structures import CallbackDict, ImmutableDictMixin, ImmutableList

# -- Accept ---------------------------------------------------------------------------


class Accept(ImmutableList):
    """An ``Accept*`` header as ``(value, quality)`` pairs, most specific and best first.

    ``accept["gzip"]`` is the quality of a value (0 when not accepted), ``accept[0]`` a pair.

    >>> a = Accept([("gzip", 1), ("br", 0.5)])
    >>> a["br"], "gzip" in a, a.best_match(["br", "zstd"])
    (0.5, True, 'br')
    """

    provided: bool = False

    def __init__(self, values: Iterable[tuple[str, float]] | None = ()) -> None:
        if values is None:
            list.__init__(self)
            return
        if isinstance(values, Accept):
            self.provided = values.provided
            list.__init__(self, values)
            return
        self.provided = True
        list.__init__(self, sorted(values, key=lambda x: (self._specificity(x[0]), x[1]),
                                   reverse=True))

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _match(self, value: str, item: str) -> bool:
        """Whether the server's ``value`` is covered by the client's ``item``."""
        return item == "*" or item.lower() == value.lower()

    def quality(self, key: str) -> float:
        """How much the client wants ``key`` (0 when not at all)."""
        for item, q in self:
            if self._match(key, item):
                return q
        return 0

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        return any(self._match(value, item) for item, _ in self)

    def index(self, key: Any, *args: Any) -> int:  # type: ignore[override]
        """Position of the first entry covering ``key`` (a value or a pair)."""
        if isinstance(key, str):
            for i, (item, _) in enumerate(self):
                if self._match(key, item):
                    return i
            raise ValueError(key)
        return list.index(self, key, *args)

    def find(self, key: Any) -> int:
        """Like :meth:`index`, but -1 when absent."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """The accepted values, in order."""
        return (v for v, _ in self)

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The entry of ``matches`` the client likes best: highest quality, then the most
        specific client entry, then the earlier in ``matches``; ``default`` when none fits."""
        best, best_q = default, -1.0
        best_spec: tuple[bool, ...] = (False,)
        for server_item in matches:
            for client_item, q in self:
                if self._match(server_item, client_item):
                    spec = self._specificity(client_item)
                    if q <= 0 or q < best_q:
                        break
                    if q > best_q or spec > best_spec:
                        best, best_q, best_spec = server_item, q, spec
                    break
        return best

    @property
    def best(self) -> str | None:
        """The client's first (most specific, best) value."""
        return self[0][0] if self else None

    def to_header(self) -> str:
        return ",".join(v if q == 1 else f"{v};q={q}" for v, q in self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}([{', '.join(f'({v!r}, {q})' for v, q in self)}])"


_mime_split = re.compile(r"/|(?:\s*;\s*)")


class MIMEAccept(Accept):
    """``Accept`` with media-range matching: ``text/*`` and ``*/*`` cover ``text/html``.

    >>> MIMEAccept([("text/*", 1), ("application/json", 0.5)]).best_match(
    ...     ["application/json", "text/html"])
    'text/html'
    """

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple(x != "*" for x in _mime_split.split(value))

    def _match(self, value: str, item: str) -> bool:
        if "/" not in item:
            return item == "*"
        if "/" not in value:
            raise ValueError(f"invalid mimetype {value!r}")
        v_type, v_sub, *v_params = _mime_split.split(value.lower())
        i_type, i_sub, *i_params = _mime_split.split(item.lower())
        if i_type == "*" and i_sub != "*":
            return False  # "*/html" from a client is not a media range
        if (i_type == "*" and i_sub == "*") or (v_type == "*" and v_sub == "*"):
            return True
        if i_type != v_type:
            return False
        return i_sub == "*" or v_sub == "*" or (i_sub == v_sub and sorted(i_params) == sorted(v_params))

    @property
    def accept_html(self) -> bool:
        """Whether HTML (or XHTML) is acceptable."""
        return "text/html" in self or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        return "application/xhtml+xml" in self or "application/xml" in self

    @property
    def accept_json(self) -> bool:
        return "application/json" in self


_lang_delim = re.compile(r"[_-]")


class LanguageAccept(Accept):
    """``Accept-Language``: ``en_US`` matches ``en-us``; :meth:`best_match` falls back to
    the primary language (a client's ``en-GB`` accepts ``en``, and ``en`` accepts ``en-US``).

    >>> LanguageAccept([("en-GB", 1), ("fr", 0.5)]).best_match(["de", "en"])
    'en'
    """

    def _match(self, value: str, item: str) -> bool:
        return item == "*" or _lang_delim.split(value.lower()) == _lang_delim.split(item.lower())

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        matches = list(matches)
        rv = super().best_match(matches)
        if rv is not None:
            return rv
        primary = Accept([(_lang_delim.split(v, 1)[0], q) for v, q in self])
        rv = primary.best_match(matches)
        if rv is not None:
            return rv
        by_primary = {_lang_delim.split(m, 1)[0]: m for m in reversed(matches)}
        rv = super().best_match(list(by_primary))
        return by_primary[rv] if rv is not None else default


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """``Accept-Charset``: names compare as codecs (``UTF8`` is ``utf-8``)."""

    def _match(self, value: str, item: str) -> bool:
        return item == "*" or _codec_name(value) == _codec_name(item)


# -- Cache-Control --------------------------------------------------------------------

def cache_control_property(key: str, empty: Any, type: Callable[[Any], Any] | None,
                           *, doc: str | None = None) -> Any:
    """A property for directive ``key`` of a cache-control class.

    ``type=bool``: present or not. Otherwise the value converted by ``type`` (``None`` when
    absent or unconvertible), or ``empty`` when the directive has no value.
    """
    def fget(self: _CacheControl) -> Any:
        if type is bool:
            return key in self
        if key not in self:
            return None
        value = dict.__getitem__(self, key)
        if value is None:
            return empty
        if type is not None:
            try:
                return type(value)
            except ValueError:
                return None
        return value

    def fset(self: _CacheControl, value: Any) -> None:
        if type is bool:
            if value:
                self[key] = None
            else:
                self.pop(key, None)
        elif value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(type(value) if type is not None else value)

    def fdel(self: _CacheControl) -> None:
        self.pop(key, None)

    return property(fget, fset, fdel, doc=doc or f"The ``{key}`` directive.")


class _CacheControl(CallbackDict):
    """Directives of a ``Cache-Control`` header: a dict of ``name -> value or None``, and
    a property per standard directive (dashes become underscores)."""

    no_store = cache_control_property("no-store", None, bool)
    max_age = cache_control_property("max-age", None, int)
    no_transform = cache_control_property("no-transform", None, bool)
    stale_if_error = cache_control_property("stale-if-error", None, int)
    cache_property = staticmethod(cache_control_property)

    def __init__(self, values: Any = (), on_update: Callable[[Any], None] | None = None) -> None:
        super().__init__(values or (), on_update)
        self.provided = values is not None

    def to_header(self) -> str:
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {' '.join(f'{k}={v!r}' for k, v in sorted(self.items()))}>"


class RequestCacheControl(ImmutableDictMixin, _CacheControl):  # type: ignore[misc]
    """The request's ``Cache-Control`` (read-only).

    >>> cc = RequestCacheControl({"max-age": "0", "no-cache": None})
    >>> cc.max_age, cc.no_cache
    (0, True)
    """

    no_cache = cache_control_property("no-cache", None, bool)
    max_stale = cache_control_property("max-stale", True, int)
    min_fresh = cache_control_property("min-fresh", None, int)
    only_if_cached = cache_control_property("only-if-cached", None, bool)


class ResponseCacheControl(_CacheControl):
    """The response's ``Cache-Control``; changing it rewrites the header.

    >>> cc = ResponseCacheControl()
    >>> cc.max_age = 60; cc.public = True; cc.to_header()
    'max-age=60, public'
    """

    no_cache = cache_control_property("no-cache", True, None)
    public = cache_control_property("public", None, bool)
    private = cache_control_property("private", True, None)
    must_revalidate = cache_control_property("must-revalidate", None, bool)
    proxy_revalidate = cache_control_property("proxy-revalidate", None, bool)
    s_maxage = cache_control_property("s-maxage", None, int)
    immutable = cache_control_property("immutable", None, bool)
    must_understand = cache_control_property("must-understand", None, bool)
    stale_while_revalidate = cache_control_property("stale-while-revalidate", None, int)


# -- Content-Security-Policy ----------------------------------------------------------

def _csp_property(key: str) -> Any:
    def fget(self: ContentSecurityPolicy) -> str | None:
        return self.get(key)

    def fset(self: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            self.pop(key, None)
        else:
            self[key] = value

    def fdel(self: ContentSecurityPolicy) -> None:
        self.pop(key, None)

    return property(fget, fset, fdel, doc=f"The ``{key}`` directive.")


class ContentSecurityPolicy(CallbackDict):
    """A ``Content-Security-Policy`` header: directive -> sources, one property per directive.

    >>> csp = ContentSecurityPolicy()
    >>> csp.default_src = "'self'"; csp.img_src = "'self' data:"; csp.to_header()
    "default-src 'self'; img-src 'self' data:"
    """

    def __init__(self, values: Any = (), on_update: Callable[[Any], None] | None = None) -> None:
        super().__init__(values or (), on_update)
        self.provided = values is not None

    def to_header(self) -> str:
        return "; ".join(f"{k} {v}" for k, v in self.items())

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {' '.join(f'{k}={v!r}' for k, v in sorted(self.items()))}>"


for _name in ("base-uri", "child-src", "connect-src", "default-src", "font-src", "form-action",
              "frame-ancestors", "frame-src", "img-src", "manifest-src", "media-src",
              "navigate-to", "object-src", "prefetch-src", "plugin-types", "report-to",
              "report-uri", "sandbox", "script-src", "script-src-attr", "script-src-elem",
              "style-src", "style-src-attr", "style-src-elem", "worker-src"):
    setattr(ContentSecurityPolicy, _name.replace("-", "_"), _csp_property(_name))
del _name


# -- ETags ----------------------------------------------------------------------------

def quote_etag(etag: str, weak: bool = False) -> str:
    if '"' in etag:
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(etag: str | None) -> tuple[str | None, bool]:
    """``'W/"abc"'`` -> ``('abc', True)``."""
    if not etag:
        return None, False
    etag = etag.strip()
    weak = etag.startswith(("W/", "w/"))
    if weak:
        etag = etag[2:]
    if etag[:1] == etag[-1:] == '"':
        etag = etag[1:-1]
    return etag, weak

def generate_etag(data: bytes) -> str:
    """A strong ETag for a body: its SHA-1 hex digest (what ``add_etag`` sets)."""
    return hashlib.sha1(data).hexdigest()


class ETags:
    """The entity tags of an ``If-None-Match``/``If-Match`` header.

    >>> tags = ETags(["a"], ["b"])
    >>> "a" in tags, tags.contains_weak("b"), tags.contains("b")
    (True, True, False)
    """

    def __init__(self, strong_etags: Iterable[str] | None = None,
                 weak_etags: Iterable[str] | None = None, star_tag: bool = False) -> None:
        self._strong = frozenset(() if star_tag else (strong_etags or ()))
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags (and the weak ones with ``include_weak``)."""
        rv = set(self._strong)
        if include_weak:
            rv |= self._weak
        return rv

    def is_weak(self, etag: str) -> bool:
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Whether ``etag`` matches, comparing weakly."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Whether ``etag`` matches, comparing strongly (``*`` matches everything)."""
        return self.star_tag or self.is_strong(etag)

    def contains_raw(self, etag: str) -> bool:
        """:meth:`contains` for a quoted tag as it appears in a header (``W/"x"`` is weak)."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        if self.star_tag:
            return "*"
        return ", ".join([f'"{x}"' for x in sorted(self._strong)]
                         + [f'W/"{x}"' for x in sorted(self._weak)])

    def __call__(self, etag: str | None = None, data: bytes | None = None,
                 include_weak: bool = False) -> bool:
        if etag is None:
            if data is None:
                raise TypeError("'etag' or 'data' required")
            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong or self.star_tag

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __len__(self) -> int:
        return len(self._strong)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


# -- Range, Content-Range, If-Range ---------------------------------------------------

class IfRange:
    """An ``If-Range`` header: an ``etag`` or a ``date`` (or neither).

    >>> IfRange(etag="abc").to_header()
    '"abc"'
    """

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


class Range:
    """A parsed ``Range`` header: ``units`` and ``ranges`` as ``(start, stop)`` (stop exclusive,
    ``None`` open; a negative start counts from the end).

    A ``-0`` spec (a suffix of zero bytes) selects nothing, so it has no ``(start, stop)``: it is
    counted in ``empty`` instead, and a header made of it alone is never satisfiable (RFC 9110
    14.1.1), which the server answers with 416.

    >>> r = Range("bytes", [(0, 500)])
    >>> r.range_for_length(1000), r.to_content_range_header(1000)
    ((0, 500), 'bytes 0-499/1000')
    """

    def __init__(self, units: str, ranges: list[tuple[int, int | None]], empty: int = 0) -> None:
        self.units = units
        self.ranges = ranges
        self.empty = empty

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The one ``(start, stop)`` satisfiable within ``length``, or ``None``."""
        if self.units != "bytes" or length is None or len(self.ranges) != 1 or self.empty:
            return None
        start, end = self.ranges[0]
        if end is None:
            end = length
            if start < 0:
                start += length
        if start < 0:
            start = 0
        if start >= length:
            return None
        return start, min(end, length)

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The :class:`ContentRange` answering this range for a body of ``length``."""
        rng = self.range_for_length(length)
        if rng is None:
            return None
        return ContentRange(self.units, rng[0], rng[1], length)

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` value answering this range, or ``None``."""
        rng = self.range_for_length(length)
        if rng is None:
            return None
        return f"{self.units} {rng[0]}-{rng[1] - 1}/{length}"

    def to_header(self) -> str:
        parts = []
        for start, end in self.ranges:
            if end is None:
                parts.append(f"{start}-" if start >= 0 else str(start))
            else:
                parts.append(f"{start}-{end - 1}")
        parts.extend(["-0"] * self.empty)
        return f"{self.units}={','.join(parts)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


class ContentRange:
    """A ``Content-Range`` header: ``units``, ``start``, ``stop`` (exclusive), ``length``
    (``None`` for ``*``). With ``on_update``, every change calls it (the response's
    ``content_range`` uses that to rewrite its header).

    >>> ContentRange("bytes", 0, 500, 1000).to_header()
    'bytes 0-499/1000'
    """

    def __init__(self, units: str | None, start: int | None, stop: int | None,
                 length: int | None = None,
                 on_update: Callable[[ContentRange], None] | None = None) -> None:
        self.on_update = on_update
        self.set(start, stop, length, units)

    def _setter(name: str) -> Any:  # type: ignore[misc]  # noqa: N805
        def fget(self: ContentRange) -> Any:
            return self.__dict__.get(name)

        def fset(self: ContentRange, value: Any) -> None:
            self.__dict__[name] = value
            if self.on_update is not None:
                self.on_update(self)

        return property(fget, fset)

    units = _setter("units")
    start = _setter("start")
    stop = _setter("stop")
    length = _setter("length")
    del _setter

    def set(self, start: int | None, stop: int | None, length: int | None = None,
            units: str | None = "bytes") -> None:
        """Set every part at once (one ``on_update`` call)."""
        self.__dict__.update(units=units, start=start, stop=stop, length=length)
        if self.on_update is not None:
            self.on_update(self)

    def unset(self) -> None:
        """Clear it (the header is removed)."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        if self.units is None:
            return ""
        length = "*" if self.length is None else self.length
        if self.start is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"  # type: ignore[operator]

    def __bool__(self) -> bool:
        return self.units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


_A = TypeVar("_A", bound=Accept)


def parse_accept_header(value: str | None, cls: type[_A] = Accept) -> _A:  # type: ignore[assignment]
    """Parse an ``Accept``-style header into ``cls`` (``MIMEAccept``, ``LanguageAccept``...).

    Media-type parameters other than ``q`` stay on the value (``text/html; level=1``); an
    entry with a quality that is not a number in [0, 1] is skipped, never raised.

    >>> parse_accept_header("text/html, application/json;q=0.5", MIMEAccept).best
    'text/html'
    """
    if not value:
        return cls(None)
    values = []
    for part in parse_list_header(value):
        item, opts = parse_options_header(part)
        if not item:
            continue
        q = 1.0
        if "q" in opts:
            try:
                q = float(opts.pop("q"))
            except ValueError:
                continue
            if not 0 <= q <= 1 or q != q:
                continue
        if opts:
            item = dump_options_header(item, opts)
        values.append((item, q))
    return cls(values)
