"""Parsing and formatting of HTTP header values, cookies, dates, ETags, ranges, query strings.

This is the module Flask code knows as ``werkzeug.http``. The header grammar itself lives
in :mod:`stein.headersyntax` and the parsed-value classes in :mod:`stein.headervalues` and
:mod:`stein.authheaders`; the ``parse_*`` functions here turn a header string into those
objects, and every name is importable from here as from Werkzeug.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, unquote_to_bytes

from ._accel import speedups
from .authheaders import Authorization, WWWAuthenticate
from .datastructures import ImmutableMultiDict, MultiDict, multidict_from_pairs
from .exceptions import HTTP_STATUS_CODES as HTTP_STATUS_CODES
from .exceptions import BadRequest, RequestEntityTooLarge
from .headersyntax import (
    _token_chars,
    dump_header,
    dump_options_header,
    http_date,
    parse_date,
    parse_dict_header,
    parse_list_header,
    parse_options_header,
    quote_header_value,
    unquote_header_value,
)
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
    generate_etag,
    parse_accept_header,
    quote_etag,
    unquote_etag,
)
from .structures import HeaderSet

__all__ = [
    "HTTP_STATUS_CODES", "Accept", "Authorization", "CharsetAccept", "ContentRange",
    "ContentSecurityPolicy", "ETags", "dump_csp_header", "parse_csp_header",
    "HeaderSet", "IfRange", "LanguageAccept", "MIMEAccept", "Range", "RequestCacheControl",
    "ResponseCacheControl", "WWWAuthenticate", "dump_age", "dump_cookie", "dump_header",
    "dump_options_header", "generate_etag", "http_date", "is_byte_range_valid",
    "is_entity_header", "is_hop_by_hop_header", "is_resource_modified", "parse_accept_header",
    "parse_age", "parse_authorization_header", "parse_cache_control_header",
    "parse_content_range_header", "parse_cookie", "parse_date", "parse_dict_header",
    "parse_etags", "parse_if_range_header", "parse_list_header", "parse_options_header",
    "parse_range_header", "parse_set_header", "parse_www_authenticate_header", "quote_etag",
    "quote_header_value", "remove_entity_headers", "remove_hop_by_hop_headers",
    "unquote_etag", "unquote_header_value",
]

# "200 OK" strings prebuilt so a response never formats its status line.
STATUS_LINES: dict[int, str] = {c: f"{c} {n.upper() if c == 0 else n}" for c, n in HTTP_STATUS_CODES.items()}


def status_line(code: int) -> str:
    """``"404 Not Found"`` for 404; unknown codes get ``"UNKNOWN"``."""
    try:
        return STATUS_LINES[code]
    except KeyError:
        return f"{code} UNKNOWN"


# -- query strings and form bodies ------------------------------------------------------

_bad_percent = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decode_component(b: bytes, what: str, errors: str) -> str:
    try:
        return b.decode("utf-8", errors)
    except UnicodeDecodeError:
        raise BadRequest(f"Invalid UTF-8 in the {what}.") from None


def _too_many_fields(what: str, max_fields: int) -> None:
    raise RequestEntityTooLarge(f"Too many fields in the {what} (limit {max_fields}).")


def _parse_plain_qsl(qs: str, what: str, max_fields: int | None) -> list[tuple[str, str]]:
    parts = qs.replace("+", " ").split("&")
    if max_fields is not None and len(parts) > max_fields:
        _too_many_fields(what, max_fields)
    out = []
    for part in parts:
        if part:
            k, _, v = part.partition("=")
            out.append((k, v))
    return out


def parse_qsl(qs: str | bytes, what: str = "query string",
              max_fields: int | None = None, errors: str = "replace") -> list[tuple[str, str]]:
    """Split ``a=1&b=2`` into pairs; ``max_fields`` bounds their number (413 past it).

    As in Werkzeug and browsers, a ``%`` not followed by two hex digits stays as it is and
    bytes that are not UTF-8 become U+FFFD. ``errors="strict"`` answers both with a 400
    instead (see ``Request.encoding_errors``).

    >>> parse_qsl("a=%zz&c=%C3%A9")
    [('a', '%zz'), ('c', 'é')]
    """
    if not qs:
        return []
    if isinstance(qs, str):
        if qs.isascii() and "%" not in qs:
            # Plain ASCII query (the usual one): split the str as it is, no bytes round trip.
            return _parse_plain_qsl(qs, what, max_fields)
        text = qs
        try:
            qs = text.encode("latin-1")
        except UnicodeEncodeError:
            qs = text.encode("utf-8")
    if not qs:
        return []
    if b"%" not in qs and qs.isascii():
        # Fast path, same result: plain ASCII without escapes needs no unquoting or UTF-8 check.
        return _parse_plain_qsl(qs.decode("ascii"), what, max_fields)
    strict = errors == "strict"
    out = []
    parts = qs.split(b"&")
    if max_fields is not None and len(parts) > max_fields:
        _too_many_fields(what, max_fields)
    for part in parts:
        if not part:
            continue
        k, _, v = part.partition(b"=")
        if strict and b"%" in part:
            if _bad_percent.search(part.decode("latin-1")):
                raise BadRequest(f"Invalid percent-encoding in the {what}.")
        k = unquote_to_bytes(k.replace(b"+", b" ")) if (b"%" in k or b"+" in k) else k
        v = unquote_to_bytes(v.replace(b"+", b" ")) if (b"%" in v or b"+" in v) else v
        out.append((_decode_component(k, what, errors), _decode_component(v, what, errors)))
    return out


def _parse_plain_qs(qs: str | bytes, cls: type[MultiDict], what: str,
                    max_fields: int | None) -> Any:
    """Plain ASCII input without ``%`` escapes split straight into a new ``cls``, with no
    list of pairs in between; ``None`` for anything else (repeated or empty keys too)."""
    if isinstance(qs, bytes):
        if not qs.isascii() or b"%" in qs:
            return None
        text = qs.decode("ascii")
    else:
        if not qs.isascii() or "%" in qs:
            return None
        text = qs
    parts = text.replace("+", " ").split("&")
    if max_fields is not None and len(parts) > max_fields:
        _too_many_fields(what, max_fields)
    d = {}
    for part in parts:
        k, _, v = part.partition("=")
        d[k] = v
    # Fewer keys than parts: a key repeats (or a part was empty, which the general path
    # skips); a "" key may also come from an empty part. Both are rare.
    if len(d) != len(parts) or "" in d:
        return None
    md = dict.__new__(cls)
    dict.update(md, d)
    return md


# The same split in C (stein/_speedups.c), which also takes escapes and UTF-8; like the
# Python one it leaves repeated keys, bad input and too many fields to the general path.
parse_plain_qs = speedups.parse_plain_qs if speedups is not None else None


def parse_qs_multidict(qs: str | bytes, cls: type[MultiDict] = ImmutableMultiDict,
                       what: str = "query string", max_fields: int | None = None,
                       errors: str = "replace") -> Any:
    """:func:`parse_qsl` into a ``cls`` MultiDict (same pairs, same errors).

    The usual query string or form is split straight into the MultiDict (see
    ``_parse_plain_qs``); anything else, or a repeated or empty key, takes the general path.
    """
    if not qs:
        return dict.__new__(cls) if cls is ImmutableMultiDict or cls is MultiDict else cls()
    if cls is ImmutableMultiDict or cls is MultiDict:
        if parse_plain_qs is not None:
            md = parse_plain_qs(qs, cls, max_fields)
        else:
            md = _parse_plain_qs(qs, cls, what, max_fields)
        if md is not None:
            return md
    return multidict_from_pairs(cls, parse_qsl(qs, what, max_fields, errors))


def url_quote(s: str, safe: str = "/:") -> str:
    return quote(s, safe=safe)


def url_encode(pairs: Iterable[tuple[str, Any]]) -> str:
    """``[("a", 1), ("b", "x y")]`` -> ``a=1&b=x+y``; ``None`` values are dropped."""
    return "&".join(
        f"{quote_plus(str(k))}={quote_plus(v if isinstance(v, str) else str(v))}"
        for k, v in pairs if v is not None
    )


# -- lists, sets, Accept, Cache-Control ----------------------------------------------

def parse_set_header(value: str | None,
                     on_update: Callable[[HeaderSet], None] | None = None) -> HeaderSet:
    """A comma-separated list of tokens (``Allow``, ``Vary``) as a :class:`HeaderSet`.

    >>> sorted(parse_set_header("GET, HEAD, options"))
    ['GET', 'HEAD', 'options']
    """
    return HeaderSet(parse_list_header(value) if value else None, on_update)


_C = TypeVar("_C", RequestCacheControl, ResponseCacheControl)


def parse_cache_control_header(value: str | None, on_update: Callable[[Any], None] | None = None,
                               cls: type[_C] | None = None) -> _C:
    """A ``Cache-Control`` value as a :class:`RequestCacheControl` (or ``cls``).

    >>> cc = parse_cache_control_header("max-age=60, no-store")
    >>> cc.max_age, cc.no_store, cc.no_cache
    (60, True, False)
    """
    if cls is None:
        cls = RequestCacheControl  # type: ignore[assignment]
    if not value:
        return cls(None, on_update)  # type: ignore[misc]
    return cls(parse_dict_header(value), on_update)  # type: ignore[misc]


def parse_csp_header(value: str | None, on_update: Callable[[Any], None] | None = None,
                     cls: type[ContentSecurityPolicy] | None = None) -> ContentSecurityPolicy:
    """A ``Content-Security-Policy`` value as a :class:`ContentSecurityPolicy` (a directive
    without sources is skipped).

    >>> parse_csp_header("default-src 'self'; img-src *").img_src
    '*'
    """
    cls = cls or ContentSecurityPolicy
    if value is None:
        return cls(None, on_update)
    items = []
    for policy in value.split(";"):
        directive, _, sources = policy.strip().partition(" ")
        if directive and sources.strip():
            items.append((directive.strip(), sources.strip()))
    return cls(items, on_update)


def dump_csp_header(header: ContentSecurityPolicy) -> str:
    """The header value of a :class:`ContentSecurityPolicy`."""
    return header.to_header()


def parse_authorization_header(value: str | None) -> Authorization | None:
    """``Authorization.from_header`` under its Werkzeug 2 name."""
    return Authorization.from_header(value)


def parse_www_authenticate_header(value: str | None) -> WWWAuthenticate | None:
    """``WWWAuthenticate.from_header`` under its Werkzeug 2 name."""
    return WWWAuthenticate.from_header(value)


# -- ETags ----------------------------------------------------------------------------

def parse_etags(value: str | None) -> ETags:
    """Parse ``If-None-Match``-style lists; garbage yields an empty set.

    >>> sorted(parse_etags('"a", W/"b"').as_set(include_weak=True))
    ['a', 'b']
    """
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if part == "*":
            return ETags(star_tag=True)
        tag, is_weak = unquote_etag(part)
        if tag:
            (weak if is_weak else strong).append(tag)
    return ETags(strong, weak)


def is_resource_modified(environ: dict[str, Any], etag: str | None = None,
                         data: bytes | None = None, last_modified: datetime | str | None = None,
                         ignore_if_range: bool = True) -> bool:
    """Whether a conditional GET for ``environ`` should get the full response (not a 304).

    >>> is_resource_modified({"HTTP_IF_NONE_MATCH": '"x"'}, etag="x")
    False
    """
    if etag is None and data is not None:
        etag = generate_etag(data)
    elif data is not None:
        raise TypeError("both data and etag given")
    if isinstance(last_modified, str):
        last_modified = parse_date(last_modified)
    if last_modified is not None:
        last_modified = last_modified.replace(microsecond=0)
        if last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=timezone.utc)
    if_range = None if ignore_if_range else parse_if_range_header(environ.get("HTTP_IF_RANGE"))
    if if_range is not None and if_range.date is not None:
        modified_since: datetime | None = if_range.date
    else:
        modified_since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    unmodified = False
    if modified_since is not None and last_modified is not None and last_modified <= modified_since:
        unmodified = True
    if etag:
        etag, _ = unquote_etag(etag)
        if if_range is not None and if_range.etag is not None:
            unmodified = parse_etags(if_range.etag).contains(etag)  # type: ignore[arg-type]
        else:
            if_none_match = parse_etags(environ.get("HTTP_IF_NONE_MATCH"))
            if if_none_match:
                # RFC 9110 13.1.2: If-None-Match compares weakly and wins over the date.
                unmodified = if_none_match.contains_weak(etag)  # type: ignore[arg-type]
            if_match = parse_etags(environ.get("HTTP_IF_MATCH"))
            if if_match:
                unmodified = not if_match.is_weak(etag)  # type: ignore[arg-type]
    return not unmodified


# -- entity and hop-by-hop headers ------------------------------------------------------

_entity_headers = frozenset((
    "allow", "content-encoding", "content-language", "content-length", "content-location",
    "content-md5", "content-range", "content-type", "expires", "last-modified",
))
_hop_by_hop_headers = frozenset((
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade",
))


def is_entity_header(header: str) -> bool:
    """Whether ``header`` describes the body (``Content-Type``, ``Expires``...)."""
    return header.lower() in _entity_headers


def is_hop_by_hop_header(header: str) -> bool:
    """Whether ``header`` concerns one connection only (a proxy must not forward it)."""
    return header.lower() in _hop_by_hop_headers


def remove_entity_headers(headers: Any, allowed: Iterable[str] = ("expires", "content-location")) -> None:
    """Remove the body's headers from ``headers`` (a 304 must not send them), except ``allowed``."""
    keep = {x.lower() for x in allowed}
    headers[:] = [(k, v) for k, v in headers
                  if not is_entity_header(k) or k.lower() in keep]


def remove_hop_by_hop_headers(headers: Any) -> None:
    """Remove the hop-by-hop headers from ``headers`` (a ``Headers`` or list of pairs)."""
    headers[:] = [(k, v) for k, v in headers if not is_hop_by_hop_header(k)]


# -- Age ------------------------------------------------------------------------------

def parse_age(value: str | None = None) -> timedelta | None:
    """An ``Age``-style number of seconds as a timedelta; ``None`` when missing or invalid."""
    if not value:
        return None
    try:
        seconds = int(value)
    except ValueError:
        return None
    if seconds < 0:
        return None
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Seconds for an ``Age``/``max-age``-style header; ``None`` stays ``None``."""
    if age is None:
        return None
    if isinstance(age, timedelta):
        age = int(age.total_seconds())
    else:
        age = int(age)
    if age < 0:
        raise ValueError("age cannot be negative")
    return str(age)


# -- Range ----------------------------------------------------------------------------

def _range_int(s: str) -> int | None:
    # isdigit() alone admits "²" (which int() rejects) and int() refuses strings of more than
    # ~4300 digits: both would raise, so they count as malformed and the header is ignored.
    if not s.isascii() or not s.isdigit() or len(s) > 1000:
        return None
    return int(s)


def parse_range_header(value: str | None) -> Range | None:
    """Parse ``bytes=0-99,-5``; malformed headers yield ``None`` (and are then ignored)."""
    if not value or "=" not in value:
        return None
    units, _, spec = value.partition("=")
    units = units.strip().lower()
    ranges: list[tuple[int, int | None]] = []
    empty = 0
    last_end = 0
    for item in spec.split(","):
        item = item.strip()
        if "-" not in item:
            return None
        if item.startswith("-"):
            suffix = _range_int(item[1:])
            if suffix is None or last_end < 0:
                return None
            if suffix == 0:
                empty += 1  # "-0" is valid syntax that selects no bytes
            else:
                ranges.append((-suffix, None))
                last_end = -1
            continue
        begin_s, _, end_s = item.partition("-")
        begin = _range_int(begin_s)
        if begin is None or begin < last_end or last_end < 0:
            return None
        if end_s:
            last = _range_int(end_s)
            if last is None or begin > last:
                return None
            ranges.append((begin, last + 1))
            last_end = last + 1
        else:
            ranges.append((begin, None))
            last_end = -1
    if not ranges and not empty:
        return None
    return Range(units, ranges, empty)


def parse_if_range_header(value: str | None) -> IfRange:
    """An ``If-Range`` value: a date or an ETag.

    >>> parse_if_range_header('"v2"').etag
    'v2'
    """
    if not value:
        return IfRange()
    date = parse_date(value)
    if date is not None:
        return IfRange(date=date)
    return IfRange(unquote_etag(value)[0])


def is_byte_range_valid(start: int | None, stop: int | None, length: int | None) -> bool:
    """Whether ``start``-``stop`` (stop exclusive) is a valid range of a body of ``length``."""
    if (start is None) != (stop is None):
        return False
    if start is None:
        return length is None or length >= 0
    assert stop is not None
    if length is None:
        return 0 <= start < stop
    return 0 <= start < stop <= length


def parse_content_range_header(value: str | None,
                               on_update: Callable[[ContentRange], None] | None = None,
                               ) -> ContentRange | None:
    """``bytes 0-99/1000`` as a :class:`ContentRange`; ``None`` when malformed.

    >>> r = parse_content_range_header("bytes 0-99/1000")
    >>> (r.units, r.start, r.stop, r.length)
    ('bytes', 0, 100, 1000)
    """
    if not value:
        return None
    units, _, spec = value.strip().partition(" ")
    if not units or not _token_chars.issuperset(units):
        return None
    rng, sep, length_s = spec.strip().partition("/")
    if not sep:
        return None
    length: int | None = None
    if length_s != "*":
        length = _range_int(length_s)
        if length is None:
            return None
    if rng == "*":
        if length is None:
            return None
        return ContentRange(units, None, None, length, on_update=on_update)
    start_s, sep, last_s = rng.partition("-")
    start, last = _range_int(start_s.strip()), _range_int(last_s.strip())
    if not sep or start is None or last is None:
        return None
    if not is_byte_range_valid(start, last + 1, length):
        return None
    return ContentRange(units, start, last + 1, length, on_update=on_update)


# -- cookies --------------------------------------------------------------------------

_cookie_unquote_re = re.compile(r"\\([0-3][0-7][0-7]|.)")


def _unquote_cookie(v: str) -> str:
    """A cookie value as sent, quotes and escapes resolved.

    ``\\ooo`` escapes are bytes (:func:`dump_cookie` writes a non-ASCII character as the
    escapes of its UTF-8 bytes), so the value is rebuilt as bytes and decoded as UTF-8;
    bytes that are not UTF-8 become U+FFFD.
    """
    if len(v) < 2 or v[0] != '"' or v[-1] != '"':
        return v
    v = v[1:-1]
    if "\\" not in v:
        return v
    out = bytearray()
    pos = 0
    for m in _cookie_unquote_re.finditer(v):
        out += v[pos:m.start()].encode("utf-8", "surrogateescape")
        esc = m.group(1)
        out += bytes((int(esc, 8),)) if len(esc) == 3 else esc.encode("utf-8", "surrogateescape")
        pos = m.end()
    out += v[pos:].encode("utf-8", "surrogateescape")
    return out.decode("utf-8", "replace")


def parse_cookie(header: str | dict[str, Any] | None, cls: type[MultiDict] | None = None) -> Any:
    """Parse a ``Cookie`` header (or a WSGI environ's); never raises.

    Without ``cls``: a dict, first value of each name wins (the request's ``cookies``).
    With ``cls`` (``MultiDict``, as Werkzeug returns): every value kept.

    >>> parse_cookie('a=1; b="x y"; a=2')
    {'a': '1', 'b': 'x y'}
    """
    if isinstance(header, dict):
        header = header.get("HTTP_COOKIE")
    out: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    if header:
        if not header.isascii():
            try:
                header = header.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
        for part in header.split(";"):
            k, sep, v = part.partition("=")
            k = k.strip()
            if not sep or not k:
                continue
            if cls is not None:
                pairs.append((k, _unquote_cookie(v.strip())))
            elif k not in out:
                out[k] = _unquote_cookie(v.strip())
    return out if cls is None else cls(pairs)


_cookie_safe = frozenset(
    "!#$%&'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"
)


def _quote_cookie(value: str) -> str:
    if set(value) <= _cookie_safe:
        return value
    out = []
    for ch in value:
        if ch in _cookie_safe:
            out.append(ch)
        elif ch in '"\\':
            out.append("\\" + ch)
        else:
            for b in ch.encode("utf-8"):
                out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """Build a ``Set-Cookie`` value. CR, LF, ``;`` or ``,`` in the key -> ``ValueError``."""
    if not key or any(c in key for c in "\r\n;,= \t\0"):
        raise ValueError(f"Invalid cookie name {key!r}.")
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError("Cookie values must not contain CR, LF or NUL characters.")
    for name, attr in (("path", path), ("domain", domain)):
        if attr and any(c in attr for c in "\r\n;\0"):
            raise ValueError(f"Invalid cookie {name} {attr!r}.")
    parts = [f"{key}={_quote_cookie(value)}"]
    if domain:
        parts.append(f"Domain={domain.lstrip('.') if domain.startswith('.') else domain}")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
        if expires is None:
            expires = time.time() + int(max_age)
    if expires is not None:
        if not isinstance(expires, str):
            expires = http_date(expires)
        parts.append(f"Expires={expires}")
    if path is not None:
        parts.append(f"Path={path}")
    if secure or partitioned:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        s = samesite.title()
        if s not in ("Strict", "Lax", "None"):
            raise ValueError("SameSite must be 'Strict', 'Lax' or 'None'.")
        parts.append(f"SameSite={s}")
    if partitioned:
        parts.append("Partitioned")
    return "; ".join(parts)


# RFC 3986 3.2.2/3.2.3: ``host [":" port]`` where host is a reg-name (unreserved,
# pct-encoded, sub-delims; IPv4 is a reg-name too) or a bracketed IPv6 literal, and the port
# is ASCII digits. Nothing here can end the authority early in a browser's URL parser ("@",
# "/", "\\", "?", "#", a second ":"), which is what makes url_for(_external=True) safe.
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+"
    r"|\[(?:[0-9A-Fa-f:.]+(?:%25(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+)?|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
    r"(?::[0-9]{0,5})?",
    re.ASCII,
)
# One character class, not an alternation with "%XX": sre walks a class at C speed, while
# an alternation inside a repetition costs about a microsecond a byte on long input.
_HOST_PORT_RE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[^\]]*\])(?::[0-9]{0,5})?",
                           re.ASCII)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_valid_host(host: str) -> bool:
    """Whether ``host`` is ``host[:port]`` as RFC 3986 allows it in a URL's authority: a
    registered name or IPv4 address, or an IPv6 literal in brackets, and a port of digits.

    >>> is_valid_host("example.com:8080"), is_valid_host("[::1]"), is_valid_host("a.com@b.com")
    (True, True, False)
    """
    # match() and a length check, not fullmatch(): the greedy first try is the only way
    # the pattern can cover a host, and fullmatch would backtrack byte by byte to learn so.
    m = _HOST_PORT_RE.match(host)
    if m is None or m.end() != len(host):
        return False
    if "%" in host and host[0] != "[" and _BAD_PERCENT.search(host):
        return False
    if host[0] == "[":
        literal = host[1:host.index("]")]
        if literal[:1] in ("v", "V"):
            return _HOST_RE.fullmatch(host) is not None
        try:
            ipaddress.IPv6Address(literal.replace("%25", "%", 1))
        except ValueError:
            return False
    return True


def host_is_trusted(host: str, trusted_hosts: Iterable[str]) -> bool:
    """Whether ``host`` (a ``Host`` header value, port ignored) is one of ``trusted_hosts``.

    An entry ``"example.com"`` matches only that name; ``".example.com"`` matches it and
    every subdomain. Comparison is case-insensitive. The whole value must be a valid
    ``host[:port]`` (:func:`is_valid_host`): ``example.com:80@evil.com`` is not trusted.

    >>> host_is_trusted("api.example.com:8080", [".example.com"])
    True
    """
    if not host or not is_valid_host(host.strip()):
        return False
    name = _host_name(host)
    for entry in trusted_hosts:
        ref = _host_name(entry)
        if ref.startswith("."):
            if name == ref[1:] or name.endswith(ref):
                return True
        elif name == ref:
            return True
    return False


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end >= 0 else host
    return host.rsplit(":", 1)[0] if ":" in host else host
