"""Fixtures for the blog's tests: a fresh SQLite file per test with two users and a post."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# The blog is an example, not an installed package: import it from its folder.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from blog import create_app  # noqa: E402
from blog.db import get_db, init_db  # noqa: E402

from stein.security import generate_password_hash  # noqa: E402

# pbkdf2 with few rounds keeps the suite fast; the app itself uses the secure default.
_FAST = "pbkdf2:sha256:1000"


def _seed() -> None:
    db = get_db()
    db.executemany("INSERT INTO user (username, password) VALUES (?, ?)", [
        ("test", generate_password_hash("test", method=_FAST)),
        ("other", generate_password_hash("other", method=_FAST)),
    ])
    db.execute("INSERT INTO post (title, body, author_id, created) VALUES (?, ?, ?, ?)",
               ("test title", "test\nbody", 1, "2024-01-01 00:00:00"))
    db.commit()


@pytest.fixture
def app() -> Iterator[Any]:
    fd, path = tempfile.mkstemp(suffix=".sqlite")
    # CSRF is checked in test_blog_csrf.py; the other tests post forms without tokens.
    app = create_app({"TESTING": True, "DATABASE": path, "SECRET_KEY": "test",
                      "CSRF_ENABLED": False})
    with app.app_context():
        init_db()
        _seed()
    try:
        yield app
    finally:
        os.close(fd)
        os.unlink(path)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def login(self, username: str = "test", password: str = "test") -> Any:
        return self._client.post("/auth/login",
                                 data={"username": username, "password": password})

    def logout(self) -> Any:
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(client: Any) -> AuthActions:
    return AuthActions(client)
