"""Falcon's TFB app, as Falcon's docs write one: a resource class per route with
``on_get``, ``resp.media`` for JSON, Jinja2 directly for the HTML page (Falcon has no
templating of its own)."""

from __future__ import annotations

from typing import Any

import falcon
import jinja2

from .db import SyncDB
from .spec import HELLO, TEMPLATES, clamp_queries, sorted_fortunes

sdb = SyncDB()
env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


class JSON:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"message": HELLO}


class Plaintext:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = HELLO


class DB:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = sdb.world()


class Queries:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = sdb.worlds(clamp_queries(req.get_param("queries")))


class Fortunes:
    def __init__(self) -> None:
        self.template: Any = env.get_template("fortunes.html")

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.template.render(fortunes=sorted_fortunes(sdb.fortunes()))


class Updates:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = sdb.update(clamp_queries(req.get_param("queries")))


wsgi = falcon.App()
wsgi.add_route("/json", JSON())
wsgi.add_route("/plaintext", Plaintext())
wsgi.add_route("/db", DB())
wsgi.add_route("/queries", Queries())
wsgi.add_route("/fortunes", Fortunes())
wsgi.add_route("/updates", Updates())
