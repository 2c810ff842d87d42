"""Stein's Jinja environment: stock Jinja output, with less work per render.

Imported on the first render (it imports jinja2), never at ``import stein``.

What differs from ``jinja2.Environment``, and why each change cannot alter output:

- ``{{ row.id }}`` on a plain ``dict`` compiles to an inline key lookup. Stock Jinja tries
  ``getattr(row, "id")`` first, which raises and catches ``AttributeError`` for every dict
  before it falls back to ``row["id"]``. For an exact ``dict`` and a name that is not a
  ``dict`` attribute (``items``, ``keys``, ``get`` ... still go the stock way) that
  ``getattr`` can only fail, so the inline lookup returns what Jinja would. Anything else
  (other types, missing keys) calls ``environment.getattr`` as before.
- ``{{ row["id"] }}`` with a constant key likewise looks into an exact ``dict`` inline.
- Autoescaped output of an exact ``str`` or ``int`` skips building a ``Markup``: the
  escaped text is the same, and output is joined into one ``str`` anyway.
- A render copies the environment globals with plain dict operations instead of walking
  Jinja's ``ChainMap`` key by key.
- ``{{ obj.name }}`` on anything else tries ``getattr(obj, "name", <missing>)`` inline,
  which is the first step of Jinja's ``getattr`` (it catches ``AttributeError`` the same
  way); only when that misses does a call do the rest (the key lookup, else undefined).
- ``{{ f(x) }}`` calls through :func:`call` instead of ``Context.call``: for a plain
  function, bound method or builtin without ``jinja_pass_arg`` (``pass_context`` and
  friends) Jinja's checks can only find nothing to pass, so ``call`` calls it directly, with
  the same ``StopIteration`` -> undefined rule; anything else goes to ``Context.call``.

The code generator is the documented ``Environment.code_generator_class`` extension point.
It also leans on a few private names (markupsafe's ``_escape_inner``, the code generator's
output hooks); each is checked at import, and a missing one switches that fast path off,
leaving Jinja's own code. Sandboxed environments keep every stock path.
"""

from __future__ import annotations

import io
import keyword
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import TYPE_CHECKING, Any

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator as _StockCodeGenerator
from jinja2.compiler import Frame
from jinja2.runtime import Context
from jinja2.utils import internalcode

if TYPE_CHECKING:
    from .app import Stein

#: markupsafe's private str -> str escaper, or ``None`` when this markupsafe has none
#: (then output goes through ``markupsafe.escape`` as in stock Jinja).
escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)

# Every attribute an exact dict has: for these names ``getattr`` wins over the key, so
# ``{{ d.items }}`` must stay on Jinja's path.
_DICT_ATTRS = frozenset(dir(dict))

#: What an inline ``getattr(obj, name, MISSING)`` returns when the attribute is missing.
MISSING: Any = object()

# Callee types for which Context.call's pass-argument checks can only find nothing (their
# ``__call__`` is a method-wrapper, which carries no ``jinja_pass_arg``).
_DIRECT_CALLEES = (FunctionType, MethodType, BuiltinFunctionType)


@internalcode
def call(context: Context, obj: Any, *args: Any, **kwargs: Any) -> Any:
    """``context.call(obj, *args, **kwargs)``, without its checks for a plain callee."""
    if type(obj) not in _DIRECT_CALLEES or hasattr(obj, "jinja_pass_arg"):
        return context.call(obj, *args, **kwargs)
    if kwargs:
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
    try:
        return obj(*args, **kwargs)
    except StopIteration:
        return context.environment.undefined(
            "value was undefined because a callable raised a StopIteration exception")


# The code generator hooks the fast paths override; if a future Jinja renames them, the
# stock generator is used as a whole.
_GENERATOR_HOOKS = ("visit_Getattr", "visit_Getitem", "visit_Template", "visit_Output",
                    "_output_child_pre", "_output_child_post", "_output_child_to_const",
                    "_make_finalize", "temporary_identifier", "write", "writeline", "visit")


def _generator_hooks_present(generator: type = _StockCodeGenerator) -> bool:
    return all(callable(getattr(generator, name, None)) for name in _GENERATOR_HOOKS)


class CodeGenerator(_StockCodeGenerator):
    """Jinja's code generator, emitting inline fast paths for dict access and escaping."""

    #: The module-level name the generated code calls for ``escape_inner``.
    ESCAPE_INNER_NAME = "stein_escape_inner"
    #: The module-level names of :data:`MISSING` and :func:`call` in generated code.
    MISSING_NAME = "stein_missing"
    CALL_NAME = "stein_call"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Pre and post hooks of one output child pair up through this stack.
        self._escape_temps: list[tuple[str, str] | None] = []

    def _plain_lookups(self) -> bool:
        # Inline dict lookups are exactly the stock result only when the environment's
        # getattr/getitem are Stein's own (a subclass may override them) and there is no
        # sandbox or await wrapping to respect.
        env = self.environment
        cls = type(env)
        return (
            not env.is_async
            and not env.sandboxed
            and isinstance(env, Environment)
            and cls.getattr is Environment.getattr
            and cls.getitem is jinja2.Environment.getitem
            and "getattr" not in vars(env)
            and "getitem" not in vars(env)
        )

    def _optimized(self, node: nodes.Expr, frame: Frame) -> nodes.Expr:
        # What jinja's ``optimizeconst`` does before a visitor runs: fold constants.
        if self.optimizer is not None and not frame.eval_ctx.volatile:
            return self.optimizer.visit(node, frame.eval_ctx)  # type: ignore[no-any-return]
        return node

    def _capture(self, node: nodes.Node, frame: Frame) -> str:
        """The source ``node`` compiles to, without writing it (it is written once later)."""
        self.write("")  # flush a pending newline and indentation into the real stream
        stream = self.stream
        self.stream = io.StringIO()
        try:
            self.visit(node, frame)
            return self.stream.getvalue()
        finally:
            self.stream = stream

    def _write_dict_fast(self, obj_src: str, key_src: str, slow: str) -> None:
        if obj_src.isidentifier() and not keyword.iskeyword(obj_src):
            obj = first = obj_src
        else:  # evaluate the object expression once
            obj = self.temporary_identifier()
            first = f"({obj} := {obj_src})"
        if slow == "getattr":
            # Jinja's getattr tries the attribute first: do that inline, and call for the
            # rest only when it is missing.
            value = self.temporary_identifier()
            slow_src = (f"{value} if ({value} := getattr({obj}, {key_src}, {self.MISSING_NAME}))"
                        f" is not {self.MISSING_NAME} else environment.getattr_missing({obj},"
                        f" {key_src})")
        else:
            slow_src = f"environment.{slow}({obj}, {key_src})"
        self.write(f"({obj}[{key_src}] if type({first}) is dict and {key_src} in {obj}"
                   f" else {slow_src})")

    def _direct_calls(self) -> bool:
        env = self.environment
        return (not env.is_async and not env.sandboxed and isinstance(env, Environment)
                and env.context_class.call is Context.call)

    def write(self, x: str) -> None:
        # Jinja's visit_Call opens every call with this exact string (the sandbox and async
        # variants differ); with nothing overriding Context.call it becomes ``call(context,``.
        if x == "context.call(" and self._direct_calls():
            x = f"{self.CALL_NAME}(context, "
        super().write(x)

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:  # noqa: N802
        if not self._plain_lookups() or node.attr in _DICT_ATTRS:
            return super().visit_Getattr(node, frame)  # type: ignore[no-any-return]
        new_node = self._optimized(node, frame)
        if new_node != node:
            return self.visit(new_node, frame)  # type: ignore[no-any-return]
        self._write_dict_fast(self._capture(node.node, frame), repr(node.attr), "getattr")
        return None

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:  # noqa: N802
        arg = node.arg
        if not (self._plain_lookups() and isinstance(arg, nodes.Const)
                and type(arg.value) in (str, int)):
            return super().visit_Getitem(node, frame)  # type: ignore[no-any-return]
        new_node = self._optimized(node, frame)
        if new_node != node:
            return self.visit(new_node, frame)  # type: ignore[no-any-return]
        self._write_dict_fast(self._capture(node.node, frame), repr(arg.value), "getitem")
        return None

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:  # noqa: N802
        if escape_inner is not None:
            self.writeline(f"from stein.jinja_fast import escape_inner as {self.ESCAPE_INNER_NAME}")
        self.writeline(f"from stein.jinja_fast import MISSING as {self.MISSING_NAME},"
                       f" call as {self.CALL_NAME}")
        super().visit_Template(node, frame)
        if isinstance(self.stream, io.StringIO):
            self.stream = io.StringIO(_drop_dead_loop_vars(self.stream.getvalue()))

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:  # noqa: N802
        """One ``yield`` of an f-string per output node, instead of one per piece.

        Only for autoescaped, unbuffered output: every runtime piece is then an exact
        ``str`` or a ``Markup``, which an f-string copies as ``"".join`` would.
        """
        finalize = self._make_finalize()
        if (frame.buffer is not None or frame.require_output_check
                or not self._inline_escape(frame, finalize)):
            return super().visit_Output(node, frame)  # type: ignore[no-any-return]
        # Constant pieces are folded at compile time exactly as Jinja's visit_Output does.
        body: list[list[Any] | nodes.Expr] = []
        for child in node.nodes:
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except (nodes.Impossible, Exception):
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(const)
            else:
                body.append([const])
        if len(body) < 2:
            return super().visit_Output(node, frame)  # type: ignore[no-any-return]
        text: list[str] = []
        for item in body:
            if isinstance(item, list):
                text.append("".join(item).replace("{", "{{").replace("}", "}}"))
                continue
            # Each runtime piece is evaluated, in order, into a temporary first.
            name = self.temporary_identifier()
            self.writeline(f"{name} = ", item)
            self._output_child_pre(item, frame, finalize)
            self.visit(item, frame)
            self._output_child_post(item, frame, finalize)
            text.append("{" + name + "}")
        self.writeline("yield f" + repr("".join(text)))
        return None

    def _inline_escape(self, frame: Frame, finalize: Any) -> bool:
        return (escape_inner is not None and frame.eval_ctx.autoescape
                and not frame.eval_ctx.volatile and finalize.src is None)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if not self._inline_escape(frame, finalize):
            self._escape_temps.append(None)
            return super()._output_child_pre(node, frame, finalize)  # type: ignore[no-any-return]
        value, kind = self.temporary_identifier(), self.temporary_identifier()
        self._escape_temps.append((value, kind))
        # escape(x) for an exact str is Markup(escape_inner(x)) and for an exact int
        # str(x) (digits need no escaping); the output is concatenated either way.
        self.write(f"({self.ESCAPE_INNER_NAME}({value}) if ({kind} := type({value} := ")
        return None

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        temps = self._escape_temps.pop()
        if temps is None:
            return super()._output_child_post(node, frame, finalize)  # type: ignore[no-any-return]
        value, kind = temps
        self.write(f")) is str else str({value}) if {kind} is int else escape({value}))")
        return None


_LOOP_VARS_INIT = re.compile(r"^( *)_loop_vars = \{\}$", re.MULTILINE)


def _drop_dead_loop_vars(source: str) -> str:
    """``source`` without its per-iteration ``_loop_vars = {}`` if nothing reads them.

    Jinja starts every loop iteration with a fresh dict for ``{% set %}`` inside loops.
    When the module mentions ``_loop_vars`` nowhere else, the dicts are never used; each
    line becomes ``pass`` so line numbers (and template tracebacks) stay the same.
    """
    inits = len(_LOOP_VARS_INIT.findall(source))
    if not inits or source.count("_loop_vars") != inits:
        return source
    return _LOOP_VARS_INIT.sub(r"\1pass", source)


def _pick_code_generator(stock: type[_StockCodeGenerator] = _StockCodeGenerator) -> type:
    """Stein's generator when ``stock`` has every hook it overrides, else ``stock``."""
    return CodeGenerator if _generator_hooks_present(stock) else stock


class Template(jinja2.Template):
    """A template whose render builds its context with plain dict copies."""

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        """Jinja's :meth:`~jinja2.Template.new_context`, without walking a ``ChainMap``.

        ``dict(ChainMap)`` looks every key up through Python code; merging the maps last
        to first gives the same keys, order and values with C dict operations.
        """
        env_globals = self.globals
        if (shared or locals or type(env_globals) is not ChainMap
                or self.environment.context_class is not Context):
            return super().new_context(vars, shared, locals)
        flat: dict[str, Any] = {}
        for mapping in reversed(env_globals.maps):
            if type(mapping) is not dict:
                return super().new_context(vars, shared, locals)
            flat.update(mapping)
        # dict(flat, **vars) keeps Jinja's TypeError for non-string variable names.
        parent = dict(flat, **vars) if vars else flat
        return Context(self.environment, parent, self.name, self.blocks, globals=flat)


class Environment(jinja2.Environment):
    """The Jinja environment behind ``app.jinja_env``; ``env.app`` is the app.

    Renders exactly what ``jinja2.Environment`` renders; see the module docstring for the
    shortcuts it takes. Subclass it (and set ``app.jinja_environment``) to customise.
    """

    code_generator_class = _pick_code_generator()
    template_class = Template

    def __init__(self, app: Stein, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.sandboxed:
            _restore_stock(cls)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Jinja's :meth:`~jinja2.Environment.getattr`, with a direct key lookup for dicts."""
        # An exact dict has no attribute outside dir(dict), so Jinja's getattr() attempt
        # could only raise; go straight to the key.
        if type(obj) is dict and type(attribute) is str and attribute not in _DICT_ATTRS:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getattr_missing(self, obj: Any, attribute: str) -> Any:
        """The rest of :meth:`getattr` once ``getattr(obj, attribute)`` found nothing: the
        key, else undefined (what the inline attribute lookup calls)."""
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


def _restore_stock(cls: type[Environment]) -> None:
    """Give a sandboxed subclass the sandbox's own lookups, generator and template class."""
    mro = cls.__mro__
    after = mro[mro.index(Environment) + 1:]
    for name in ("getattr", "code_generator_class", "template_class"):
        if getattr(cls, name) is not Environment.__dict__.get(name):
            continue  # the subclass chose its own
        for base in after:
            if name in base.__dict__:
                setattr(cls, name, base.__dict__[name])
                break


def _app_environment(base: type[jinja2.Environment]) -> type[jinja2.Environment]:
    """``base`` with Stein's ``__init__(app, **options)`` (and no fast paths)."""

    class AppEnvironment(base):  # type: ignore[valid-type,misc]
        def __init__(self, app: Stein, **options: Any) -> None:
            if "loader" not in options:
                options["loader"] = app.create_global_jinja_loader()
            super().__init__(**options)
            self.app = app

    AppEnvironment.__name__ = AppEnvironment.__qualname__ = base.__name__
    AppEnvironment.__module__ = base.__module__
    return AppEnvironment


def environment_class(choice: type[jinja2.Environment] | None) -> type[jinja2.Environment]:
    """The class ``app.jinja_env`` is built from, given ``app.jinja_environment``.

    ``None`` gives :class:`Environment`. A subclass of it is used as is. Any other Jinja
    environment class (``SandboxedEnvironment``, say) is used with Stein's app-aware
    constructor and none of the fast paths.
    """
    if choice is None:
        return Environment
    if issubclass(choice, Environment):
        return choice
    if issubclass(choice, jinja2.Environment):
        return _app_environment(choice)
    raise TypeError(f"jinja_environment must be a jinja2.Environment subclass, not {choice!r}")
