"""The syntax shared by HTTP header values: tokens, quoted strings, lists and parameters.

RFC 9110 builds most header values from the same few pieces: comma-separated lists
(``Vary``, ``Cache-Control``), ``key=value`` parameters after a ``;`` (``Content-Type``),
and quoted strings with backslash escapes. The functions here read and write those
pieces and nothing else, so every header class (:mod:`stein.headervalues`,
:mod:`stein.authheaders`) and :mod:`stein.http` share one implementation. Malformed input
never raises: what cannot be read is skipped, as browsers and Werkzeug do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone
from time import struct_time
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes

_token_chars = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)


def quote_header_value(value: Any, allow_token: bool = True) -> str:
    """``value`` as a header token when it is one, else as a quoted string.

    >>> quote_header_value("utf-8"), quote_header_value('a "b"'), quote_header_value("")
    ('utf-8', '"a \\\\"b\\\\""', '""')
    """
    value = str(value)
    if not value:
        return '""'
    if allow_token and _token_chars.issuperset(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str) -> str:
    """The reverse of :func:`quote_header_value`: outer quotes off, escapes resolved.

    >>> unquote_header_value('"a \\\\"b\\\\""')
    'a "b"'
    """
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace("\\\\", "\\").replace('\\"', '"')
    return value


def _split_list(value: str) -> Iterator[str]:
    """Items of a comma-separated list; commas inside quoted strings do not split, and a
    backslash inside quotes keeps the next character (quotes stay on the item)."""
    buf: list[str] = []
    in_quote = escape = False
    for ch in value:
        if escape:
            buf.append(ch)
            escape = False
        elif in_quote:
            if ch == "\\":
                escape = True
                continue
            if ch == '"':
                in_quote = False
            buf.append(ch)
        elif ch == ",":
            item = "".join(buf).strip()
            if item:
                yield item
            buf = []
        else:
            if ch == '"':
                in_quote = True
            buf.append(ch)
    item = "".join(buf).strip()
    if item:
        yield item


def parse_list_header(value: str | None) -> list[str]:
    """Split a comma-separated header value; quoted items lose their quotes.

    >>> parse_list_header('gzip, "a, b", br')
    ['gzip', 'a, b', 'br']
    """
    out = []
    for item in _split_list(value or ""):
        if len(item) >= 2 and item[0] == item[-1] == '"':
            item = item[1:-1]
        out.append(item)
    return out


_rfc2231_value = re.compile(r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'(.+)", re.ASCII)
_safe_charsets = frozenset(("ascii", "us-ascii", "utf-8", "iso-8859-1", "latin-1"))


def parse_dict_header(value: str | None) -> dict[str, str | None]:
    """A comma-separated list of ``key=value`` items as a dict (a bare key maps to ``None``).

    ``key*=UTF-8''caf%C3%A9`` (RFC 2231) is decoded into ``key``.

    >>> parse_dict_header('realm="a, b", stale, qop=auth')
    {'realm': 'a, b', 'stale': None, 'qop': 'auth'}
    """
    result: dict[str, str | None] = {}
    for item in _split_list(value or ""):
        key, has_value, val = item.partition("=")
        key = key.strip()
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        val = val.strip()
        if key.endswith("*"):
            key = key[:-1]
            m = _rfc2231_value.match(val)
            if m and m.group(1).lower() in _safe_charsets:
                val = unquote(m.group(2), encoding=m.group(1).lower(), errors="replace")
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        result[key] = val
    return result


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """The reverse of :func:`parse_list_header` and :func:`parse_dict_header`.

    A mapping gives ``key=value`` items (``None``: the key alone); other iterables give
    their items. Values are quoted where they need it; a ``key*`` value is written as is.

    >>> dump_header({"max-age": 60, "private": None}), dump_header(["GET", "a b"])
    ('max-age=60, private', 'GET, "a b"')
    """
    if isinstance(iterable, Mapping):
        items = []
        for key, value in iterable.items():
            if value is None:
                items.append(key)
            elif key.endswith("*"):
                items.append(f"{key}={value}")
            else:
                items.append(f"{key}={quote_header_value(value)}")
        return ", ".join(items)
    return ", ".join(quote_header_value(x) for x in iterable)


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


def dump_options_header(header: str | None, options: Mapping[str, Any]) -> str:
    """``('text/html', {'charset': 'utf-8'})`` -> ``'text/html; charset=utf-8'``.

    ``None`` values are skipped, ``True`` writes the bare key, non-ASCII values are
    written as RFC 2231 ``key*=UTF-8''...`` and a ``key*`` value is written as it is.
    """
    parts = [] if header is None else [header]
    for k, v in options.items():
        if v is None:
            continue
        if v is True:
            parts.append(k)
        elif k.endswith("*"):
            parts.append(f"{k}={v}")
        elif not str(v).isascii():
            # RFC 2231/5987: header bytes are latin-1 on the wire, so say UTF-8 explicitly.
            parts.append(f"{k}*=UTF-8''{quote(str(v), safe='')}")
        else:
            parts.append(f"{k}={quote_header_value(v)}")
    return "; ".join(parts)


# -- dates (IMF-fixdate, RFC 9110 5.6.7) -----------------------------------------------

def http_date(value: datetime | date | float | int | struct_time | None = None) -> str:
    """Format a datetime, date, timestamp or ``time.struct_time`` (UTC) as an IMF-fixdate.

    A naive datetime is taken as UTC, a date as its midnight UTC.

    >>> http_date(784111777), http_date(date(1994, 11, 6))
    ('Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 00:00:00 GMT')
    """
    if value is None:
        value = datetime.now(timezone.utc)
    elif isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, struct_time):
        value = datetime(*value[:6], tzinfo=timezone.utc)
    elif not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
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
