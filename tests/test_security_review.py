"""Checks behind docs/security.md that no other test module covers."""

from __future__ import annotations

import time

import pytest

from stein import Stein, redirect
from stein.exceptions import NotFound
from stein.routing import Map, Rule


@pytest.mark.parametrize("rule", ["/<path:p>/end", "/<a>/<b>/<c>/<d>", "/f/<float:x>/<int:y>",
                                  "/u/<uuid:u>", "/<any(a,b,c):k>/<path:rest>"])
def test_converters_are_not_redos(rule: str) -> None:
    m = Map()
    m.add(Rule(rule, endpoint="e"))
    path = "/" + "a/" * 4000 + "9" * 100  # ~8 KB: the dev server's request-line limit
    start = time.perf_counter()
    try:
        m.match(path)
    except NotFound:
        pass
    assert time.perf_counter() - start < 0.25


def test_redirect_refuses_crlf() -> None:
    app = Stein("crlf")
    app.config["TESTING"] = True

    @app.route("/r")
    def r() -> object:
        return redirect("/x\r\nSet-Cookie: a=1")

    with pytest.raises(ValueError, match="must not contain CR or LF"):
        app.test_client().get("/r")


def test_session_cookie_default_flags() -> None:
    app = Stein("flags")
    app.secret_key = "a-long-enough-secret-key-for-tests"

    @app.route("/")
    def index() -> str:
        from stein import session

        session["u"] = 1
        return "ok"

    cookie = app.test_client().get("/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
