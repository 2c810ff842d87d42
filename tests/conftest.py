"""Shared fixtures: a fresh app per test and its test client."""

from __future__ import annotations

import pytest

from stein import Stein


@pytest.fixture
def app() -> Stein:
    app = Stein("test_app")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Stein):  # type: ignore[no-untyped-def]
    return app.test_client()
