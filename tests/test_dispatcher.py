"""DispatcherMiddleware: apps mounted by path prefix."""

from __future__ import annotations

from typing import Any

from stein import Stein, request, url_for
from stein.dispatcher import DispatcherMiddleware
from stein.testing import Client


def _echo(name: str):
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{name}|{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]
    return app


def test_longest_prefix_wins_and_script_name_moves():
    app = DispatcherMiddleware(_echo("root"), {"/api": _echo("api"), "/api/v2": _echo("v2")})
    c = Client(app)
    assert c.get("/api/users").text == "api|/api|/users"
    assert c.get("/api/v2/users/1").text == "v2|/api/v2|/users/1"
    assert c.get("/api").text == "api|/api|"
    assert c.get("/apis").text == "root||/apis"
    assert c.get("/").text == "root||/"


def test_mounted_stein_app_builds_urls_under_its_prefix():
    api = Stein("api")

    @api.route("/users/<int:id>")
    def user(id: int) -> str:
        return f"{request.script_root}|{url_for('user', id=id)}"

    c = Client(DispatcherMiddleware(_echo("root"), {"/api": api}))
    assert c.get("/api/users/3").text == "/api|/api/users/3"
    assert c.get("/users/3").text == "root||/users/3"


def test_werkzeug_name_under_compat():
    import subprocess
    import sys

    code = ("import stein.compat; stein.compat.install()\n"
            "from werkzeug.middleware.dispatcher import DispatcherMiddleware\n"
            "from werkzeug.middleware.shared_data import SharedDataMiddleware\n"
            "import stein.dispatcher, stein.shared_data\n"
            "assert DispatcherMiddleware is stein.dispatcher.DispatcherMiddleware\n"
            "assert SharedDataMiddleware is stein.shared_data.SharedDataMiddleware\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
