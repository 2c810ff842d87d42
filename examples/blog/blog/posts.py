"""The posts: everyone reads them, logged-in users write, only the author edits."""

from __future__ import annotations

import sqlite3
from typing import Any

from stein import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .auth import login_required
from .db import get_db

bp = Blueprint("blog", __name__)


@bp.route("/")
def index() -> str:
    """All posts, newest first."""
    posts = get_db().execute(
        "SELECT p.id, title, body, created, author_id, username"
        " FROM post p JOIN user u ON p.author_id = u.id"
        " ORDER BY created DESC, p.id DESC"
    ).fetchall()
    return render_template("blog/index.html", posts=posts)


def get_post(id: int, check_author: bool = True) -> sqlite3.Row:
    """The post ``id`` with its author; 404 when missing, 403 when not the user's own."""
    post = get_db().execute(
        "SELECT p.id, title, body, created, author_id, username"
        " FROM post p JOIN user u ON p.author_id = u.id"
        " WHERE p.id = ?",
        (id,),
    ).fetchone()
    if post is None:
        abort(404, f"Post id {id} doesn't exist.")
    if check_author and post["author_id"] != g.user["id"]:
        abort(403)
    return post  # type: ignore[no-any-return]


def _read_form() -> tuple[str, str, str | None]:
    title = request.form["title"].strip()
    body = request.form["body"]
    return title, body, None if title else "Title is required."


@bp.route("/create", methods=("GET", "POST"))
@login_required
def create() -> Any:
    """Write a new post."""
    if request.method == "POST":
        title, body, error = _read_form()
        if error is not None:
            flash(error)
        else:
            db = get_db()
            db.execute("INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)",
                       (title, body, g.user["id"]))
            db.commit()
            flash("Post published.")
            return redirect(url_for("blog.index"))
    return render_template("blog/create.html")


@bp.route("/<int:id>/update", methods=("GET", "POST"))
@login_required
def update(id: int) -> Any:
    """Edit one of your posts."""
    post = get_post(id)
    if request.method == "POST":
        title, body, error = _read_form()
        if error is not None:
            flash(error)
        else:
            db = get_db()
            db.execute("UPDATE post SET title = ?, body = ? WHERE id = ?", (title, body, id))
            db.commit()
            flash("Post updated.")
            return redirect(url_for("blog.index"))
    return render_template("blog/update.html", post=post)


@bp.route("/<int:id>/delete", methods=("POST",))
@login_required
def delete(id: int) -> Any:
    """Delete one of your posts."""
    get_post(id)
    db = get_db()
    db.execute("DELETE FROM post WHERE id = ?", (id,))
    db.commit()
    flash("Post deleted.")
    return redirect(url_for("blog.index"))
