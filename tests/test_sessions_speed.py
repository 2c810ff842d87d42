"""The session fast paths give exactly what the general paths give.

Each fast piece of ``stein.sessions`` (HMAC with precomputed pads, base64url through
binascii, the prebuilt JSON encoder and scanner, the ``Set-Cookie`` template, reading one
cookie without parsing them all, the save that appends the header itself) is compared
with the code it stands in for: the stdlib, ``dump_cookie``, ``parse_cookie``,
``response.set_cookie`` and itsdangerous.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
import warnings
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from stein import Response, Stein, session
from stein.http import dump_cookie, parse_cookie
from stein.sessions import (
    _HMAC,
    CookieSerializer,
    SecureCookieSessionInterface,
    _add_vary_cookie,
    _b64decode,
    _b64encode,
    _CookieTemplate,
    _dumps_json,
    _loads_json,
    _session_cookie_value,
    _TaggedJSON,
    session_json_serializer,
)
from stein.wrappers import Request

PROPS = settings(max_examples=100, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])

# -- values a session may hold ----------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(),
    st.floats(allow_nan=False, allow_infinity=False),
)
# Values the tag serializer must handle besides plain JSON: some round-trip (bytes), the
# others are written the way the JSON provider writes them.
tagged_scalars = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=20).map(Markup),
    st.datetimes(timezones=st.just(timezone.utc)),
    st.dates(),
    st.uuids(),
)
keys = st.one_of(st.text(max_size=8), st.sampled_from([" b", " t", " di", " u", " m", " d"]))
values = st.recursive(
    st.one_of(json_scalars, tagged_scalars),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=12,
)
sessions = st.dictionaries(keys, values, max_size=6)


# -- primitives ---------------------------------------------------------------------------

@PROPS
@given(key=st.binary(max_size=200), msg=st.binary(max_size=300),
       digest=st.sampled_from(["sha256", "sha1", "sha512", "md5"]))
def test_hmac_matches_stdlib(key: bytes, msg: bytes, digest: str) -> None:
    mac = _HMAC(key, digest)
    assert mac(msg) == hmac.digest(key, msg, digest)
    assert mac(msg) == mac(msg)  # the precomputed state is not consumed by a call


@PROPS
@given(st.binary(max_size=200))
def test_base64url_matches_stdlib(b: bytes) -> None:
    enc = _b64encode(b)
    assert enc == base64.urlsafe_b64encode(b).rstrip(b"=")
    assert _b64decode(enc) == b


@PROPS
@given(st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"="))
       | st.binary(max_size=60))
def test_base64url_decode_errors_match_stdlib(b: bytes) -> None:
    padded = b + b"=" * (-len(b) % 4)
    try:
        expected: Any = base64.urlsafe_b64decode(padded)
    except ValueError:
        expected = ValueError
    try:
        got: Any = _b64decode(b)
    except ValueError:
        got = ValueError
    assert got == expected


# -- JSON ---------------------------------------------------------------------------------

@PROPS
@given(sessions)
def test_json_encoder_same_text_as_tagged_json(data: dict[str, Any]) -> None:
    assert _dumps_json(data) == _TaggedJSON.dumps(data)


@PROPS
@given(sessions)
def test_json_round_trip_same_as_tagged_json(data: dict[str, Any]) -> None:
    text = _TaggedJSON.dumps(data).encode()
    # A user dict {" b": <not base64>} cannot be read back by either (the tag format has no
    # escape for it); then both fail the same way.
    assert _outcome(_loads_json, text) == _outcome(_TaggedJSON.loads, text)


def _outcome(f: Any, data: bytes) -> Any:
    try:
        return ("ok", f(data))
    except Exception as e:  # noqa: BLE001 - the error's type is what is compared
        return ("error", type(e))


@PROPS
@given(st.binary(max_size=40) | st.sampled_from(
    [b"{}", b' {"a":1}', b'{"a":1} ', b'{"a":1}x', b"[1]", b'{"a":', b"\xef\xbb\xbf{}",
     b'{\x00"\x00}\x00', b'{" b":"AAE="}', b'{" b":"!"}', b'{"a":NaN}']))
def test_json_loads_same_answer_or_error(data: bytes) -> None:
    assert _outcome(_loads_json, data) == _outcome(_TaggedJSON.loads, data)


def test_tagged_values_round_trip() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    u = uuid.UUID(int=5)
    data = {"t": (1, 2), "b": b"\x00\xff", "m": Markup("<b>x</b>"), "d": when,
            "day": date(2024, 1, 2), "u": u, " b": "not bytes", "x": {" t": [3]}}
    text = _dumps_json(data)
    assert text == _TaggedJSON.dumps(data)
    assert '"t":{" t":[1,2]}' in text and '"x":{" di":{" t__":[3]}}' in text
    back = _loads_json(text.encode())
    # The tagged types come back as themselves (a date, untagged, as its HTTP date).
    assert back["t"] == (1, 2) and back["b"] == b"\x00\xff"
    assert back["m"] == Markup("<b>x</b>") and isinstance(back["m"], Markup)
    assert back["d"] == when and back["day"] == "Tue, 02 Jan 2024 00:00:00 GMT"
    assert back["u"] == u and back[" b"] == "not bytes" and back["x"] == {" t": [3]}


def test_json_errors_are_the_stdlib_errors() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    # Tagging walks the value first (as Flask's serializer does): a loop never ends.
    with pytest.raises(RecursionError):
        _dumps_json(loop)
    with pytest.raises(TypeError, match="not JSON serializable"):
        _dumps_json({"x": object()})
    shared = [1, 2]
    assert _dumps_json({"a": shared, "b": shared}) == '{"a":[1,2],"b":[1,2]}'


# -- the serializer against itsdangerous --------------------------------------------------

def _theirs(keys: list[str]) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(keys, salt="cookie-session", serializer=_TaggedJSON,
                                  signer_kwargs={"key_derivation": "hmac",
                                                 "digest_method": hashlib.sha256})


@PROPS
@given(sessions, st.text(min_size=1, max_size=30))
def test_serializer_compatible_with_itsdangerous(data: dict[str, Any], key: str) -> None:
    ours = CookieSerializer([key], "cookie-session")
    theirs = _theirs([key])
    kind, expected = _outcome(_TaggedJSON.loads, _TaggedJSON.dumps(data).encode())
    assume(kind == "ok")
    mine = ours.dumps(data)
    assert theirs.loads(mine, max_age=60) == expected
    assert ours.loads(theirs.dumps(data), max_age=60) == expected
    assert ours.loads(mine, max_age=60) == expected


def _reference_dumps(key: str, obj: Any, ts: int) -> str:
    """The cookie written with the stdlib pieces the fast ones replace."""
    import zlib

    def enc(b: bytes) -> bytes:
        return base64.urlsafe_b64encode(b).rstrip(b"=")

    data = session_json_serializer.dumps(obj).encode()
    prefix = b""
    if len(data) >= 128:
        compressed = zlib.compress(data)
        if len(compressed) < len(data) - 1:
            data, prefix = compressed, b"."
    value = prefix + enc(data) + b"." + enc(ts.to_bytes(4, "big"))
    derived = hmac.digest(key.encode(), b"cookie-session", "sha256")
    return (value + b"." + enc(hmac.digest(derived, value, "sha256"))).decode()


@PROPS
@given(sessions | st.dictionaries(st.text(max_size=3), st.text(max_size=300), max_size=3),
       st.text(min_size=1, max_size=30))
def test_serializer_same_bytes_as_reference(data: dict[str, Any], key: str) -> None:
    import time
    from unittest import mock

    with mock.patch.object(time, "time", lambda: 1_700_000_000.5):
        mine = CookieSerializer(["older-key", key], "cookie-session").dumps(data)
    assert mine == _reference_dumps(key, data, 1_700_000_000)


def test_serializer_rotation_and_tampering() -> None:
    from itsdangerous import BadSignature

    old = CookieSerializer(["old-key-0123456789"], "cookie-session")
    both = CookieSerializer(["old-key-0123456789", "new-key-0123456789"], "cookie-session")
    cookie = old.dumps({"a": 1})
    assert both.loads(cookie) == {"a": 1}
    new_cookie = both.dumps({"a": 2})
    assert _theirs(["new-key-0123456789"]).loads(new_cookie) == {"a": 2}
    with pytest.raises(BadSignature):
        old.loads(new_cookie)
    # Tamper with the signature's first character: the last one may already be the
    # replacement, or differ only in base64 padding bits that decoding drops. Many
    # cookies, so that every shape of signature is met.
    for i in range(64):
        payload, ts, sig = old.dumps({"a": i}).split(".")
        other = "B" if sig[0] == "A" else "A"
        for bad in (f"{payload}.{ts}.{other}{sig[1:]}", f"{payload}x.{ts}.{sig}",
                    f"{payload}.{ts}.!!"):
            with pytest.raises(BadSignature):
                both.loads(bad)


# -- Set-Cookie template ------------------------------------------------------------------

cookie_settings = st.fixed_dictionaries({
    "name": st.sampled_from(["session", "sid", "__Host-s"]),
    "domain": st.sampled_from([None, "example.test", ".example.test"]),
    "path": st.sampled_from(["/", "/app", "/a b"]),
    "httponly": st.booleans(),
    "secure": st.booleans(),
    "samesite": st.sampled_from([None, "Lax", "strict", "None"]),
    "partitioned": st.booleans(),
})


@PROPS
@given(cookie_settings,
       st.text(alphabet="abcXYZ019-_.", max_size=80),
       st.one_of(st.none(), st.datetimes(timezones=st.just(timezone.utc)),
                 st.just("Thu, 01 Jan 1970 00:00:00 GMT")))
def test_cookie_template_matches_dump_cookie(cfg: dict[str, Any], value: str,
                                             expires: Any) -> None:
    t = _CookieTemplate(**cfg)
    expected = dump_cookie(cfg["name"], value, None, expires, cfg["path"], cfg["domain"],
                           cfg["secure"], cfg["httponly"], cfg["samesite"], cfg["partitioned"])
    assert t.header(value, expires) == expected


def test_cookie_template_declines_values_needing_quotes() -> None:
    t = _CookieTemplate("session", None, "/", True, False, "Lax", False)
    assert t.header('a"b', None) is None
    assert t.header("a b", None) is None
    assert t.header("ok.value-_", None) == "session=ok.value-_; Path=/; HttpOnly; SameSite=Lax"


def test_cookie_template_rejects_bad_settings_like_dump_cookie() -> None:
    with pytest.raises(ValueError, match="SameSite"):
        _CookieTemplate("session", None, "/", True, False, "Sometimes", False)
    with pytest.raises(ValueError, match="Invalid cookie path"):
        _CookieTemplate("session", None, "/a;b", True, False, None, False)


# -- reading the one cookie ---------------------------------------------------------------

cookie_headers = st.lists(
    st.tuples(st.sampled_from(["session", " session", "session ", "sid", "x", "", "sess"]),
              st.sampled_from(["=", "", " = "]),
              st.text(alphabet='ab."\\; =01', max_size=12)),
    max_size=5,
).map(lambda parts: ";".join(k + sep + v for k, sep, v in parts))


@PROPS
@given(cookie_headers | st.text(max_size=40), st.sampled_from(["session", "sid"]))
def test_one_cookie_matches_full_parse(header: str, name: str) -> None:
    environ = {"HTTP_COOKIE": header, "REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    expected = Request(dict(environ)).cookies.get(name)
    assert _session_cookie_value(Request(dict(environ)), name) == expected
    assert expected == parse_cookie(header).get(name) or not header.isascii()


def test_one_cookie_uses_parsed_cookies_and_request_subclass() -> None:
    r = Request({"HTTP_COOKIE": "session=a"})
    assert r.cookies["session"] == "a"
    r.environ["HTTP_COOKIE"] = "session=b"  # already parsed: the parsed dict is the answer
    assert _session_cookie_value(r, "session") == "a"

    class Custom(Request):
        @property
        def cookies(self) -> Any:  # type: ignore[override]
            return {"session": "from-subclass"}

    assert _session_cookie_value(Custom({"HTTP_COOKIE": "session=x"}), "session") == \
        "from-subclass"
    assert _session_cookie_value(Request({}), "session") is None


# -- whole requests: the fast save against the general one --------------------------------

class _General(SecureCookieSessionInterface):
    """Overrides a cookie setting method, so every save takes the general path."""

    def get_cookie_name(self, app: Stein) -> str:
        return super().get_cookie_name(app)


def _app(interface: SecureCookieSessionInterface, app_class: type[Stein] = Stein,
         secret_key: str | None = "speed-test-secret-key") -> Stein:
    app = app_class("speed")
    app.config["TESTING"] = True
    if secret_key is not None:
        app.config["SECRET_KEY"] = secret_key
    app.session_interface = interface

    @app.route("/set/<v>")
    def set_(v: str) -> str:
        session["v"] = v
        session["b"] = b"\x00"
        return "ok"

    @app.route("/perm/<v>")
    def perm(v: str) -> str:
        session.permanent = True
        session["v"] = v
        return "ok"

    @app.route("/get")
    def get() -> str:
        return str(session.get("v"))

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    return app


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    fixed = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)

    class _Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return fixed

    import stein.sessions

    monkeypatch.setattr(stein.sessions, "datetime", _Frozen)


CONFIGS: list[dict[str, Any]] = [
    {},
    {"SESSION_COOKIE_NAME": "sid", "SESSION_COOKIE_DOMAIN": "example.test",
     "SESSION_COOKIE_PATH": "/app", "SESSION_COOKIE_SECURE": True,
     "SESSION_COOKIE_HTTPONLY": False, "SESSION_COOKIE_SAMESITE": "Strict",
     "SESSION_COOKIE_PARTITIONED": True},
    {"SESSION_COOKIE_SAMESITE": None, "APPLICATION_ROOT": "/root"},
    {"PERMANENT_SESSION_LIFETIME": 120, "SESSION_REFRESH_EACH_REQUEST": False},
]


@pytest.mark.usefixtures("frozen_time")
@pytest.mark.parametrize("config", CONFIGS)
def test_fast_save_same_headers_as_general(config: dict[str, Any]) -> None:
    fast, general = _app(SecureCookieSessionInterface()), _app(_General())
    clients = []
    for app in (fast, general):
        app.config.update(config)
        clients.append(app.test_client())
    name = fast.config["SESSION_COOKIE_NAME"]
    for path in ("/set/a", "/get", "/perm/b", "/get", "/set/c", "/clear", "/get"):
        answers = []
        for c in clients:
            rv = c.get(path, base_url="http://example.test/app")
            answers.append((rv.status_code, rv.text, rv.headers.getlist("Set-Cookie"),
                            rv.headers.get("Vary")))
        assert answers[0] == answers[1], path
        if path.startswith("/set"):
            assert answers[0][2] and answers[0][2][0].startswith(name + "=")


@pytest.mark.usefixtures("frozen_time")
def test_config_change_between_requests_is_picked_up() -> None:
    app = _app(SecureCookieSessionInterface())
    c = app.test_client()
    [first] = c.get("/set/a").headers.getlist("Set-Cookie")
    assert first.endswith("; Path=/; HttpOnly; SameSite=Lax")
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_SECURE"] = True
    [second] = c.get("/set/b").headers.getlist("Set-Cookie")
    assert second.endswith("; Path=/; Secure; HttpOnly; SameSite=Strict")
    app.config["SESSION_COOKIE_NAME"] = "other"
    [third] = c.get("/set/c").headers.getlist("Set-Cookie")
    assert third.startswith("other=")


def test_response_subclass_set_cookie_is_called() -> None:
    calls: list[tuple[str, str]] = []

    class Tracking(Response):
        def set_cookie(self, key: str, value: str = "", *args: Any, **kw: Any) -> None:
            calls.append((key, kw["samesite"]))
            super().set_cookie(key, value, *args, **kw)

    app = _app(SecureCookieSessionInterface())
    app.response_class = Tracking
    rv = app.test_client().get("/set/x")
    assert calls == [("session", "Lax")]
    assert rv.headers["Set-Cookie"].startswith("session=")


def test_oversize_cookie_still_warns() -> None:
    app = _app(SecureCookieSessionInterface())
    app.config["MAX_COOKIE_SIZE"] = 60
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rv = app.test_client().get("/set/" + "x" * 40)
    assert rv.status_code == 200
    assert any("over the 60 bytes" in str(w.message) for w in caught)
    assert rv.headers["Set-Cookie"].startswith("session=")


def test_permanent_cookie_expires_and_refresh() -> None:
    app = _app(SecureCookieSessionInterface())
    app.permanent_session_lifetime = timedelta(hours=1)
    c = app.test_client()
    [header] = c.get("/perm/p").headers.getlist("Set-Cookie")
    assert "; Expires=" in header and header.endswith("; Path=/; HttpOnly; SameSite=Lax")
    rv = c.get("/get")
    assert rv.text == "p" and len(rv.headers.getlist("Set-Cookie")) == 1
    assert rv.headers["Vary"] == "Cookie"
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    rv = c.get("/get")
    assert rv.text == "p" and rv.headers.getlist("Set-Cookie") == []


def test_read_only_request_sets_no_cookie_but_varies() -> None:
    c = _app(SecureCookieSessionInterface()).test_client()
    c.get("/set/v")
    rv = c.get("/get")
    assert rv.text == "v"
    assert rv.headers.getlist("Set-Cookie") == []
    assert rv.headers["Vary"] == "Cookie"
    assert json.loads(json.dumps(rv.text)) == "v"


@pytest.mark.parametrize("initial", [None, "Accept", "cookie", "Accept, Cookie", ""])
def test_vary_cookie_same_as_add_vary(initial: str | None) -> None:
    def make() -> Response:
        r = Response("x")
        if initial is not None:
            r.headers["Vary"] = initial
        return r

    fast, stock = make(), make()
    _add_vary_cookie(fast)
    stock.add_vary("Cookie")
    assert fast.headers._list == stock.headers._list


def test_vary_cookie_response_subclass() -> None:
    class Custom(Response):
        def add_vary(self, field: str) -> None:
            self.headers["Vary"] = f"custom {field}"

    r = Custom("x")
    _add_vary_cookie(r)
    assert r.headers["Vary"] == "custom Cookie"


def test_fast_path_is_taken_only_for_the_stock_interface() -> None:
    app = _app(SecureCookieSessionInterface())
    stock = SecureCookieSessionInterface()._cookie_template(app)
    assert stock is not None
    assert stock.header("v.1", None) == "session=v.1; Path=/; HttpOnly; SameSite=Lax"
    assert _General()._cookie_template(app) is None
    # Cached per config: the same object until a setting changes.
    assert SecureCookieSessionInterface()._cookie_template(app) is stock
    app.config["SESSION_COOKIE_PATH"] = "/x"
    assert SecureCookieSessionInterface()._cookie_template(app) is not stock


def test_shared_serializer_across_threads() -> None:
    """The precomputed HMAC states and the timestamp cache are shared by every thread."""
    import threading

    ser = CookieSerializer(["thread-key-0123456789"], "cookie-session")
    theirs = _theirs(["thread-key-0123456789"])
    errors: list[str] = []

    def work(i: int) -> None:
        for j in range(300):
            data = {"t": i, "j": j, "b": bytes([i, j % 256])}
            cookie = ser.dumps(data)
            if ser.loads(cookie) != data or theirs.loads(cookie) != data:
                errors.append(f"{i}/{j}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


# -- what the config write counter keeps: every way of changing the config reaches it ------

def _mutations() -> list[tuple[str, Any]]:
    class Settings:
        SESSION_COOKIE_NAME = "from-object"

    return [
        ("set", lambda c: c.__setitem__("SESSION_COOKIE_NAME", "sid")),
        ("update", lambda c: c.update(SESSION_COOKIE_NAME="sid")),
        ("ior", lambda c: c.__ior__({"SESSION_COOKIE_NAME": "sid"})),
        ("from_mapping", lambda c: c.from_mapping(SESSION_COOKIE_NAME="sid")),
        ("from_object", lambda c: c.from_object(Settings)),
        ("pop+setdefault", lambda c: (c.pop("SESSION_COOKIE_NAME"),
                                      c.setdefault("SESSION_COOKIE_NAME", "sid"))),
        ("del+set", lambda c: (c.__delitem__("SESSION_COOKIE_NAME"),
                               c.__setitem__("SESSION_COOKIE_NAME", "sid"))),
    ]


@pytest.mark.parametrize("how,change", _mutations(), ids=[m[0] for m in _mutations()])
def test_config_write_counter_counts_every_change(how: str, change: Any) -> None:
    app = Stein("writes")
    before = app.config.writes
    change(app.config)
    assert app.config.writes > before
    for mutate in (lambda c: c.popitem(), lambda c: c.clear()):
        before = app.config.writes
        mutate(app.config)
        assert app.config.writes > before


@pytest.mark.usefixtures("frozen_time")
@pytest.mark.parametrize("how,change", _mutations(), ids=[m[0] for m in _mutations()])
def test_each_way_of_changing_the_cookie_name_reaches_open_and_save(how: str,
                                                                     change: Any) -> None:
    """The fast interface (serializer, cookie name and max age kept between requests) and
    the general one (every setting read on every request) answer the same before and
    after the change."""
    fast, general = _app(SecureCookieSessionInterface()), _app(_General())
    clients = [fast.test_client(), general.test_client()]
    for step in ("before", "change", "after"):
        if step == "change":
            for app in (fast, general):
                change(app.config)
            continue
        answers = []
        for c in clients:
            set_rv = c.get("/set/" + step)
            get_rv = c.get("/get")
            answers.append((set_rv.headers.getlist("Set-Cookie"), get_rv.text))
        assert answers[0] == answers[1], step
    name = fast.config["SESSION_COOKIE_NAME"]
    assert answers[0][0][0].startswith(name + "=") and name != "session"


def test_key_rotation_through_each_route_is_picked_up() -> None:
    app = _app(SecureCookieSessionInterface())
    c = app.test_client()
    c.get("/set/old-key")
    # A new key alone: the cookie signed with the old one no longer reads.
    app.secret_key = "a-completely-different-key-0123"
    assert c.get("/get").text == "None"
    # The old key back as a fallback, changed in place (no config write at all).
    app.config["SECRET_KEY"] = "speed-test-secret-key"
    c.get("/set/v1")
    app.config["SECRET_KEY"] = "a-completely-different-key-0123"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert c.get("/get").text == "None"
    app.config["SECRET_KEY_FALLBACKS"].append("speed-test-secret-key")
    assert c.get("/get").text == "v1"


def test_secret_key_and_lifetime_as_properties_are_read_every_request() -> None:
    """An app subclass may compute ``secret_key`` and ``permanent_session_lifetime`` in
    properties, which the config's write counter cannot see: both are read afresh."""

    class App(Stein):
        @property
        def secret_key(self) -> str:  # type: ignore[override]
            return self.__dict__.get("_key", "property-secret-key-0123456789")

        @property
        def permanent_session_lifetime(self) -> timedelta:  # type: ignore[override]
            return self.__dict__.get("_lifetime", timedelta(hours=1))

    app = _app(SecureCookieSessionInterface(), App, secret_key=None)
    c = app.test_client()
    c.get("/perm/p")
    assert c.get("/get").text == "p"
    app.__dict__["_lifetime"] = timedelta(seconds=-1)  # every cookie is now too old
    assert c.get("/get").text == "None"
    del app.__dict__["_lifetime"]
    c.get("/perm/q")
    assert c.get("/get").text == "q"
    app.__dict__["_key"] = "another-property-secret-key-0123"  # the old signature fails
    assert c.get("/get").text == "None"


def test_cookie_name_method_of_a_subclass_is_asked_every_request() -> None:
    calls: list[str] = []

    class Counting(SecureCookieSessionInterface):
        def get_cookie_name(self, app: Stein) -> str:
            calls.append("name")
            return "counted"

    app = _app(Counting())
    c = app.test_client()
    for n in range(1, 4):
        assert c.get("/get").text == "None"
        assert len(calls) == n  # open_session asked; nothing saved
    assert c.get("/set/x").headers["Set-Cookie"].startswith("counted=")
    assert c.get("/get").text == "x"
