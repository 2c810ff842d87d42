"""MultiDict, Headers and friends."""

from __future__ import annotations

import pickle

import pytest

from stein.datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    Headers,
    ImmutableMultiDict,
    MultiDict,
)
from stein.exceptions import BadRequest, BadRequestKeyError


def test_multidict_construction_forms():
    assert MultiDict({"a": "1", "b": ["2", "3"]}).getlist("b") == ["2", "3"]
    assert MultiDict([("a", "1"), ("a", "2")]).getlist("a") == ["1", "2"]
    assert MultiDict((("t", "1"),))["t"] == "1"
    copy = MultiDict(MultiDict([("a", "1"), ("a", "2")]))
    assert copy.getlist("a") == ["1", "2"]
    assert MultiDict({"empty": []}).get("empty") is None
    assert len(MultiDict()) == 0


def test_multidict_get_with_type():
    md = MultiDict([("n", "5"), ("bad", "x")])
    assert md.get("n", type=int) == 5
    assert md.get("bad", type=int) is None
    assert md.get("bad", default=0, type=int) == 0
    assert md.getlist("n", type=int) == [5]
    assert MultiDict([("n", "1"), ("n", "x")]).getlist("n", type=int) == [1]


def test_multidict_missing_key_is_400_keyerror():
    md = MultiDict()
    with pytest.raises(BadRequestKeyError) as ei:
        md["needed"]
    e = ei.value
    assert isinstance(e, KeyError) and isinstance(e, BadRequest)
    assert e.code == 400 and e.args == ("needed",)
    assert e.args == ("needed",)
    # Plain KeyError handlers (dict code) still work.
    try:
        md["x"]
    except KeyError as caught:
        assert caught.args == ("x",)


def test_multidict_mutation():
    md = MultiDict()
    md["a"] = "1"
    md.add("a", "2")
    assert md.getlist("a") == ["1", "2"]
    md["a"] = "3"
    assert md.getlist("a") == ["3"]
    md.setlist("b", ["x", "y"])
    assert md.poplist("b") == ["x", "y"]
    assert md.setdefault("c", "d") == "d"
    assert md.setlistdefault("e", ["f"]) == ["f"]
    assert md.pop("a") == "3"
    assert md.pop("zz", "dflt") == "dflt"
    with pytest.raises(KeyError):
        md.pop("zz")
    md.update({"c": "again"})
    assert md.getlist("c") == ["d", "again"]
    assert list(md.values()) == ["d", "f"]
    assert list(md.listvalues()) == [["d", "again"], ["f"]]
    assert sorted(md) == ["c", "e"]


def test_multidict_pickle_and_repr():
    md = MultiDict([("a", "1"), ("a", "2")])
    back = pickle.loads(pickle.dumps(md))
    assert back.getlist("a") == ["1", "2"]
    assert "MultiDict" in repr(md) and "'a'" in repr(md)


def test_immutable_multidict():
    imd = ImmutableMultiDict([("a", "1")])
    for op in (lambda: imd.__setitem__("a", "2"), lambda: imd.add("a", "2"),
               lambda: imd.pop("a"), lambda: imd.update({}), lambda: imd.clear(),
               lambda: imd.setdefault("x", 1), lambda: imd.__delitem__("a")):
        with pytest.raises(TypeError, match="immutable"):
            op()
    mutable = imd.copy()
    mutable["b"] = "2"
    assert "b" not in imd and mutable["b"] == "2"
    assert hash(imd) == hash(imd)


def test_combined_multidict_first_wins():
    c = CombinedMultiDict([MultiDict([("a", "args")]), MultiDict([("a", "form"), ("b", "f")])])
    assert c["a"] == "args"
    assert c.getlist("a") == ["args", "form"]
    assert c["b"] == "f"
    with pytest.raises(BadRequestKeyError):
        c["missing"]
    with pytest.raises(TypeError):
        c["x"] = "1"


def test_headers_case_insensitive_multi():
    h = Headers([("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])
    h.add("set-cookie", "b=2")
    assert h["content-type"] == "text/plain"
    assert h.getlist("SET-COOKIE") == ["a=1", "b=2"]
    assert "CONTENT-TYPE" in h
    assert len(h) == 3
    h.set("Set-Cookie", "only")
    assert h.getlist("Set-Cookie") == ["only"]
    h.setdefault("X-New", "v")
    h.setdefault("X-New", "other")
    assert h["X-New"] == "v"
    h.remove("x-new")
    assert "X-New" not in h
    with pytest.raises(KeyError):
        h["missing"]
    assert h.get("missing", "d") == "d"
    assert h.get("Content-Length", type=int) is None
    h.add("Content-Length", "12")
    assert h.get("Content-Length", type=int) == 12
    assert h.keys(lower=True)[0] == "content-type"
    assert h == Headers(list(h))


def test_headers_options_and_update():
    h = Headers()
    h.add("Content-Disposition", "attachment", filename="r\u00e9sum\u00e9 file.pdf")
    assert h["Content-Disposition"] == "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20file.pdf"
    h.set("Content-Type", "text/plain", charset="utf-8")
    assert h["Content-Type"] == "text/plain; charset=utf-8"
    h.set("Content-Disposition", "inline", filename='a "b".txt')
    assert h["Content-Disposition"] == 'inline; filename="a \\"b\\".txt"'
    h.update({"X-A": "1", "X-B": ["2", "3"]})
    assert h["X-A"] == "1"
    assert h.getlist("X-B") == ["2", "3"]
    h.extend([("X-C", "c")])
    assert h["X-C"] == "c"
    del h["X-C"]
    assert "X-C" not in h
    assert h.pop("X-A") == "1"
    assert h.pop("X-A", None) is None


def test_headers_reject_newlines():
    h = Headers()
    for bad in ("a\nb", "a\rb", "a\r\nX-Injected: 1"):
        with pytest.raises(ValueError):
            h.add("X", bad)
        with pytest.raises(ValueError):
            h["X"] = bad
    with pytest.raises(ValueError):
        Headers([("X", "a\nb")])
    assert len(h) == 0


def test_headers_values_coerced_to_str():
    h = Headers()
    h["X-Int"] = 5
    assert h["X-Int"] == "5"
    assert ("X-Int", "5") in list(h)


def test_environ_headers():
    env = {"HTTP_X_CUSTOM": "v", "CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "3",
           "HTTP_ACCEPT": "*/*", "wsgi.input": None}
    h = EnvironHeaders(env)
    assert h["X-Custom"] == "v"
    assert h["content-type"] == "text/plain"
    assert h["Content-Length"] == "3"
    assert h.get("Nope") is None
    assert dict(h.items())["X-Custom"] == "v"
    assert len(h) == 4
    with pytest.raises(TypeError):
        h["X-New"] = "x"
