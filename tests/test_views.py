"""Class-based views."""

from __future__ import annotations

from stein import request
from stein.views import MethodView, View


def test_view_dispatch_and_methods(app, client):
    class Hello(View):
        methods = ["GET", "POST"]

        def __init__(self, greeting):
            self.greeting = greeting

        def dispatch_request(self, name):
            return f"{self.greeting} {name} via {request.method}"

    app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello", "Hi"))
    assert client.get("/hello/ann").text == "Hi ann via GET"
    assert client.post("/hello/bob").text == "Hi bob via POST"
    rv = client.put("/hello/bob")
    assert rv.status_code == 405
    assert set(rv.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    view = app.view_functions["hello"]
    assert view.view_class is Hello and view.__name__ == "hello"


def test_method_view(app, client):
    class Items(MethodView):
        def get(self, id=None):
            return f"get {id}"

        def post(self):
            return "created", 201

        def delete(self, id):
            return "", 204

    view = Items.as_view("items")
    app.add_url_rule("/items", view_func=view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:id>", view_func=view, methods=["GET", "DELETE"])
    assert set(Items.methods) == {"GET", "POST", "DELETE"}
    assert client.get("/items").text == "get None"
    assert client.get("/items/3").text == "get 3"
    assert client.post("/items").status_code == 201
    assert client.delete("/items/3").status_code == 204
    head = client.head("/items/3")
    assert head.status_code == 200 and head.data == b""
    assert client.put("/items").status_code == 405


def test_method_view_inherits_methods(app, client):
    class Base(MethodView):
        def get(self):
            return "base get"

    class Child(Base):
        def post(self):
            return "child post"

    assert set(Child.methods) == {"GET", "POST"}
    app.add_url_rule("/c", view_func=Child.as_view("c"))
    assert client.get("/c").text == "base get"
    assert client.post("/c").text == "child post"


def test_decorators_applied(app, client):
    def add_header(f):
        def wrapper(**kw):
            rv = f(**kw)
            return rv, {"X-Decorated": "yes"}

        return wrapper

    class V(View):
        decorators = [add_header]

        def dispatch_request(self):
            return "decorated"

    app.add_url_rule("/d", view_func=V.as_view("d"))
    rv = client.get("/d")
    assert rv.text == "decorated" and rv.headers["X-Decorated"] == "yes"


def test_init_every_request(app, client):
    created = []

    class PerRequest(View):
        def __init__(self):
            created.append("per")

        def dispatch_request(self):
            return str(id(self))

    class Shared(View):
        init_every_request = False

        def __init__(self):
            created.append("shared")

        def dispatch_request(self):
            return str(id(self))

    app.add_url_rule("/per", view_func=PerRequest.as_view("per"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared"))
    assert created == ["shared"]
    client.get("/per")
    client.get("/per")
    assert created.count("per") == 2
    assert client.get("/shared").text == client.get("/shared").text
    assert created.count("shared") == 1


def test_async_method_view(app, client):
    class A(MethodView):
        async def get(self):
            return "async get"

    app.add_url_rule("/a", view_func=A.as_view("a"))
    assert client.get("/a").text == "async get"
