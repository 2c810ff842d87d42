"""Signed-cookie sessions: round trip, rotation, expiry, cookie settings, tampering,
Vary, the pluggable interface, session_transaction."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from stein import Stein, session
from stein.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
)


@pytest.fixture
def app() -> Stein:
    app = Stein("test_sessions")
    app.config.update(TESTING=True, SECRET_KEY="s3cret-key-for-tests")

    @app.route("/set/<value>")
    def set_value(value: str):  # type: ignore[no-untyped-def]
        session["value"] = value
        return "set"

    @app.route("/get")
    def get_value():  # type: ignore[no-untyped-def]
        return session.get("value", "<none>")

    @app.route("/permanent/<value>")
    def permanent(value: str):  # type: ignore[no-untyped-def]
        session.permanent = True
        session["value"] = value
        return "ok"

    @app.route("/clear")
    def clear():  # type: ignore[no-untyped-def]
        session.clear()
        return "cleared"

    @app.route("/plain")
    def plain():  # type: ignore[no-untyped-def]
        return "no session here"

    return app


def set_cookie_headers(rv: Any) -> list[str]:
    return rv.headers.getlist("Set-Cookie")


def session_cookie(client: Any) -> str:
    c = client.get_cookie("session")
    assert c is not None
    return c.value  # type: ignore[no-any-return]


def test_round_trip(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/set/hello")
    [header] = set_cookie_headers(rv)
    assert header.startswith("session=")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Path=/" in header
    assert "Expires" not in header  # not permanent: a browser-session cookie
    assert "Secure" not in header
    assert rv.headers["Vary"] == "Cookie"
    assert client.get("/get").text == "hello"


def test_cookie_only_written_when_modified(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/set/x")
    rv = client.get("/get")
    assert set_cookie_headers(rv) == []
    assert rv.headers["Vary"] == "Cookie"  # it was read


def test_untouched_session_no_cookie_no_vary(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/plain")
    assert set_cookie_headers(rv) == []
    assert "Vary" not in rv.headers


def test_clear_deletes_cookie(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/set/x")
    rv = client.get("/clear")
    [header] = set_cookie_headers(rv)
    assert header.startswith("session=;") or header.startswith('session="";')
    assert "Max-Age=0" in header
    assert client.get_cookie("session") is None
    assert client.get("/get").text == "<none>"


def test_values_round_trip(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/types")
    def types():  # type: ignore[no-untyped-def]
        session["b"] = b"\x00\xffbin"
        session["n"] = {"list": [1, 2.5, None, True], "s": "ü"}
        return ""

    @app.route("/read")
    def read():  # type: ignore[no-untyped-def]
        assert session["b"] == b"\x00\xffbin"
        assert session["n"] == {"list": [1, 2.5, None, True], "s": "ü"}
        return "ok"

    client.get("/types")
    assert client.get("/read").text == "ok"


def test_tampered_cookie_gives_empty_session(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/set/secret")
    value = session_cookie(client)
    payload, sig = value.rsplit(".", 1)
    for bad in (payload + "." + sig[:-2] + "AA", "A" + value[1:], "garbage", ".", "a.b.c",
                value.replace(".", "!")):
        client.set_cookie("session", bad)
        rv = client.get("/get")
        assert rv.status_code == 200
        assert rv.text == "<none>"


def test_signed_but_unreadable_payload_is_empty(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    s = app.session_interface.get_signing_serializer(app)
    # Correctly signed, but not a dict / not JSON: still an empty session.
    for payload in ([1, 2], "text", 5):
        client.set_cookie("session", s.dumps(payload))
        assert client.get("/get").text == "<none>"
    from itsdangerous import URLSafeTimedSerializer

    raw = URLSafeTimedSerializer(app.secret_key, salt="cookie-session",
                                 signer_kwargs={"digest_method": __import__("hashlib").sha256})
    client.set_cookie("session", raw.dumps("x") + "zz")
    assert client.get("/get").text == "<none>"


def test_oversize_cookie_is_ignored(client) -> None:  # type: ignore[no-untyped-def]
    client.set_cookie("session", "x" * 10_000)
    rv = client.get("/get")
    assert rv.status_code == 200 and rv.text == "<none>"


def test_expired_cookie_gives_empty_session(app: Stein, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app.permanent_session_lifetime = timedelta(seconds=60)
    client.get("/set/x")
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    assert client.get("/get").text == "<none>"


def test_permanent_session(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["PERMANENT_SESSION_LIFETIME"] = 3600
    rv = client.get("/permanent/p")
    [header] = set_cookie_headers(rv)
    expires = header.split("Expires=")[1].split(";")[0]
    from stein.http import parse_date

    when = parse_date(expires)
    assert when is not None
    delta = when - datetime.now(timezone.utc)
    assert timedelta(minutes=58) < delta <= timedelta(hours=1)
    # refreshed on every request while SESSION_REFRESH_EACH_REQUEST is on...
    assert len(set_cookie_headers(client.get("/get"))) == 1
    assert len(set_cookie_headers(client.get("/plain"))) == 1
    # ...and not when it is off
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert set_cookie_headers(client.get("/get")) == []
    assert client.get("/get").text == "p"


def test_cookie_settings(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config.update(
        SESSION_COOKIE_NAME="sid", SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH="/app", SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=False, SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    rv = client.get("/set/v")
    [header] = set_cookie_headers(rv)
    assert header.startswith("sid=")
    assert "Domain=example.test" in header
    assert "Path=/app" in header
    assert "Secure" in header
    assert "HttpOnly" not in header
    assert "SameSite=Strict" in header
    assert "Partitioned" in header


def test_samesite_none_and_application_root(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config.update(SESSION_COOKIE_SAMESITE=None, APPLICATION_ROOT="/root")
    [header] = set_cookie_headers(client.get("/set/v"))
    assert "SameSite" not in header
    assert "Path=/root" in header


def test_secret_key_rotation(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    client.get("/set/rotated")
    old_cookie = session_cookie(client)
    app.config["SECRET_KEY"] = "a-brand-new-key"
    assert client.get("/get").text == "<none>"  # old key no longer accepted
    app.config["SECRET_KEY_FALLBACKS"] = ["s3cret-key-for-tests"]
    client.set_cookie("session", old_cookie)
    assert client.get("/get").text == "rotated"  # accepted through the fallback
    client.get("/set/new")
    new_cookie = session_cookie(client)
    app.config["SECRET_KEY_FALLBACKS"] = None
    client.set_cookie("session", new_cookie)
    assert client.get("/get").text == "new"  # new cookies are signed with the new key


def test_serializer_cached_per_key_set(app: Stein) -> None:
    si = app.session_interface
    a = si.get_signing_serializer(app)
    assert si.get_signing_serializer(app) is a
    app.config["SECRET_KEY_FALLBACKS"] = ["old"]
    b = si.get_signing_serializer(app)
    assert b is not a
    assert si.get_signing_serializer(app) is b
    app.config["SECRET_KEY_FALLBACKS"].append("older")  # changed in place
    c = si.get_signing_serializer(app)
    assert c is not b
    assert c.loads(_itsdangerous_serializer(["older"]).dumps({"o": 1})) == {"o": 1}


def test_signature_is_hmac_sha256(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    client.get("/set/x")
    sig = session_cookie(client).rsplit(".", 1)[1]
    import base64

    assert len(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))) == 32


def test_no_secret_key(client, app: Stein) -> None:  # type: ignore[no-untyped-def]
    app.config["SECRET_KEY"] = None
    assert client.get("/get").text == "<none>"  # reading works: an empty null session
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/set/x")
    with app.test_request_context():
        assert isinstance(session._get_current_object(), NullSession)


def test_no_secret_key_gives_500_when_not_testing(app: Stein) -> None:
    app.config.update(SECRET_KEY=None, TESTING=False)
    rv = app.test_client().get("/set/x")
    assert rv.status_code == 500


def test_modified_flag_for_nested_changes(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/init")
    def init():  # type: ignore[no-untyped-def]
        session["items"] = []
        return ""

    @app.route("/append/<v>")
    def append(v: str):  # type: ignore[no-untyped-def]
        session["items"].append(v)
        if v == "mark":
            session.modified = True
        return ""

    @app.route("/items")
    def items():  # type: ignore[no-untyped-def]
        return ",".join(session["items"])

    client.get("/init")
    client.get("/append/lost")
    assert client.get("/items").text == ""
    client.get("/append/mark")
    assert client.get("/items").text == "mark"


def test_session_object_tracking() -> None:
    s = SecureCookieSession({"a": 1})
    assert not s.modified and not s.accessed
    assert s.get("a") == 1 and s.accessed and not s.modified
    s.setdefault("a", 2)
    assert not s.modified
    s.setdefault("b", 2)
    assert s.modified
    assert repr(SecureCookieSession({"x": 1})) == "<SecureCookieSession {'x': 1}>"


def test_session_transaction(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as sess:
        sess["value"] = "from test"
    assert client.get("/get").text == "from test"
    with client.session_transaction() as sess:
        assert sess["value"] == "from test"
        del sess["value"]
    assert client.get("/get").text == "<none>"


def test_session_transaction_without_cookies(app: Stein) -> None:
    c = app.test_client(use_cookies=False)
    with pytest.raises(TypeError, match="Cookies are disabled"):
        with c.session_transaction():
            pass


def test_with_client_keeps_session(client) -> None:  # type: ignore[no-untyped-def]
    with client:
        client.get("/set/kept")
        assert session["value"] == "kept"


class MemorySessionInterface(SessionInterface):
    """A server-side store: the cookie carries only an id."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.saves = 0

    def open_session(self, app: Stein, request: Any) -> Any:
        sid = request.cookies.get(self.get_cookie_name(app))
        s = SecureCookieSession(self.store.get(sid, {}) if sid else {})
        s.sid = sid  # type: ignore[attr-defined]
        return s

    def save_session(self, app: Stein, session: Any, response: Any) -> None:
        if not session.modified:
            return
        self.saves += 1
        sid = session.sid or f"id{len(self.store) + 1}"
        self.store[sid] = dict(session)
        response.set_cookie(self.get_cookie_name(app), sid, httponly=True)


def test_custom_session_interface(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    iface = MemorySessionInterface()
    app.session_interface = iface
    rv = client.get("/set/server-side")
    assert rv.headers["Set-Cookie"].startswith("session=id1;")
    assert iface.store == {"id1": {"value": "server-side"}}
    assert client.get("/get").text == "server-side"
    assert iface.saves == 1
    with client.session_transaction() as sess:
        sess["value"] = "changed"
    assert iface.store["id1"] == {"value": "changed"}


def test_default_interface_is_secure_cookie() -> None:
    assert isinstance(Stein("x").session_interface, SecureCookieSessionInterface)


def test_itsdangerous_not_imported_at_import() -> None:
    code = "import sys, stein; app = stein.Stein('x'); print('itsdangerous' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def _itsdangerous_serializer(keys: Any) -> Any:
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    from stein.sessions import _TaggedJSON

    return URLSafeTimedSerializer(keys, salt="cookie-session", serializer=_TaggedJSON,
                                  signer_kwargs={"key_derivation": "hmac",
                                                 "digest_method": hashlib.sha256})


@pytest.mark.parametrize("payload", [{"a": 1}, {"big": "x" * 5000, "b": b"\x01"}])
def test_cookie_format_compatible_with_itsdangerous(app: Stein, payload: dict[str, Any]) -> None:
    ours = app.session_interface.get_signing_serializer(app)
    theirs = _itsdangerous_serializer([app.secret_key])
    assert theirs.loads(ours.dumps(payload), max_age=60) == payload
    assert ours.loads(theirs.dumps(payload), max_age=60) == payload
    if len(str(payload)) > 1000:
        assert ours.dumps(payload).startswith(".")  # compressed


def test_rotation_compatible_with_itsdangerous(app: Stein) -> None:
    app.config["SECRET_KEY_FALLBACKS"] = ["old1", "old2"]
    ours = app.session_interface.get_signing_serializer(app)
    for key in ("old1", "old2", app.secret_key):
        assert ours.loads(_itsdangerous_serializer([key]).dumps({"k": key})) == {"k": key}
    # new cookies are signed with the current key only
    assert _itsdangerous_serializer([app.secret_key]).loads(ours.dumps({"n": 1})) == {"n": 1}


def test_loads_errors_are_itsdangerous_errors(app: Stein) -> None:
    from itsdangerous import BadSignature, SignatureExpired

    s = app.session_interface.get_signing_serializer(app)
    with pytest.raises(BadSignature):
        s.loads("nodots")
    with pytest.raises(BadSignature):
        s.loads(s.dumps({"a": 1})[:-3] + "abc")
    with pytest.raises(SignatureExpired):
        s.loads(_itsdangerous_serializer([app.secret_key]).dumps({}), max_age=-1)


def test_compressed_bomb_is_rejected(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    import base64
    import hmac as _hmac
    import time
    import zlib

    s = app.session_interface.get_signing_serializer(app)
    bomb = zlib.compress(b'{"a":"' + b"x" * (5 << 20) + b'"}')
    ts = int(time.time()).to_bytes(4, "big")
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")  # noqa: E731
    value = b"." + enc(bomb) + b"." + enc(ts)
    sig = enc(_hmac.digest(s._sign_key, value, "sha256"))
    cookie = (value + b"." + sig).decode()
    assert len(cookie) < 8192
    client.set_cookie("session", cookie)
    rv = client.get("/get")
    assert rv.status_code == 200 and rv.text == "<none>"


def test_non_hmac_key_derivation_uses_itsdangerous(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    class Concat(SecureCookieSessionInterface):
        key_derivation = "django-concat"

    app.session_interface = Concat()
    client.get("/set/legacy")
    assert client.get("/get").text == "legacy"
    assert type(app.session_interface.get_signing_serializer(app)).__name__ == "URLSafeTimedSerializer"
