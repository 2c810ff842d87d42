"""Dates in JSON responses are HTTP dates, as Flask sends them, with or without orjson.

Flask's provider writes ``date`` and ``datetime`` values with ``http_date`` (a ``date`` is
its midnight, UTC; a naive ``datetime`` is taken as UTC). Stein's stdlib path did so, but
with orjson installed and ``ensure_ascii`` off, orjson wrote its own ISO format. Both paths
now give the same bytes; each test runs on the stdlib path and, when orjson is installed
(the dev extra has it), on orjson's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

import stein.json as stein_json
from stein import Stein, jsonify

try:
    import orjson
except ImportError:  # pragma: no cover - the dev extra installs it
    orjson = None

BACKENDS = ["stdlib", pytest.param("orjson", marks=pytest.mark.skipif(
    orjson is None, reason="orjson is not installed (pip install stein[orjson])"))]

UTC = dt.timezone.utc
VALUES: dict[str, Any] = {
    "date": dt.date(2024, 1, 2),
    "aware": dt.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
    "naive": dt.datetime(2024, 1, 2, 3, 4, 5),
    "plus2": dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
}
# What Flask 3.1 sends for each (werkzeug.http.http_date).
EXPECTED = {
    "date": "Tue, 02 Jan 2024 00:00:00 GMT",
    "aware": "Tue, 02 Jan 2024 03:04:05 GMT",
    "naive": "Tue, 02 Jan 2024 03:04:05 GMT",
    "plus2": "Tue, 02 Jan 2024 03:04:05 GMT",
}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(stein_json, "_orjson", orjson if request.param == "orjson" else None)
    return str(request.param)


def _app(ensure_ascii: bool) -> Stein:
    app = Stein(__name__)
    app.json.ensure_ascii = ensure_ascii  # type: ignore[attr-defined]
    return app


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_dates_are_http_dates(backend: str, ensure_ascii: bool) -> None:
    app = _app(ensure_ascii)
    with app.test_request_context():
        body = jsonify(VALUES).get_json()
        assert body == EXPECTED
        for name, value in VALUES.items():
            assert jsonify(value).get_json() == EXPECTED[name]
            assert jsonify([value]).get_json() == [EXPECTED[name]]


def test_orjson_and_stdlib_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    if orjson is None:
        pytest.skip("orjson is not installed (pip install stein[orjson])")

    @dataclasses.dataclass
    class Point:
        x: int
        when: dt.date

    payload = {"b": [VALUES["date"], VALUES["naive"]], "a": {"z": 1, "y": "é"},
               "u": uuid.UUID(int=5), "d": Decimal("1.50"), "p": Point(1, VALUES["date"])}
    out = {}
    for name, mod in (("stdlib", None), ("orjson", orjson)):
        monkeypatch.setattr(stein_json, "_orjson", mod)
        app = _app(ensure_ascii=False)
        with app.test_request_context():
            out[name] = jsonify(payload).data
    assert out["orjson"] == out["stdlib"]
    assert out["stdlib"].endswith(b"\n")
    assert b'"Tue, 02 Jan 2024 00:00:00 GMT"' in out["stdlib"]


def test_a_view_returning_a_dict_with_dates(backend: str) -> None:
    app = _app(ensure_ascii=False)

    @app.get("/")
    def index() -> dict[str, Any]:
        return {"created": VALUES["date"], "seen": VALUES["aware"]}

    response = app.test_client().get("/")
    assert response.get_json() == {"created": EXPECTED["date"], "seen": EXPECTED["aware"]}


def test_time_values_are_refused_as_in_flask(backend: str) -> None:
    # Flask's provider has no rule for datetime.time: a TypeError, on both paths.
    app = _app(ensure_ascii=False)
    with app.test_request_context(), pytest.raises(TypeError):
        jsonify({"t": dt.time(3, 4)})


def test_dumps_outside_a_request_matches(backend: str) -> None:
    assert stein_json.dumps(VALUES["date"]) == f'"{EXPECTED["date"]}"'
