"""stein.ext.openapi: validation, serialisation, the document, the docs page."""

from __future__ import annotations

import os
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from stein import Blueprint, Stein
from stein.ext.openapi import STATIC_DIR, Header, OpenAPI, Query, validate


class ItemIn(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)


class ItemOut(BaseModel):
    id: int
    name: str
    price: float
    secret: str = Field(default="hidden", exclude=True)


class Search(BaseModel):
    term: str
    limit: int = Field(default=10, le=50)
    tags: list[str] = []


@pytest.fixture
def app():
    app = Stein(__name__)
    app.testing = True
    api = OpenAPI(app, title="Test API", version="2.0")

    @api.post("/items", status_code=201)
    def create(body: ItemIn, q: Annotated[Search, Query()] | None = None) -> ItemOut:
        """Create an item.

        Longer description."""
        return ItemOut(id=1, name=body.name, price=body.price)

    @api.get("/items/<int:item_id>")
    def get_item(item_id: int, verbose: bool = False) -> ItemOut:
        return ItemOut(id=item_id, name="verbose" if verbose else "x", price=1.5)

    @api.get("/search")
    def search(q: Annotated[Search, Query()]) -> list[str]:
        return [q.term] * min(q.limit, 3) + q.tags

    @api.get("/whoami")
    def whoami(x_token: Annotated[str, Header()]) -> dict[str, str]:
        return {"token": x_token}

    @api.get("/async/<name>")
    async def async_view(name: str) -> dict[str, str]:
        return {"hello": name}

    @api.get("/tuple")
    def tuple_view() -> ItemOut:
        return ItemOut(id=7, name="t", price=2), 202, {"X-Extra": "1"}

    @app.get("/plain")
    def plain():
        return "not documented"

    bp = Blueprint("admin", __name__, url_prefix="/admin")

    @bp.post("/items/<int:item_id>/restock")
    @validate(tags=["admin"])
    def restock(item_id: int, body: Annotated[list[int], Field(min_length=1)]) -> int:
        return item_id + sum(body)

    app.register_blueprint(bp)
    return app


def test_body_validated_and_output_serialised(app):
    rv = app.test_client().post("/items", json={"name": "bolt", "price": 2.5})
    assert rv.status_code == 201
    assert rv.mimetype == "application/json"
    assert rv.get_json() == {"id": 1, "name": "bolt", "price": 2.5}  # excluded field left out


def test_body_errors_list_each_location(app):
    rv = app.test_client().post("/items", json={"name": "", "price": -1})
    assert rv.status_code == 422
    assert rv.get_json() == {"detail": [
        {"loc": ["body", "name"], "msg": "String should have at least 1 character",
         "type": "string_too_short"},
        {"loc": ["body", "price"], "msg": "Input should be greater than 0", "type": "greater_than"},
    ]}


def test_invalid_json(app):
    rv = app.test_client().post("/items", data=b'{"name": ', content_type="application/json")
    assert rv.status_code == 422
    [err] = rv.get_json()["detail"]
    assert err["loc"] == ["body"] and err["type"] == "json_invalid"
    assert err["msg"].startswith("Invalid JSON: ")


def test_deeply_nested_json_is_422_not_500(app):
    rv = app.test_client().post("/items", data=b"[" * 100000, content_type="application/json")
    assert rv.status_code == 422


def test_path_and_scalar_query(app):
    client = app.test_client()
    assert client.get("/items/5").get_json() == {"id": 5, "name": "x", "price": 1.5}
    assert client.get("/items/5?verbose=true").get_json()["name"] == "verbose"
    rv = client.get("/items/5?verbose=maybe")
    assert rv.status_code == 422
    assert rv.get_json()["detail"][0]["loc"] == ["query", "verbose"]


def test_query_model(app):
    client = app.test_client()
    assert client.get("/search?term=a&limit=2&tags=x&tags=y").get_json() == ["a", "a", "x", "y"]
    rv = client.get("/search?limit=99")
    assert rv.status_code == 422
    assert [e["loc"] for e in rv.get_json()["detail"]] == [["query", "term"], ["query", "limit"]]


def test_header_param(app):
    client = app.test_client()
    assert client.get("/whoami", headers={"X-Token": "abc"}).get_json() == {"token": "abc"}
    rv = client.get("/whoami")
    assert rv.status_code == 422
    assert rv.get_json()["detail"] == [
        {"loc": ["header", "X-Token"], "msg": "Field required", "type": "missing"}]


def test_async_tuple_and_plain(app):
    client = app.test_client()
    assert client.get("/async/bob").get_json() == {"hello": "bob"}
    rv = client.get("/tuple")
    assert rv.status_code == 202 and rv.headers["X-Extra"] == "1"
    assert rv.get_json()["id"] == 7
    assert client.get("/plain").text == "not documented"


def test_blueprint_view_with_validate(app):
    client = app.test_client()
    assert client.post("/admin/items/2/restock", json=[1, 2]).get_json() == 5
    rv = client.post("/admin/items/2/restock", json=[])
    assert rv.status_code == 422
    assert rv.get_json()["detail"][0]["loc"] == ["body"]


def test_document(app):
    doc = app.openapi()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Test API", "version": "2.0"}
    assert "/plain" not in doc["paths"]
    post = doc["paths"]["/items"]["post"]
    assert post["summary"] == "Create an item."
    assert post["description"] == "Longer description."
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemOut"}
    assert post["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"}
    get = doc["paths"]["/items/{item_id}"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert params["item_id"]["in"] == "path" and params["item_id"]["required"] is True
    assert params["item_id"]["schema"]["type"] == "integer"
    assert params["verbose"] == {"name": "verbose", "in": "query", "required": False,
                                 "schema": {"type": "boolean"}}
    assert doc["paths"]["/whoami"]["get"]["parameters"][0]["in"] == "header"
    restock = doc["paths"]["/admin/items/{item_id}/restock"]["post"]
    assert restock["tags"] == ["admin"]
    assert restock["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert set(doc["components"]["schemas"]) >= {"ItemIn", "ItemOut", "Search",
                                                 "HTTPValidationError", "ValidationError"}
    assert app.test_client().get("/openapi.json").get_json() == doc


def test_document_valid_against_openapi_31_schema(app):
    # schemathesis parses the document with its own OpenAPI 3.1 loader: it must load.
    import schemathesis

    schema = schemathesis.openapi.from_dict(app.openapi())
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) == 7


def test_docs_page_uses_bundled_assets(app):
    client = app.test_client()
    rv = client.get("/docs")
    assert rv.status_code == 200 and rv.mimetype == "text/html"
    html = rv.text
    assert 'src="/docs/swagger-ui-bundle.js"' in html
    assert 'href="/docs/swagger-ui.css"' in html
    assert 'data-spec-url="/openapi.json"' in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    rv = client.get("/docs/init.js")
    assert rv.status_code == 200 and b"SwaggerUIBundle" in rv.data
    assert client.get("/docs/secret.py").status_code == 404
    assert client.get("/docs/..%2Fopenapi.py").status_code == 404


def test_swagger_ui_assets_bundled(app):
    if not os.path.isfile(os.path.join(STATIC_DIR, "swagger-ui-bundle.js")):
        msg = "Swagger UI assets not built: run `make openapi-assets`"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        print(msg)
        pytest.skip(msg)
    client = app.test_client()
    rv = client.get("/docs/swagger-ui-bundle.js")
    assert rv.status_code == 200
    assert rv.mimetype in ("text/javascript", "application/javascript")
    assert b"SwaggerUIBundle" in rv.data
    rv = client.get("/docs/swagger-ui.css")
    assert rv.status_code == 200 and rv.mimetype == "text/css"


def test_two_bodies_rejected():
    app = Stein(__name__)
    api = OpenAPI(app)

    @api.post("/x")
    def x(a: ItemIn, b: ItemIn) -> None:
        return None

    with pytest.raises(TypeError, match="only one parameter can be the JSON body"):
        app.openapi()
