"""WSGI targets for the servers in ``bench.servers``: ``bench.http_apps:<framework>__<scenario>``.

Names resolve lazily (module ``__getattr__``), so a server worker builds only its one app.
``bare`` is a plain WSGI callable returning the same bytes: the floor of each server.
"""

from __future__ import annotations

import json
from typing import Any

from .scenarios import Skip

BARE_BODIES = {
    "hello": (b"Hello, World!", "text/plain; charset=utf-8"),
    "param-json": (json.dumps({"id": 42, "name": "user 42"}).encode(), "application/json"),
}


def _bare(scenario: str) -> Any:
    body, ctype = BARE_BODIES[scenario]
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def build(framework: str, scenario: str) -> Any:
    """The WSGI app of ``framework`` for ``scenario``."""
    if framework == "bare":
        return _bare(scenario)
    if framework in ("stein", "flask"):
        from . import apps_flasklike

        return apps_flasklike.build(framework, scenario)
    if framework == "falcon":
        from . import apps_falcon

        return apps_falcon.build(scenario)
    if framework == "bottle":
        from . import apps_bottle

        return apps_bottle.build(scenario)
    raise Skip(f"unknown framework {framework!r}")


def target_name(framework: str, scenario: str) -> str:
    return f"{framework}__{scenario.replace('-', '_')}"


def __getattr__(name: str) -> Any:
    if "__" not in name or name.startswith("__"):
        raise AttributeError(name)
    framework, _, scenario = name.partition("__")
    app = build(framework, scenario.replace("_", "-"))
    globals()[name] = app
    return app
