"""SQLAlchemy 2 for Stein apps: one engine per app, one session per app context.

>>> from sqlalchemy.orm import Mapped, mapped_column
>>> from stein import Stein
>>> from stein.ext.sqlalchemy import Database
>>> app = Stein(__name__)
>>> app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
>>> db = Database(app)
>>> class User(db.Model):
...     id: Mapped[int] = mapped_column(primary_key=True)
...     name: Mapped[str]

``db.session`` is a :class:`sqlalchemy.orm.Session` made on first use inside an app context
(every request has one) and closed when that context ends; when the context ends with an
error the transaction is rolled back first. Nothing is committed for you: call
``db.session.commit()``.

Config: ``SQLALCHEMY_DATABASE_URI`` (required), ``SQLALCHEMY_ENGINE_OPTIONS`` (keyword
arguments of :func:`sqlalchemy.create_engine`), ``SQLALCHEMY_ECHO``.
Commands: ``stein db create-all`` and ``stein db drop-all``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ctx import _cv_app, _cv_request
from ..exceptions import NotFound

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from ..app import Stein

__all__ = ["Database", "Pagination"]

_SESSION_ATTR = "_stein_sqlalchemy_sessions"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()


class Database:
    """The database of one or more apps: ``Database(app)`` or ``Database()`` + ``init_app``.

    ``db.Model`` is a declarative base; models without ``__tablename__`` get the class name
    in snake_case (``OrderLine`` -> ``order_line``).
    """

    def __init__(self, app: Stein | None = None, *, model_class: Any = None,
                 session_options: dict[str, Any] | None = None) -> None:
        from sqlalchemy.orm import DeclarativeBase, declared_attr

        if model_class is None:
            class Model(DeclarativeBase):
                @declared_attr.directive
                def __tablename__(cls) -> str:
                    return _snake(cls.__name__)

            model_class = Model
        self.Model: Any = model_class
        self.metadata = model_class.metadata
        self.session_options = dict(session_options or {})
        self._engines: dict[int, Engine] = {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Stein) -> None:
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError("Set SQLALCHEMY_DATABASE_URI before Database(app) / init_app(app).")
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config.setdefault("SQLALCHEMY_ECHO", False)
        app.extensions["sqlalchemy"] = self
        app.teardown_appcontext(self._remove_session)
        try:
            cli = app.cli
        except ImportError:  # pragma: no cover - the CLI is part of stein
            return
        cli.add_command(_db_commands(self))

    # -- engine and session --------------------------------------------------------------

    def _app(self) -> Stein:
        actx = _cv_app.get(None)
        if actx is None:
            raise RuntimeError("db.session/db.engine need an app context: `with app.app_context():`.")
        return actx.app

    def get_engine(self, app: Stein | None = None) -> Engine:
        """The app's engine, made from its config on first use."""
        app = app or self._app()
        engine = self._engines.get(id(app))
        if engine is None:
            from sqlalchemy import create_engine

            uri = app.config["SQLALCHEMY_DATABASE_URI"]
            options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
            options.setdefault("echo", app.config["SQLALCHEMY_ECHO"])
            if uri in ("sqlite://", "sqlite:///:memory:") and "poolclass" not in options:
                # One shared connection, or every checkout would see a new empty database.
                from sqlalchemy.pool import StaticPool

                options["poolclass"] = StaticPool
                options.setdefault("connect_args", {"check_same_thread": False})
            engine = self._engines[id(app)] = create_engine(uri, **options)
        return engine

    @property
    def engine(self) -> Engine:
        return self.get_engine()

    @property
    def session(self) -> Session:
        """The session of the current app context (made on first use)."""
        actx = _cv_app.get(None)
        if actx is None:
            raise RuntimeError("db.session needs an app context: `with app.app_context():`.")
        sessions = actx.g.__dict__.setdefault(_SESSION_ATTR, {})
        s = sessions.get(id(self))
        if s is None:
            from sqlalchemy.orm import Session

            s = sessions[id(self)] = Session(bind=self.get_engine(actx.app), **self.session_options)
        return s  # type: ignore[no-any-return]

    def _remove_session(self, exc: BaseException | None = None) -> None:
        actx = _cv_app.get(None)
        if actx is None:
            return
        s = actx.g.__dict__.get(_SESSION_ATTR, {}).pop(id(self), None)
        if s is None:
            return
        try:
            if exc is not None:
                s.rollback()
        finally:
            s.close()  # also rolls back whatever was left uncommitted

    # -- schema --------------------------------------------------------------------------

    def create_all(self) -> None:
        """Create every table of ``db.Model`` that does not exist yet."""
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every table of ``db.Model``."""
        self.metadata.drop_all(self.engine)

    # -- helpers for views ---------------------------------------------------------------

    def get_or_404(self, model: Any, ident: Any, *, description: str | None = None) -> Any:
        """``session.get(model, ident)``, or a 404 when there is no such row."""
        if not _ident_fits(model, ident):
            raise NotFound(description)
        try:
            value = self.session.get(model, ident)
        except (OverflowError, ValueError):  # an id the driver cannot even send: no such row
            value = None
        if value is None:
            raise NotFound(description)
        return value

    def first_or_404(self, statement: Any, *, description: str | None = None) -> Any:
        """The first row of a ``select()``, or a 404."""
        value = self.session.execute(statement).scalars().first()
        if value is None:
            raise NotFound(description)
        return value

    def paginate(self, select: Any, *, page: int | None = None, per_page: int | None = None,
                 max_per_page: int | None = 100, error_out: bool = True,
                 count: bool = True) -> Pagination:
        """One page of a ``select()``; ``page``/``per_page`` default to the query string.

        A page number or size that is not a positive integer, or a page past the end, is a
        404 when ``error_out`` (the default), else page 1 / 20 items.
        """
        from sqlalchemy import func
        from sqlalchemy import select as sa_select

        def arg(name: str, given: int | None, default: int) -> int:
            if given is not None:
                return given
            ctx = _cv_request.get(None)
            raw = ctx.request.args.get(name) if ctx is not None else None
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError:
                if error_out:
                    raise NotFound(f"The {name} parameter must be an integer.")
                return default

        page = arg("page", page, 1)
        per_page = arg("per_page", per_page, 20)
        if page < 1 or per_page < 1 or page > 10**9:
            if error_out:
                raise NotFound("The page number and size must be positive.")
            page, per_page = max(page, 1), max(per_page, 1)
        if max_per_page is not None:
            per_page = min(per_page, max_per_page)
        session = self.session
        items = list(session.execute(select.limit(per_page).offset((page - 1) * per_page))
                     .scalars())
        total = None
        if count:
            total = session.execute(
                sa_select(func.count()).select_from(select.order_by(None).subquery())).scalar_one()
        if error_out and page != 1 and not items:
            raise NotFound("That page is past the end.")
        return Pagination(items, page, per_page, total)


def _ident_fits(model: Any, ident: Any) -> bool:
    """Whether integer key values fit their columns (PostgreSQL errors out on 2**40 for an
    INTEGER, and an error would abort the request's transaction; such a row cannot exist)."""
    from sqlalchemy import BigInteger, Integer, SmallInteger, inspect

    values = ident if isinstance(ident, (tuple, list)) else (ident,)
    columns = inspect(model).primary_key
    for col, value in zip(columns, values, strict=False):
        if isinstance(value, int) and isinstance(col.type, Integer):
            bits = 16 if isinstance(col.type, SmallInteger) else \
                32 if not isinstance(col.type, BigInteger) else 64
            if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                return False
    return True


@dataclass
class Pagination:
    """A page of results: ``items``, ``page``, ``per_page``, ``total`` and navigation."""

    items: list[Any]
    page: int
    per_page: int
    total: int | None

    @property
    def pages(self) -> int:
        if not self.total:
            return 0
        return math.ceil(self.total / self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def iter_pages(self, left_edge: int = 2, left_current: int = 2, right_current: int = 4,
                   right_edge: int = 2) -> Iterator[int | None]:
        """Page numbers for a pager; ``None`` marks a gap."""
        last = 0
        for num in range(1, self.pages + 1):
            if (num <= left_edge or num > self.pages - right_edge
                    or self.page - left_current <= num <= self.page + right_current):
                if last + 1 != num:
                    yield None
                yield num
                last = num


def _db_commands(db: Database) -> Any:
    import click

    from ..discovery import AppGroup  # deferred: imports click

    group = AppGroup("db", help="Create or drop the tables of the app's models.")

    @group.command("create-all")
    def create_all() -> None:
        """Create the tables that do not exist yet."""
        db.create_all()
        click.echo(f"Created tables: {', '.join(sorted(db.metadata.tables)) or '(none)'}")

    @group.command("drop-all")
    @click.confirmation_option(prompt="Drop every table of the app's models?")
    def drop_all() -> None:
        """Drop the tables (asks first; --yes skips the question)."""
        db.drop_all()
        click.echo(f"Dropped tables: {', '.join(sorted(db.metadata.tables)) or '(none)'}")

    return group
