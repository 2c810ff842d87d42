"""Starlette's TFB app, as Starlette's docs write one: endpoint functions, a route list,
``Jinja2Templates``, the pool opened and closed by the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from .db import AsyncDB
from .spec import HELLO, TEMPLATES, clamp_queries, sorted_fortunes

adb = AsyncDB()
templates = Jinja2Templates(directory=TEMPLATES)


async def json_(request: Request) -> Response:
    return JSONResponse({"message": HELLO})


async def plaintext(request: Request) -> Response:
    return PlainTextResponse(HELLO)


async def db(request: Request) -> Response:
    return JSONResponse(await adb.world())


async def queries(request: Request) -> Response:
    return JSONResponse(await adb.worlds(clamp_queries(request.query_params.get("queries"))))


async def fortunes(request: Request) -> Response:
    rows = sorted_fortunes(await adb.fortunes())
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


async def updates(request: Request) -> Response:
    return JSONResponse(await adb.update(clamp_queries(request.query_params.get("queries"))))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await adb.pool()
    yield
    await adb.close()


asgi = Starlette(routes=[
    Route("/json", json_), Route("/plaintext", plaintext), Route("/db", db),
    Route("/queries", queries), Route("/fortunes", fortunes), Route("/updates", updates),
], lifespan=lifespan)
