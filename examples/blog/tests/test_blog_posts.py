import html

import pytest
from blog.db import get_db


def test_index(client, auth):
    response = client.get("/")
    assert b"Log In" in response.data
    assert b"Register" in response.data
    auth.login()
    response = client.get("/")
    assert b"Log Out" in response.data
    assert b"test title" in response.data
    assert b"by test on 2024-01-01" in response.data
    assert b"test\nbody" in response.data
    assert b'href="/1/update"' in response.data


def test_index_escapes_user_text(client, auth, app):
    auth.login()
    client.post("/create", data={"title": "<script>x</script>", "body": "b"})
    response = client.get("/")
    assert b"<script>x</script>" not in response.data
    assert b"&lt;script&gt;x&lt;/script&gt;" in response.data


@pytest.mark.parametrize("path", ["/create", "/1/update", "/1/delete"])
def test_login_required(client, path):
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


def test_author_required(app, client, auth):
    with app.app_context():
        db = get_db()
        db.execute("UPDATE post SET author_id = 2 WHERE id = 1")
        db.commit()
    auth.login()
    assert client.post("/1/update").status_code == 403
    assert client.post("/1/delete").status_code == 403
    assert b'href="/1/update"' not in client.get("/").data


@pytest.mark.parametrize("path", ["/2/update", "/2/delete"])
def test_exists_required(client, auth, path):
    auth.login()
    response = client.post(path)
    assert response.status_code == 404
    assert "Post id 2 doesn't exist." in html.unescape(response.text)


def test_create(client, auth, app):
    auth.login()
    assert client.get("/create").status_code == 200
    response = client.post("/create", data={"title": "created", "body": ""})
    assert response.status_code == 302
    with app.app_context():
        assert get_db().execute("SELECT COUNT(id) FROM post").fetchone()[0] == 2
    assert b"Post published." in client.get("/").data


def test_update(client, auth, app):
    auth.login()
    assert client.get("/1/update").status_code == 200
    client.post("/1/update", data={"title": "updated", "body": ""})
    with app.app_context():
        post = get_db().execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post["title"] == "updated"


@pytest.mark.parametrize("path", ["/create", "/1/update"])
def test_create_update_validate(client, auth, path):
    auth.login()
    response = client.post(path, data={"title": "", "body": ""})
    assert response.status_code == 200
    assert b"Title is required." in response.data


def test_delete(client, auth, app):
    auth.login()
    response = client.post("/1/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with app.app_context():
        assert get_db().execute("SELECT * FROM post WHERE id = 1").fetchone() is None
    assert b"Post deleted." in client.get("/").data


def test_error_pages_use_the_site_layout(client, auth, app):
    # 403 and 404 come in the blog's own layout: navigation, stylesheet, a way back.
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert b"<title>404 Not Found - Stein Blog</title>" in missing.data
    assert b'href="/static/style.css"' in missing.data
    assert b"Back to the posts" in missing.data and b"<nav>" in missing.data
    auth.login()
    with app.app_context():
        db = get_db()
        db.execute("UPDATE post SET author_id = 2 WHERE id = 1")
        db.commit()
    forbidden = client.get("/1/update")
    assert forbidden.status_code == 403
    assert b"<title>403 Forbidden - Stein Blog</title>" in forbidden.data
    assert b'<span class="user">test</span>' in forbidden.data  # still logged in, and shown
    gone = client.post("/2/delete")
    assert gone.status_code == 404 and "Post id 2 doesn't exist." in html.unescape(gone.text)
