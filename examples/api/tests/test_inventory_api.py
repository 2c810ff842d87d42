"""The inventory API: behaviour through the test client, and schemathesis against the
OpenAPI document served by a real HTTP server on loopback."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest


def item(**kw):
    return {"sku": "BOLT-M6", "name": "Bolt M6", "quantity": 10, "price_cents": 12, **kw}


def test_create_get_list(client):
    rv = client.post("/items", json=item())
    assert rv.status_code == 201
    assert rv.get_json() == {"id": 1, "sku": "BOLT-M6", "name": "Bolt M6", "quantity": 10,
                             "price_cents": 12}
    assert client.get("/items/1").get_json()["name"] == "Bolt M6"
    client.post("/items", json=item(sku="NUT-M6", name="Nut", quantity=0))
    page = client.get("/items?in_stock=true").get_json()
    assert page["total"] == 1 and page["items"][0]["sku"] == "BOLT-M6"
    page = client.get("/items?q=nut&limit=1").get_json()
    assert [i["sku"] for i in page["items"]] == ["NUT-M6"]


def test_duplicate_sku_conflict(client):
    client.post("/items", json=item())
    rv = client.post("/items", json=item())
    assert rv.status_code == 409
    assert rv.get_json() == {"error": "Conflict", "message": "An item with SKU BOLT-M6 exists already."}


def test_body_validation_errors(client):
    rv = client.post("/items", json={"sku": "x", "price_cents": "free", "extra": 1})
    assert rv.status_code == 422
    locs = {tuple(e["loc"]): e["msg"] for e in rv.get_json()["detail"]}
    assert locs[("body", "sku")].startswith("String should match pattern")
    assert locs[("body", "name")] == "Field required"
    assert locs[("body", "price_cents")].startswith("Input should be a valid integer")
    assert locs[("body", "extra")] == "Extra inputs are not permitted"


def test_malformed_json_and_wrong_type(client):
    rv = client.post("/items", data="{bad json", content_type="application/json")
    assert rv.status_code == 422
    detail = rv.get_json()["detail"]
    assert detail[0]["loc"] == ["body"] and detail[0]["msg"].startswith("Invalid JSON")
    rv = client.post("/items", data="sku=x", content_type="application/x-www-form-urlencoded")
    assert rv.status_code == 422
    assert rv.get_json()["detail"][0]["msg"].startswith("Expected a JSON body")
    rv = client.post("/items")
    assert rv.get_json()["detail"] == [{"loc": ["body"], "msg": "Field required", "type": "missing"}]
    rv = client.post("/items", json=[1, 2])
    assert rv.status_code == 422 and rv.get_json()["detail"][0]["loc"] == ["body"]


def test_query_and_path_validation(client):
    rv = client.get("/items?limit=0&offset=-1")
    assert rv.status_code == 422
    locs = [e["loc"] for e in rv.get_json()["detail"]]
    assert ["query", "limit"] in locs and ["query", "offset"] in locs
    rv = client.get("/items/0")
    assert rv.status_code == 422
    assert rv.get_json()["detail"][0]["loc"] == ["path", "item_id"]
    assert client.get("/items/abc").status_code == 404


def test_stock_adjust_and_delete(client):
    client.post("/items", json=item(quantity=2))
    rv = client.post("/items/1/adjust", json={"delta": -3})
    assert rv.status_code == 409 and rv.get_json()["message"] == "Only 2 in stock."
    assert client.post("/items/1/adjust", json={"delta": -2}).get_json()["quantity"] == 0
    assert client.patch("/items/1", json={"price_cents": 99}).get_json()["price_cents"] == 99
    rv = client.delete("/items/1")
    assert rv.status_code == 204 and rv.data == b""
    rv = client.get("/items/1")
    assert rv.status_code == 404 and rv.get_json()["message"] == "No item with id 1."


def test_spec_is_openapi_31(app, client):
    doc = client.get("/openapi.json").get_json()
    assert doc == app.openapi()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/items", "/items/{item_id}", "/items/{item_id}/adjust"}
    assert set(doc["paths"]["/items/{item_id}"]) == {"get", "patch", "delete"}
    post = doc["paths"]["/items"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemIn"}
    assert set(post["responses"]) == {"201", "409", "422"}
    names = [p["name"] for p in doc["paths"]["/items"]["get"]["parameters"]]
    assert names == ["limit", "offset", "q", "in_stock"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def served():
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from inventory import create_app

    app = create_app({"PROPAGATE_EXCEPTIONS": False})
    server = make_server("127.0.0.1", 0, app, server_class=WSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_schemathesis_no_server_errors(served):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    failures = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(base_url=served, timeout=10)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, response.status_code,
                                 response.text[:200]))
            case.validate_response(response, checks=[not_a_server_error])

        check()
        ran += 1
    assert ran == 6
    assert failures == []
