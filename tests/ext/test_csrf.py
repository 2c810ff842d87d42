"""stein.ext.csrf: tokens in forms, headers, exemptions, expiry, origin checks."""

from __future__ import annotations

import re
import time

import pytest

from stein import Blueprint, Stein, render_template_string
from stein.ext.csrf import CSRFProtect


@pytest.fixture
def app():
    app = Stein(__name__)
    app.config.update(SECRET_KEY="csrf-secret", TESTING=True)
    csrf = CSRFProtect(app)

    @app.get("/form")
    def form():
        return render_template_string(
            '<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'
            "</form>")

    @app.route("/submit", methods=["POST", "PUT", "PATCH", "DELETE"])
    def submit():
        return "accepted"

    @app.get("/read")
    def read():
        return "read ok"

    @app.post("/hook")
    @csrf.exempt
    def hook():
        return "hook ok"

    api = Blueprint("api", __name__, url_prefix="/api")

    @api.post("/ping")
    def ping():
        return "pong"

    csrf.exempt(api)
    app.register_blueprint(api)
    return app


def get_token(client, **kw) -> str:
    html = client.get("/form", **kw).text
    m = re.search(r'value="([^"]+)"', html)
    assert m is not None
    return m.group(1)


def test_form_token_accepted(app):
    client = app.test_client()
    token = get_token(client)
    rv = client.post("/submit", data={"csrf_token": token})
    assert rv.status_code == 200 and rv.text == "accepted"


def test_multipart_token_accepted(app):
    import io

    client = app.test_client()
    token = get_token(client)
    rv = client.post("/submit", data={"csrf_token": token, "f": (io.BytesIO(b"x"), "a.txt")},
                     content_type="multipart/form-data")
    assert rv.status_code == 200, rv.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_header_token_for_each_method(app, method):
    client = app.test_client()
    token = get_token(client)
    rv = client.open("/submit", method=method, headers={"X-CSRF-Token": token}, json={"a": 1})
    assert rv.status_code == 200
    rv = client.open("/submit", method=method, json={"a": 1})
    assert rv.status_code == 400
    assert "The CSRF token is missing." in rv.text


def test_missing_token(app):
    client = app.test_client()
    get_token(client)
    rv = client.post("/submit", data={"x": "1"})
    assert rv.status_code == 400
    assert "The CSRF token is missing." in rv.text


def test_missing_session_token(app):
    client = app.test_client()
    token = get_token(app.test_client())  # a token from another browser, this one has no session
    rv = client.post("/submit", data={"csrf_token": token})
    assert rv.status_code == 400
    assert "CSRF session token is missing" in rv.text


def test_forged_token(app):
    from itsdangerous import URLSafeTimedSerializer

    client = app.test_client()
    get_token(client)
    forged = URLSafeTimedSerializer("not-the-key", salt="stein.csrf").dumps("0" * 64)
    rv = client.post("/submit", data={"csrf_token": forged})
    assert rv.status_code == 400
    assert "The CSRF token is invalid (bad signature)." in rv.text
    rv = client.post("/submit", data={"csrf_token": "garbage"})
    assert rv.status_code == 400 and "invalid" in rv.text


def test_token_from_other_session_does_not_match(app):
    a, b = app.test_client(), app.test_client()
    get_token(a)
    token_b = get_token(b)
    rv = a.post("/submit", data={"csrf_token": token_b})
    assert rv.status_code == 400
    assert "The CSRF tokens do not match." in rv.text


def test_expired_token(app, monkeypatch):
    client = app.test_client()
    token = get_token(client)
    app.config["CSRF_TIME_LIMIT"] = 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 120)
    rv = client.post("/submit", data={"csrf_token": token})
    assert rv.status_code == 400
    assert "The CSRF token has expired." in rv.text


def test_safe_methods_and_exemptions(app):
    client = app.test_client()
    assert client.get("/read").text == "read ok"
    assert client.post("/hook").text == "hook ok"
    assert client.post("/api/ping").text == "pong"
    assert client.post("/nowhere").status_code == 404


def test_disabled(app):
    app.config["CSRF_ENABLED"] = False
    assert app.test_client().post("/submit").text == "accepted"


def test_https_origin_checks(app):
    client = app.test_client()
    token = get_token(client, base_url="https://example.test")
    base = {"base_url": "https://example.test", "data": {"csrf_token": token}}
    rv = client.post("/submit", headers={"Origin": "https://evil.test"}, **base)
    assert rv.status_code == 400
    assert "The Origin header https://evil.test does not match the host https://example.test." in rv.text
    rv = client.post("/submit", **base)
    assert rv.status_code == 400
    assert "The Referer header is missing on an HTTPS request." in rv.text
    rv = client.post("/submit", headers={"Referer": "https://evil.test/x"}, **base)
    assert rv.status_code == 400 and "Referer header does not match" in rv.text
    rv = client.post("/submit", headers={"Origin": "https://example.test"}, **base)
    assert rv.status_code == 200
    rv = client.post("/submit", headers={"Referer": "https://example.test/form"}, **base)
    assert rv.status_code == 200
    app.config["CSRF_TRUSTED_ORIGINS"] = ["https://other.test"]
    rv = client.post("/submit", headers={"Origin": "https://other.test"}, **base)
    assert rv.status_code == 200


def test_token_stable_within_session_and_rotates_with_session(app):
    client = app.test_client()
    t1 = get_token(client)
    t2 = get_token(client)
    assert client.post("/submit", data={"csrf_token": t1}).status_code == 200
    assert client.post("/submit", data={"csrf_token": t2}).status_code == 200
    with client.session_transaction() as s:
        s.clear()
    rv = client.post("/submit", data={"csrf_token": t1})
    assert rv.status_code == 400
