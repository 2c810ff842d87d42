"""The TFB rules shared by every app: nothing here is framework code.

- ``queries`` (queries, updates): an integer clamped to 1..500; missing or not a number is 1.
- Random ids and random numbers are uniform in 1..10000.
- Fortunes: every row of the ``fortune`` table plus one added at request time, sorted by
  message, rendered as an HTML table with the messages escaped.
- Updates: each row read by its own query, a new random number written back (one batched
  statement is allowed by the rules).
"""

from __future__ import annotations

import os
import random

DSN_ENV = "TFB_DSN"
ROWS = 10_000
EXTRA_FORTUNE = (0, "Additional fortune added at request time.")
HELLO = "Hello, World!"

SELECT_WORLD = "SELECT id, randomnumber FROM world WHERE id = %s"
SELECT_FORTUNES = "SELECT id, message FROM fortune"
# One statement for the write-back; psycopg's executemany pipelines it.
UPDATE_WORLD = "UPDATE world SET randomnumber = %s WHERE id = %s"

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

# Connections per worker process (every server runs one worker per core).
POOL_SIZE = 4


def dsn() -> str:
    """The PostgreSQL connection string the runner passes to every server."""
    return os.environ[DSN_ENV]


def clamp_queries(raw: str | None) -> int:
    """The ``queries`` parameter as the TFB specification reads it."""
    try:
        n = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return 1 if n < 1 else 500 if n > 500 else n


def random_id() -> int:
    return random.randint(1, ROWS)


def random_ids(n: int) -> list[int]:
    """``n`` random ids (repeats allowed, as in the specification)."""
    return [random.randint(1, ROWS) for _ in range(n)]


def sorted_fortunes(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The rows plus the request-time fortune, sorted by message."""
    rows = list(rows)
    rows.append(EXTRA_FORTUNE)
    rows.sort(key=lambda r: r[1])
    return rows
