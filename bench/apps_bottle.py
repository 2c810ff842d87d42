"""Bottle apps, written the way Bottle's docs write them (``Bottle()`` instances, ``@app.route``)."""

from __future__ import annotations

from typing import Any

from .scenarios import ROUTES_50, ROUTES_1000, ROWS, SECRET, TEMPLATES, Skip


def build(name: str) -> Any:
    """The WSGI app for scenario ``name``."""
    import bottle
    from bottle import request, response

    app = bottle.Bottle()

    if name == "hello":
        @app.route("/")
        def hello() -> Any:
            return "Hello, World!"

    elif name == "param-json":
        @app.route("/users/<user_id:int>")
        def user(user_id: int) -> Any:
            return {"id": user_id, "name": f"user {user_id}"}

    elif name in ("route-50", "route-1000"):
        count = ROUTES_50 if name == "route-50" else ROUTES_1000
        for i in range(count):
            def view(item_id: int, _i: int = i) -> Any:
                return f"res{_i} {item_id}"

            app.route(f"/api/res{i}/<item_id:int>", callback=view)

    elif name == "query+headers":
        @app.route("/search")
        def search() -> Any:
            q = request.query.get("q", "")
            page = int(request.query.get("page", 1))
            limit = int(request.query.get("limit", 20))
            token = request.get_header("X-Token")
            lang = request.get_header("Accept-Language")
            return f"{q} {page} {limit} {token} {lang}"

    elif name == "form-post":
        @app.route("/form", method="POST")
        def form() -> Any:
            values = [request.forms.getunicode(f"field{i}") for i in range(10)]
            return f"{len(values)} {values[0]} {values[-1]}"

    elif name == "template":
        # Bottle's Jinja2 adapter (its docs' way to use Jinja2); it caches compiled templates.
        @app.route("/rows")
        def rows() -> Any:
            return bottle.jinja2_template("rows.html", title="Rows", rows=ROWS,
                                          template_lookup=[TEMPLATES])

    elif name == "session":
        # Bottle has no sessions; its signed cookies are the documented equivalent.
        @app.route("/count")
        def count() -> Any:
            n = int(request.get_cookie("n", "0", secret=SECRET)) + 1
            response.set_cookie("n", str(n), secret=SECRET, httponly=True, path="/")
            return str(n)

    elif name == "upload":
        @app.route("/upload", method="POST")
        def upload() -> Any:
            data = request.files.get("file").file.read()
            return f"{request.forms.get('title')} {len(data)}"

    else:
        raise Skip(f"unknown scenario {name!r}")
    return app
