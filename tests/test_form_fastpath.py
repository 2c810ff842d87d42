"""The fast paths for query strings, urlencoded bodies and MultiDict, checked against slow
references: urllib's parser (with Stein's strictness: bad escapes or UTF-8 -> 400), a
list-of-pairs model of a MultiDict, and the bounded-stream body reader."""

from __future__ import annotations

import copy
import io
import json
import pickle
import re
import sys
from typing import Any
from urllib.parse import parse_qsl as std_parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stein import Request, Stein, request
from stein.datastructures import (
    CombinedMultiDict,
    ImmutableMultiDict,
    MultiDict,
    multidict_from_pairs,
)
from stein.exceptions import BadRequest, BadRequestKeyError, HTTPException
from stein.http import parse_qs_multidict, parse_qsl

FORM = "application/x-www-form-urlencoded"
_bad_percent = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def reference_pairs(raw: bytes, strict: bool = False) -> list[tuple[str, str]] | None:
    """What Stein must answer for ``raw``: urllib's pairs (a bad escape kept literally, bad
    UTF-8 replaced, as Werkzeug does), or in strict mode ``None`` (a 400) for either."""
    if strict and _bad_percent.search(raw):
        return None
    pairs = std_parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    try:
        return [(k.encode("latin-1").decode("utf-8", "strict" if strict else "replace"),
                 v.encode("latin-1").decode("utf-8", "strict" if strict else "replace"))
                for k, v in pairs]
    except UnicodeDecodeError:
        return None


# Inputs that hit every branch: plain ASCII, '+', empty parts, escapes (good, bad, non-UTF-8)
# and raw non-ASCII bytes.
raw_query = st.lists(
    st.sampled_from([b"a", b"b", b"=", b"&", b"+", b" ", b"%", b"%2", b"%41", b"%c3%a9", b"%FF",
                     b"%zz", b"\xc3\xa9", b"\xff", b"x1", b"~", b";"]),
    max_size=14,
).map(b"".join)


class StrictRequest(Request):
    encoding_errors = "strict"


def make_app(strict: bool = False) -> Stein:
    app = Stein("fastpath")
    app.config.update(TESTING=True)
    if strict:
        app.request_class = StrictRequest

    @app.route("/", methods=["GET", "POST"])
    def index() -> Any:
        return {"args": list(request.args.items(multi=True)),
                "form": list(request.form.items(multi=True))}

    return app


APP = make_app()
STRICT_APP = make_app(strict=True)


def call(app: Stein, body: bytes = b"", query: str = "", chunked: bool = False,
         wsgi_input: Any = None, content_type: str = FORM,
         content_length: str | None = None) -> tuple[int, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": query,
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.input": io.BytesIO(body) if wsgi_input is None else wsgi_input,
        "CONTENT_TYPE": content_type,
    }
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body)) if content_length is None else content_length
    got: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        got["status"] = status

    out = b"".join(app(environ, start_response))
    return int(got["status"][:3]), out


# -- parsing: fast paths against urllib ---------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(raw=raw_query, strict=st.booleans())
def test_parse_qsl_str_and_bytes_match_reference(raw: bytes, strict: bool) -> None:
    expected = reference_pairs(raw, strict)
    errors = "strict" if strict else "replace"
    for qs in (raw, raw.decode("latin-1")):  # a body, and a query string as WSGI passes it
        if expected is None:
            with pytest.raises(BadRequest):
                parse_qsl(qs, errors=errors)
        else:
            assert parse_qsl(qs, errors=errors) == expected


@settings(max_examples=400, deadline=None)
@given(raw=raw_query, max_fields=st.sampled_from([None, 0, 1, 3, 10]), strict=st.booleans())
def test_parse_qs_multidict_matches_parse_qsl(raw: bytes, max_fields: int | None,
                                              strict: bool) -> None:
    errors = "strict" if strict else "replace"
    for qs in (raw, raw.decode("latin-1")):
        for cls in (ImmutableMultiDict, MultiDict, CombinedSubclass):
            try:
                slow = cls(parse_qsl(qs, "form data", max_fields, errors))
            except HTTPException as e:  # 400 (bad input) or 413 (too many fields): same error
                with pytest.raises(type(e)) as ei:
                    parse_qs_multidict(qs, cls, "form data", max_fields, errors)
                assert ei.value.description == e.description
                continue
            fast = parse_qs_multidict(qs, cls, "form data", max_fields, errors)
            assert type(fast) is cls
            assert list(fast.items(multi=True)) == list(slow.items(multi=True))


class CombinedSubclass(ImmutableMultiDict):
    """A user's own parameter_storage_class: always built through its constructor."""


@settings(max_examples=200, deadline=None)
@given(raw=raw_query, strict=st.booleans())
def test_request_args_and_form_match_reference(raw: bytes, strict: bool) -> None:
    expected = reference_pairs(raw, strict)
    for kwargs in ({"query": raw.decode("latin-1")}, {"body": raw}, {"body": raw, "chunked": True}):
        status, out = call(STRICT_APP if strict else APP, **kwargs)  # type: ignore[arg-type]
        if expected is None:
            assert status == 400
            what = b"query string" if "query" in kwargs else b"form data"
            assert b"in the " + what in out
        else:
            assert status == 200, out
            data = json.loads(out)
            key = "args" if "query" in kwargs else "form"
            assert [tuple(p) for p in data[key]] == ordered(expected)


def test_bad_form_input_is_kept_or_replaced() -> None:
    status, out = call(APP, b"a=%G1&b=%FF")
    assert status == 200 and json.loads(out)["form"] == [["a", "%G1"], ["b", "\ufffd"]]


def test_bad_form_input_is_400_with_message_in_strict_mode() -> None:
    status, out = call(STRICT_APP, b"a=%G1")
    assert status == 400 and b"Invalid percent-encoding in the form data." in out
    status, out = call(STRICT_APP, b"a=%FF")
    assert status == 400 and b"Invalid UTF-8 in the form data." in out
    status, out = call(APP, b"a=1", content_length="x1")
    assert status == 400 and b"Content-Length header is not a valid number" in out


def test_form_values_are_first_values_and_lists() -> None:
    app = Stein("lists")

    @app.route("/", methods=["POST"])
    def index() -> Any:
        f = request.form
        return {"a": f["a"], "all": f.getlist("a"), "b": f.get("b", type=int), "n": len(f),
                "flat": f.to_dict(), "deep": f.to_dict(flat=False)}

    status, out = call(app, b"a=1&b=2&a=3&a=x+y")
    assert status == 200
    assert json.loads(out) == {"a": "1", "all": ["1", "3", "x y"], "b": 2, "n": 2,
                               "flat": {"a": "1", "b": "2"},
                               "deep": {"a": ["1", "3", "x y"], "b": ["2"]}}


# -- reading the body ---------------------------------------------------------------------

class ShortReads(io.RawIOBase):
    """A server input that hands back at most 3 bytes per read and counts what was read."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        chunk = self._buf.read(3 if size is None or size < 0 else min(size, 3))
        self.read_bytes += len(chunk)
        return chunk


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=6))
def test_short_reads_give_the_whole_body(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    body = urlencode(pairs).encode()
    for chunked in (False, True):
        status, out = call(APP, body, wsgi_input=ShortReads(body), chunked=chunked)
        assert status == 200
        assert [tuple(p) for p in json.loads(out)["form"]] == ordered(pairs)


def test_body_shorter_than_declared_is_400() -> None:
    status, out = call(APP, b"a=1", content_length="10")
    assert status == 400
    assert b"less data than Content-Length announced" in out


@pytest.fixture
def limited() -> Stein:
    app = make_app()
    app.config.update(MAX_CONTENT_LENGTH=1000, MAX_FORM_MEMORY_SIZE=100)
    return app


def test_declared_length_at_form_memory_limit(limited: Stein) -> None:
    body = b"a=" + b"x" * 98
    status, out = call(limited, body)
    assert status == 200 and json.loads(out)["form"] == [["a", "x" * 98]]


def test_declared_length_one_past_form_memory_limit_is_refused_unread(limited: Stein) -> None:
    body = b"a=" + b"x" * 99  # 101 bytes
    src = ShortReads(body)
    status, out = call(limited, body, wsgi_input=src)
    assert status == 413
    assert b"The form data is 101 bytes; the limit is 100 bytes (MAX_FORM_MEMORY_SIZE)." in out
    assert src.read_bytes == 0  # refused on the declared length, before reading


def test_declared_length_over_max_content_length_names_that_limit(limited: Stein) -> None:
    body = b"a=" + b"x" * 1000
    src = ShortReads(body)
    status, out = call(limited, body, wsgi_input=src)
    assert status == 413
    assert b"The request body is 1002 bytes; the limit is 1000 bytes." in out
    assert src.read_bytes == 0


def test_chunked_at_form_memory_limit(limited: Stein) -> None:
    body = b"a=" + b"x" * 98
    status, out = call(limited, body, wsgi_input=ShortReads(body), chunked=True)
    assert status == 200 and json.loads(out)["form"] == [["a", "x" * 98]]


def test_chunked_one_past_form_memory_limit_stops_reading(limited: Stein) -> None:
    body = b"a=" + b"x" * 500
    src = ShortReads(body)
    status, out = call(limited, body, wsgi_input=src, chunked=True)
    assert status == 413
    assert b"The form data is over 100 bytes; the limit is 100 bytes (MAX_FORM_MEMORY_SIZE)." in out
    assert src.read_bytes == 101  # one byte past the limit, not the whole body


def test_limits_follow_config_changes_between_requests(limited: Stein) -> None:
    body = b"a=" + b"x" * 150
    assert call(limited, body)[0] == 413
    limited.config["MAX_FORM_MEMORY_SIZE"] = 200
    assert call(limited, body)[0] == 200
    limited.config["MAX_FORM_PARTS"] = 2
    status, out = call(limited, b"a=1&b=2&c=3")
    assert status == 413 and b"Too many fields in the form data (limit 2)." in out


def test_request_subclass_limit_properties_are_honoured() -> None:
    class SmallForms(Request):
        @property
        def max_form_memory_size(self) -> int | None:
            return 5

    app = make_app()
    app.request_class = SmallForms
    assert call(app, b"a=123")[0] == 200
    status, out = call(app, b"a=1234")
    assert status == 413 and b"the limit is 5 bytes (MAX_FORM_MEMORY_SIZE)" in out


def test_stream_data_and_get_data_after_form_parsing() -> None:
    app = Stein("after")

    @app.route("/", methods=["POST"])
    def index() -> Any:
        form = request.form.to_dict()
        return {"form": form, "stream": request.stream.read().decode(),
                "raw": request.get_data(as_text=True)}

    status, out = call(app, b"k=v&x=%C3%A9")
    assert status == 200
    assert json.loads(out) == {"form": {"k": "v", "x": "\u00e9"}, "stream": "",
                               "raw": "k=v&x=%C3%A9"}


def test_body_read_first_then_form() -> None:
    app = Stein("first")

    @app.route("/", methods=["POST"])
    def index() -> Any:
        raw = request.get_data()
        return {"raw": raw.decode(), "form": request.form.to_dict()}

    status, out = call(app, b"k=v")
    assert status == 200 and json.loads(out) == {"raw": "k=v", "form": {"k": "v"}}


def test_content_type_with_charset_uses_the_same_parser() -> None:
    status, out = call(APP, b"a=1&b=x+y", content_type=FORM + "; charset=UTF-8")
    assert status == 200 and json.loads(out)["form"] == [["a", "1"], ["b", "x y"]]


# -- MultiDict against a list-of-pairs model ----------------------------------------------

keys = st.sampled_from(["a", "b", "c", 1])
vals = st.sampled_from(["1", "2", "", None, "x"])

ops = st.lists(st.one_of(
    st.tuples(st.just("set"), keys, vals),
    st.tuples(st.just("add"), keys, vals),
    st.tuples(st.just("setlist"), keys, st.lists(vals, max_size=3)),
    st.tuples(st.just("del"), keys, st.none()),
    st.tuples(st.just("pop"), keys, st.none()),
    st.tuples(st.just("poplist"), keys, st.none()),
    st.tuples(st.just("setdefault"), keys, vals),
    st.tuples(st.just("setlistdefault"), keys, st.lists(vals, max_size=2)),
    st.tuples(st.just("update"), st.lists(st.tuples(keys, vals), max_size=3), st.none()),
    st.tuples(st.just("popitem"), st.none(), st.none()),
    st.tuples(st.just("clear"), st.none(), st.none()),
), max_size=12)


def model_apply(model: list[tuple[Any, Any]], op: str, a: Any, b: Any) -> Any:
    """Apply ``op`` to the model (pairs in order: keys by first appearance, values in order)."""
    present = [k for k, _ in model]
    if op == "set":
        if a in present:
            i = present.index(a)
            model[:] = [p for p in model if p[0] != a]
            model.insert(i, (a, b))
        else:
            model.append((a, b))
    elif op == "add":
        if a in present:
            last = max(i for i, (k, _) in enumerate(model) if k == a)
            model.insert(last + 1, (a, b))
        else:
            model.append((a, b))
    elif op == "setlist":
        if not b:
            model[:] = [p for p in model if p[0] != a]
        elif a in present:
            i = present.index(a)
            model[:] = [p for p in model if p[0] != a]
            model[i:i] = [(a, v) for v in b]
        else:
            model.extend((a, v) for v in b)
    elif op in ("del", "pop", "poplist"):
        gone = [v for k, v in model if k == a]
        model[:] = [p for p in model if p[0] != a]
        if op == "poplist":
            return gone
        if not gone:
            return KeyError
        return gone[0] if op == "pop" else None
    elif op == "setdefault":
        if a not in present:
            model.append((a, b))
        return next(v for k, v in model if k == a)
    elif op == "setlistdefault":
        if a not in present:
            model.extend((a, v) for v in b)
        return [v for k, v in model if k == a]
    elif op == "update":
        for k, v in a:
            model_apply(model, "add", k, v)
    elif op == "popitem":
        if not model:
            return KeyError
        last_key = present[-1] if len(set(present)) == 1 else list(dict.fromkeys(present))[-1]
        first = next(v for k, v in model if k == last_key)
        model[:] = [p for p in model if p[0] != last_key]
        return (last_key, first)
    elif op == "clear":
        model.clear()
    return None


def md_apply(md: MultiDict, op: str, a: Any, b: Any) -> Any:
    try:
        if op == "set":
            md[a] = b
        elif op == "add":
            md.add(a, b)
        elif op == "setlist":
            md.setlist(a, b)
        elif op == "del":
            del md[a]
        elif op == "pop":
            return md.pop(a)
        elif op == "poplist":
            return md.poplist(a)
        elif op == "setdefault":
            return md.setdefault(a, b)
        elif op == "setlistdefault":
            return list(md.setlistdefault(a, b))
        elif op == "update":
            md.update(a)
        elif op == "popitem":
            return md.popitem()
        elif op == "clear":
            md.clear()
    except KeyError:
        return KeyError
    return None


def ordered(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Pairs grouped by key in order of first appearance, as items(multi=True) yields them."""
    order = list(dict.fromkeys(k for k, _ in pairs))
    return [(k, v) for key in order for k, v in pairs if k == key]


def check_same(md: MultiDict, model: list[tuple[Any, Any]]) -> None:
    want = ordered(model)
    assert list(md.items(multi=True)) == want
    firsts = {}
    for k, v in want:
        firsts.setdefault(k, v)
    assert dict(md) == firsts == md.to_dict()
    assert list(md.items()) == list(firsts.items())
    assert list(md.keys()) == list(firsts) and len(md) == len(firsts)
    assert list(md.values()) == list(firsts.values())
    for k in ["a", "b", "c", 1, "zz"]:
        allv = [v for kk, v in want if kk == k]
        assert md.getlist(k) == allv
        assert (k in md) == bool(allv)
        assert md.get(k, "dflt") == (allv[0] if allv else "dflt")
        if allv:
            assert md[k] == allv[0]
        else:
            with pytest.raises(BadRequestKeyError):
                md[k]
    assert md.to_dict(flat=False) == {k: [v for kk, v in want if kk == k] for k in firsts}
    assert dict(md.lists()) == md.to_dict(flat=False)
    assert list(md.listvalues()) == list(md.to_dict(flat=False).values())
    assert MultiDict(want) == md and not (MultiDict(want) != md)
    assert multidict_from_pairs(MultiDict, list(want)) == md
    back = pickle.loads(pickle.dumps(md))
    assert type(back) is type(md) and list(back.items(multi=True)) == want
    assert list(copy.deepcopy(md).items(multi=True)) == want
    frozen = ImmutableMultiDict(md)
    assert list(frozen.items(multi=True)) == want and list(frozen.copy().items(multi=True)) == want


@settings(max_examples=300, deadline=None)
@given(start=st.lists(st.tuples(keys, vals), max_size=6), script=ops)
def test_multidict_matches_pair_model(start: list[tuple[Any, Any]],
                                      script: list[tuple[str, Any, Any]]) -> None:
    md = MultiDict(start)
    model = ordered(start)
    check_same(md, model)
    for op, a, b in script:
        assert md_apply(md, op, a, b) == model_apply(model, op, a, b), (op, a, b)
        model = ordered(model)
        check_same(md, model)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(keys, vals), max_size=10))
def test_multidict_from_pairs_matches_constructor(pairs: list[tuple[Any, Any]]) -> None:
    for cls in (MultiDict, ImmutableMultiDict):
        fast = multidict_from_pairs(cls, list(pairs))
        slow = cls(list(pairs))
        assert type(fast) is cls
        assert list(fast.items(multi=True)) == list(slow.items(multi=True)) == ordered(pairs)


def test_multidict_equality_sees_every_value() -> None:
    one = MultiDict([("a", "1")])
    two = MultiDict([("a", "1"), ("a", "2")])
    assert one != two and two != one and not (one == two)
    assert one == {"a": "1"} and two != {"a": "1"}
    assert two == MultiDict([("a", "1"), ("a", "2")])
    assert MultiDict() == MultiDict() and MultiDict() != 5
    from types import MappingProxyType

    assert one == MappingProxyType({"a": "1"}) and two != MappingProxyType({"a": "1"})
    assert one != MappingProxyType({"a": "2"})


def test_setlistdefault_list_is_live() -> None:
    md = MultiDict([("a", "1")])
    lst = md.setlistdefault("a")
    lst.append("2")
    assert md.getlist("a") == ["1", "2"]
    assert md.setlistdefault("new", ["x"]) == ["x"] and md["new"] == "x"


def test_immutable_refuses_every_change() -> None:
    imd = ImmutableMultiDict([("a", "1"), ("a", "2")])
    for op in (lambda: imd.__setitem__("a", "2"), lambda: imd.add("a", "2"),
               lambda: imd.setlist("a", []), lambda: imd.setlistdefault("a"),
               lambda: imd.pop("a"), lambda: imd.poplist("a"), lambda: imd.popitem(),
               lambda: imd.popitemlist(), lambda: imd.update({}), lambda: imd.clear(),
               lambda: imd.setdefault("x", 1), lambda: imd.__delitem__("a"),
               lambda: imd.__ior__({"b": "1"})):
        with pytest.raises(TypeError, match="immutable"):
            op()
    assert imd.getlist("a") == ["1", "2"]
    assert copy.copy(imd) is imd
    mutable = imd.copy()
    mutable.add("a", "3")
    assert type(mutable) is MultiDict and imd.getlist("a") == ["1", "2"]


def test_combined_multidict_keeps_every_value_and_pickles() -> None:
    c = CombinedMultiDict([MultiDict([("a", "1"), ("a", "2")]), MultiDict([("a", "3"), ("b", "x")])])
    assert c["a"] == "1" and c.getlist("a") == ["1", "2", "3"] and c["b"] == "x"
    back = pickle.loads(pickle.dumps(c))
    assert type(back) is CombinedMultiDict and back.getlist("a") == ["1", "2", "3"]
    with pytest.raises(TypeError, match="immutable"):
        c["z"] = "1"


def test_values_combines_args_and_form() -> None:
    app = Stein("values")

    @app.route("/", methods=["POST"])
    def index() -> Any:
        return {"v": request.values.getlist("a"), "first": request.values["a"]}

    status, out = call(app, b"a=form", query="a=arg")
    assert status == 200 and json.loads(out) == {"v": ["arg", "form"], "first": "arg"}


# -- get_data: the one-call read of a declared length ------------------------------------

def data_app() -> Stein:
    app = Stein("data")
    app.config.update(MAX_CONTENT_LENGTH=50)

    @app.route("/", methods=["POST"])
    def index() -> Any:
        if request.args.get("nocache"):
            first = request.get_data(cache=False)
            return {"first": first.decode("utf-8", "replace"),
                    "again": request.get_data(as_text=True)}
        if request.args.get("stream"):
            return {"stream": request.stream.read().decode("utf-8", "replace")}
        return {"text": request.get_data(as_text=True), "again": request.get_data(as_text=True),
                "stream": request.stream.read().decode()}

    return app


@settings(max_examples=50, deadline=None)
@given(body=st.binary(max_size=50))
def test_get_data_one_call_read_matches_stream_read(body: bytes) -> None:
    app = data_app()
    text = body.decode("utf-8", "replace")
    for src in (io.BytesIO(body), ShortReads(body)):
        status, out = call(app, body, wsgi_input=src, content_type="application/octet-stream")
        assert status == 200
        assert json.loads(out) == {"text": text, "again": text, "stream": ""}
    status, out = call(app, body, query="stream=1", content_type="application/octet-stream")
    assert status == 200 and json.loads(out) == {"stream": text}
    status, out = call(app, body, query="nocache=1", content_type="application/octet-stream")
    assert status == 200 and json.loads(out) == {"first": text, "again": ""}


def test_get_data_declared_over_max_content_length_is_refused_unread() -> None:
    body = b"x" * 51
    src = ShortReads(body)
    status, out = call(data_app(), body, wsgi_input=src, content_type="application/octet-stream")
    assert status == 413
    assert b"The request body is 51 bytes; the limit is 50 bytes." in out
    assert src.read_bytes == 0


def test_get_data_body_shorter_than_declared_is_400() -> None:
    status, out = call(data_app(), b"abc", content_length="9",
                       content_type="application/octet-stream")
    assert status == 400 and b"less data than Content-Length announced" in out


def test_form_slow_read_paths() -> None:
    # A Content-Length with spaces goes through the property (and the bounded stream).
    status, out = call(APP, b"a=1", content_length=" 3 ")
    assert status == 200 and json.loads(out)["form"] == [["a", "1"]]
    # A stream the app touched first is read through, not around.
    app = make_app()

    @app.before_request
    def touch() -> None:
        assert request.stream.read(0) == b""

    status, out = call(app, b"a=1&b=2")
    assert status == 200 and json.loads(out)["form"] == [["a", "1"], ["b", "2"]]
    app.config["MAX_FORM_MEMORY_SIZE"] = 3
    status, out = call(app, b"a=1&b=2")
    assert status == 413 and b"The form data is 7 bytes; the limit is 3 bytes" in out
