"""A checker per test type, run against every server before it is loaded: a wrong answer
is a failure, never a number. Each returns None when the answer is right, else what is
wrong. ``db``, ``queries`` and ``updates`` are also checked against the table itself when
``table`` is true (before any load: the rows read back are then the ones the app answered
or wrote; after a load, requests another server still has queued may be writing rows, so
only the answers' shape is checked).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from .pg import FORTUNES
from .spec import HELLO, ROWS, sorted_fortunes

# test type -> the path wrk loads.
PATHS = {"json": "/json", "plaintext": "/plaintext", "db": "/db",
         "queries": "/queries?queries=20", "fortunes": "/fortunes",
         "updates": "/updates?queries=20"}
# raw ``queries`` value -> the count the rules ask for.
CLAMPS = {"20": 20, "0": 1, "-3": 1, "foo": 1, "": 1, None: 1, "501": 500}


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def ctype(self) -> str:
        return self.headers.get("content-type", "")


def fetch(url: str) -> Reply:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def _json(reply: Reply) -> tuple[Any, str | None]:
    if reply.status != 200:
        return None, f"status {reply.status}"
    if not reply.ctype.startswith("application/json"):
        return None, f"Content-Type {reply.ctype!r}"
    if "content-length" not in reply.headers and "transfer-encoding" not in reply.headers:
        return None, "no Content-Length"
    try:
        return json.loads(reply.body), None
    except ValueError:
        return None, f"not JSON: {reply.body[:80]!r}"


def _world_problem(obj: Any) -> str | None:
    if not isinstance(obj, dict) or set(obj) != {"id", "randomNumber"}:
        return f"not a world object: {obj!r}"
    for k in ("id", "randomNumber"):
        if type(obj[k]) is not int or not 1 <= obj[k] <= ROWS:
            return f"{k} out of range: {obj!r}"
    return None


def _in_table(worlds: list[dict[str, int]], dsn: str) -> str | None:
    """Every world as the table holds it now (for a repeated id, the last one answered)."""
    import psycopg

    want = {w["id"]: w["randomNumber"] for w in worlds}
    with psycopg.connect(dsn) as conn:
        got = dict(conn.execute("SELECT id, randomnumber FROM world WHERE id = ANY(%s)",
                                (list(want),)).fetchall())
    wrong = [i for i, n in want.items() if got.get(i) != n]
    return f"rows {wrong[:5]} differ from the table" if wrong else None


def check_json(base: str, dsn: str, table: bool = True) -> str | None:
    obj, err = _json(fetch(base + PATHS["json"]))
    return err or (None if obj == {"message": HELLO} else f"body {obj!r}")


def check_plaintext(base: str, dsn: str, table: bool = True) -> str | None:
    r = fetch(base + PATHS["plaintext"])
    if r.status != 200 or not r.ctype.startswith("text/plain"):
        return f"status {r.status}, Content-Type {r.ctype!r}"
    return None if r.body == HELLO.encode() else f"body {r.body[:80]!r}"


def check_db(base: str, dsn: str, table: bool = True) -> str | None:
    obj, err = _json(fetch(base + PATHS["db"]))
    return err or _world_problem(obj) or (_in_table([obj], dsn) if table else None)


def _check_list(base: str, path: str, dsn: str, table: bool) -> str | None:
    for raw, want in CLAMPS.items():
        url = base + path + ("" if raw is None else f"?queries={raw}")
        obj, err = _json(fetch(url))
        if err:
            return f"{url}: {err}"
        if not isinstance(obj, list) or len(obj) != want:
            return f"{url}: {len(obj) if isinstance(obj, list) else type(obj).__name__} items, want {want}"
        problem = next(filter(None, map(_world_problem, obj)), None) or \
            (_in_table(obj, dsn) if table else None)
        if problem:
            return f"{url}: {problem}"
    return None


def check_queries(base: str, dsn: str, table: bool = True) -> str | None:
    return _check_list(base, "/queries", dsn, table)


def check_updates(base: str, dsn: str, table: bool = True) -> str | None:
    return _check_list(base, "/updates", dsn, table)


class _Table(HTMLParser):
    """The text of every ``<td>``, row by row, with entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def check_fortunes(base: str, dsn: str, table: bool = True) -> str | None:
    r = fetch(base + PATHS["fortunes"])
    if r.status != 200 or not r.ctype.startswith("text/html"):
        return f"status {r.status}, Content-Type {r.ctype!r}"
    if "utf-8" not in r.ctype.lower():
        return f"no charset=utf-8 in Content-Type {r.ctype!r}"
    text = r.body.decode("utf-8")
    if not text.lstrip().lower().startswith("<!doctype html>"):
        return "no <!DOCTYPE html>"
    parser = _Table()
    parser.feed(text)
    if "script" in parser.tags:
        return "a fortune's <script> was not escaped"
    got = [tuple(row) for row in parser.rows if row]
    want = [(str(i), m) for i, m in sorted_fortunes(FORTUNES)]
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
                     min(len(got), len(want)))
        return f"{len(got)} rows (want {len(want)}), first difference at row {first}"
    return None


CHECKS: dict[str, Callable[[str, str, bool], str | None]] = {
    "json": check_json, "plaintext": check_plaintext, "db": check_db,
    "queries": check_queries, "fortunes": check_fortunes, "updates": check_updates,
}
