"""FastAPI's TFB app, as FastAPI's docs write one: decorated path functions returning
dicts and lists, a query parameter, ``Jinja2Templates`` with ``response_class=HTMLResponse``,
the pool opened and closed by the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

from .db import AsyncDB
from .spec import HELLO, TEMPLATES, clamp_queries, sorted_fortunes

adb = AsyncDB()
templates = Jinja2Templates(directory=TEMPLATES)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await adb.pool()
    yield
    await adb.close()


asgi = FastAPI(lifespan=lifespan)


@asgi.get("/json")
async def json_() -> dict[str, str]:
    return {"message": HELLO}


@asgi.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return HELLO


@asgi.get("/db")
async def db() -> dict[str, int]:
    return await adb.world()


# ``queries`` is read as text: the rules want a bad value treated as 1, not a 422.
@asgi.get("/queries")
async def queries(queries: str | None = None) -> list[dict[str, int]]:
    return await adb.worlds(clamp_queries(queries))


@asgi.get("/fortunes", response_class=HTMLResponse)
async def fortunes(request: Request) -> Any:
    rows = sorted_fortunes(await adb.fortunes())
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


@asgi.get("/updates")
async def updates(queries: str | None = None) -> list[dict[str, int]]:
    return await adb.update(clamp_queries(queries))
