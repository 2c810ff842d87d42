"""Two fast paths of ``stein.jinja_fast`` against stock Jinja: calls through
``jinja_fast.call`` (instead of ``Context.call``) and the inline ``getattr(obj, name,
MISSING)`` attribute lookup. Each case renders on Stein's environment and on a stock
``jinja2.Environment`` and must give the same output, the same error, and call the same
things the same number of times."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from stein import Stein
from stein.jinja_fast import Environment


class Counted:
    """Attributes whose reads are counted; ``broken`` raises AttributeError from a property."""

    def __init__(self) -> None:
        self.reads = 0
        self.name = "plain"

    @property
    def prop(self) -> str:
        self.reads += 1
        return "<prop>"

    @property
    def broken(self) -> str:
        self.reads += 1
        raise AttributeError("inside the property")

    def method(self, x: Any = "m") -> str:
        return f"method:{x}"


class Dynamic:
    def __getattr__(self, name: str) -> str:
        if name.startswith("dyn"):
            return f"dyn:{name}"
        raise AttributeError(name)

    def __getitem__(self, key: str) -> str:
        return f"item:{key}"


class ItemOnly:
    def __getitem__(self, key: str) -> str:
        if key == "k":
            return "item-k"
        raise KeyError(key)


class DictSub(dict):  # type: ignore[type-arg]
    name = "class-attr"


class WithPassContextCall:
    @jinja2.pass_context
    def __call__(self, ctx: Any, x: Any = None) -> str:
        return f"ctx-call:{ctx.get('who')}:{x}"


@jinja2.pass_context
def ctx_fn(ctx: Any, x: Any = None) -> str:
    return f"ctx:{ctx.get('who')}:{ctx.get('inner')}:{x}"


@jinja2.pass_environment
def env_fn(env: Any) -> str:
    return f"env:{type(env).__mro__[-2].__name__}"


@jinja2.pass_eval_context
def eval_fn(ectx: Any) -> str:
    return f"eval:{ectx.autoescape}"


def stops() -> Any:
    raise StopIteration


def plain(*args: Any, **kwargs: Any) -> str:
    return f"plain:{args}:{sorted(kwargs.items())}"


def context(count: Counted) -> dict[str, Any]:
    return {
        "obj": count, "dyn": Dynamic(), "item": ItemOnly(), "sub": DictSub(name="key"),
        "d": {"name": "dict-name"}, "who": "me", "fn": plain, "lam": lambda x=1: f"lam:{x}",
        "ctx_fn": ctx_fn, "env_fn": env_fn, "eval_fn": eval_fn, "stops": stops,
        "callobj": WithPassContextCall(), "cls": dict, "upper": "abc".upper, "nums": [3, 1, 2],
    }


SOURCES = [
    "{{ obj.name }} {{ obj.prop }} {{ obj.method() }} {{ obj.method(x=2) }}",
    "{{ obj.broken }}|{{ obj.missing }}|{{ obj.missing is defined }}",
    "{{ dyn.dynamic }} {{ dyn.other }} {{ item.k }} {{ item.zz }} {{ sub.name }} {{ d.name }}",
    "{{ fn() }} {{ fn(1, 2, k=3) }} {{ fn(*nums) }} {{ lam() }} {{ lam(x=5) }} {{ upper() }}",
    "{{ ctx_fn() }} {{ env_fn() }} {{ eval_fn() }} {{ callobj(4) }} {{ cls(a=1) }}",
    "[{{ stops() }}] {{ stops() is defined }}",
    "{% for n in nums %}{% set inner = n %}{{ ctx_fn(n) }} {{ fn(n) }} {{ loop.cycle('a', 'b') }}"
    " {{ loop.last }};{% endfor %}",
    "{% block b %}{% set inner = 'blk' %}{{ ctx_fn() }}{{ fn(inner) }}{% endblock %}",
    "{% macro m(x) %}{{ fn(x) }}{{ ctx_fn(x) }}{{ caller() if caller }}{% endmacro %}"
    "{{ m(1) }}{% call m(2) %}{{ obj.name }}{% endcall %}",
    "{{ nums|map('string')|join(',') }} {{ (obj.method)() }} {{ obj.method.__name__ }}",
    "{{ undefined_name.attr }}",
]


def _render(env: jinja2.Environment, source: str) -> tuple[Any, ...]:
    count = Counted()
    try:
        out = env.from_string(source).render(context(count))
    except Exception as e:  # the same error type and message on both sides
        return ("error", type(e).__name__, str(e), count.reads)
    return ("ok", out, count.reads)


def _envs(**options: Any) -> tuple[jinja2.Environment, jinja2.Environment]:
    return (Environment(Stein("call_fastpath"), **options), jinja2.Environment(**options))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("undefined", [jinja2.Undefined, jinja2.StrictUndefined,
                                       jinja2.ChainableUndefined, jinja2.DebugUndefined])
@pytest.mark.parametrize("autoescape", [True, False])
def test_same_as_stock(source: str, undefined: type, autoescape: bool) -> None:
    fast, stock = _envs(undefined=undefined, autoescape=autoescape)
    assert _render(fast, source) == _render(stock, source)


def test_fast_paths_are_in_the_code() -> None:
    fast, _ = _envs(autoescape=True)
    code = fast.compile("{{ obj.name }}{{ fn(1) }}", raw=True)
    assert "stein_call(context, " in code and "context.call(" not in code
    assert ", 'name', stein_missing)" in code


def test_overridden_context_call_is_respected() -> None:
    class LoudContext(jinja2.runtime.Context):
        def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            return "overridden"

    fast, _ = _envs()
    fast.context_class = LoudContext
    assert "context.call(" in fast.compile("{{ fn() }}", raw=True)
    assert fast.from_string("{{ fn() }}").render(fn=plain) == "overridden"


def test_property_raising_attribute_error_read_once() -> None:
    fast, stock = _envs()
    for env in (fast, stock):
        count = Counted()
        assert env.from_string("{{ obj.broken }}").render(obj=count) == ""
        assert count.reads == 1
