import pytest
from blog.db import get_db

from stein import g, session


def test_register(client, app):
    assert client.get("/auth/register").status_code == 200
    response = client.post("/auth/register", data={"username": "a", "password": "secret"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    with app.app_context():
        row = get_db().execute("SELECT * FROM user WHERE username = 'a'").fetchone()
    assert row is not None
    assert row["password"] != "secret"  # stored hashed
    page = client.get("/auth/login")
    assert b"Account created. Please log in." in page.data


@pytest.mark.parametrize(("username", "password", "message"), [
    ("", "", b"Username is required."),
    ("a", "", b"Password is required."),
    ("test", "test", b"User test is already registered."),
])
def test_register_validate_input(client, username, password, message):
    response = client.post("/auth/register", data={"username": username, "password": password})
    assert response.status_code == 200
    assert message in response.data


def test_login(client, auth):
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client:
        page = client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "test"
    assert b"Welcome back, test." in page.data
    assert b"Log Out" in page.data


@pytest.mark.parametrize(("username", "password", "message"), [
    ("a", "test", b"Incorrect username."),
    ("test", "a", b"Incorrect password."),
])
def test_login_validate_input(auth, username, password, message):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert message in response.data


def test_logout(client, auth):
    auth.login()
    with client:
        response = auth.logout()
        assert response.status_code == 302
        assert "user_id" not in session
    page = client.get("/")
    assert b"You have been logged out." in page.data
    assert b"Log In" in page.data
