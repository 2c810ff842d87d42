"""stein.ext.auth against real requests through the test client."""

from __future__ import annotations

import pytest

from stein import Stein, render_template_string, request, session
from stein.ext.auth import (
    LoginManager,
    UserMixin,
    current_user,
    fresh_login_required,
    get_redirect_target,
    is_safe_redirect,
    login_required,
    login_user,
    logout_user,
)


class User(UserMixin):
    def __init__(self, id: int, name: str, active: bool = True) -> None:
        self.id = id
        self.name = name
        self.is_active = active  # type: ignore[misc]
        self.remember_token = "v1"


USERS = {"1": User(1, "ada"), "2": User(2, "bob", active=False)}


@pytest.fixture
def app():
    app = Stein(__name__)
    app.config.update(SECRET_KEY="test-secret", TESTING=True)
    login = LoginManager(app)
    login.login_view = "login"
    login.refresh_view = "login"

    @login.user_loader
    def load(user_id):
        return USERS.get(user_id)

    def login_page():
        if request.method == "POST":
            user = USERS[request.form["id"]]
            ok = login_user(user, remember=bool(request.form.get("remember")))
            return {"ok": ok, "next": get_redirect_target("/home")}
        return "login page"

    app.add_url_rule("/login", "login", login_page, methods=["GET", "POST"])

    @app.get("/private")
    @login_required
    def private():
        return {"user": current_user.name}

    @app.get("/settings")
    @fresh_login_required
    def settings():
        return "settings"

    @app.get("/async-private")
    @login_required
    async def async_private():
        return "async ok"

    @app.post("/logout")
    def logout():
        logout_user()
        return "bye"

    @app.get("/who")
    def who():
        return render_template_string(
            "{% if current_user.is_authenticated %}{{ current_user.name }}{% else %}anon{% endif %}")

    @app.get("/session")
    def show_session():
        return dict(session)

    return app


def login(client, uid="1", remember=False):
    data = {"id": uid}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data)


def test_anonymous_redirected_to_login_with_next(app):
    client = app.test_client()
    rv = client.get("/private?x=1")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/login?next=%2Fprivate%3Fx%3D1"


def test_json_client_gets_401_json(app):
    client = app.test_client()
    rv = client.get("/private", headers={"Accept": "application/json"})
    assert rv.status_code == 401
    assert rv.get_json() == {"error": "unauthorized",
                             "message": "Authentication is required to access this resource."}


def test_no_login_view_gives_401(app):
    app.extensions["login_manager"].login_view = None
    rv = app.test_client().get("/private")
    assert rv.status_code == 401


def test_login_then_access_and_template(app):
    client = app.test_client()
    assert client.get("/who").text == "anon"
    rv = login(client)
    assert rv.get_json() == {"ok": True, "next": "/home"}
    assert client.get("/private").get_json() == {"user": "ada"}
    assert client.get("/async-private").text == "async ok"
    assert client.get("/who").text == "ada"


def test_inactive_user_cannot_log_in(app):
    client = app.test_client()
    assert login(client, "2").get_json()["ok"] is False
    assert client.get("/private").status_code == 302


def test_login_rotates_session(app):
    client = app.test_client()
    with client.session_transaction() as s:
        s["planted"] = "attacker"
        s["_csrf_token"] = "fixed"
    login(client)
    data = client.get("/session").get_json()
    assert "planted" not in data and "_csrf_token" not in data
    assert data["_user_id"] == "1" and data["_fresh"] is True


def test_logout(app):
    client = app.test_client()
    login(client, remember=True)
    rv = client.post("/logout")
    assert rv.text == "bye"
    assert "remember_token=;" in rv.headers["Set-Cookie"] or "remember_token=" in rv.headers["Set-Cookie"]
    assert client.get_cookie("remember_token") is None
    assert client.get("/private").status_code == 302


def test_remember_cookie_restores_login_not_fresh(app):
    client = app.test_client()
    rv = login(client, remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert "HttpOnly" in rv.headers["Set-Cookie"] or "HttpOnly" in str(rv.headers)
    other = app.test_client()
    other.set_cookie("remember_token", cookie.value)
    assert other.get("/private").get_json() == {"user": "ada"}
    # Restored from a cookie: not fresh.
    rv = other.get("/settings")
    assert rv.status_code == 302 and rv.headers["Location"].startswith("/login?next=")
    assert client.get("/settings").text == "settings"


def test_remember_cookie_revoked_when_token_changes(app):
    client = app.test_client()
    login(client, remember=True)
    value = client.get_cookie("remember_token").value
    USERS["1"].remember_token = "v2"
    try:
        other = app.test_client()
        other.set_cookie("remember_token", value)
        rv = other.get("/private")
        assert rv.status_code == 302
        assert other.get_cookie("remember_token") is None  # the stale cookie was deleted
    finally:
        USERS["1"].remember_token = "v1"


@pytest.mark.parametrize("value", [
    "garbage", "", "a" * 5000, "WyIxIiwiYWJjIl0.bad.sig", "..", "%00%ff",
])
def test_malformed_remember_cookie_is_anonymous(app, value):
    client = app.test_client()
    client.set_cookie("remember_token", value)
    rv = client.get("/private", headers={"Accept": "application/json"})
    assert rv.status_code == 401
    assert rv.get_json()["error"] == "unauthorized"


def test_forged_remember_cookie_with_other_key(app):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("wrong-key", salt="stein.auth.remember").dumps(["1", "x"])
    client = app.test_client()
    client.set_cookie("remember_token", forged)
    assert client.get("/private").status_code == 302


def test_fresh_required_json(app):
    client = app.test_client()
    login(client)
    with client.session_transaction() as s:
        s["_fresh"] = False
    rv = client.get("/settings", headers={"Accept": "application/json"})
    assert rv.status_code == 401
    assert rv.get_json()["error"] == "fresh_login_required"


@pytest.mark.parametrize("target", [
    "//evil.com", "/\\evil.com", "\\\\evil.com", "http://evil.com", "https://evil.com/x",
    "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1", "/a\nb", "", "evil.com", " /x",
    "/\tx", "JAVASCRIPT:alert(1)", "///evil.com",
])
def test_unsafe_redirects_rejected(target):
    assert is_safe_redirect(target) is False


@pytest.mark.parametrize("target", ["/", "/a/b?c=d", "/private?x=1#frag", "/%2F%2Fevil"])
def test_safe_redirects_accepted(target):
    assert is_safe_redirect(target) is True


def test_login_next_parameter_filtered(app):
    client = app.test_client()
    rv = client.post("/login?next=//evil.com", data={"id": "1"})
    assert rv.get_json()["next"] == "/home"
    rv = client.post("/login?next=/private", data={"id": "1"})
    assert rv.get_json()["next"] == "/private"


def test_current_user_outside_request_is_anonymous(app):
    with app.app_context():
        assert current_user.is_authenticated is False
