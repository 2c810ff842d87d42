"""Flask's TFB app, as Flask's docs write one: routes returning dicts, lists and templates;
the same psycopg pool as every WSGI app (``bench.tfb.db``)."""

from __future__ import annotations

from flask import Flask, Response, render_template, request

from .db import SyncDB
from .spec import HELLO, TEMPLATES, clamp_queries, sorted_fortunes

wsgi = Flask(__name__, template_folder=TEMPLATES)
sdb = SyncDB()


@wsgi.get("/json")
def json_() -> dict[str, str]:
    return {"message": HELLO}


@wsgi.get("/plaintext")
def plaintext() -> Response:
    return Response(HELLO, mimetype="text/plain")


@wsgi.get("/db")
def db() -> dict[str, int]:
    return sdb.world()


@wsgi.get("/queries")
def queries() -> list[dict[str, int]]:
    return sdb.worlds(clamp_queries(request.args.get("queries")))


@wsgi.get("/fortunes")
def fortunes() -> str:
    return render_template("fortunes.html", fortunes=sorted_fortunes(sdb.fortunes()))


@wsgi.get("/updates")
def updates() -> list[dict[str, int]]:
    return sdb.update(clamp_queries(request.args.get("queries")))
