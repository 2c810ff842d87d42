"""The router's fast paths give the answers of the full tree walk.

``Map.match`` answers from a dict for static paths and from a backtracking-free descent
(:meth:`_Tree.descend`) for the rest; both must agree with the plain depth-first walk,
including 404/405/redirect outcomes and the allowed methods. Plus: importing stein stays
light (the heavy dependencies load on first use).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stein.exceptions import MethodNotAllowed, NotFound, RequestRedirect
from stein.routing import Map, Rule, _Tree

# Besides ASCII: an Arabic-Indic digit (``\d`` and int() take it), a superscript two
# (isdigit() is true, ``\d`` says no), and more digits than int() converts by default.
WORDS = ["a", "b", "users", "1", "42", "x-y", "\u0663", "\u00b2", "9" * 4400]
METHODS = ["GET", "POST", "PUT", "DELETE"]


@st.composite
def rule_sets(draw: Any) -> list[tuple[str, list[str]]]:
    rules = []
    for _ in range(draw(st.integers(1, 8))):
        segments = []
        n = draw(st.integers(0, 3))
        for j in range(n):
            kind = draw(st.sampled_from(["static", "static", "int", "string", "path"]))
            if kind == "static":
                segments.append(draw(st.sampled_from(WORDS)))
            elif kind == "int":
                segments.append(f"<int:v{j}>")
            elif kind == "string":
                segments.append(f"<v{j}>")
            elif j == n - 1:  # a path converter only at the end
                segments.append(f"<path:v{j}>")
            else:
                segments.append(draw(st.sampled_from(WORDS)))
        rule = "/" + "/".join(segments) + draw(st.sampled_from(["", "", "/"]))
        if rule == "//":
            rule = "/"
        methods = draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True))
        rules.append((rule, methods))
    return rules


paths = st.lists(st.sampled_from(WORDS), min_size=0, max_size=4).map(
    lambda parts: "/" + "/".join(parts)
) | st.sampled_from(["/", "/a/", "/users/42/", "/a//b", "/1/2/3/4/5"])


def _build(rules: list[tuple[str, list[str]]]) -> Map:
    m = Map()
    for i, (rule, methods) in enumerate(rules):
        m.add(Rule(rule, endpoint=f"e{i}", methods=methods))
    return m


def _outcome(m: Map, path: str, method: str) -> tuple[Any, ...]:
    try:
        rule, values = m.match(path, method)
    except MethodNotAllowed as e:
        return ("405", sorted(e.valid_methods))
    except RequestRedirect as e:
        return ("redirect", e.new_url)
    except NotFound:
        return ("404",)
    return ("ok", rule.endpoint, values)


class _WalkOnlyTree(_Tree):
    """The reference: no static dict, no descent, only the depth-first walk."""

    __slots__ = ()

    def descend(self, segs: list[str], method: str) -> Any:
        return None

    def match(self, path: str, method: str, allowed: set[str]) -> Any:
        return self.walk(self.root, path[1:].split("/"), 0, method, {}, allowed)


def _walk_only(rules: list[tuple[str, list[str]]]) -> Map:
    m = _build(rules)
    for tree in m._trees.values():
        tree.__class__ = _WalkOnlyTree
        tree.static.clear()
    return m


def test_reference_map_really_only_walks() -> None:
    rules = [("/a", ["GET"]), ("/u/<int:id>", ["GET"])]
    ref = _walk_only(rules)
    assert ref._plain is not None and ref._plain.static == {}
    assert ref._plain.descend(["u", "1"], "GET") is None
    assert _outcome(ref, "/a", "GET") == ("ok", "e0", {})
    assert _outcome(ref, "/u/1", "GET") == ("ok", "e1", {"id": 1})


@settings(max_examples=300, deadline=None)
@given(rules=rule_sets(), data=st.data())
def test_fast_paths_agree_with_the_tree_walk(rules: list[tuple[str, list[str]]], data: Any) -> None:
    fast, reference = _build(rules), _walk_only(rules)
    probes = [r for r, _ in rules if "<" not in r]  # every static rule's own path
    probes += data.draw(st.lists(paths, min_size=1, max_size=6))
    for path in probes:
        for method in ("GET", "POST", "HEAD", "PATCH"):
            assert _outcome(fast, path, method) == _outcome(reference, path, method), (path, method)


def test_static_rule_is_a_dict_hit_with_no_values() -> None:
    m = _build([("/users/me", ["GET"]), ("/users/<int:id>", ["GET"])])
    rule, values = m.match("/users/me", "GET")
    assert (rule.endpoint, values) == ("e0", {})
    assert m._plain is not None and "/users/me" in m._plain.static


def test_descent_takes_static_before_dynamic_and_backtracks() -> None:
    m = _build([("/a/<int:id>/x", ["GET"]), ("/a/b/z", ["GET"]), ("/a/<v>/y", ["GET"])])
    assert _outcome(m, "/a/b/z", "GET") == ("ok", "e1", {})
    assert _outcome(m, "/a/7/x", "GET") == ("ok", "e0", {"id": 7})
    # The descent goes into the static "b" and finds no "y" there; the walk backtracks.
    assert _outcome(m, "/a/b/y", "GET") == ("ok", "e2", {"v": "b"})
    assert _outcome(m, "/a/7/y", "POST") == ("405", ["GET", "HEAD"])


def test_int_converter_with_bounds_still_checks_them() -> None:
    m = Map([Rule("/p/<int(min=1, max=9):n>", endpoint="p", methods=["GET"])])
    assert m.match("/p/5", "GET")[1] == {"n": 5}
    assert _outcome(m, "/p/0", "GET") == ("404",)
    assert _outcome(m, "/p/10", "GET") == ("404",)


def test_import_stein_does_not_load_heavy_dependencies() -> None:
    code = (
        "import sys, stein\n"
        "heavy = ('jinja2', 'itsdangerous', 'python_multipart', 'multipart', 'click')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == ""


# -- the other fast paths: JSON encoding, plain query strings --------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values, ensure_ascii=st.booleans(), sort_keys=st.booleans())
def test_reused_json_encoder_matches_json_dumps(value: Any, ensure_ascii: bool,
                                                sort_keys: bool) -> None:
    import json

    from stein import Stein

    provider = Stein("j").json
    provider.ensure_ascii, provider.sort_keys = ensure_ascii, sort_keys  # type: ignore[attr-defined]
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii,
                          sort_keys=sort_keys) + "\n"
    assert provider._fast_dumps(value, False) == expected.encode()  # type: ignore[attr-defined]


def test_reused_json_encoder_survives_a_failed_encode() -> None:
    import pytest

    from stein import Stein

    app = Stein("j")
    loop: list[Any] = []
    loop.append(loop)
    for _ in range(2):
        with pytest.raises(ValueError, match="Circular reference detected"):
            app.json.response(loop)
    with pytest.raises(TypeError, match="is not JSON serializable"):
        app.json.response({"x": object()})
    shared = [1, 2]
    assert app.json.response({"a": shared, "b": shared}).get_data() == b'{"a":[1,2],"b":[1,2]}\n'


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=&+ -_.~0123456789XYZ", max_size=30))
def test_plain_query_string_fast_path_matches_urllib(qs: str) -> None:
    from urllib.parse import parse_qsl as std_parse_qsl

    from stein.http import parse_qsl

    expected = std_parse_qsl(qs, keep_blank_values=True)
    assert parse_qsl(qs) == expected
    assert parse_qsl(qs.encode()) == expected
