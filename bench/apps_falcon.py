"""Falcon apps, written the way Falcon's docs write them (resource classes, ``on_get``)."""

from __future__ import annotations

from typing import Any

from .scenarios import ROUTES_50, ROUTES_1000, ROWS, TEMPLATES, Skip


def build(name: str) -> Any:
    """The WSGI app for scenario ``name``."""
    import falcon

    app = falcon.App()

    if name == "hello":
        class Hello:
            def on_get(self, req: Any, resp: Any) -> None:
                resp.content_type = falcon.MEDIA_TEXT
                resp.text = "Hello, World!"

        app.add_route("/", Hello())

    elif name == "param-json":
        class User:
            def on_get(self, req: Any, resp: Any, user_id: int) -> None:
                resp.media = {"id": user_id, "name": f"user {user_id}"}

        app.add_route("/users/{user_id:int}", User())

    elif name in ("route-50", "route-1000"):
        count = ROUTES_50 if name == "route-50" else ROUTES_1000

        class Resource:
            def __init__(self, i: int) -> None:
                self.i = i

            def on_get(self, req: Any, resp: Any, item_id: int) -> None:
                resp.content_type = falcon.MEDIA_TEXT
                resp.text = f"res{self.i} {item_id}"

        for i in range(count):
            app.add_route(f"/api/res{i}/{{item_id:int}}", Resource(i))

    elif name == "query+headers":
        class Search:
            def on_get(self, req: Any, resp: Any) -> None:
                q = req.get_param("q", default="")
                page = req.get_param_as_int("page", default=1)
                limit = req.get_param_as_int("limit", default=20)
                token = req.get_header("X-Token")
                lang = req.get_header("Accept-Language")
                resp.content_type = falcon.MEDIA_TEXT
                resp.text = f"{q} {page} {limit} {token} {lang}"

        app.add_route("/search", Search())

    elif name == "form-post":
        class Form:
            def on_post(self, req: Any, resp: Any) -> None:
                form = req.get_media()  # Falcon's URL-encoded form media handler
                values = [form[f"field{i}"] for i in range(10)]
                resp.content_type = falcon.MEDIA_TEXT
                resp.text = f"{len(values)} {values[0]} {values[-1]}"

        app.add_route("/form", Form())

    elif name == "template":
        # Falcon has no template support; its FAQ points to using Jinja2 directly, as here.
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)

        class Rows:
            def on_get(self, req: Any, resp: Any) -> None:
                resp.content_type = falcon.MEDIA_HTML
                resp.text = env.get_template("rows.html").render(title="Rows", rows=ROWS)

        app.add_route("/rows", Rows())

    elif name == "session":
        raise Skip("Falcon has no sessions or signed cookies built in")

    elif name == "upload":
        class Upload:
            def on_post(self, req: Any, resp: Any) -> None:
                title = size = None
                for part in req.get_media():  # Falcon's multipart media handler
                    if part.name == "title":
                        title = part.text
                    elif part.name == "file":
                        size = len(part.stream.read())
                resp.content_type = falcon.MEDIA_TEXT
                resp.text = f"{title} {size}"

        app.add_route("/upload", Upload())

    else:
        raise Skip(f"unknown scenario {name!r}")
    return app
