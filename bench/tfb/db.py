"""The database work of every app, shared so each framework does exactly the same queries:
psycopg 3 with a connection pool (``psycopg_pool``) under WSGI, its async API under ASGI.

A pool is opened on first use, in the worker process that uses it (servers import the app
before or after forking; a connection must never cross a fork). Connections are in
autocommit mode: every statement is its own transaction, as the TFB rules allow, and
psycopg prepares a statement after its fifth use. Updates are written back sorted by id
(two requests updating the same rows in different orders could deadlock otherwise).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from .spec import (
    POOL_SIZE,
    SELECT_FORTUNES,
    SELECT_WORLD,
    UPDATE_WORLD,
    dsn,
    random_id,
    random_ids,
)


def _pool_args() -> dict[str, Any]:
    return {"conninfo": dsn(), "min_size": POOL_SIZE, "max_size": POOL_SIZE,
            "kwargs": {"autocommit": True}}


def _by_id(worlds: list[dict[str, int]]) -> list[tuple[int, int]]:
    """``(randomNumber, id)`` parameters for ``UPDATE_WORLD``, sorted by id."""
    return [(w["randomNumber"], w["id"]) for w in sorted(worlds, key=lambda w: w["id"])]


class SyncDB:
    """The blocking side (threads of a WSGI worker)."""

    def __init__(self) -> None:
        self._pool: Any = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> Any:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from psycopg_pool import ConnectionPool

                    self._pool = ConnectionPool(open=True, **_pool_args())
        return self._pool

    def world(self) -> dict[str, int]:
        with self.pool.connection() as conn:
            i, n = conn.execute(SELECT_WORLD, (random_id(),)).fetchone()
        return {"id": i, "randomNumber": n}

    def worlds(self, count: int) -> list[dict[str, int]]:
        out = []
        with self.pool.connection() as conn:
            for wid in random_ids(count):
                i, n = conn.execute(SELECT_WORLD, (wid,)).fetchone()
                out.append({"id": i, "randomNumber": n})
        return out

    def fortunes(self) -> list[tuple[int, str]]:
        with self.pool.connection() as conn:
            return conn.execute(SELECT_FORTUNES).fetchall()

    def update(self, count: int) -> list[dict[str, int]]:
        out = []
        with self.pool.connection() as conn:
            for wid in random_ids(count):
                i, _ = conn.execute(SELECT_WORLD, (wid,)).fetchone()
                out.append({"id": i, "randomNumber": random_id()})
            with conn.cursor() as cur:
                cur.executemany(UPDATE_WORLD, _by_id(out))
        return out


class AsyncDB:
    """The asyncio side (one event loop per ASGI worker)."""

    def __init__(self) -> None:
        self._pool: Any = None
        self._lock: asyncio.Lock | None = None

    async def pool(self) -> Any:
        if self._pool is None:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self._pool is None:
                    from psycopg_pool import AsyncConnectionPool

                    pool = AsyncConnectionPool(open=False, **_pool_args())
                    await pool.open()
                    self._pool = pool
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def world(self) -> dict[str, int]:
        async with (await self.pool()).connection() as conn:
            cur = await conn.execute(SELECT_WORLD, (random_id(),))
            i, n = await cur.fetchone()
        return {"id": i, "randomNumber": n}

    async def worlds(self, count: int) -> list[dict[str, int]]:
        out = []
        async with (await self.pool()).connection() as conn:
            for wid in random_ids(count):
                cur = await conn.execute(SELECT_WORLD, (wid,))
                i, n = await cur.fetchone()
                out.append({"id": i, "randomNumber": n})
        return out

    async def fortunes(self) -> list[tuple[int, str]]:
        async with (await self.pool()).connection() as conn:
            cur = await conn.execute(SELECT_FORTUNES)
            return await cur.fetchall()

    async def update(self, count: int) -> list[dict[str, int]]:
        out = []
        async with (await self.pool()).connection() as conn:
            for wid in random_ids(count):
                cur = await conn.execute(SELECT_WORLD, (wid,))
                i, _ = await cur.fetchone()
                out.append({"id": i, "randomNumber": random_id()})
            async with conn.cursor() as acur:
                await acur.executemany(UPDATE_WORLD, _by_id(out))
        return out
