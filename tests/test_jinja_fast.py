"""Stein's Jinja environment (stein.jinja_fast) renders exactly what stock Jinja renders.

A hypothesis test generates templates and contexts and compares the output (or the
exception) with a stock ``jinja2.Environment`` built with the same options; the plain
tests pin each fast path, the fallbacks, sandboxes and ``app.jinja_environment``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SecurityError
from markupsafe import Markup

from stein import Stein, jinja_fast, render_template_string
from stein.jinja_fast import Environment

# --- values a template may meet ---------------------------------------------------------

class Html:
    """An object with ``__html__`` (and a different ``__str__``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return f"<b>{self.text}</b>"

    def __str__(self) -> str:
        return "plain-str"


class Sub(str):
    """A str subclass."""


class LoudStr(str):
    def __str__(self) -> str:
        return "<loud>"


class Num(int):
    """An int subclass with a different str()."""

    def __str__(self) -> str:
        return "<num>"


class AttrDict(dict):  # type: ignore[type-arg]
    """A dict subclass whose class attribute shadows a key."""

    id = "class-attr"


class DefaultDict(dict):  # type: ignore[type-arg]
    def __missing__(self, key: Any) -> str:
        return f"missing-{key}"


class Row:
    """A plain object with attributes."""

    def __init__(self, id: Any, name: Any) -> None:
        self.id = id
        self.name = name
        self.items = ["obj-items"]


KEYS = ["id", "name", "items", "keys", "get", "values", "x", "__class__", "copy"]
TEXT = st.text(alphabet="ab <>&'\"{}\\\n%é", max_size=8)

scalars = st.one_of(
    TEXT, st.integers(-5, 10**6), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT.map(Markup), TEXT.map(Html), TEXT.map(Sub), TEXT.map(LoudStr),
    st.integers(-3, 300).map(Num),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    plain = st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    return st.one_of(
        plain, plain.map(AttrDict), plain.map(DefaultDict),
        st.lists(children, max_size=3),
        st.builds(Row, children, children),
    )


values = st.recursive(scalars, _containers, max_leaves=8)


# --- templates --------------------------------------------------------------------------

NAMES = ["v0", "v1", "v2", "x", "nope"]
FILTERS = ["upper", "e", "safe", "string", "length", "default('d')", "first", "join(',')",
           "attr('id')", "lower", "trim", "list", "escape", "int"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 3:
        kind = "atom"
    else:
        kind = draw(st.sampled_from(["atom", "atom", "attr", "attr", "item", "item", "index",
                                     "filter", "concat", "cond", "dyn"]))
    if kind == "atom":
        return draw(st.one_of(st.sampled_from(NAMES), st.sampled_from(
            ["1", "0", "'a{b}'", "'<i>'", "none", "true", "loop.index", "[1, 2]",
             "{'id': 3}"])))
    inner = draw(expressions(depth + 1))
    if kind == "attr":
        return f"{inner}.{draw(st.sampled_from(KEYS))}"
    if kind == "item":
        return f"{inner}[{draw(st.sampled_from(KEYS))!r}]"
    if kind == "index":
        return f"{inner}[{draw(st.integers(-1, 2))}]"
    if kind == "dyn":
        return f"{inner}[{draw(expressions(depth + 1))}]"
    if kind == "filter":
        return f"({inner})|{draw(st.sampled_from(FILTERS))}"
    other = draw(expressions(depth + 1))
    if kind == "concat":
        return f"{inner} ~ {other}"
    return f"({inner} if {other} else {draw(expressions(depth + 1))})"


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kinds = ["text", "out", "out", "out"]
        if depth < 2:
            kinds += ["for", "if", "set", "setblock", "autoescape", "macro", "filter", "with"]
        kind = draw(st.sampled_from(kinds))
        if kind == "text":
            parts.append(draw(st.sampled_from(
                ["<p>", "{ ", " }", "}}", "'", '"', "\\", "\n", "a&b", "{}", "é", "%",
                 "\\N{DASH}", "\\x41"])))
        elif kind == "out":
            parts.append("{{ " + draw(expressions()) + " }}")
        else:
            body = draw(blocks(depth + 1))
            expr = draw(expressions())
            if kind == "for":
                tail = "{% else %}empty" if draw(st.booleans()) else ""
                parts.append(f"{{% for x in {expr} %}}{body}{{{{ loop.index }}}}{tail}"
                             "{% endfor %}")
            elif kind == "if":
                parts.append(f"{{% if {expr} %}}{body}{{% else %}}no{{% endif %}}")
            elif kind == "set":
                parts.append(f"{{% set x = {expr} %}}{body}")
            elif kind == "setblock":
                parts.append(f"{{% set x %}}{body}{{% endset %}}{{{{ x }}}}")
            elif kind == "autoescape":
                # a non-constant switch makes the evaluation context volatile
                on = draw(st.sampled_from(["true", "false", "v1 is defined", "not v2"]))
                parts.append(f"{{% autoescape {on} %}}{body}{{% endautoescape %}}")
            elif kind == "macro":
                parts.append(f"{{% macro m(x) %}}{body}{{% endmacro %}}{{{{ m({expr}) }}}}")
            elif kind == "filter":
                parts.append(f"{{% filter upper %}}{body}{{% endfilter %}}")
            else:
                parts.append(f"{{% with x = {expr} %}}{body}{{% endwith %}}")
    return "".join(parts)


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def _outcome(env: jinja2.Environment, source: str, context: dict[str, Any]) -> tuple[Any, ...]:
    try:
        template = env.from_string(source)
        rendered = template.render(context)
        streamed = "".join(template.generate(context))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return ("error", type(e), _no_addresses(str(e)))
    # a literal like {'id': 3}.items is a new object per render: its repr's address differs
    return ("ok", _no_addresses(rendered), _no_addresses(streamed))


def _no_addresses(text: str) -> str:
    return re.sub(r"0[xX][0-9a-fA-F]+", "0x?", text)


def _pair(**options: Any) -> tuple[jinja2.Environment, jinja2.Environment]:
    fast = Environment(Stein("jinja_fast_test"), loader=jinja2.DictLoader({}), **options)
    stock = jinja2.Environment(loader=jinja2.DictLoader({}), **options)
    for env in (fast, stock):
        env.globals["site"] = {"id": "site-id", "items": "shadowed"}
    return fast, stock


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=blocks(),
    context=st.fixed_dictionaries({"v0": values, "v1": values, "v2": values}),
    autoescape=st.booleans(),
    undefined=st.sampled_from([jinja2.Undefined, jinja2.StrictUndefined,
                               jinja2.ChainableUndefined, jinja2.DebugUndefined]),
    finalize=st.sampled_from([None, _finalize]),
)
def test_same_output_as_stock_jinja(source: str, context: dict[str, Any], autoescape: bool,
                                    undefined: type, finalize: Any) -> None:
    fast, stock = _pair(autoescape=autoescape, undefined=undefined, finalize=finalize)
    got, want = _outcome(fast, source, context), _outcome(stock, source, context)
    if got != want and _has_nan(context):
        # nan != nan: compare the text instead of the equality of the tuples
        assert repr(got) == repr(want), source
    else:
        assert got == want, source


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    return False


# --- the fast paths, one by one ---------------------------------------------------------

@pytest.fixture
def env() -> Environment:
    return Environment(Stein("jinja_fast_test"), autoescape=True)


def test_attribute_on_dict_compiles_to_inline_lookup(env: Environment) -> None:
    source = env.compile("{% for row in rows %}{{ row.id }}{{ row.items }}{% endfor %}",
                         raw=True)
    assert "l_1_row['id'] if type(l_1_row) is dict and 'id' in l_1_row" in source
    # a dict attribute name keeps Jinja's getattr-first lookup
    assert "environment.getattr(l_1_row, 'items')" in source
    assert "['items'] if" not in source


def test_dict_lookups_match_stock(env: Environment) -> None:
    stock = jinja2.Environment(autoescape=True)
    source = ("{% for row in rows %}[{{ row.id }}|{{ row.items }}|{{ row.get }}|{{ row['id'] }}"
              "|{{ row[0] }}|{{ row.missing }}|{{ row['keys'] }}]{% endfor %}")
    rows = [{"id": 1, "items": "key-items", 0: "zero"}, AttrDict(id="key"),
            DefaultDict(), Row("<o>", "n"), {"keys": "<k>"}]
    assert env.from_string(source).render(rows=rows) == stock.from_string(source).render(rows=rows)
    assert env.from_string("{{ row.id }}").render(row={"id": "<x>"}) == "&lt;x&gt;"
    assert env.from_string("{{ row.id }}").render(row=AttrDict(id="key")) == "class-attr"
    assert env.from_string("{{ row['id'] }}").render(row=AttrDict(id="key")) == "key"
    assert env.from_string("{{ row.id }}").render(row=DefaultDict()) == "missing-id"
    assert env.from_string("{{ row['id'] }}").render(row=DefaultDict()) == "missing-id"


def test_getattr_method_on_dicts(env: Environment) -> None:
    assert env.getattr({"id": 7}, "id") == 7
    method = env.getattr({"items": 7}, "items")
    assert callable(method) and method.__name__ == "items"
    missing = env.getattr({"id": 7}, "name")
    assert isinstance(missing, jinja2.Undefined)
    assert missing._undefined_name == "name" and missing._undefined_obj == {"id": 7}
    strict = Environment(Stein("s"), undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError, match="'dict object' has no attribute 'name'"):
        str(strict.getattr({}, "name"))
    # a non-str attribute name fails as in Jinja (builtin getattr raises TypeError)
    with pytest.raises(TypeError):
        env.getattr({}, 5)  # type: ignore[arg-type]


def test_missing_key_raises_like_stock_under_strict_undefined() -> None:
    fast, stock = _pair(undefined=jinja2.StrictUndefined, autoescape=True)
    for env in (fast, stock):
        with pytest.raises(jinja2.UndefinedError, match="'dict object' has no attribute 'id'"):
            env.from_string("{% for r in rows %}{{ r.id }}{% endfor %}").render(rows=[{}])


@pytest.mark.parametrize(("value", "expected"), [
    ("<a href='x'>&", "&lt;a href=&#39;x&#39;&gt;&amp;"),
    (42, "42"),
    (-7, "-7"),
    (True, "True"),
    (1.5, "1.5"),
    (None, "None"),
    (Markup("<b>kept</b>"), "<b>kept</b>"),
    (Html("<x>"), "<b><x></b>"),
    (Sub("<s>"), "&lt;s&gt;"),
    (LoudStr("quiet"), "&lt;loud&gt;"),
    (Num(3), "&lt;num&gt;"),
])
def test_escaping_inline_matches_markupsafe(env: Environment, value: Any, expected: str) -> None:
    stock = jinja2.Environment(autoescape=True)
    assert env.from_string("[{{ v }}]").render(v=value) == f"[{expected}]"
    assert stock.from_string("[{{ v }}]").render(v=value) == f"[{expected}]"


def test_escaping_inline_source(env: Environment) -> None:
    source = env.compile("{{ v }}", raw=True)
    assert "from stein.jinja_fast import escape_inner as stein_escape_inner" in source
    assert "stein_escape_inner(" in source
    # without autoescape, output goes through str() as in Jinja
    plain = Environment(Stein("p"), autoescape=False).compile("{{ v }}", raw=True)
    assert "stein_escape_inner(" not in plain and "str(" in plain


def test_output_node_is_one_fstring(env: Environment) -> None:
    template = "<td>{{ a }}</td>{ x } {{ '}' }} \\ ' \" {{ b }}\n"
    source = env.compile(template, raw=True)
    assert source.count("yield f") == 1
    ctx = {"a": "{a}", "b": "<b>"}
    expected = "<td>{a}</td>{ x } } \\ ' \" &lt;b&gt;"  # Jinja drops one trailing newline
    assert env.from_string(template).render(ctx) == expected
    assert jinja2.Environment(autoescape=True).from_string(template).render(ctx) == expected


def test_output_not_merged_when_buffered_or_plain(env: Environment) -> None:
    # inside a macro (a buffered frame) and without autoescape the stock code is kept
    source = env.compile("{% macro m(a) %}<i>{{ a }}</i>{% endmacro %}", raw=True)
    assert "yield f" not in source
    plain = Environment(Stein("p"), autoescape=False)
    assert "yield f" not in plain.compile("<i>{{ a }}</i>", raw=True)
    assert plain.from_string("<i>{{ a }}</i>").render(a="<x>") == "<i><x></i>"


def test_loop_vars_dropped_only_when_unused(env: Environment) -> None:
    unused = env.compile("{% for r in rows %}{{ r }}{% endfor %}", raw=True)
    assert "_loop_vars" not in unused
    used = env.compile("{% for r in rows %}{% set n = r %}{{ n }}{% endfor %}", raw=True)
    assert "_loop_vars = {}" in used
    assert env.from_string("{% for r in rows %}{% set n = r * 2 %}{{ n }},{% endfor %}").render(
        rows=[1, 2]) == "2,4,"


def test_loop_vars_kept_for_context_functions(env: Environment) -> None:
    # a pass_context function sees variables set in the loop through _loop_vars
    @jinja2.pass_context
    def seen(context: Any, name: str) -> Any:
        return context.get(name, "-")

    source = ("{% for a in [1, 2] %}{% set v = a %}{% for b in [0] %}{% endfor %}"
              "{{ seen('v') }}{% endfor %}")
    stock = jinja2.Environment()
    for e in (env, stock):
        e.globals["seen"] = seen
    assert env.from_string(source).render() == stock.from_string(source).render()
    assert "_loop_vars = {}" in env.compile(source, raw=True)


def test_traceback_points_at_template_line(env: Environment) -> None:
    template = env.from_string("line1\n{% for r in rows %}\n{{ r.id }}\n{{ 1 // r.zero }}\n"
                               "{% endfor %}")
    with pytest.raises(ZeroDivisionError) as info:
        template.render(rows=[{"id": 1, "zero": 0}])
    lines = [f.lineno for f in info.traceback if f.path == "<template>"]
    assert lines and lines[-1] == 3  # traceback lines are 0-based: template line 4


def test_new_context_matches_stock(env: Environment) -> None:
    stock = jinja2.Environment(autoescape=True)
    for e in (env, stock):
        e.globals.update(a=1, b=2)
    template = env.from_string("x", globals={"b": "template", "c": 3})
    ref = stock.from_string("x", globals={"b": "template", "c": 3})
    got, want = template.new_context({"c": "var"}), ref.new_context({"c": "var"})
    assert list(got.get_all().items()) == list(want.get_all().items())
    assert got.globals_keys == want.globals_keys
    assert got.parent["b"] == "template" and got.parent["c"] == "var"
    # Jinja's TypeError for a non-string variable name stays
    for t in (template, ref):
        with pytest.raises(TypeError):
            t.render({1: "x"})
    # shared contexts and locals take Jinja's own path
    assert template.new_context({"z": 1}, shared=True).parent == {"z": 1}
    assert template.new_context({}, locals={"l_1_q": 5}).parent["l_1_q"] == 5


def test_globals_added_after_first_render_are_seen(env: Environment) -> None:
    template = env.from_string("{{ late }}")
    assert template.render() == ""
    env.globals["late"] = "now"
    assert template.render() == "now"


def test_custom_context_class_takes_jinja_path() -> None:
    class MyContext(jinja2.runtime.Context):
        pass

    class MyEnv(Environment):
        context_class = MyContext

    env = MyEnv(Stein("c"))
    assert type(env.from_string("x").new_context({})) is MyContext


def test_async_environment_matches_stock() -> None:
    import asyncio

    fast, stock = _pair(autoescape=True, enable_async=True)
    source = "{% for r in rows %}{{ r.id }}{{ r['name'] }}{% endfor %}"
    rows = [{"id": "<1>", "name": 2}, Row(3, 4)]
    got = asyncio.run(fast.from_string(source).render_async(rows=rows))
    assert got == asyncio.run(stock.from_string(source).render_async(rows=rows))
    assert got == "&lt;1&gt;234"


# --- fallbacks when private APIs are missing --------------------------------------------

def test_without_markupsafe_escape_inner(monkeypatch: pytest.MonkeyPatch, env: Environment) -> None:
    monkeypatch.setattr(jinja_fast, "escape_inner", None)
    source = "{% for r in rows %}<td>{{ r.id }}</td>{% endfor %}{{ t }}"
    code = env.compile(source, raw=True)
    assert "stein_escape_inner" not in code and "yield f" not in code
    assert "escape(" in code
    rows = [{"id": "<a>"}, {"id": 3}]
    assert env.from_string(source).render(rows=rows, t=Html("h")) == (
        "<td>&lt;a&gt;</td><td>3</td><b>h</b>")


def test_without_code_generator_hooks() -> None:
    class OldGenerator:  # a future Jinja without the output hooks
        def visit(self) -> None: ...

    assert jinja_fast._pick_code_generator(OldGenerator) is OldGenerator  # type: ignore[arg-type]
    assert jinja_fast._pick_code_generator() is jinja_fast.CodeGenerator

    class StockGenEnv(Environment):
        code_generator_class = jinja2.compiler.CodeGenerator

    env = StockGenEnv(Stein("old"), autoescape=True)
    assert "stein_escape_inner" not in env.compile("{{ r.id }}", raw=True)
    assert env.from_string("{{ r.id }}{{ r['items'] }}").render(r={"id": "<", "items": 1}) == (
        "&lt;1")


# --- customisation: app.jinja_environment, options, sandboxes ---------------------------

def test_app_env_uses_stein_environment() -> None:
    app = Stein("plain")
    assert app.jinja_environment is None  # Flask's attribute; None picks Stein's class
    assert type(app.jinja_env) is Environment
    assert app.jinja_env.app is app


def test_jinja_options_and_registered_helpers_still_apply() -> None:
    app = Stein("opts")
    app.jinja_options = {"undefined": jinja2.StrictUndefined, "trim_blocks": True}

    @app.template_filter("shout")
    def shout(s: str) -> str:
        return s.upper() + "!"

    @app.template_global("greeting")
    def greeting() -> str:
        return "<hi>"

    with app.app_context():
        assert render_template_string("{% if 1 %}\n{{ d.k|shout }}{{ greeting() }}{% endif %}",
                                      d={"k": "a"}) == "A!&lt;hi&gt;"
        with pytest.raises(jinja2.UndefinedError):
            render_template_string("{{ d.missing }}", d={})
    assert isinstance(app.jinja_env, Environment)


def test_subclass_overriding_getattr_is_called() -> None:
    calls: list[str] = []

    class Tracing(Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            calls.append(attribute)
            return super().getattr(obj, attribute)

    class App(Stein):
        jinja_environment = Tracing

    app = App("tracing")
    assert type(app.jinja_env) is Tracing
    with app.app_context():
        assert render_template_string("{{ d.k }}", d={"k": "v"}) == "v"
    assert calls == ["k"]
    assert "environment.getattr(" in app.jinja_env.compile("{{ d.k }}", raw=True)


@pytest.mark.parametrize("sandbox", [SandboxedEnvironment, ImmutableSandboxedEnvironment])
def test_user_sandbox_keeps_its_checks(sandbox: type) -> None:
    app = Stein("sandboxed")
    app.jinja_environment = sandbox
    env = app.jinja_env
    assert isinstance(env, sandbox) and not isinstance(env, Environment)
    assert env.app is app
    assert type(env).getattr is sandbox.getattr
    assert "stein_escape_inner" not in env.compile("{{ d.k }}", raw=True)
    with app.app_context():
        assert render_template_string("{{ d.k }}", d={"k": "<v>"}) == "&lt;v&gt;"
        with pytest.raises(SecurityError):
            render_template_string("{{ f.__code__.co_name }}", f=_finalize)
        with pytest.raises(SecurityError):
            render_template_string("{{ ''.__class__.__mro__ }}")


def test_sandbox_mixed_into_stein_environment_keeps_its_checks() -> None:
    class Both(Environment, SandboxedEnvironment):
        pass

    env = Both(Stein("both"), autoescape=True)
    assert env.sandboxed
    assert type(env).getattr is SandboxedEnvironment.getattr
    assert type(env).code_generator_class is jinja2.compiler.CodeGenerator
    assert type(env).template_class is jinja2.Template
    assert "stein_escape_inner" not in env.compile("{{ d.k }}", raw=True)
    assert env.from_string("{{ d.k }}").render(d={"k": "<v>"}) == "&lt;v&gt;"
    with pytest.raises(SecurityError):
        env.from_string("{{ f.__code__.co_name }}").render(f=_finalize)


def test_jinja_environment_must_be_a_jinja_class() -> None:
    app = Stein("wrong")
    app.jinja_environment = dict
    with pytest.raises(TypeError, match="jinja_environment must be a jinja2.Environment subclass"):
        app.jinja_env  # noqa: B018


TOUR = {
    "base.html": ("<title>{% block title %}Base{% endblock %}</title>"
                  "{% block body %}{{ page.id }}{% endblock %}{% include 'part.html' %}"),
    "part.html": "<part>{{ page.name }}|{{ page['items'] }}</part>",
    "macros.html": ("{% macro row(r) %}<td>{{ r.id }}</td>{{ caller() if caller }}{% endmacro %}"
                    "{% macro plain(r) %}[{{ r.name }}]{% endmacro %}"),
    "child.html": (
        "{% extends 'base.html' %}{% import 'macros.html' as m %}"
        "{% from 'macros.html' import plain %}"
        "{% block title %}{{ super() }}+{{ page.name }}{% endblock %}"
        "{% block body %}{% set ns = namespace(n=0) %}"
        "{% for r in rows if (r.id is not none) recursive %}{% set ns.n = ns.n + 1 %}"
        "{{ loop.index }}/{{ loop.length }}{{ loop.cycle('a', 'b') }}{{ m.row(r) }}"
        "{% call m.row(r) %}<c>{{ r.name }}</c>{% endcall %}{{ plain(r) }}"
        "{% if r.children %}({{ loop(r.children) }}){% endif %}"
        "{% else %}none{% endfor %}n={{ ns.n }}"
        "{% filter upper %}{{ page.name }}{% endfilter %}{{ super() }}{% endblock %}"),
}


@pytest.mark.parametrize("autoescape", [True, False])
def test_inheritance_includes_macros_and_loops_match_stock(autoescape: bool) -> None:
    fast = Environment(Stein("tour"), loader=jinja2.DictLoader(TOUR), autoescape=autoescape)
    stock = jinja2.Environment(loader=jinja2.DictLoader(TOUR), autoescape=autoescape)
    rows = [{"id": 1, "name": "<one>", "children": [{"id": 11, "name": "a&b"}]},
            {"id": None, "name": "skipped"}, Row(2, Markup("<i>two</i>"))]
    context = {"page": {"id": "<p>", "name": "Page's", "items": [1]}, "rows": rows}
    got = fast.get_template("child.html").render(context)
    assert got == stock.get_template("child.html").render(context)
    assert "".join(fast.get_template("child.html").generate(context)) == got
    assert "<title>Base+Page" in got and "n=3" in got
