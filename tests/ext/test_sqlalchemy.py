"""stein.ext.sqlalchemy on SQLite and on a real PostgreSQL started by the test run."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import ForeignKey, String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from stein import Stein, request
from stein.ext.sqlalchemy import Database


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def setup(db_url):
    app = Stein(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=db_url,
                      SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    db = Database(app)

    class Author(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    class BlogPost(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))

    @app.post("/authors")
    def add_author():
        db.session.add(Author(name=request.form["name"]))
        db.session.commit()
        return "created", 201

    @app.get("/authors/<int:author_id>")
    def get_author(author_id):
        return {"name": db.get_or_404(Author, author_id).name}

    @app.post("/half-then-fail")
    def half_then_fail():
        db.session.add(Author(name="ghost"))
        db.session.flush()
        db.session.execute(text("SELECT * FROM no_such_table_secret_name"))
        return "unreachable"

    @app.get("/posts")
    def posts():
        page = db.paginate(select(BlogPost).order_by(BlogPost.id), max_per_page=5)
        return {"titles": [p.title for p in page], "total": page.total, "pages": page.pages,
                "next": page.next_num, "prev": page.prev_num}

    with app.app_context():
        db.drop_all()
        db.create_all()
    try:
        yield app, db, Author, BlogPost
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def test_tablenames_and_crud(setup):
    app, db, Author, BlogPost = setup
    assert Author.__tablename__ == "author" and BlogPost.__tablename__ == "blog_post"
    client = app.test_client()
    assert client.post("/authors", data={"name": "ada"}).status_code == 201
    assert client.get("/authors/1").get_json() == {"name": "ada"}
    rv = client.get("/authors/999")
    assert rv.status_code == 404


def test_get_or_404_huge_id_is_404(setup):
    app, *_ = setup
    assert app.test_client().get("/authors/99999999999999999999999").status_code == 404


def test_session_scoped_to_app_context(setup):
    app, db, Author, _ = setup
    with app.app_context():
        s1 = db.session
        assert db.session is s1
        db.session.add(Author(name="uncommitted"))
    with app.app_context():
        assert db.session is not s1
        names = db.session.execute(select(Author.name)).scalars().all()
        assert names == []  # closed without commit: rolled back


def test_sql_error_rolled_back_and_500_without_sql(setup, caplog):
    app, db, Author, _ = setup
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        rv = client.post("/half-then-fail")
    assert rv.status_code == 500
    assert b"no_such_table_secret_name" not in rv.data
    assert b"SELECT" not in rv.data
    assert "Internal Server Error" in rv.text
    with app.app_context():
        assert db.session.execute(select(Author).where(Author.name == "ghost")).first() is None
    # The connection is usable again for the next request.
    assert client.post("/authors", data={"name": "after"}).status_code == 201


def test_rollback_on_teardown_with_error(setup):
    app, db, Author, _ = setup
    with pytest.raises(ZeroDivisionError):
        with app.app_context():
            db.session.add(Author(name="x"))
            db.session.flush()
            raise ZeroDivisionError("boom")
    with app.app_context():
        assert db.session.execute(select(Author)).first() is None


def test_paginate(setup):
    app, db, Author, BlogPost = setup
    with app.app_context():
        a = Author(name="w")
        db.session.add(a)
        db.session.flush()
        db.session.add_all([BlogPost(title=f"p{i}", author_id=a.id) for i in range(12)])
        db.session.commit()
    client = app.test_client()
    assert client.get("/posts?per_page=5").get_json() == {
        "titles": ["p0", "p1", "p2", "p3", "p4"], "total": 12, "pages": 3, "next": 2, "prev": None}
    data = client.get("/posts?per_page=5&page=3").get_json()
    assert data["titles"] == ["p10", "p11"] and data["next"] is None and data["prev"] == 2
    assert client.get("/posts?per_page=50").get_json()["titles"][-1] == "p4"  # max_per_page
    assert client.get("/posts?page=9").status_code == 404
    assert client.get("/posts?page=abc").status_code == 404
    assert client.get("/posts?page=0").status_code == 404
    with app.test_request_context("/?page=2&per_page=5"):
        page = db.paginate(select(BlogPost).order_by(BlogPost.id))
        assert [p.title for p in page.items] == ["p5", "p6", "p7", "p8", "p9"]
        assert list(page.iter_pages()) == [1, 2, 3]


def test_cli_create_and_drop(setup):
    app, db, Author, _ = setup
    with app.app_context():
        db.drop_all()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "create-all"])
    assert result.exit_code == 0, result.output
    assert "Created tables: author, blog_post" in result.output
    with app.app_context():
        db.session.add(Author(name="cli"))
        db.session.commit()
    result = runner.invoke(args=["db", "drop-all"], input="n\n")
    assert result.exit_code != 0
    result = runner.invoke(args=["db", "drop-all", "--yes"])
    assert result.exit_code == 0 and "Dropped tables" in result.output
    with app.app_context():
        db.create_all()
        assert db.session.execute(select(Author)).first() is None


def test_missing_uri_and_no_context():
    app = Stein(__name__)
    with pytest.raises(RuntimeError, match="SQLALCHEMY_DATABASE_URI"):
        Database(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = Database(app)
    with pytest.raises(RuntimeError, match="app context"):
        db.session  # noqa: B018


def test_in_memory_sqlite_shared_across_contexts():
    app = Stein(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = Database(app)

    class Thing(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)

    with app.app_context():
        db.create_all()
        db.session.add(Thing())
        db.session.commit()
    with app.app_context():
        assert db.session.execute(select(Thing)).scalars().all()[0].id == 1
