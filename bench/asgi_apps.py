"""ASGI apps per scenario: Stein with ``async def`` views (the same code as the WSGI apps
with ``async`` added) and Starlette written the way its docs write apps. Both use async
endpoints, so neither pays a thread-pool hop."""

from __future__ import annotations

from typing import Any

from .scenarios import ROUTES_50, ROUTES_1000, ROWS, SECRET, TEMPLATES, Skip


def build_stein(name: str) -> Any:
    """Stein's app for scenario ``name``, served through its ASGI entry."""
    import stein
    from stein import Stein, request, session

    app = Stein(__name__, template_folder=TEMPLATES)
    app.secret_key = SECRET

    if name == "hello":
        @app.route("/")
        async def hello() -> Any:
            return "Hello, World!"

    elif name == "hello-sync":
        @app.route("/")
        def hello_sync() -> Any:
            return "Hello, World!"

    elif name == "param-json":
        @app.route("/users/<int:user_id>")
        async def user(user_id: int) -> Any:
            return {"id": user_id, "name": f"user {user_id}"}

    elif name in ("route-50", "route-1000"):
        count = ROUTES_50 if name == "route-50" else ROUTES_1000
        for i in range(count):
            async def view(item_id: int, _i: int = i) -> Any:
                return f"res{_i} {item_id}"

            app.add_url_rule(f"/api/res{i}/<int:item_id>", f"res{i}", view)

    elif name == "query+headers":
        @app.route("/search")
        async def search() -> Any:
            q = request.args.get("q", "")
            page = request.args.get("page", 1, type=int)
            limit = request.args.get("limit", 20, type=int)
            token = request.headers.get("X-Token")
            lang = request.headers.get("Accept-Language")
            return f"{q} {page} {limit} {token} {lang}"

    elif name == "form-post":
        @app.route("/form", methods=["POST"])
        async def form() -> Any:
            values = [request.form[f"field{i}"] for i in range(10)]
            return f"{len(values)} {values[0]} {values[-1]}"

    elif name == "template":
        @app.route("/rows")
        async def rows() -> Any:
            return stein.render_template("rows.html", title="Rows", rows=ROWS)

    elif name == "session":
        @app.route("/count")
        async def count() -> Any:
            n = session.get("n", 0) + 1
            session["n"] = n
            return str(n)

    elif name == "upload":
        @app.route("/upload", methods=["POST"])
        async def upload() -> Any:
            data = request.files["file"].read()
            return f"{request.form['title']} {len(data)}"

    else:
        raise Skip(f"unknown scenario {name!r}")
    return app


def build_starlette(name: str) -> Any:
    """Starlette's app for scenario ``name``."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    routes: list[Any] = []
    middleware: list[Any] = []

    if name == "hello":
        async def hello(request: Any) -> Any:
            return PlainTextResponse("Hello, World!")

        routes.append(Route("/", hello))

    elif name == "hello-sync":
        def hello_sync(request: Any) -> Any:
            return PlainTextResponse("Hello, World!")

        routes.append(Route("/", hello_sync))

    elif name == "param-json":
        async def user(request: Any) -> Any:
            user_id = request.path_params["user_id"]
            return JSONResponse({"id": user_id, "name": f"user {user_id}"})

        routes.append(Route("/users/{user_id:int}", user))

    elif name in ("route-50", "route-1000"):
        count = ROUTES_50 if name == "route-50" else ROUTES_1000
        for i in range(count):
            async def view(request: Any, _i: int = i) -> Any:
                return PlainTextResponse(f"res{_i} {request.path_params['item_id']}")

            routes.append(Route(f"/api/res{i}/{{item_id:int}}", view))

    elif name == "query+headers":
        async def search(request: Any) -> Any:
            q = request.query_params.get("q", "")
            page = int(request.query_params.get("page", 1))
            limit = int(request.query_params.get("limit", 20))
            token = request.headers.get("X-Token")
            lang = request.headers.get("Accept-Language")
            return PlainTextResponse(f"{q} {page} {limit} {token} {lang}")

        routes.append(Route("/search", search))

    elif name == "form-post":
        async def form(request: Any) -> Any:
            data = await request.form()
            values = [data[f"field{i}"] for i in range(10)]
            return PlainTextResponse(f"{len(values)} {values[0]} {values[-1]}")

        routes.append(Route("/form", form, methods=["POST"]))

    elif name == "template":
        from starlette.templating import Jinja2Templates

        templates = Jinja2Templates(directory=TEMPLATES)

        async def rows(request: Any) -> Any:
            return templates.TemplateResponse(request, "rows.html", {"title": "Rows", "rows": ROWS})

        routes.append(Route("/rows", rows))

    elif name == "session":
        from starlette.middleware.sessions import SessionMiddleware

        async def count(request: Any) -> Any:
            n = request.session.get("n", 0) + 1
            request.session["n"] = n
            return PlainTextResponse(str(n))

        routes.append(Route("/count", count))
        middleware.append(Middleware(SessionMiddleware, secret_key=SECRET))

    elif name == "upload":
        async def upload(request: Any) -> Any:
            data = await request.form()
            content = await data["file"].read()
            return PlainTextResponse(f"{data['title']} {len(content)}")

        routes.append(Route("/upload", upload, methods=["POST"]))

    else:
        raise Skip(f"unknown scenario {name!r}")
    return Starlette(routes=routes, middleware=middleware)
