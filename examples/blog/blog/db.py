"""SQLite through the standard library: one connection per request, kept on ``g``."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import click

from stein import Stein, current_app, g

# SQLite stores timestamps as text; read them back as datetime objects.
sqlite3.register_converter("timestamp", lambda v: datetime.fromisoformat(v.decode()))


def get_db() -> sqlite3.Connection:
    """The request's database connection, opened on first use."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"],
                               detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db  # type: ignore[no-any-return]


def close_db(exc: BaseException | None = None) -> None:
    """Close the connection at the end of the app context, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    """Drop and create the tables."""
    db = get_db()
    with current_app.open_resource("schema.sql") as f:
        db.executescript(f.read().decode("utf8"))


@click.command("init-db")
def init_db_command() -> None:
    """Clear the existing data and create new tables."""
    init_db()
    click.echo("Initialized the database.")


def init_app(app: Stein) -> None:
    """Hook the database into the app: teardown and the ``stein init-db`` command."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
