"""Where things are defined: the file and ``def`` line of a function, class or blueprint,
the templates a view renders, and a short path to show for a file.

``stein inspect`` answers "what runs for this URL, and where is it?"; this module is the
"where". It reads code objects and, for the few questions code objects cannot answer (the
``def`` line under decorators, the line of a ``Blueprint(...)`` call, the template names a
view passes to ``render_template``), the source file through :mod:`linecache` and
:mod:`ast`. Nothing here runs at request time.
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache
import os
import re
import sys
import textwrap
from typing import Any

__all__ = ["definition", "display_name", "display_path", "blueprint_definition",
           "templates_rendered", "innermost", "enclosing_function"]

_TEMPLATE_FUNCS = frozenset(["render_template", "stream_template"])


def innermost(obj: Any) -> Any:
    """The function whose code runs for ``obj``: a partial's function, a bound method's
    function, a callable object's ``__call__``; ``functools.wraps`` chains are *not*
    followed (decorators are shown as steps of their own).

    >>> import functools
    >>> def f(a, b): ...
    >>> innermost(functools.partial(f, 1)) is f
    True
    """
    for _ in range(10):
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif inspect.ismethod(obj):
            obj = obj.__func__
        elif isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        elif (not inspect.isfunction(obj) and not inspect.isclass(obj)
              and not inspect.isbuiltin(obj) and inspect.isfunction(_call_of(type(obj)))):
            obj = _call_of(type(obj))
        else:
            break
    return obj


def _call_of(cls: type) -> Any:
    """The ``__call__`` a class defines or inherits (``None`` for ``object``'s)."""
    for klass in cls.__mro__[:-1]:
        if "__call__" in klass.__dict__:
            return klass.__dict__["__call__"]
    return None


def _def_line(filename: str, first: int, name: str) -> int:
    """The line of ``def name``/``class name`` at or after ``first`` (the first decorator's
    line, where code objects and :func:`inspect.findsource` point)."""
    if name == "<lambda>":
        return first
    pattern = re.compile(rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b")
    lines = linecache.getlines(filename)
    for n in range(first - 1, min(first + 40, len(lines))):
        if pattern.match(lines[n]):
            return n + 1
    return first


def definition(obj: Any) -> tuple[str | None, int | None]:
    """The file and ``def`` (or ``class``) line of a function, method, partial, callable
    object or class; ``(None, None)`` when there is no Python source (a builtin).

    >>> def greet():
    ...     return "hi"
    >>> definition(greet)[1] > 0
    True
    """
    obj = innermost(obj)
    if inspect.isclass(obj):
        try:
            file = inspect.getsourcefile(obj)
            _, index = inspect.findsource(obj)
        except (OSError, TypeError):
            return None, None
        if file is None:
            return None, None
        return os.path.abspath(file), _def_line(file, index + 1, obj.__name__)
    code = getattr(obj, "__code__", None)
    if code is None:
        return None, None
    file = code.co_filename
    if file.startswith("<"):
        return file, code.co_firstlineno
    return os.path.abspath(file), _def_line(file, code.co_firstlineno, code.co_name)


def display_name(obj: Any) -> str:
    """A readable name: the qualified name (``Class.method``), ``partial(f)`` for a
    partial, the class name for a callable object.

    >>> display_name(str.upper)
    'str.upper'
    """
    if isinstance(obj, functools.partial):
        return f"partial({display_name(obj.func)})"
    if inspect.ismethod(obj):
        obj = obj.__func__
    name = getattr(obj, "__qualname__", None)
    if not isinstance(name, str):
        name = type(obj).__qualname__
    return name


def display_path(file: str | None) -> str:
    """How to show ``file``: relative to the current folder when inside it, else from its
    top-level package (``stein/ext/csrf.py``), else as is.

    >>> display_path(os.path.join(os.getcwd(), "app.py"))
    'app.py'
    """
    if not file:
        return "?"
    if file.startswith("<"):
        return file
    cwd = os.getcwd()
    if file.startswith(cwd + os.sep):
        return os.path.relpath(file, cwd)
    folder = os.path.dirname(file)
    top = None
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        top = folder
        folder = os.path.dirname(folder)
    if top is not None:
        return os.path.relpath(file, os.path.dirname(top))
    return file


@functools.lru_cache(maxsize=64)
def _parse(filename: str) -> ast.Module | None:
    try:
        return ast.parse("".join(linecache.getlines(filename)) or open(filename).read())
    except (OSError, SyntaxError, ValueError):
        return None


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def blueprint_definition(bp: Any) -> tuple[str | None, int | None]:
    """The file and line of the ``Blueprint("name", ...)`` call that made ``bp`` (the file
    of its module and ``None`` when the call is not found).

    >>> from blog import auth                    # doctest: +SKIP
    >>> blueprint_definition(auth.bp)            # doctest: +SKIP
    ('/srv/blog/blog/auth.py', 14)
    """
    module = sys.modules.get(bp.import_name)
    file = getattr(module, "__file__", None)
    if not file:  # not imported under that name (any more): look beside root_path
        leaf = bp.import_name.rpartition(".")[2]
        candidates = [os.path.join(bp.root_path, f"{leaf}.py"),
                      os.path.join(bp.root_path, "__init__.py")]
        file = next((c for c in candidates if os.path.isfile(c)), None)
        if file is None:
            return None, None
    file = os.path.abspath(file)
    tree = _parse(file)
    if tree is not None:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and (_call_name(node) or "").endswith("Blueprint")
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == bp.name):
                return file, node.lineno
    return file, None


def enclosing_function(filename: str, line: int) -> str | None:
    """The name of the outermost function around a function defined at ``line`` (its
    first decorator's line, as code objects give it) of ``filename``: for the closure a
    decorator returns, the decorator's name. ``None`` when it is not nested.

    >>> import stein.scaffold as s
    >>> code = s.setupmethod(lambda self: None).__code__
    >>> enclosing_function(code.co_filename, code.co_firstlineno)
    'setupmethod'
    """
    tree = _parse(os.path.abspath(filename))
    if tree is None:
        return None
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    for top in ast.walk(tree):
        if not isinstance(top, funcs):
            continue
        for node in ast.walk(top):
            if node is not top and isinstance(node, funcs):
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                if first == line:
                    return top.name
    return None


def templates_rendered(func: Any) -> list[str]:
    """The template names ``func`` passes, as string literals, to ``render_template`` or
    ``stream_template`` (a list literal counts each name), in the order they appear.

    >>> def index():
    ...     return render_template("blog/index.html", posts=[])
    >>> templates_rendered(index)
    ['blog/index.html']
    """
    func = innermost(func)
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return []
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _call_name(node) in _TEMPLATE_FUNCS
                and node.args):
            continue
        arg = node.args[0]
        values = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append((value.lineno, value.col_offset, value.value))
    names: list[str] = []
    for _, _, name in sorted(found):
        if name not in names:
            names.append(name)
    return names
