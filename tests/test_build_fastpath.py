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


# -- helpers.url_for's shortcut against the app's url_for (the general path) ------------

def _app() -> Any:
    from stein import Blueprint, Stein

    app = Stein("build_fast")

    def view(**kw: Any) -> str:
        return ""

    for rule in _map().iter_rules():
        if rule.endpoint != "static":
            app.add_url_rule(rule.rule, rule.endpoint, view,
                             defaults=rule.defaults, methods=rule.methods)
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    bp.add_url_rule("/<int:id>", "item", lambda id: "")
    app.register_blueprint(bp)
    return app


def _url_outcome(call: Any, endpoint: str, values: dict[str, Any], **opts: Any) -> Any:
    try:
        return call(endpoint, **opts, **values)
    except Exception as e:  # the same error type and message from both
        return (type(e).__name__, str(e))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["index", "static", "update", "two", "flt", "paged", "anyof",
                        "post_only", "missing", "bp.item", ".item"]), VALUES,
       st.sampled_from(["/", "/bp/3"]), st.sampled_from(["", "/mount"]))
def test_url_for_shortcut_matches_app_url_for(endpoint: str, values: dict[str, Any],
                                              path: str, script_root: str) -> None:
    from stein import url_for

    app = _app()
    with app.test_request_context(path, base_url="http://example.test" + script_root):
        url_for("index")  # the first call makes the request's URL adapter
        assert _url_outcome(url_for, endpoint, values) == \
            _url_outcome(app.url_for, endpoint, values)


def test_url_for_shortcut_leaves_the_rest_to_the_app() -> None:
    """Defaults functions, an overriding url_for, options and another current app all
    take the app's path."""
    from stein import Stein, url_for

    app = _app()
    with app.test_request_context("/"):
        assert url_for("update", id=3) == "/3/update"
        assert url_for("update", id=3, _anchor="x") == "/3/update#x"
        assert url_for("update", id=3, _external=True) == "http://localhost/3/update"
        app.url_default_functions[None].append(lambda endpoint, values: values.setdefault(
            "id", 7) if endpoint == "update" else None)
        assert url_for("update") == "/7/update"

    class Custom(Stein):
        def url_for(self, endpoint: str, /, **kw: Any) -> str:
            return "custom:" + endpoint

    other = Custom("custom")
    other.add_url_rule("/", "index", lambda: "")
    with other.test_request_context("/"):
        other.url_for("index")
        assert url_for("index") == "custom:index"
    with app.test_request_context("/"), other.app_context():
        url_for("index")
        assert url_for("index") == "custom:index"  # current_app decides, as in Flask


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12))
def test_converters_skip_quote_only_when_quote_changes_nothing(text: str) -> None:
    from urllib.parse import quote

    from stein.converters import _SEGMENT_SAFE, BaseConverter, PathConverter

    m = Map()
    assert BaseConverter(m).to_url(text) == quote(text, safe=_SEGMENT_SAFE)
    assert PathConverter(m).to_url(text) == quote(text, safe=_SEGMENT_SAFE + "/")
