"""``Map.build``'s fast path (an endpoint's only plain rule, exactly its variables given)
builds what the general path builds: the same rule, domain and path, or the same error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stein.routing import BuildError, Map, Rule


def _map() -> Map:
    return Map([
        Rule("/", endpoint="index"),
        Rule("/static/<path:filename>", endpoint="static"),
        Rule("/<int:id>/update", endpoint="update"),
        Rule("/u/<name>/<int(min=1):page>", endpoint="two"),
        Rule("/f/<float:x>", endpoint="flt"),
        Rule("/d", defaults={"page": 1}, endpoint="paged"),
        Rule("/d/<int:page>", endpoint="paged"),
        Rule("/s/<any(a, b):kind>", endpoint="anyof"),
        Rule("/m", methods=["POST"], endpoint="post_only"),
    ])


def _general(m: Map, endpoint: str, values: dict[str, Any], method: str | None) -> Any:
    saved = m._plain_build
    m._plain_build = {}
    try:
        return _outcome(m, endpoint, values, method)
    finally:
        m._plain_build = saved


def _outcome(m: Map, endpoint: str, values: dict[str, Any], method: str | None) -> Any:
    try:
        rule, domain, path = m.build(endpoint, dict(values), method)
    except BuildError as e:
        return ("BuildError", str(e))
    return (rule.rule, domain, path)


VALUES = st.dictionaries(
    st.sampled_from(["id", "name", "page", "filename", "x", "kind", "q"]),
    st.one_of(st.none(), st.integers(-5, 10**6), st.text(max_size=8),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["a", "b"])),
    max_size=3)
ENDPOINTS = st.sampled_from(["index", "static", "update", "two", "flt", "paged", "anyof",
                             "post_only", "missing"])


@settings(max_examples=400, deadline=None)
@given(ENDPOINTS, VALUES, st.sampled_from([None, "GET", "POST"]))
def test_fast_build_matches_general(endpoint: str, values: dict[str, Any],
                                    method: str | None) -> None:
    m = _map()
    assert _outcome(m, endpoint, values, method) == _general(m, endpoint, values, method)


@pytest.mark.parametrize(("endpoint", "values"), [
    ("index", {}), ("update", {"id": 3}), ("static", {"filename": "a/b c.css"}),
    ("two", {"name": "ä b", "page": 2}),
])
def test_fast_path_taken_and_equal(endpoint: str, values: dict[str, Any]) -> None:
    m = _map()
    assert m._plain_build[endpoint] is not None
    assert _outcome(m, endpoint, values, None) == _general(m, endpoint, values, None)


def test_not_plain() -> None:
    m = _map()
    assert m._plain_build["paged"] is None  # two rules, one with defaults

    class Custom(Rule):
        def build(self, values: dict[str, Any], append_unknown: bool = True) -> tuple[str, str]:
            return "", "/custom"

    m.add(Custom("/c/<int:i>", endpoint="custom"))
    assert m._plain_build["custom"] is None
    assert m.build("custom", {"i": 1})[2] == "/custom"
