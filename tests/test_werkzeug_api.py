"""The Werkzeug API Flask code and extensions import: werkzeug.http, .datastructures,
.utils, .wsgi, .urls, .exceptions, as Stein answers them (directly and under compat)."""

from __future__ import annotations

import io
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from stein import Response, Stein, request
from stein.datastructures import (
    Accept,
    Authorization,
    CallbackDict,
    CharsetAccept,
    ContentRange,
    ETags,
    FileStorage,
    HeaderSet,
    ImmutableDict,
    ImmutableList,
    ImmutableMultiDict,
    ImmutableOrderedMultiDict,
    ImmutableTypeConversionDict,
    LanguageAccept,
    MIMEAccept,
    MultiDict,
    RequestCacheControl,
    ResponseCacheControl,
    TypeConversionDict,
    WWWAuthenticate,
)
from stein.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestedRangeNotSatisfiable,
    ServiceUnavailable,
    Unauthorized,
)
from stein.http import (
    dump_age,
    dump_cookie,
    dump_header,
    dump_options_header,
    is_byte_range_valid,
    is_entity_header,
    is_hop_by_hop_header,
    is_resource_modified,
    parse_accept_header,
    parse_age,
    parse_cache_control_header,
    parse_content_range_header,
    parse_cookie,
    parse_dict_header,
    parse_etags,
    parse_if_range_header,
    parse_list_header,
    parse_options_header,
    parse_range_header,
    parse_set_header,
    quote_etag,
    quote_header_value,
    remove_entity_headers,
    remove_hop_by_hop_headers,
    unquote_etag,
    unquote_header_value,
)
from stein.request import Request
from stein.urls import iri_to_uri, uri_to_iri
from stein.utils import (
    append_slash_redirect,
    cached_property,
    find_modules,
    redirect,
    send_file,
    send_from_directory,
)
from stein.wsgi import (
    ClosingIterator,
    FileWrapper,
    LimitedStream,
    get_content_length,
    get_current_url,
    get_host,
    get_input_stream,
    responder,
    wrap_file,
)


def env(**kw: Any) -> dict[str, Any]:
    base = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO()}
    base.update(kw)
    return base


# -- header syntax ----------------------------------------------------------------------

def test_quote_and_unquote_header_value() -> None:
    assert quote_header_value("token") == "token"
    assert quote_header_value("a b") == '"a b"'
    assert quote_header_value('say "hi" \\') == '"say \\"hi\\" \\\\"'
    assert quote_header_value("") == '""'
    assert quote_header_value("token", allow_token=False) == '"token"'
    for v in ("plain", 'with "quotes"', "back\\slash", "a, b; c"):
        assert unquote_header_value(quote_header_value(v)) == v


def test_parse_list_header() -> None:
    assert parse_list_header('a, "b, c" , d,,') == ["a", "b, c", "d"]
    assert parse_list_header('"x \\" y"') == ['x " y']
    assert parse_list_header("") == [] and parse_list_header(None) == []


def test_parse_dict_header() -> None:
    assert parse_dict_header('realm="r, s", qop=auth, stale, =x') == {
        "realm": "r, s", "qop": "auth", "stale": None}
    assert parse_dict_header("title*=UTF-8''caf%C3%A9") == {"title": "café"}
    # An unknown charset leaves the value as sent.
    assert parse_dict_header("t*=ebcdic''x%41") == {"t": "ebcdic''x%41"}


def test_dump_header_round_trips() -> None:
    assert dump_header({"max-age": 60, "private": None, "x": "a b"}) == 'max-age=60, private, x="a b"'
    assert dump_header(["GET", "a b"]) == 'GET, "a b"'
    assert parse_dict_header(dump_header({"k": 'v "q"', "t": "tok"})) == {"k": 'v "q"', "t": "tok"}


def test_options_header() -> None:
    assert parse_options_header('form-data; name="f"; filename*=UTF-8\'\'%C3%A4.txt') == (
        "form-data", {"name": "f", "filename": "ä.txt"})
    assert dump_options_header("text/html", {"charset": "utf-8", "skip": None}) == "text/html; charset=utf-8"
    assert dump_options_header(None, {"a": "b c"}) == 'a="b c"'


# -- sets, accept, cache-control ----------------------------------------------------------

def test_parse_set_header_and_header_set() -> None:
    calls: list[str] = []
    hs = parse_set_header("GET, head, GET", on_update=lambda h: calls.append(h.to_header()))
    assert list(hs) == ["GET", "head"] and "HEAD" in hs and len(hs) == 2
    hs.add("Post")
    hs.discard("get")
    assert calls == ["GET, head, Post", "head, Post"]
    assert hs.as_set() == {"head", "post"} and hs == {"HEAD", "POST"}
    with pytest.raises(KeyError):
        hs.remove("PUT")
    assert hs.find("post") == 1 and hs.index("POST") == 1 and hs.find("x") == -1
    assert not parse_set_header(None) and isinstance(parse_set_header("a"), HeaderSet)


def test_http_date_forms() -> None:
    import time
    from datetime import date

    from stein.http import http_date

    assert http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http_date(datetime(1994, 11, 6, 8, 49, 37)) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http_date(date(1994, 11, 6)) == "Sun, 06 Nov 1994 00:00:00 GMT"
    assert http_date(time.gmtime(784111777)) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_accept_header_classes() -> None:
    acc = parse_accept_header("text/html;level=1, text/*;q=0.5, */*;q=0.1", MIMEAccept)
    assert acc.best == "text/html; level=1"
    assert acc.quality("text/html; level=1") == 1 and acc.quality("text/html") == 0.5
    assert acc.quality("text/plain") == 0.5 and acc["image/png"] == 0.1
    assert acc.best_match(["image/png", "text/plain"]) == "text/plain"
    assert acc.accept_html and not parse_accept_header("application/json", MIMEAccept).accept_html
    assert acc.provided and not parse_accept_header(None, MIMEAccept).provided
    assert parse_accept_header("a;q=2, b;q=x, c;q=0.3").values() is not None
    assert list(parse_accept_header("a;q=2, b;q=x, c;q=0.3").values()) == ["c"]
    assert parse_accept_header("gzip, br;q=0.8").to_header() == "gzip,br;q=0.8"
    with pytest.raises(TypeError):
        parse_accept_header("gzip").append(("x", 1))  # type: ignore[arg-type]
    lang = parse_accept_header("en-GB, fr;q=0.5", LanguageAccept)
    assert lang.best_match(["de", "en"]) == "en"
    assert lang.best_match(["fr-CA", "de"]) == "fr-CA"
    assert lang.best_match(["de"], default="x") == "x"
    assert "en_gb" in lang
    cs = parse_accept_header("UTF8, latin-1;q=0.5", CharsetAccept)
    assert cs["utf-8"] == 1 and cs.best_match(["iso-8859-1"]) == "iso-8859-1"
    assert isinstance(Accept([("a", 1)]), Accept)


def test_cache_control() -> None:
    cc = parse_cache_control_header('max-age=60, no-cache, private="x", max-stale')
    assert isinstance(cc, RequestCacheControl)
    assert cc.max_age == 60 and cc.no_cache is True and cc.max_stale is True and not cc.no_store
    with pytest.raises(TypeError):
        cc.max_age = 1  # the request's is read-only
    assert parse_cache_control_header("max-age=abc").max_age is None
    seen: list[str] = []
    rc = parse_cache_control_header("public", lambda c: seen.append(c.to_header()),
                                    ResponseCacheControl)
    rc.max_age = 300
    rc.public = False
    rc.no_cache = True
    assert seen == ["public, max-age=300", "max-age=300", "max-age=300, no-cache"]
    assert rc.no_cache is True and str(rc) == "max-age=300, no-cache"
    del rc.max_age
    assert rc.to_header() == "no-cache"


# -- ETags, ranges ---------------------------------------------------------------------

def test_etags() -> None:
    tags = parse_etags('"a", W/"b", "c"')
    assert tags.contains("a") and "c" in tags and not tags.contains("b")
    assert tags.contains_weak("b") and tags.contains_raw('W/"b"') and tags.is_weak("b")
    assert tags.as_set() == {"a", "c"} and tags.as_set(include_weak=True) == {"a", "b", "c"}
    assert tags.to_header() == '"a", "c", W/"b"'
    assert parse_etags("*").star_tag and parse_etags("*").contains("anything")
    assert not parse_etags(None) and not parse_etags(",,")
    assert quote_etag("x", weak=True) == 'W/"x"' and unquote_etag('W/"x"') == ("x", True)
    assert tags(data=b"x") is False and ETags(["e"])("e")
    with pytest.raises(ValueError):
        quote_etag('a"b')


def test_if_range_content_range_and_byte_ranges() -> None:
    assert parse_if_range_header('"v1"').etag == "v1"
    d = parse_if_range_header("Sun, 06 Nov 1994 08:49:37 GMT").date
    assert d == datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)
    assert parse_if_range_header(None).etag is None
    cr = parse_content_range_header("bytes 0-99/1000")
    assert cr is not None and (cr.units, cr.start, cr.stop, cr.length) == ("bytes", 0, 100, 1000)
    assert str(cr) == "bytes 0-99/1000"
    star = parse_content_range_header("bytes */1000")
    assert star is not None and star.start is None and star.to_header() == "bytes */1000"
    unknown = parse_content_range_header("bytes 0-9/*")
    assert unknown is not None and unknown.length is None
    for bad in ("bytes 5-1/10", "bytes 0-10/10", "bytes x-1/2", "bytes */*", "bytes 0-1", "", None):
        assert parse_content_range_header(bad) is None
    rng = parse_range_header("bytes=0-499")
    assert rng is not None and rng.to_content_range_header(1000) == "bytes 0-499/1000"
    made = rng.make_content_range(1000)
    assert made is not None and made.stop == 500
    assert is_byte_range_valid(0, 10, 10) and not is_byte_range_valid(0, 11, 10)
    assert is_byte_range_valid(None, None, 5) and not is_byte_range_valid(1, None, 5)


def test_is_resource_modified() -> None:
    assert not is_resource_modified(env(HTTP_IF_NONE_MATCH='"x"'), etag="x")
    assert not is_resource_modified(env(HTTP_IF_NONE_MATCH='W/"x"'), etag="x")
    assert is_resource_modified(env(HTTP_IF_NONE_MATCH='"y"'), etag="x")
    when = datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert not is_resource_modified(env(HTTP_IF_MODIFIED_SINCE="Wed, 01 Jan 2020 00:00:00 GMT"),
                                    last_modified=when)
    assert is_resource_modified(env(HTTP_IF_MODIFIED_SINCE="Tue, 31 Dec 2019 00:00:00 GMT"),
                                last_modified=when)
    with pytest.raises(TypeError):
        is_resource_modified(env(), etag="x", data=b"y")


def test_entity_and_hop_by_hop_headers() -> None:
    assert is_entity_header("Content-Type") and not is_entity_header("ETag")
    assert is_hop_by_hop_header("Connection") and not is_hop_by_hop_header("Host")
    h = [("Content-Type", "x"), ("Expires", "y"), ("ETag", "z"), ("Connection", "close")]
    remove_entity_headers(h)
    assert h == [("Expires", "y"), ("ETag", "z"), ("Connection", "close")]
    remove_hop_by_hop_headers(h)
    assert ("Connection", "close") not in h


def test_age() -> None:
    assert parse_age("60") == timedelta(seconds=60)
    assert parse_age("-1") is None and parse_age("x") is None and parse_age(None) is None
    assert dump_age(timedelta(minutes=1)) == "60" and dump_age(5) == "5" and dump_age(None) is None
    with pytest.raises(ValueError):
        dump_age(-1)


# -- auth -------------------------------------------------------------------------------

def test_authorization() -> None:
    basic = Authorization.from_header("Basic dXNlcjpwOnc=")
    assert basic is not None and basic.type == "basic"
    assert (basic.username, basic.password, basic["username"]) == ("user", "p:w", "user")
    assert basic.to_header() == "Basic dXNlcjpwOnc=" and "password" in basic
    bearer = Authorization.from_header("Bearer abc.def==")
    assert bearer is not None and bearer.token == "abc.def==" and bearer.username is None
    digest = Authorization.from_header('Digest username="u", realm="r", nonce="n"')
    assert digest is not None and digest.parameters == {"username": "u", "realm": "r", "nonce": "n"}
    assert digest.get("realm") == "r" and digest.realm == "r"
    assert Authorization.from_header("Basic !!!") is None
    assert Authorization.from_header("Basic " + "bm9jb2xvbg==") is None  # "nocolon"
    assert Authorization.from_header("") is None
    assert Authorization("bearer", token="t") == Authorization.from_header("Bearer t")


def test_www_authenticate() -> None:
    wa = WWWAuthenticate.from_header('Digest realm="r", nonce="n", qop="auth", stale=FALSE')
    assert wa is not None and wa.type == "digest" and wa.realm == "r" and wa["stale"] == "FALSE"
    assert wa.to_header() == 'Digest realm="r", nonce="n", qop="auth", stale=FALSE'
    bearer = WWWAuthenticate("bearer", {"realm": "api", "error": "invalid_token"})
    assert bearer.to_header() == 'Bearer realm=api, error=invalid_token'
    tok = WWWAuthenticate.from_header("Negotiate abc==")
    assert tok is not None and tok.token == "abc=="
    changed: list[str] = []
    wa._on_update = lambda w: changed.append(w.to_header())
    wa.realm = "new"
    del wa.stale
    assert changed[0].startswith('Digest realm="new"') and "stale" not in changed[1]


def test_request_authorization_and_response_www_authenticate() -> None:
    r = Request(env(HTTP_AUTHORIZATION="Digest username=u, realm=r"))
    assert r.authorization is not None and r.authorization.type == "digest"
    assert r.authorization.username == "u"
    rv = Response(status=401)
    rv.www_authenticate.type = "basic"
    rv.www_authenticate["realm"] = "Admin"
    assert rv.headers["WWW-Authenticate"] == 'Basic realm="Admin"'
    rv.www_authenticate = [WWWAuthenticate("basic", {"realm": "a"}), WWWAuthenticate("bearer")]
    assert rv.headers.getlist("WWW-Authenticate") == ['Basic realm="a"', "Bearer"]
    rv.www_authenticate = None
    assert "WWW-Authenticate" not in rv.headers


def test_unauthorized_with_www_authenticate_objects() -> None:
    e = Unauthorized(www_authenticate=WWWAuthenticate("basic", {"realm": "r"}))
    assert ("WWW-Authenticate", 'Basic realm="r"') in e.get_headers()
    e2 = Unauthorized(www_authenticate=[WWWAuthenticate("basic"), WWWAuthenticate("bearer")])
    assert [v for k, v in e2.get_headers() if k == "WWW-Authenticate"] == ["Basic", "Bearer"]


# -- structures -------------------------------------------------------------------------

def test_immutable_structures() -> None:
    d = ImmutableDict(a=1)
    for op in (lambda: d.__setitem__("b", 2), lambda: d.pop("a"), lambda: d.update(b=1),
               d.clear, d.popitem, lambda: d.setdefault("x")):
        with pytest.raises(TypeError):
            op()
    assert hash(d) == hash(ImmutableDict(a=1)) and d.copy() == {"a": 1}
    assert type(d.copy()) is dict and pickle.loads(pickle.dumps(d)) == d
    lst = ImmutableList([1, 2])
    with pytest.raises(TypeError):
        lst.append(3)
    with pytest.raises(TypeError):
        lst[0] = 5
    assert {lst: 1}[ImmutableList([1, 2])] == 1
    t = ImmutableTypeConversionDict(n="3")
    assert t.get("n", type=int) == 3 and t.get("m", 7, type=int) == 7
    with pytest.raises(TypeError):
        t["n"] = "4"
    assert isinstance(t.copy(), TypeConversionDict)
    assert TypeConversionDict(a="x").get("a", -1, type=int) == -1
    assert isinstance(MultiDict(), TypeConversionDict)


def test_callback_dict() -> None:
    calls: list[dict[str, Any]] = []
    cb = CallbackDict({"a": 1}, lambda d: calls.append(dict(d)))
    cb["b"] = 2
    cb.pop("a")
    cb.pop("zz", None)  # no change, no call
    cb.setdefault("c", 3)
    cb.update(d=4)
    del cb["b"]
    cb.clear()
    assert calls == [{"a": 1, "b": 2}, {"b": 2}, {"b": 2, "c": 3}, {"b": 2, "c": 3, "d": 4},
                     {"c": 3, "d": 4}, {}]


def test_immutable_ordered_multidict() -> None:
    md = ImmutableOrderedMultiDict([("a", 1), ("b", 2), ("a", 3)])
    assert list(md.items(multi=True)) == [("a", 1), ("b", 2), ("a", 3)]
    assert md["a"] == 1 and md.getlist("a") == [1, 3]
    with pytest.raises(TypeError):
        md.add("c", 4)
    assert isinstance(md.copy(), MultiDict) and not isinstance(md.copy(), ImmutableMultiDict)
    assert list(md.copy().items(multi=True)) == [("a", 1), ("a", 3), ("b", 2)]


def test_filestorage_takes_name_from_stream(tmp_path: Any) -> None:
    p = tmp_path / "report.csv"
    p.write_bytes(b"a,b")
    with open(p, "rb") as f:
        fs = FileStorage(f)
        assert fs.filename == str(p) and fs.read() == b"a,b"
    assert FileStorage(io.BytesIO(b"x")).filename is None
    assert FileStorage(open(p, "rb"), filename="given.csv").filename == "given.csv"
    stdin_like = io.BytesIO()
    stdin_like.name = "<stdin>"  # type: ignore[attr-defined]
    assert FileStorage(stdin_like).filename is None


# -- request/response lazy attributes ------------------------------------------------------

def test_request_header_attributes() -> None:
    r = Request(env(HTTP_CACHE_CONTROL="no-cache, max-age=0", HTTP_PRAGMA="no-cache",
                    HTTP_IF_RANGE='"abc"', HTTP_ACCEPT_LANGUAGE="de-DE, en;q=0.5",
                    HTTP_ACCEPT_CHARSET="utf-8", HTTP_RANGE="bytes=0-9"))
    assert r.cache_control.no_cache and r.cache_control.max_age == 0
    assert "no-cache" in r.pragma
    assert r.if_range.etag == "abc" and r.if_range.date is None
    assert r.accept_languages.best_match(["en", "de_de"]) == "de_de"
    assert r.accept_languages.best_match(["fr", "de"]) == "de"  # primary-language fallback
    assert isinstance(r.accept_languages, LanguageAccept)
    assert isinstance(r.accept_charsets, CharsetAccept) and r.accept_charsets["UTF8"] == 1
    assert r.range is not None and r.range.ranges == [(0, 10)]
    empty = Request(env())
    assert not empty.cache_control and not empty.cache_control.provided and not empty.pragma
    assert empty.if_range.etag is None and empty.authorization is None


def test_response_header_attributes() -> None:
    rv = Response("x")
    rv.cache_control.max_age = 60
    rv.cache_control.public = True
    assert rv.headers["Cache-Control"] == "max-age=60, public"
    rv.cache_control.public = False
    rv.cache_control.max_age = None
    assert "Cache-Control" not in rv.headers
    rv.vary.add("Accept")
    rv.vary.add("cookie")
    assert rv.headers["Vary"] == "Accept, cookie" and "Cookie" in rv.vary
    rv.vary = {"Origin"}
    assert rv.headers["Vary"] == "Origin"
    rv.allow.update(["GET", "HEAD"])
    assert rv.headers["Allow"] == "GET, HEAD" and sorted(rv.allow) == ["GET", "HEAD"]
    rv.allow = None  # type: ignore[assignment]
    assert "Allow" not in rv.headers
    rv.content_range = ContentRange("bytes", 0, 10, 100)
    assert rv.headers["Content-Range"] == "bytes 0-9/100" and rv.content_range.length == 100
    rv.content_range.set(10, 20, 100)
    assert rv.headers["Content-Range"] == "bytes 10-19/100"
    rv.content_range.unset()
    assert "Content-Range" not in rv.headers
    rv.retry_after = 120
    assert rv.headers["Retry-After"] == "120" and rv.retry_after is not None


# -- cookies ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["café", "☃ snow", 'quote " and \\ slash', "日本語; x=1",
                                   "", "plain", "tab\there", "emoji 🍪"])
def test_cookie_value_round_trips(value: str) -> None:
    header = dump_cookie("k", value)
    sent = header.split(";", 1)[0] if '"' not in header else header[: header.index('"; ') + 1]
    assert parse_cookie(sent) == {"k": value}


def test_non_ascii_cookie_round_trips_through_the_app() -> None:
    app = Stein(__name__)

    @app.get("/set")
    def set_() -> Any:
        rv = Response("ok")
        rv.set_cookie("name", "Zoë ☃")
        return rv

    @app.get("/get")
    def get() -> Any:
        return request.cookies["name"]

    c = app.test_client()
    c.get("/set")
    assert c.get("/get").text == "Zoë ☃"


def test_parse_cookie_forms() -> None:
    assert parse_cookie('a=1; a=2; b="x\\"y"') == {"a": "1", "b": 'x"y'}
    md = parse_cookie("a=1; a=2", cls=MultiDict)
    assert md.getlist("a") == ["1", "2"]
    assert parse_cookie({"HTTP_COOKIE": "s=v"}) == {"s": "v"}
    assert parse_cookie('b="\\377"') == {"b": "\ufffd"}  # not UTF-8: replaced, no crash


# -- utils --------------------------------------------------------------------------------

def test_cached_property_is_settable_and_deletable() -> None:
    calls: list[int] = []

    class Thing:
        @cached_property
        def value(self) -> int:
            calls.append(1)
            return 42

    t = Thing()
    assert t.value == 42 and t.value == 42 and len(calls) == 1
    t.value = 7
    assert t.value == 7
    del t.value
    assert t.value == 42 and len(calls) == 2
    assert isinstance(Thing.__dict__["value"], property)

    class Slotted:
        __slots__ = ("_cache_value",)

        @cached_property
        def value(self) -> int:
            return 5

    s = Slotted()
    assert s.value == 5
    s.value = 6
    assert s.value == 6


def test_redirects() -> None:
    rv = redirect("/next", 301)
    assert rv.status_code == 301 and rv.headers["Location"] == "/next" and b"/next" in rv.data
    rv = append_slash_redirect({"PATH_INFO": "/a/b", "QUERY_STRING": "x=1"})
    assert rv.status_code == 308 and rv.headers["Location"] == "b/?x=1"
    assert append_slash_redirect({"PATH_INFO": "/"}).headers["Location"] == "./"


def test_utils_send_file_with_environ(tmp_path: Any) -> None:
    (tmp_path / "a.txt").write_bytes(b"0123456789")
    rv = send_file(str(tmp_path / "a.txt"), env(HTTP_RANGE="bytes=2-4"))
    assert rv.status_code == 206 and b"".join(rv.response) == b"234"
    rv.close()
    etag = rv.headers["ETag"]
    rv = send_file(str(tmp_path / "a.txt"), env(HTTP_IF_NONE_MATCH=etag))
    assert rv.status_code == 304
    rv = send_file(io.BytesIO(b"abc"), env(), mimetype="text/plain")
    assert rv.status_code == 200 and rv.mimetype == "text/plain"
    rv.close()
    rv = send_from_directory(str(tmp_path), "a.txt", env())
    assert rv.status_code == 200
    rv.close()
    with pytest.raises(NotFound):
        send_from_directory(str(tmp_path), "../a.txt", env())
    rv = send_file(str(tmp_path / "a.txt"), env(), use_x_sendfile=True)
    assert rv.headers["X-Sendfile"].endswith("a.txt") and b"".join(rv.response) == b""


def test_find_modules() -> None:
    mods = list(find_modules("stein.ext"))
    assert "stein.ext.auth" in mods
    with pytest.raises(ValueError):
        list(find_modules("stein.http"))


# -- wsgi -------------------------------------------------------------------------------

def test_get_host_and_current_url() -> None:
    e = env(HTTP_HOST="example.com:8080", SCRIPT_NAME="/app", PATH_INFO="/ä b",
            QUERY_STRING="q=1&r=%20")
    e["PATH_INFO"] = "/ä b".encode().decode("latin-1")
    assert get_host(e) == "example.com:8080"
    assert get_current_url(e) == "http://example.com:8080/app/%C3%A4%20b?q=1&r=%20"
    assert get_current_url(e, root_only=True) == "http://example.com:8080/app/"
    assert get_current_url(e, strip_querystring=True) == "http://example.com:8080/app/%C3%A4%20b"
    assert get_current_url(e, host_only=True) == "http://example.com:8080/"
    assert get_host(env(HTTP_HOST="example.com:443", **{"wsgi.url_scheme": "https"})) == "example.com"
    assert get_host(env()) == "localhost"
    from stein.exceptions import BadHost

    with pytest.raises(BadHost):
        get_host(env(HTTP_HOST="evil.com"), trusted_hosts=["example.com"])
    with pytest.raises(BadHost):
        get_host(env(HTTP_HOST="a.com@b.com"))


def test_limited_stream_and_input_stream() -> None:
    s = LimitedStream(io.BytesIO(b"hello world"), 5)
    assert s.read(3) == b"hel" and s.read() == b"lo" and s.read() == b"" and s.is_exhausted
    from stein.exceptions import ClientDisconnected, RequestEntityTooLarge

    with pytest.raises(ClientDisconnected):
        LimitedStream(io.BytesIO(b"ab"), 5).read()
    with pytest.raises(RequestEntityTooLarge):
        LimitedStream(io.BytesIO(b"abcdef"), 3, is_max=True).read()
    assert LimitedStream(io.BytesIO(b"abc"), 3, is_max=True).read() == b"abc"
    assert LimitedStream(io.BytesIO(b"a\nb\n"), 4).readline() == b"a\n"
    e = env(CONTENT_LENGTH="3", **{"wsgi.input": io.BytesIO(b"abcdef")})
    assert get_content_length(e) == 3 and get_input_stream(e).read() == b"abc"
    assert get_input_stream(env(**{"wsgi.input": io.BytesIO(b"x")})).read() == b""
    with pytest.raises(RequestEntityTooLarge):
        get_input_stream(env(CONTENT_LENGTH="10"), max_content_length=5)
    assert get_content_length(env(CONTENT_LENGTH="x")) is None


def test_closing_iterator_and_file_wrapper() -> None:
    order: list[str] = []

    class Body:
        def __iter__(self) -> Any:
            return iter([b"a", b"b"])

        def close(self) -> None:
            order.append("body")

    it = ClosingIterator(Body(), [lambda: order.append("one"), lambda: order.append("two")])
    assert list(it) == [b"a", b"b"]
    it.close()
    assert order == ["body", "one", "two"]
    f = io.BytesIO(b"x" * 10)
    assert list(FileWrapper(f, 4)) == [b"xxxx", b"xxxx", b"xx"]
    assert isinstance(wrap_file(env(), io.BytesIO(b"")), FileWrapper)
    marker = object()
    assert wrap_file(env(**{"wsgi.file_wrapper": lambda f, n: marker}), io.BytesIO()) is marker


def test_responder() -> None:
    app = responder(lambda environ, start_response: Response(environ["PATH_INFO"]))
    got: dict[str, Any] = {}
    body = app(env(PATH_INFO="/p"), lambda s, h, e=None: got.update(status=s))
    assert b"".join(body) == b"/p" and got["status"] == "200 OK"


# -- urls -------------------------------------------------------------------------------

def test_iri_uri() -> None:
    assert iri_to_uri("http://☃.net/p/ä?q=ü&x=%20#ö") == "http://xn--n3h.net/p/%C3%A4?q=%C3%BC&x=%20#%C3%B6"
    assert iri_to_uri("/plain?a=b") == "/plain?a=b"
    assert uri_to_iri("http://xn--n3h.net/p/%C3%A4?q=%26") == "http://☃.net/p/ä?q=%26"
    assert uri_to_iri("/a%2Fb%FF%C3%A9") == "/a%2Fb%FFé"
    assert uri_to_iri(iri_to_uri("/ünï/cödé")) == "/ünï/cödé"


# -- exceptions -------------------------------------------------------------------------

def test_exception_get_response_takes_a_request() -> None:
    r = Request(env(HTTP_ACCEPT="application/json"))
    rv = NotFound().get_response(r)
    assert rv.status_code == 404 and rv.mimetype == "application/json"
    assert MethodNotAllowed(["GET", "POST"]).get_response().headers["Allow"] == "GET, POST"
    assert ("Content-Range", "bytes */50") in RequestedRangeNotSatisfiable(length=50).get_headers()
    when = datetime(2031, 1, 1, tzinfo=timezone.utc)
    assert ("Retry-After", "Wed, 01 Jan 2031 00:00:00 GMT") in ServiceUnavailable(
        retry_after=when).get_headers()
    assert isinstance(NotFound(), HTTPException) and NotFound.code == 404


# -- compat: werkzeug.* names ---------------------------------------------------------------

def test_werkzeug_names_under_compat() -> None:
    import stein.compat

    stein.compat.install()
    try:
        import importlib

        wh = importlib.import_module("werkzeug.http")
        wd = importlib.import_module("werkzeug.datastructures")
        wu = importlib.import_module("werkzeug.utils")
        ww = importlib.import_module("werkzeug.wsgi")
        wurls = importlib.import_module("werkzeug.urls")
        for name in ("parse_set_header", "parse_cache_control_header", "parse_dict_header",
                     "parse_list_header", "dump_header", "quote_header_value",
                     "unquote_header_value", "parse_accept_header", "parse_etags",
                     "quote_etag", "unquote_etag", "parse_range_header",
                     "parse_content_range_header", "parse_if_range_header", "http_date",
                     "parse_date", "dump_cookie", "parse_cookie", "parse_options_header",
                     "dump_options_header", "is_resource_modified", "HTTP_STATUS_CODES"):
            assert hasattr(wh, name), name
        for name in ("Authorization", "WWWAuthenticate", "ImmutableDict", "ImmutableMultiDict",
                     "ImmutableList", "ImmutableOrderedMultiDict", "ImmutableTypeConversionDict",
                     "TypeConversionDict", "CombinedMultiDict", "CallbackDict", "HeaderSet",
                     "ETags", "Accept", "MIMEAccept", "LanguageAccept", "CharsetAccept",
                     "RequestCacheControl", "ResponseCacheControl", "Range", "ContentRange",
                     "IfRange", "FileStorage", "MultiDict", "Headers", "EnvironHeaders"):
            assert hasattr(wd, name), name
        for name in ("cached_property", "redirect", "append_slash_redirect", "send_file",
                     "send_from_directory", "import_string", "find_modules", "secure_filename"):
            assert hasattr(wu, name), name
        for name in ("get_current_url", "get_host", "wrap_file", "FileWrapper",
                     "ClosingIterator", "LimitedStream", "responder", "get_input_stream"):
            assert hasattr(ww, name), name
        assert hasattr(wurls, "iri_to_uri") and hasattr(wurls, "uri_to_iri")
        csp = importlib.import_module("werkzeug.datastructures.csp")
        etag = importlib.import_module("werkzeug.datastructures.etag")
        assert csp.ContentSecurityPolicy is wd.ContentSecurityPolicy and etag.ETags is wd.ETags
    finally:
        stein.compat.uninstall()


def test_content_security_policy() -> None:
    from stein.datastructures import ContentSecurityPolicy
    from stein.http import dump_csp_header, parse_csp_header

    csp = parse_csp_header("default-src 'self'; img-src * data:; broken")
    assert csp.default_src == "'self'" and csp.img_src == "* data:" and "broken" not in csp
    assert dump_csp_header(csp) == "default-src 'self'; img-src * data:"
    assert not parse_csp_header(None).provided
    rv = Response()
    rv.content_security_policy.script_src = "'self'"
    rv.content_security_policy_report_only.default_src = "'none'"
    assert rv.headers["Content-Security-Policy"] == "script-src 'self'"
    assert rv.headers["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    rv.content_security_policy = None  # type: ignore[assignment]
    assert "Content-Security-Policy" not in rv.headers
    assert isinstance(rv.content_security_policy, ContentSecurityPolicy)


def test_cors_attributes() -> None:
    r = Request(env(HTTP_ACCESS_CONTROL_REQUEST_HEADERS="X-Token, content-type",
                    HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT", HTTP_MAX_FORWARDS="3",
                    **{"wsgi.multithread": True}))
    assert "x-token" in r.access_control_request_headers
    assert r.access_control_request_method == "PUT" and r.max_forwards == 3
    assert r.is_multithread and not r.is_multiprocess and not r.is_run_once
    rv = Response()
    rv.access_control_allow_methods.update(["GET", "POST"])
    rv.access_control_allow_headers = ["X-Token"]
    rv.access_control_expose_headers.add("X-Total")
    rv.access_control_allow_credentials = True
    rv.access_control_max_age = 600
    assert rv.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert rv.headers["Access-Control-Allow-Headers"] == "X-Token"
    assert rv.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert rv.access_control_allow_credentials and rv.access_control_max_age == 600
    rv.access_control_allow_credentials = False
    assert "Access-Control-Allow-Credentials" not in rv.headers


def test_iter_multi_items_and_deepcopy() -> None:
    import copy

    from stein.datastructures import iter_multi_items

    assert list(iter_multi_items(MultiDict([("a", 1), ("a", 2)]))) == [("a", 1), ("a", 2)]
    assert list(iter_multi_items({"a": [1, 2], "b": 3})) == [("a", 1), ("a", 2), ("b", 3)]
    assert list(iter_multi_items([("x", "y")])) == [("x", "y")]
    md = MultiDict([("a", [1]), ("a", [2])])
    deep = copy.deepcopy(md)
    assert deep == md and deep.getlist("a")[0] is not md.getlist("a")[0]


def test_request_limits_defaults_config_and_overrides() -> None:
    app = Stein(__name__)
    app.config.update(MAX_CONTENT_LENGTH=100, MAX_FORM_MEMORY_SIZE=50, MAX_FORM_PARTS=3)
    r = Request(env())
    assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (None, 500_000, 1_000)
    with app.app_context():
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (100, 50, 3)
    r.max_content_length, r.max_form_memory_size, r.max_form_parts = 90, 30, 4
    with app.app_context():
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (90, 30, 4)
    # An override on the instance is what the form parser uses.
    body = b"a=" + b"x" * 40
    big = Request(env(REQUEST_METHOD="POST", CONTENT_TYPE="application/x-www-form-urlencoded",
                      CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)}))
    big.max_form_memory_size = 10
    from stein.exceptions import RequestEntityTooLarge

    with app.app_context(), pytest.raises(RequestEntityTooLarge) as info:
        _ = big.form
    assert info.value.description == \
        "The form data is 42 bytes; the limit is 10 bytes (MAX_FORM_MEMORY_SIZE)."

    # Through the app: a view that lowers the limit for its own request gets the 413 page.
    @app.post("/small")
    def small() -> Any:
        request.max_form_memory_size = 10
        return dict(request.form)

    rv = app.test_client().post("/small", data=body,
                                content_type="application/x-www-form-urlencoded")
    assert rv.status_code == 413
    assert "The form data is 42 bytes; the limit is 10 bytes" in rv.text


def test_combined_multidict_keeps_its_dicts() -> None:
    from stein.datastructures import CombinedMultiDict

    a, b = MultiDict([("x", "1")]), MultiDict([("x", "2"), ("y", "3")])
    c = CombinedMultiDict([a, b])
    assert c.dicts == [a, b] and c.getlist("x") == ["1", "2"] and c["y"] == "3"
    assert CombinedMultiDict().dicts == []
