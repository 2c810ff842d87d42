"""Targets for the servers in ``bench.servers``: ``bench.http_apps:<framework>__<scenario>``.

Names resolve lazily (module ``__getattr__``), so a server worker builds only its one app.
WSGI: ``bare`` (a plain WSGI callable returning the same bytes: the floor of each server),
``stein``, ``falcon``, ``bottle``, ``flask``. ASGI: ``asgi_bare`` (the ASGI floor),
``asgi_stein`` (the ``Stein`` object with ``async def`` views, served as ASGI) and
``asgi_starlette``, both from ``bench.asgi_apps``.
"""

from __future__ import annotations

import json
from typing import Any

from .scenarios import Skip

BARE_BODIES = {
    "hello": (b"Hello, World!", "text/plain; charset=utf-8"),
    "param-json": (json.dumps({"id": 42, "name": "user 42"}).encode(), "application/json"),
    "route-50": (b"res49 7", "text/plain; charset=utf-8"),
}


def _bare(scenario: str) -> Any:
    body, ctype = BARE_BODIES[scenario]
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def _bare_asgi(scenario: str) -> Any:
    body, ctype = BARE_BODIES[scenario]
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"]
                await send({"type": kind + ".complete"})
                if kind == "lifespan.shutdown":
                    return

    return app


def build(framework: str, scenario: str) -> Any:
    """The WSGI (or, for ``asgi_*``, ASGI) app of ``framework`` for ``scenario``."""
    if framework == "bare":
        return _bare(scenario)
    if framework == "asgi_bare":
        return _bare_asgi(scenario)
    if framework == "asgi_stein":
        from .asgi_apps import build_stein

        return build_stein(scenario)
    if framework == "asgi_starlette":
        from .asgi_apps import build_starlette

        return build_starlette(scenario)
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
