"""Parsing and formatting of HTTP header values, cookies, dates, ETags, ranges, query strings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from ._accel import speedups
from .datastructures import ImmutableMultiDict, MultiDict, multidict_from_pairs
from .exceptions import BadRequest

HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non Authoritative Information",
    204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi Status",
    208: "Already Reported", 226: "IM Used",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed", 413: "Request Entity Too Large",
    414: "Request URI Too Long", 415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a teapot",
    421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
    428: "Precondition Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
    510: "Not Extended", 511: "Network Authentication Failed",
}

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


def _decode_component(b: bytes, what: str) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"Invalid UTF-8 in the {what}.") from None


def _too_many_fields(what: str, max_fields: int) -> None:
    from .exceptions import RequestEntityTooLarge

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
              max_fields: int | None = None) -> list[tuple[str, str]]:
    """Split ``a=1&b=2`` into pairs, strictly: bad percent-escapes or UTF-8 -> 400.

    ``max_fields`` bounds the number of pairs (413 past it).
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
    out = []
    parts = qs.split(b"&")
    if max_fields is not None and len(parts) > max_fields:
        _too_many_fields(what, max_fields)
    for part in parts:
        if not part:
            continue
        k, _, v = part.partition(b"=")
        if b"%" in part:
            if _bad_percent.search(part.decode("latin-1")):
                raise BadRequest(f"Invalid percent-encoding in the {what}.")
        k = unquote_to_bytes(k.replace(b"+", b" ")) if (b"%" in k or b"+" in k) else k
        v = unquote_to_bytes(v.replace(b"+", b" ")) if (b"%" in v or b"+" in v) else v
        out.append((_decode_component(k, what), _decode_component(v, what)))
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
                       what: str = "query string", max_fields: int | None = None) -> Any:
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
    return multidict_from_pairs(cls, parse_qsl(qs, what, max_fields))


def url_quote(s: str, safe: str = "/:") -> str:
    return quote(s, safe=safe)


def url_encode(pairs: Iterable[tuple[str, Any]]) -> str:
    """``[("a", 1), ("b", "x y")]`` -> ``a=1&b=x+y``; ``None`` values are dropped."""
    from urllib.parse import quote_plus

    return "&".join(
        f"{quote_plus(str(k))}={quote_plus(v if isinstance(v, str) else str(v))}"
        for k, v in pairs if v is not None
    )


# -- header options -------------------------------------------------------------------

_option_re = re.compile(
    r";\s*([^\s;=]+)\s*(?:=\s*(\"(?:[^\\\"]|\\.)*\"|[^;]*?))?\s*(?=;|$)"
)


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """``'text/html; charset="utf-8"'`` -> ``('text/html', {'charset': 'utf-8'})``.

    RFC 2231 ``name*=utf-8''...`` parameters are decoded; malformed input never raises.
    """
    if not value:
        return "", {}
    main, sep, rest = value.partition(";")
    options: dict[str, str] = {}
    if sep:
        for m in _option_re.finditer(";" + rest):
            key = m.group(1).lower()
            val = m.group(2) or ""
            if len(val) >= 2 and val[0] == val[-1] == '"':
                val = val[1:-1].replace('\\\\', '\\').replace('\\"', '"')
            if key.endswith("*"):
                key = key[:-1]
                charset, _, encoded = val.partition("'")
                _, _, encoded = encoded.partition("'")
                try:
                    val = unquote_to_bytes(encoded).decode(charset or "utf-8", "replace")
                except (LookupError, ValueError):  # unknown charset, or a NUL in its name
                    val = unquote_to_bytes(encoded).decode("utf-8", "replace")
            options[key] = val
    return main.strip(), options


_token_chars = frozenset("!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~")


def quote_header_value(value: Any) -> str:
    value = str(value)
    if value and set(value) <= _token_chars:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dump_options_header(header: str, options: dict[str, Any]) -> str:
    """``('text/html', {'charset': 'utf-8'})`` -> ``'text/html; charset=utf-8'``."""
    parts = [header]
    for k, v in options.items():
        if v is None:
            continue
        if v is True:
            parts.append(k)
        elif not str(v).isascii():
            # RFC 2231/5987: header bytes are latin-1 on the wire, so say UTF-8 explicitly.
            parts.append(f"{k}*=UTF-8''{quote(str(v), safe='')}")
        else:
            parts.append(f"{k}={quote_header_value(v)}")
    return "; ".join(parts)


# -- Accept ---------------------------------------------------------------------------

class Accept(list):  # type: ignore[type-arg]
    """An ``Accept*`` header as ``(value, quality)`` pairs, best first."""

    def __init__(self, values: Iterable[tuple[str, float]] = ()) -> None:
        super().__init__(sorted(values, key=lambda x: -x[1]))

    def _match(self, pattern: str, value: str) -> bool:
        return pattern == "*" or pattern.lower() == value.lower()

    def quality(self, key: str) -> float:
        """How much the client wants ``key`` (0 when not at all)."""
        for pattern, q in self:
            if self._match(pattern, key):
                return q
        return 0

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.quality(value) > 0

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The entry of ``matches`` the client likes best (ties: the earlier one)."""
        best, best_q = default, 0.0
        for m in matches:
            q = self.quality(m)
            if q > best_q:
                best, best_q = m, q
        return best

    @property
    def best(self) -> str | None:
        return self[0][0] if self else None

    def values(self) -> list[str]:
        return [v for v, _ in self]

    def to_header(self) -> str:
        return ",".join(v if q == 1 else f"{v};q={q}" for v, q in self)


class MIMEAccept(Accept):
    """``Accept`` with media-range matching (``text/*``, ``*/*``)."""

    def _match(self, pattern: str, value: str) -> bool:
        if pattern in ("*", "*/*"):
            return True
        p_type, _, p_sub = pattern.lower().partition("/")
        v_type, _, v_sub = value.lower().partition("/")
        if p_type != v_type and p_type != "*":
            return False
        return p_sub in ("*", v_sub)

    def quality(self, key: str) -> float:
        # The most specific matching range decides, as RFC 9110 says.
        best_spec, best_q = -1, 0.0
        for pattern, q in self:
            if self._match(pattern, key):
                spec = 0 if pattern in ("*", "*/*") else (1 if pattern.endswith("/*") else 2)
                if spec > best_spec:
                    best_spec, best_q = spec, q
        return best_q

    @property
    def accept_html(self) -> bool:
        return "text/html" in self or "application/xhtml+xml" in self

    @property
    def accept_json(self) -> bool:
        return "application/json" in self


def parse_accept_header(value: str | None, cls: type[Accept] = MIMEAccept) -> Any:
    """Parse an ``Accept``-style header; bad qualities are skipped, never raised."""
    values = []
    for part in (value or "").split(","):
        item, opts = parse_options_header(part)
        if not item:
            continue
        q = 1.0
        if "q" in opts:
            try:
                q = float(opts["q"])
            except ValueError:
                continue
            if not 0 <= q <= 1:
                continue
        values.append((item, q))
    return cls(values)


# -- dates ----------------------------------------------------------------------------

def http_date(value: datetime | float | int | None = None) -> str:
    """Format a datetime or timestamp as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    if value is None:
        value = datetime.now(timezone.utc)
    elif isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    # What email.utils.format_datetime(usegmt=True) writes, without importing email.
    v = value.astimezone(timezone.utc)
    return (f"{_WEEKDAYS[v.weekday()]}, {v.day:02d} {_MONTHS[v.month - 1]} {v.year:04d} "
            f"{v.hour:02d}:{v.minute:02d}:{v.second:02d} GMT")


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date; ``None`` when it is missing or malformed."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # imported on first use: email is heavy

    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


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


class ETags:
    """The set of ETags in an ``If-None-Match``/``If-Match`` header."""

    def __init__(self, strong: Iterable[str] = (), weak: Iterable[str] = (), star_tag: bool = False) -> None:
        self._strong = frozenset(strong)
        self._weak = frozenset(weak)
        self.star_tag = star_tag

    def contains_weak(self, etag: str) -> bool:
        return self.star_tag or etag in self._strong or etag in self._weak

    def contains(self, etag: str) -> bool:
        return self.star_tag or etag in self._strong

    def contains_raw(self, etag: str) -> bool:
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def as_set(self, include_weak: bool = False) -> set[str]:
        rv = set(self._strong)
        if include_weak:
            rv |= self._weak
        return rv


def parse_etags(value: str | None) -> ETags:
    """Parse ``If-None-Match``-style lists; garbage yields an empty set."""
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


# -- Range ----------------------------------------------------------------------------

class Range:
    """A parsed ``Range`` header: ``units`` and ``ranges`` as ``(start, stop)`` (stop exclusive,
    ``None`` open; a negative start counts from the end).

    A ``-0`` spec (a suffix of zero bytes) selects nothing, so it has no ``(start, stop)``: it is
    counted in ``empty`` instead, and a header made of it alone is never satisfiable (RFC 9110
    14.1.1), which the server answers with 416.
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

    def to_header(self) -> str:
        parts = []
        for start, end in self.ranges:
            if end is None:
                parts.append(f"{start}-" if start >= 0 else str(start))
            else:
                parts.append(f"{start}-{end - 1}")
        parts.extend(["-0"] * self.empty)
        return f"{self.units}={','.join(parts)}"


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


# -- cookies --------------------------------------------------------------------------

_cookie_unquote_re = re.compile(r"\\([0-3][0-7][0-7]|.)")


def _unquote_cookie(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]

        def rep(m: re.Match[str]) -> str:
            s = m.group(1)
            if len(s) == 3:
                return chr(int(s, 8))
            return s

        v = _cookie_unquote_re.sub(rep, v)
    return v


def parse_cookie(header: str | None) -> dict[str, str]:
    """Parse a ``Cookie`` header into a dict (first value wins); never raises."""
    out: dict[str, str] = {}
    if not header:
        return out
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
        if k not in out:
            out[k] = _unquote_cookie(v.strip())
    return out


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
            import time

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
_HOST_PORT_RE = re.compile(r"(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+|\[[^\]]*\])(?::[0-9]{0,5})?",
                           re.ASCII)


def is_valid_host(host: str) -> bool:
    """Whether ``host`` is ``host[:port]`` as RFC 3986 allows it in a URL's authority: a
    registered name or IPv4 address, or an IPv6 literal in brackets, and a port of digits.

    >>> is_valid_host("example.com:8080"), is_valid_host("[::1]"), is_valid_host("a.com@b.com")
    (True, True, False)
    """
    if _HOST_PORT_RE.fullmatch(host) is None:
        return False
    if host[0] == "[":
        literal = host[1:host.index("]")]
        if literal[:1] in ("v", "V"):
            return _HOST_RE.fullmatch(host) is not None
        import ipaddress

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
