"""JSON: jsonify and the app's provider."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import date, datetime, timezone

import pytest

from stein import Stein, jsonify
from stein import json as sjson
from stein.json import DefaultJSONProvider


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Html:
    def __html__(self):
        return "<b>safe</b>"


def test_jsonify_forms(app):
    with app.app_context():
        r = jsonify({"a": 1})
        assert r.mimetype == "application/json"
        assert r.get_json() == {"a": 1}
        assert jsonify(a=1, b=2).get_json() == {"a": 1, "b": 2}
        assert jsonify(1, 2, 3).get_json() == [1, 2, 3]
        assert jsonify([1]).get_json() == [1]
        assert jsonify().get_json() is None
        with pytest.raises(TypeError):
            jsonify(1, a=2)


def test_provider_handles_rich_types(app):
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    payload = {
        "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "day": date(2024, 1, 2),
        "id": u,
        "price": decimal.Decimal("9.99"),
        "point": Point(1, 2),
        "html": Html(),
    }
    with app.app_context():
        data = jsonify(payload).get_json()
    assert data == {
        "when": "Tue, 02 Jan 2024 03:04:05 GMT",
        "day": "Tue, 02 Jan 2024 00:00:00 GMT",  # a date as an HTTP date, as in Flask
        "id": str(u),
        "price": "9.99",
        "point": {"x": 1, "y": 2},
        "html": "<b>safe</b>",
    }
    with pytest.raises(TypeError, match="not JSON serializable"):
        app.json.dumps({"x": object()})


def test_sorted_keys_and_compact_vs_debug(app):
    with app.app_context():
        body = jsonify({"b": 1, "a": 2}).get_data(as_text=True)
        assert body == '{"a":2,"b":1}\n'
        app.debug = True
        pretty = jsonify({"b": 1, "a": 2}).get_data(as_text=True)
        # Indented without trailing spaces at line ends.
        assert pretty == '{\n  "a": 2,\n  "b": 1\n}\n'
        app.json.compact = True
        assert jsonify({"a": 1}).get_data(as_text=True) == '{"a":1}\n'
        app.json.sort_keys = False
        assert app.json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'


def test_dumps_loads(app):
    assert app.json.loads('{"a": [1, 2]}') == {"a": [1, 2]}
    assert app.json.loads(b'{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError):
        app.json.loads("{bad")
    assert json.loads(app.json.dumps({"é": "ü"})) == {"é": "ü"}
    assert app.json.dumps("é") == '"\\u00e9"'
    with app.app_context():
        assert sjson.loads(sjson.dumps({"d": date(2020, 5, 6)})) == {
            "d": "Wed, 06 May 2020 00:00:00 GMT"}
    assert sjson.dumps({"d": decimal.Decimal("1.5")}) == '{"d": "1.5"}'


def test_custom_provider(client):
    class Upper(DefaultJSONProvider):
        def dumps(self, obj, **kwargs):
            return super().dumps(obj, **kwargs).upper()

    class MyApp(Stein):
        json_provider_class = Upper

    app = MyApp("custom")

    @app.route("/")
    def index():
        return {"k": "v"}

    assert app.test_client().get("/").get_json() == {"K": "V"}


def test_view_dict_uses_provider(app, client):
    @app.route("/")
    def index():
        return {"id": uuid.UUID(int=1), "n": decimal.Decimal("2")}

    assert client.get("/").get_json() == {"id": str(uuid.UUID(int=1)), "n": "2"}


def test_request_json_uses_app_provider(app, client):
    from stein import request

    @app.route("/", methods=["POST"])
    def index():
        return {"echo": request.json}

    assert client.post("/", json={"a": [1, {"b": None}]}).get_json() == {
        "echo": {"a": [1, {"b": None}]}}
