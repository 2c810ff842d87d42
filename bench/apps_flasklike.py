"""Stein and Flask apps, written the way Flask's docs write them.

The same code builds both: porting a Flask app to Stein is renaming the imports, so the
two rows measure the same program on two frameworks.
"""

from __future__ import annotations

import importlib
from typing import Any

from .scenarios import ROUTES_50, ROUTES_1000, ROWS, SECRET, TEMPLATES, Skip


def build(framework: str, name: str) -> Any:
    """The WSGI app for scenario ``name``; ``framework`` is ``"stein"`` or ``"flask"``."""
    fw = importlib.import_module(framework)
    app_class = fw.Stein if framework == "stein" else fw.Flask
    request, session = fw.request, fw.session
    app = app_class(__name__, template_folder=TEMPLATES)
    app.secret_key = SECRET

    if name == "hello":
        @app.route("/")
        def hello() -> Any:
            return "Hello, World!"

    elif name == "param-json":
        @app.route("/users/<int:user_id>")
        def user(user_id: int) -> Any:
            return {"id": user_id, "name": f"user {user_id}"}

    elif name in ("route-50", "route-1000"):
        count = ROUTES_50 if name == "route-50" else ROUTES_1000
        for i in range(count):
            def view(item_id: int, _i: int = i) -> Any:
                return f"res{_i} {item_id}"

            app.add_url_rule(f"/api/res{i}/<int:item_id>", f"res{i}", view)

    elif name == "query+headers":
        @app.route("/search")
        def search() -> Any:
            q = request.args.get("q", "")
            page = request.args.get("page", 1, type=int)
            limit = request.args.get("limit", 20, type=int)
            token = request.headers.get("X-Token")
            lang = request.headers.get("Accept-Language")
            return f"{q} {page} {limit} {token} {lang}"

    elif name == "form-post":
        @app.route("/form", methods=["POST"])
        def form() -> Any:
            values = [request.form[f"field{i}"] for i in range(10)]
            return f"{len(values)} {values[0]} {values[-1]}"

    elif name == "template":
        @app.route("/rows")
        def rows() -> Any:
            return fw.render_template("rows.html", title="Rows", rows=ROWS)

    elif name == "session":
        @app.route("/count")
        def count() -> Any:
            n = session.get("n", 0) + 1
            session["n"] = n
            return str(n)

    elif name == "upload":
        if framework == "stein":
            try:
                import stein.multipart  # noqa: F401
            except ImportError as e:
                raise Skip(f"stein.multipart is not available yet ({e})") from None

        @app.route("/upload", methods=["POST"])
        def upload() -> Any:
            data = request.files["file"].read()
            return f"{request.form['title']} {len(data)}"

    else:
        raise Skip(f"unknown scenario {name!r}")
    return app
