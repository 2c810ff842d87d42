"""The blog's forms carry a CSRF token (stein.ext.csrf); posts without one are refused."""

import re

import pytest


@pytest.fixture
def csrf_client(app):
    app.config["CSRF_ENABLED"] = True
    return app.test_client()


def token_from(page: bytes) -> str:
    m = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert m is not None, "form without a csrf_token field"
    return m.group(1).decode()


def test_forms_carry_token_and_login_works(csrf_client):
    token = token_from(csrf_client.get("/auth/login").data)
    rv = csrf_client.post("/auth/login", data={"username": "test", "password": "test",
                                               "csrf_token": token})
    assert rv.status_code == 302 and rv.headers["Location"] == "/"
    # Logging in kept the session; a fresh page gives the token for the next form.
    page = csrf_client.get("/create").data
    rv = csrf_client.post("/create", data={"title": "t", "body": "b",
                                           "csrf_token": token_from(page)})
    assert rv.status_code == 302
    edit = csrf_client.get("/1/update").data
    assert len(re.findall(rb'name="csrf_token"', edit)) == 2  # save and delete forms


def test_post_without_token_is_refused(csrf_client):
    rv = csrf_client.post("/auth/register", data={"username": "x", "password": "y"})
    assert rv.status_code == 400
    assert b"The CSRF token is missing." in rv.data


def test_forged_token_is_refused(csrf_client):
    csrf_client.get("/auth/login")
    rv = csrf_client.post("/auth/login", data={"username": "test", "password": "test",
                                               "csrf_token": "forged.token"})
    assert rv.status_code == 400
    assert b"The CSRF token is invalid" in rv.data
