"""The chat's tables in PostgreSQL and the few queries it makes.

>>> store.add("ann", "hello", key="k1")    # doctest: +SKIP
({'id': 1, 'key': 'k1', 'author': 'ann', 'text': 'hello', 'published': False}, True)

A message's ``key`` is unique: a client that did not get an answer (its server was killed)
sends the same key again and gets the row that was stored, never a second one.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from stein.ext.auth import UserMixin
from stein.ext.sqlalchemy import Database
from stein.security import check_password_hash, generate_password_hash


class User(UserMixin):
    """A logged-in name (``get_id`` is the name)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def get_id(self) -> str:
        return self.name


class Store:
    """The two tables (``chat_user``, ``chat_message``) of one :class:`Database`."""

    def __init__(self, db: Database, password_method: str = "scrypt") -> None:
        self.db, self.password_method = db, password_method

        class ChatUser(db.Model):  # type: ignore[name-defined]
            __tablename__ = "chat_user"
            name: Mapped[str] = mapped_column(String(40), primary_key=True)
            password: Mapped[str] = mapped_column(String(200))

        class ChatMessage(db.Model):  # type: ignore[name-defined]
            __tablename__ = "chat_message"
            id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
            key: Mapped[str] = mapped_column(String(80), unique=True)
            author: Mapped[str] = mapped_column(String(40))
            text: Mapped[str] = mapped_column(Text)
            published: Mapped[bool] = mapped_column(Boolean, default=False)

        self.ChatUser, self.ChatMessage = ChatUser, ChatMessage

    def user(self, name: str) -> User | None:
        """The user ``name`` if it exists (the login manager's user loader)."""
        return User(name) if self.db.session.get(self.ChatUser, name) is not None else None

    def login(self, name: str, password: str) -> User | None:
        """Check the password of ``name``; a new name is registered with it."""
        s = self.db.session
        row = s.get(self.ChatUser, name)
        if row is None:
            s.add(self.ChatUser(name=name,
                                password=generate_password_hash(password, self.password_method)))
            try:
                s.commit()
            except Exception:  # registered by a concurrent request meanwhile
                s.rollback()
                row = s.get(self.ChatUser, name)
        if row is not None and not check_password_hash(row.password, password):
            return None
        return User(name)

    def add(self, author: str, text: str, key: str | None) -> tuple[dict[str, Any], bool]:
        """Store a message once per ``key``; returns it and whether this call created it."""
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        key = key or uuid.uuid4().hex
        s, table = self.db.session, self.ChatMessage.__table__
        if s.get_bind().dialect.name == "postgresql":
            stmt = pg_insert(table).values(key=key, author=author, text=text, published=False)
            stmt = stmt.on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
            created = s.execute(stmt).scalar() is not None
        else:  # SQLite and others: look first (fine for tests, racy under load)
            created = s.scalar(select(table.c.id).where(table.c.key == key)) is None
            if created:
                s.execute(table.insert().values(key=key, author=author, text=text, published=False))
        s.commit()
        row = s.execute(select(table).where(table.c.key == key)).mappings().one()
        return dict(row), created

    def mark_published(self, message_id: int) -> None:
        s = self.db.session
        s.execute(update(self.ChatMessage.__table__).where(self.ChatMessage.id == message_id)
                  .values(published=True))
        s.commit()

    def messages(self, after: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """Messages with an id above ``after``, oldest first."""
        t = self.ChatMessage.__table__
        rows = self.db.session.execute(
            select(t.c.id, t.c.key, t.c.author, t.c.text).where(t.c.id > after)
            .order_by(t.c.id).limit(limit)).mappings()
        return [dict(r) for r in rows]
