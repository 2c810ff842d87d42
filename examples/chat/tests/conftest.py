"""Fixtures for the chat's tests: a Redis and a PostgreSQL of their own (skipped, with the
reason, when the servers are not installed: `make redis postgres`)."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

# The chat is an example, not an installed package: import it from its folder.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

from chat import create_app  # noqa: E402
from chat.devservers import LocalPostgres, LocalRedis  # noqa: E402


def _skip(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def chat_redis():
    try:
        server = LocalRedis()
    except FileNotFoundError as e:
        _skip(str(e))
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def chat_pg():
    try:
        server = LocalPostgres()
    except (FileNotFoundError, KeyError) as e:
        _skip(f"PostgreSQL: {e}")
    server.start()
    yield server
    server.remove()


@pytest.fixture
def config(chat_redis, chat_pg):
    return {"SQLALCHEMY_DATABASE_URI": chat_pg.url, "REDIS_URL": chat_redis.url,
            "SECRET_KEY": "test-secret-key-0123456789abcdef", "PASSWORD_METHOD": "pbkdf2:sha256:1000",
            "BROADCAST_PREFIX": f"t{uuid.uuid4().hex[:8]}:", "TESTING": True}


@pytest.fixture
def app(config):
    app = create_app(config)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.drop_all()
        db.create_all()
    return app
