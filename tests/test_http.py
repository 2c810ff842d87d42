"""HTTP parsing and formatting helpers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from stein.exceptions import BadRequest, RequestEntityTooLarge
from stein.http import (
    MIMEAccept,
    dump_cookie,
    dump_options_header,
    host_is_trusted,
    http_date,
    parse_accept_header,
    parse_cookie,
    parse_date,
    parse_etags,
    parse_options_header,
    parse_qsl,
    parse_range_header,
    quote_etag,
    unquote_etag,
    url_encode,
)


def test_parse_qsl():
    assert parse_qsl("a=1&b=x+y&c=%C3%A9&d&&e=") == [
        ("a", "1"), ("b", "x y"), ("c", "é"), ("d", ""), ("e", "")]
    assert parse_qsl(b"k=v") == [("k", "v")]
    assert parse_qsl("") == []
    # Lenient by default, as Werkzeug: a bad escape stays literal, bad UTF-8 becomes U+FFFD.
    assert parse_qsl("a=%G1&b=%4&c=100%") == [("a", "%G1"), ("b", "%4"), ("c", "100%")]
    assert parse_qsl("a=%FF&%FE=x") == [("a", "\ufffd"), ("\ufffd", "x")]
    assert parse_qsl(b"a=caf\xe9") == [("a", "caf\ufffd")]
    # errors="strict" keeps the old 400s.
    with pytest.raises(BadRequest, match="percent-encoding"):
        parse_qsl("a=%G1", errors="strict")
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_qsl("a=%FF", errors="strict")
    with pytest.raises(RequestEntityTooLarge, match="Too many fields"):
        parse_qsl("a=1&b=2&c=3", max_fields=2)


def test_url_encode():
    assert url_encode([("a", 1), ("b", "x y"), ("c", None), ("d", "&=")]) == "a=1&b=x+y&d=%26%3D"


def test_options_header_roundtrip():
    assert parse_options_header('text/html; charset="utf-8"') == ("text/html", {"charset": "utf-8"})
    assert parse_options_header("multipart/form-data; boundary=abc; x") == (
        "multipart/form-data", {"boundary": "abc", "x": ""})
    assert parse_options_header("attachment; filename*=UTF-8''%E2%82%AC%20rates") == (
        "attachment", {"filename": "€ rates"})
    assert parse_options_header("") == ("", {})
    assert parse_options_header(None) == ("", {})
    assert parse_options_header('a; q="x\\"y"') == ("a", {"q": 'x"y'})
    assert dump_options_header("text/plain", {"charset": "utf-8", "skip": None}) == (
        "text/plain; charset=utf-8")
    assert dump_options_header("attachment", {"filename": "a b.txt"}) == (
        'attachment; filename="a b.txt"')


def test_accept_header():
    acc = parse_accept_header("text/html, application/json;q=0.9, */*;q=0.1", MIMEAccept)
    assert acc.best_match(["application/json", "text/html"]) == "text/html"
    assert acc.best_match(["image/png"]) == "image/png"
    assert acc.quality("application/json") == 0.9
    assert acc.best == "text/html"
    assert "image/png" in acc
    json_only = parse_accept_header("application/json", MIMEAccept)
    assert json_only.best_match(["text/html"]) is None
    assert parse_accept_header("text/*", MIMEAccept).best_match(["text/plain", "image/png"]) == "text/plain"
    garbage = parse_accept_header(";;;q=foo, text/html;q=abc")
    # Malformed input never raises; an unparsable quality counts as "not acceptable".
    assert garbage.best_match(["text/html"]) is None


def test_http_dates():
    dt = datetime(2024, 2, 29, 12, 30, 45, tzinfo=timezone.utc)
    s = http_date(dt)
    assert s == "Thu, 29 Feb 2024 12:30:45 GMT"
    assert parse_date(s) == dt
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert parse_date("not a date") is None
    assert parse_date(None) is None


def test_etags():
    assert quote_etag("abc") == '"abc"'
    assert quote_etag("abc", weak=True) == 'W/"abc"'
    assert unquote_etag('W/"abc"') == ("abc", True)
    assert unquote_etag('"abc"') == ("abc", False)
    assert unquote_etag(None) == (None, False)
    tags = parse_etags('"a", W/"b", "c"')
    assert "a" in tags and "c" in tags and "b" not in tags
    assert tags.contains_weak("b")
    assert tags.contains_raw('W/"b"') and tags.contains_raw('"a"')
    star = parse_etags("*")
    assert star.star_tag and "anything" in star
    assert not parse_etags(None)
    with pytest.raises(ValueError):
        quote_etag('bad"tag')


def test_range_header():
    r = parse_range_header("bytes=0-99")
    assert r.units == "bytes" and r.ranges == [(0, 100)]
    assert r.range_for_length(50) == (0, 50)
    assert parse_range_header("bytes=-5").range_for_length(20) == (15, 20)
    assert parse_range_header("bytes=10-").range_for_length(20) == (10, 20)
    assert parse_range_header("bytes=30-").range_for_length(20) is None
    assert parse_range_header("bytes=0-1,5-6").ranges == [(0, 2), (5, 7)]
    for bad in ("bytes=5-1", "bytes=a-b", "bytes", "", "bytes=1-2,0-1"):
        assert parse_range_header(bad) is None
    assert parse_range_header("bytes=0-99").to_header() == "bytes=0-99"


def test_parse_cookie():
    # First value wins; a bare word without "=" is not a cookie.
    assert parse_cookie('a=1; b="x y"; a=2; c') == {"a": "1", "b": "x y"}
    assert parse_cookie(None) == {}
    assert parse_cookie('q="a\\"b\\073c"') == {"q": 'a"b;c'}


def test_dump_cookie():
    assert dump_cookie("a", "1") == "a=1; Path=/"
    c = dump_cookie("s", "v", max_age=10, path=None, httponly=True, samesite="lax")
    assert c.startswith("s=v; Max-Age=10; Expires=")
    assert c.endswith("HttpOnly; SameSite=Lax")
    assert dump_cookie("d", "x", domain=".example.com").startswith("d=x; Domain=example.com")
    quoted = dump_cookie("q", 'has "quotes" and ;')
    assert parse_cookie(quoted.split("; Path")[0]) == {"q": 'has "quotes" and ;'}
    for bad_key in ("", "a b", "a;b", "a\nb", "a=b"):
        with pytest.raises(ValueError):
            dump_cookie(bad_key, "v")
    with pytest.raises(ValueError):
        dump_cookie("a", "v\r\n")
    with pytest.raises(ValueError):
        dump_cookie("a", "v", domain="x\n.com")


def test_host_is_trusted():
    assert host_is_trusted("example.com", ["example.com"])
    assert host_is_trusted("EXAMPLE.com:8080", ["example.com"])
    assert not host_is_trusted("evil.com", ["example.com"])
    assert host_is_trusted("a.example.com", [".example.com"])
    assert host_is_trusted("example.com", [".example.com"])
    assert not host_is_trusted("badexample.com", [".example.com"])
    assert host_is_trusted("[::1]:5000", ["[::1]"])
    assert not host_is_trusted("", ["example.com"])
