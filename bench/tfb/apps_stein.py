"""Stein's TFB app, plain psycopg: ``wsgi`` (sync views, a connection pool) and ``asgi``
(``async def`` views, psycopg's async API). Two app objects because the two database APIs
differ; the framework code is the same shape in both, as Stein's docs write apps.
"""

from __future__ import annotations

from stein import Response, Stein, render_template, request

from .db import AsyncDB, SyncDB
from .spec import HELLO, TEMPLATES, clamp_queries, sorted_fortunes

wsgi = Stein(__name__, template_folder=TEMPLATES)
sdb = SyncDB()


@wsgi.get("/json")
def json_() -> dict[str, str]:
    return {"message": HELLO}


@wsgi.get("/plaintext")
def plaintext() -> Response:
    return Response(HELLO, mimetype="text/plain")


@wsgi.get("/db")
def db() -> dict[str, int]:
    return sdb.world()


@wsgi.get("/queries")
def queries() -> list[dict[str, int]]:
    return sdb.worlds(clamp_queries(request.args.get("queries")))


@wsgi.get("/fortunes")
def fortunes() -> str:
    return render_template("fortunes.html", fortunes=sorted_fortunes(sdb.fortunes()))


@wsgi.get("/updates")
def updates() -> list[dict[str, int]]:
    return sdb.update(clamp_queries(request.args.get("queries")))


asgi = Stein(__name__, template_folder=TEMPLATES)
adb = AsyncDB()


@asgi.on_startup
async def open_pool() -> None:
    await adb.pool()


@asgi.on_shutdown
async def close_pool() -> None:
    await adb.close()


@asgi.get("/json")
async def ajson() -> dict[str, str]:
    return {"message": HELLO}


@asgi.get("/plaintext")
async def aplaintext() -> Response:
    return Response(HELLO, mimetype="text/plain")


@asgi.get("/db")
async def adb_() -> dict[str, int]:
    return await adb.world()


@asgi.get("/queries")
async def aqueries() -> list[dict[str, int]]:
    return await adb.worlds(clamp_queries(request.args.get("queries")))


@asgi.get("/fortunes")
async def afortunes() -> str:
    return render_template("fortunes.html", fortunes=sorted_fortunes(await adb.fortunes()))


@asgi.get("/updates")
async def aupdates() -> list[dict[str, int]]:
    return await adb.update(clamp_queries(request.args.get("queries")))
