"""The optional C speedups (stein/_speedups.c) against the Python code they stand in for.

Each C piece is compared with its Python twin on the same inputs: the query string
splitter with hypothesis against the general parser, the cached property and the
context proxies behaviour by behaviour. `make test` also runs the request-handling test
files a second time with ``STEIN_NO_SPEEDUPS=1``, so the Python paths stay covered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from stein import Stein, ctx, g, request, session
from stein import http as stein_http
from stein._accel import speedups
from stein.datastructures import ImmutableMultiDict, MultiDict, multidict_from_pairs
from stein.exceptions import BadRequest, RequestEntityTooLarge
from stein.http import parse_qs_multidict, parse_qsl

needs_c = pytest.mark.skipif(speedups is None, reason="stein._speedups is not built here")


def test_built_where_a_compiler_is():
    # CI machines have gcc and the Python headers: a build failure there must not pass
    # silently as "the Python paths served".
    if os.environ.get("STEIN_NO_SPEEDUPS"):
        assert speedups is None
        return
    if os.environ.get("CI"):
        assert speedups is not None, "the C extension did not build (see setup.py)"


def test_switch_turns_them_off():
    code = "from stein._accel import speedups; from stein import ctx; " \
           "print(speedups is None, type(ctx.request).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "STEIN_NO_SPEEDUPS": "1"}).stdout.split()
    assert out == ["True", "_RequestProxy"]


# -- parse_plain_qs against the general parser ---------------------------------------------

_chars = st.sampled_from(list("ab=&+%%2F0aFgZ ~.-_") + ["%C3", "%A9", "%FF", "%2", "é", "ÿ", "€", "\x00"])
query_text = st.lists(_chars, max_size=30).map("".join)


def _reference(qs: str | bytes, max_fields: int | None, errors: str = "strict") -> tuple[str, Any]:
    # Strict: the C split takes on only input that needs no decision about bad escapes or
    # bad UTF-8 (the general parser keeps or replaces those, or answers 400 when strict).
    try:
        pairs = parse_qsl(qs, "query string", max_fields, errors=errors)
    except (BadRequest, RequestEntityTooLarge) as e:
        return "error", (type(e), e.description)
    return "ok", pairs


@needs_c
@settings(max_examples=600, deadline=None)
@given(text=query_text, as_bytes=st.booleans(),
       max_fields=st.sampled_from([None, 0, 1, 2, 3, 100]))
@example(text="q=stein&page=2&limit=10", as_bytes=False, max_fields=None)
@example(text="a=1&&b=%20x+y&=v&k", as_bytes=True, max_fields=None)
@example(text="a=%C3%A9&%e2%82%ac=1", as_bytes=False, max_fields=5)
@example(text="a=1&a=2", as_bytes=False, max_fields=None)
@example(text="", as_bytes=False, max_fields=0)
@example(text="a&a", as_bytes=False, max_fields=None)
def test_parse_plain_qs_agrees_with_parse_qsl(text: str, as_bytes: bool, max_fields: int | None):
    qs: str | bytes = text.encode("utf-8") if as_bytes else text
    assert speedups is not None
    into = speedups.parse_plain_qs(qs, dict, max_fields)
    outcome, ref = _reference(qs, max_fields)
    if into is not None:
        # Whatever C takes on, it answers exactly as the general parser, order included.
        assert outcome == "ok"
        assert list(into.items()) == ref
        assert all(type(k) is str and type(v) is str for k, v in into.items())
    else:
        # And it hands back only what the general parser must decide: an error, a key
        # given twice, or text wider than one byte per character.
        wide = isinstance(qs, str) and any(ord(c) > 255 for c in qs)
        repeated = outcome == "ok" and len({k for k, _ in ref}) < len(ref)
        assert outcome == "error" or repeated or wide


@given(text=query_text, as_bytes=st.booleans(), max_fields=st.sampled_from([None, 1, 3, 100]),
       mutable=st.booleans())
@settings(max_examples=300, deadline=None)
def test_parse_qs_multidict_same_with_and_without_c(text: str, as_bytes: bool,
                                                    max_fields: int | None, mutable: bool):
    for errors in ("replace", "strict"):
        _same_with_and_without_c(text, as_bytes, max_fields, mutable, errors)


def _same_with_and_without_c(text: str, as_bytes: bool, max_fields: int | None, mutable: bool,
                             errors: str) -> None:
    qs: str | bytes = text.encode("utf-8") if as_bytes else text
    cls = MultiDict if mutable else ImmutableMultiDict

    def run(parse: Any) -> tuple[str, Any]:
        saved = stein_http.parse_plain_qs
        stein_http.parse_plain_qs = parse
        try:
            md = parse_qs_multidict(qs, cls, "query string", max_fields, errors)
        except (BadRequest, RequestEntityTooLarge) as e:
            return "error", (type(e), e.description)
        finally:
            stein_http.parse_plain_qs = saved
        assert type(md) is cls
        return "ok", list(md.items(multi=True))

    with_c = run(speedups.parse_plain_qs if speedups is not None else None)
    without = run(None)
    assert with_c == without
    # Both equal the list of pairs grouped as a MultiDict lists them.
    outcome, ref = _reference(qs, max_fields, errors)
    if outcome == "ok":
        assert with_c[1] == list(multidict_from_pairs(cls, ref).items(multi=True))
    else:
        assert with_c == (outcome, ref)


@needs_c
def test_parse_plain_qs_arguments():
    assert speedups is not None
    with pytest.raises(TypeError):
        speedups.parse_plain_qs(["a=1"], dict, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.parse_plain_qs("a=1", list, None)  # type: ignore[type-var]
    with pytest.raises(TypeError):
        speedups.parse_plain_qs("a=1", dict)  # type: ignore[call-arg]
    # The instance is made as dict.__new__ makes it: no __init__ call, the class's own
    # attribute defaults.
    md = speedups.parse_plain_qs("a=1", ImmutableMultiDict, None)
    assert type(md) is ImmutableMultiDict and md._multi is None and md == {"a": "1"}
    with pytest.raises(TypeError):
        md["b"] = "2"  # still immutable
    # Field names are reused from a bounded table: thousands of distinct names (slots
    # overwritten again and again), names at and past its length bound, all come back
    # right, and the same name twice gives equal keys.
    for round_ in range(2):
        names = [f"n{i}" for i in range(3000)] + ["k" * 32, "k" * 33, ""]
        got = speedups.parse_plain_qs("&".join(f"{n}={round_}" for n in names), dict, None)
        assert got is not None and list(got) == names and set(got.values()) == {str(round_)}
    # Bounds past the C integer range behave as in Python: no limit, or always over.
    assert speedups.parse_plain_qs("a=1&b=2", dict, 10**30) == {"a": "1", "b": "2"}
    assert speedups.parse_plain_qs("a=1&b=2", dict, -(10**30)) is None
    app = Stein(__name__)
    app.config["MAX_FORM_PARTS"] = 10**30
    app.get("/")(lambda: dict(request.args))
    assert app.test_client().get("/?a=1&b=2").get_json() == {"a": "1", "b": "2"}
    # A long body takes the heap buffer rather than the stack one.
    body = "&".join(f"k{i}=v+{i}%21" for i in range(500))
    into = speedups.parse_plain_qs(body, dict, None)
    assert into is not None and into["k499"] == "v 499!" and len(into) == 500


def test_request_args_and_form_through_the_app():
    app = Stein(__name__)

    @app.post("/")
    def view() -> Any:
        return {"args": list(request.args.items(multi=True)),
                "form": list(request.form.items(multi=True))}

    c = app.test_client()
    rv = c.post("/?a=1&b=%C3%A9&a=2", data={"x": "1 2", "y": "ü"})
    assert rv.get_json() == {"args": [["a", "1"], ["a", "2"], ["b", "é"]],
                             "form": [["x", "1 2"], ["y", "ü"]]}
    rv = c.post("/?a=%zz&b=%ff")  # kept literally / replaced, on the C and the Python path
    assert rv.status_code == 200 and rv.get_json()["args"] == [["a", "%zz"], ["b", "\ufffd"]]
    app.config["MAX_FORM_PARTS"] = 2
    rv = c.post("/?a=1&b=2&c=3")
    assert rv.status_code == 413 and b"Too many fields in the query string (limit 2)" in rv.data
    rv = c.post("/", data="a=1&b=2&c=3", content_type="application/x-www-form-urlencoded")
    assert rv.status_code == 413 and b"Too many fields in the form data" in rv.data


# -- MultiDict.get and EnvironHeaders.get ---------------------------------------------------

def _python_get(cls: type) -> Any:
    # The Python method the C one replaces, from the class body's source.
    import ast
    import inspect
    import textwrap

    src = textwrap.dedent(inspect.getsource(cls))
    tree = ast.parse(src)
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "get")
    namespace = dict(sys.modules["stein.datastructures"].__dict__)
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "<get>", "exec"), namespace)
    return namespace["get"]


def _bad_int(v: Any) -> int:
    raise TypeError("no")


_typers = st.sampled_from([None, int, float, str.upper, _bad_int])
# int() takes whitespace, signs, underscores and any Unicode digit; the C path must too.
_values = st.sampled_from(["1", "x", "2.5", "", " 7 ", "+5", "-0", "1_000", "1__0", "٣", "9" * 30])


@given(items=st.dictionaries(st.sampled_from(["a", "b", "c"]), _values, max_size=3),
       key=st.sampled_from(["a", "b", "z"]), default=st.sampled_from([None, 0, "d"]),
       typ=_typers, style=st.sampled_from(["pos", "kw", "mixed", "short"]))
def test_multidict_get_same_in_c_and_python(items: dict[str, str], key: str, default: Any,
                                            typ: Any, style: str):
    from stein.datastructures import MultiDict

    md = MultiDict(list(items.items()))
    py = _python_get(MultiDict)

    def call(get: Any) -> tuple[Any, type]:
        if style == "pos":
            got = get(key, default, typ)
        elif style == "kw":
            got = get(key, default=default, type=typ)
        elif style == "mixed":
            got = get(key, default, type=typ)
        else:
            got = get(key)
        return got, type(got)

    assert call(md.get) == call(lambda *a, **k: py(md, *a, **k))


@given(headers=st.dictionaries(st.sampled_from(["X-Token", "Content-Type", "Accept"]), _values,
                               max_size=3),
       key=st.sampled_from(["X-Token", "x-token", "CONTENT-TYPE", "Accept", "Missing", "a_b"]),
       default=st.sampled_from([None, 0, "d"]), typ=_typers)
def test_environ_headers_get_same_in_c_and_python(headers: dict[str, str], key: str,
                                                  default: Any, typ: Any):
    from stein.datastructures import EnvironHeaders, _environ_keys

    environ: dict[str, Any] = {}
    for k, v in headers.items():
        name = k.upper().replace("-", "_")
        environ[name if name == "CONTENT_TYPE" else "HTTP_" + name] = v
    environ["HTTP_NONE"] = None  # a None value reads as missing
    h = EnvironHeaders(environ)
    py = _python_get(EnvironHeaders)
    _environ_keys.pop(key, None)  # the first read fills the cache, the second uses it
    for _ in range(2):
        expected = py(h, key, default, type=typ)
        got = h.get(key, default, type=typ)
        assert (got, type(got)) == (expected, type(expected))
    assert h.get("None", "dflt") == "dflt"


def test_get_methods_bind_and_complain_like_python():
    from stein.datastructures import EnvironHeaders, ImmutableMultiDict, MultiDict

    md = ImmutableMultiDict([("a", "1")])
    assert md.get("a", type=int) == 1 and MultiDict.get(md, "a") == "1"
    assert md.get(key="a") == "1"
    for bad in (lambda: md.get(), lambda: md.get("a", 1, int, 4), lambda: md.get("a", what=1),
                lambda: md.get("a", None, default=2)):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(TypeError):
        md.get(["unhashable"])
    h = EnvironHeaders({"HTTP_A": "1"})
    assert h.get("a", type=int) == 1 and h.get(key="A") == "1"
    with pytest.raises((TypeError, AttributeError)):
        h.get(5)  # not a header name

    class Mapping(dict):  # an environ that is not exactly a dict uses its own get()
        def get(self, key: Any, default: Any = None) -> Any:
            return "from-get" if key == "HTTP_A" else default

    assert EnvironHeaders(Mapping()).get("a") == "from-get"
    assert EnvironHeaders(Mapping()).get("b", "d") == "d"


def test_get_is_the_c_one_when_built():
    from stein.datastructures import EnvironHeaders, MultiDict

    if speedups is None:
        assert type(MultiDict.__dict__["get"]).__name__ == "function"
    else:
        assert MultiDict.__dict__["get"] is speedups.multidict_get
        assert type(EnvironHeaders.__dict__["get"]).__name__ == "method_descriptor"


# -- cached_property ---------------------------------------------------------------------

def _python_cached_property() -> type:
    # The class stein.request defines before it swaps in the C one.
    # (``stein.request`` is the proxy; the module is in sys.modules under that name.)
    src = sys.modules["stein.request"].__dict__.get("_PyCachedProperty")
    assert src is not None
    return src  # type: ignore[no-any-return]


def _implementations() -> list[Any]:
    impls = [pytest.param(_python_cached_property(), id="python")]
    if speedups is not None:
        impls.append(pytest.param(speedups.cached_property, id="c"))
    return impls


@pytest.mark.parametrize("cp", _implementations())
def test_cached_property_behaviour(cp: Any):
    calls = []

    class Thing:
        @cp
        def value(self) -> list[int]:
            """The docstring."""
            calls.append(1)
            if len(calls) == 2:
                raise ValueError("second computation fails")
            return [len(calls)]

    assert isinstance(Thing.__dict__["value"], cp)
    assert Thing.value is Thing.__dict__["value"]
    assert Thing.__dict__["value"].__doc__ == "The docstring."
    assert Thing.__dict__["value"].name == "value"
    t = Thing()
    first = t.value
    assert first == [1] and t.value is first and t.__dict__["value"] is first
    assert len(calls) == 1
    del t.value
    with pytest.raises(ValueError, match="second computation"):
        _ = t.value
    assert "value" not in t.__dict__  # a failure is not cached
    assert t.value == [3]
    t.value = "set by hand"  # type: ignore[assignment]
    assert t.value == "set by hand"


@needs_c
def test_c_cached_property_refuses_bad_arguments():
    assert speedups is not None
    with pytest.raises(AttributeError):  # as the Python one: no __name__ to read
        speedups.cached_property(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.cached_property(len, extra=1)  # type: ignore[call-arg]


def test_request_uses_the_c_property_when_built():
    from stein.request import Request

    expected = speedups.cached_property if speedups is not None else _python_cached_property()
    assert type(Request.__dict__["args"]) is expected


# -- the context proxies -----------------------------------------------------------------

def _proxy_sets() -> list[Any]:
    python = {
        "request": ctx._RequestProxy(ctx._lookup_request, "request"),
        "session": ctx._SessionProxy(ctx._lookup_session, "session"),
        "g": ctx._FastProxy(ctx._lookup_g, "g"),
        "current_app": ctx._FastProxy(ctx._lookup_app, "current_app"),
    }
    sets = [pytest.param(python, id="python")]
    if speedups is not None:
        own = ctx._c_own_names
        c = {
            "request": ctx._CProxy(ctx._lookup_request, "request", own, ctx._cv_request,
                                   "request", ctx._no_req_msg),
            "session": ctx._CSessionProxy(ctx._lookup_session, "session", own),
            "g": ctx._CProxy(ctx._lookup_g, "g", own, ctx._cv_app, "g", ctx._no_app_msg),
            "current_app": ctx._CProxy(ctx._lookup_app, "current_app", own, ctx._cv_app, "app",
                                       ctx._no_app_msg),
        }
        sets.append(pytest.param(c, id="c"))
    return sets


@pytest.mark.parametrize("p", _proxy_sets())
def test_proxies_outside_a_context(p: dict[str, Any]):
    req, sess, gg, app = p["request"], p["session"], p["g"], p["current_app"]
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        _ = req.path
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        _ = sess.get("a")
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        _ = sess["a"]
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        _ = gg.x
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        _ = app.name
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        app.debug = True
    assert not req and not gg
    assert repr(req) == "<unbound proxy request>"
    assert repr(app) == "<unbound proxy current_app>"
    assert dir(req) == []
    assert req.__class__ is ctx._Proxy


@pytest.mark.parametrize("p", _proxy_sets())
def test_proxies_inside_a_context(p: dict[str, Any]):
    from stein.ctx import _AppCtxGlobals
    from stein.request import Request

    req, sess, gg, cur = p["request"], p["session"], p["g"], p["current_app"]
    app = Stein(__name__)
    app.secret_key = "a-secret-long-enough-for-the-warning-0123456789"
    with app.test_request_context("/path?x=1", headers={"X-A": "b"}):
        real = request._get_current_object()
        assert req._get_current_object() is real
        assert req.path == "/path" and req.args["x"] == "1" and req.headers["X-A"] == "b"
        assert isinstance(req, Request) and req.__class__ is type(real)
        assert req == real and hash(req) == hash(real) and not (req != real)
        assert repr(req) == repr(real) and str(req) == str(real)
        assert "args" in dir(req)
        req.custom = 5  # setattr reaches the request
        assert real.custom == 5
        del req.custom
        assert not hasattr(real, "custom")
        with pytest.raises(AttributeError):
            _ = req.no_such_attribute
        # session: attribute and item access both reach the open session.
        sess["k"] = "v"
        assert sess["k"] == "v" and "k" in sess and sess.get("k") == "v"
        assert session["k"] == "v"
        assert sess._get_current_object() is session._get_current_object()
        # g and current_app
        gg.n = 3
        assert g.n == 3 and gg.get("n") == 3 and "n" in gg and list(gg) == ["n"]
        assert isinstance(gg, _AppCtxGlobals)
        assert cur.name == app.name and cur._get_current_object() is app
        assert cur.config is app.config
        # Names the proxy itself owns stay on the proxy.
        assert callable(req._lookup) and req._proxy_name == "request"


@needs_c
def test_c_proxy_refuses_bad_arguments():
    assert speedups is not None
    own = frozenset()
    with pytest.raises(TypeError):
        speedups.ContextProxy(lambda: 1, "x", set())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.ContextProxy(lambda: 1, "x", own, "not a ContextVar", "a")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.ContextProxy(lambda: 1, "x", own, ctx._cv_app, None)
    # With no ContextVar the lookup function is called (the session proxy's way).
    p = speedups.ContextProxy(lambda: "text", "x", own)
    assert p.upper() == "TEXT"
    # Proxies are collectable (the type takes part in garbage collection).
    import gc
    import weakref

    class Holder:
        pass

    def make_cycle() -> Any:
        holder = Holder()
        cls = type("P", (speedups.ContextProxy,), {"__slots__": ("__weakref__",)})
        proxy = cls(lambda: holder, "h", own)
        holder.proxy = proxy  # type: ignore[attr-defined]  # a cycle through the lookup
        return weakref.ref(proxy)

    ref = make_cycle()
    gc.collect()
    assert ref() is None
