"""Finding the app the ``stein`` command works on, from ``--app`` or the current folder;
:class:`ScriptInfo` holds the answer, :func:`with_appcontext` runs a command inside it.

The rules are the ones Flask users know. ``--app`` (or ``STEIN_APP``) names ``module``,
``module:name`` or ``module:factory(args)``, where ``module`` is a dotted name or a file
path (``src/shop/web.py``, the package's parent folder goes on ``sys.path``). Without
``:name``, the module's ``app`` or ``application``, else its only app, else the result
of its ``create_app()`` or ``make_app()``. Factory arguments are Python literals, never
evaluated code. Every failure is one :class:`NoAppException` that says what to fix.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import helpers
from .ctx import _cv_app
from .scaffold import Scaffold

if TYPE_CHECKING:
    from .app import Stein

__all__ = ["AppGroup", "NoAppException", "find_best_app", "find_app_by_string", "prepare_import",
           "locate_app", "ScriptInfo", "pass_script_info", "with_appcontext"]

F = TypeVar("F", bound=Callable[..., Any])

_FACTORY_NAMES = ("create_app", "make_app")


class NoAppException(click.UsageError):
    """The app could not be found or loaded. Shown as one ``Error: ...`` line with exit
    code 2 (a usage error: the command line or the folder names no app); with debug mode
    on, the traceback of the cause comes first.

    >>> NoAppException("Could not import 'shop'.").exit_code
    2
    """

    def __init__(self, message: str, debug: bool = False) -> None:
        super().__init__(message)
        self.debug = debug

    def show(self, file: Any = None) -> None:
        if file is None:
            file = sys.stderr
        if self.debug and self.__cause__ is not None:
            cause = self.__cause__
            file.write("".join(traceback.format_exception(type(cause), cause,
                                                          cause.__traceback__)))
        # No usage text: the command line was fine, the app is what is missing.
        click.echo(f"Error: {self.format_message()}", file=file)


def _is_app(obj: Any) -> bool:
    # A Scaffold that is a WSGI app: a Stein, not a Blueprint. (stein.app is a layer above
    # this module, which app.cli builds on; so the class is not imported to check it.)
    return isinstance(obj, Scaffold) and callable(getattr(type(obj), "wsgi_app", None))


def _called_with_wrong_args(func: Any) -> bool:
    """Whether the ``TypeError`` being handled came from calling ``func`` itself (its
    signature did not fit) rather than from inside it."""
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(func, "__code__", None):
                return False  # the call got into the function: the error is inside it
            tb = tb.tb_next
        return True
    finally:
        del tb


def _module_name(module: Any) -> str:
    return getattr(module, "__name__", repr(module))


def _call_factory(module: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    func = getattr(module, name)
    try:
        return func(*args, **kwargs)
    except TypeError as e:
        if not _called_with_wrong_args(func):
            raise
        raise NoAppException(
            f"The factory {name!r} in module {_module_name(module)!r} could not be called "
            f"with the given arguments: {e}") from e


def find_best_app(module: Any) -> Any:
    """The app in ``module``: ``app`` or ``application``, the only app instance, or the
    result of calling ``create_app()`` / ``make_app()``.

    >>> import types
    >>> from stein import Stein
    >>> mod = types.SimpleNamespace(__name__="shop", web=Stein("shop"))
    >>> find_best_app(mod).name
    'shop'
    """
    for attr in ("app", "application"):
        obj = getattr(module, attr, None)
        if _is_app(obj):
            return obj
    name = _module_name(module)
    found = [v for v in vars(module).values() if _is_app(v)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise NoAppException(
            f"Detected several apps in module {name!r}; name one with '--app {name}:name'.")
    for factory in _FACTORY_NAMES:
        if inspect.isfunction(getattr(module, factory, None)):
            app = _call_factory(module, factory, [], {})
            if _is_app(app):
                return app
    raise NoAppException(
        f"Could not find a Stein app or factory in module {name!r}. "
        f"Use '--app {name}:name' to name one.")


def _parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]] | None:
    """``name`` gives None; ``name(args)`` gives ``(name, args, kwargs)``, accepting only
    literal arguments (``ast.literal_eval``: nothing from the command line is run)."""
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {text!r} as an attribute name or function call.") from None
    if isinstance(expr, ast.Name):
        return None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        try:
            args = [ast.literal_eval(a) for a in expr.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
        except ValueError:
            raise NoAppException(
                f"Failed to parse arguments as literal values: {text!r}.") from None
        return expr.func.id, args, kwargs
    raise NoAppException(f"Failed to parse {text!r} as an attribute name or function call.")


def find_app_by_string(module: Any, app_name: str) -> Any:
    """The app named by ``app_name`` in ``module``: an attribute, a factory (called with
    no arguments), or a factory call with literal arguments (``create_app('dev')``)."""
    call = _parse_call(app_name)
    name, args, kwargs = call if call is not None else (app_name.strip(), [], {})
    if not hasattr(module, name):
        raise NoAppException(f"Failed to find attribute {name!r} in {_module_name(module)!r}.")
    obj = getattr(module, name)
    if call is not None or inspect.isfunction(obj):
        obj = _call_factory(module, name, args, kwargs)
    if _is_app(obj):
        return obj
    raise NoAppException(
        f"A valid Stein app was not obtained from '{_module_name(module)}:{app_name}'.")


def prepare_import(path: str | os.PathLike[str]) -> str:
    """Turn a file or folder path into an importable module name, putting its root folder
    first on ``sys.path`` (a package's parent folder, so ``pkg/app.py`` imports as
    ``pkg.app``). A dotted name without a file passes through unchanged.

    >>> prepare_import("shop.web")   # doctest: +SKIP
    'shop.web'
    """
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def _not_found_here(module_name: str, e: ModuleNotFoundError) -> bool:
    """Whether the import failed because ``module_name`` itself (or a parent package of
    it) does not exist, as opposed to a missing import inside the app."""
    if e.name is None:
        return False
    missing = e.name.split(".")
    return module_name.split(".")[:len(missing)] == missing


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True,
               debug: bool = False) -> Any:
    """Import ``module_name`` and find the app in it (see :func:`find_best_app` and
    :func:`find_app_by_string`). A module that does not exist gives None when
    ``raise_if_not_found`` is false; every other problem is a :class:`NoAppException`
    (``debug``: show the cause's traceback too).
    """
    try:
        __import__(module_name)
    except ModuleNotFoundError as e:
        if _not_found_here(module_name, e):
            if not raise_if_not_found:
                return None
            raise NoAppException(f"Could not import {module_name!r}: no such module.",
                                 debug) from e
        raise NoAppException(_import_error_line(module_name, e), debug) from e
    except Exception as e:
        raise NoAppException(_import_error_line(module_name, e), debug) from e
    module = sys.modules[module_name]
    try:
        if app_name is None:
            return find_best_app(module)
        return find_app_by_string(module, app_name)
    except NoAppException as e:
        e.debug = debug
        raise
    except Exception as e:
        raise NoAppException(
            f"Error while creating the app from {module_name!r}: "
            f"{type(e).__name__}: {e}{_where(e)}", debug) from e


def _where(e: BaseException) -> str:
    if isinstance(e, SyntaxError) and e.filename:
        return f" ({e.filename}, line {e.lineno})"
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        return f" ({tb[-1].filename}, line {tb[-1].lineno})"
    return ""


def _import_error_line(module_name: str, e: BaseException) -> str:
    return (f"Error while importing {module_name!r}: {type(e).__name__}: "
            f"{getattr(e, 'msg', None) if isinstance(e, SyntaxError) else e}{_where(e)}")


# The env var that names the app, for messages: STEIN_APP, or FLASK_APP under compat.
def _app_env_name() -> str:
    return helpers.env_name("APP")


class ScriptInfo:
    """What the CLI knows about the app it works on: how to find it, and the loaded app.

    ``create_app`` (a callable returning the app) wins over ``app_import_path`` (see the
    module docstring); without either the current folder's ``wsgi.py`` or ``app.py`` is
    used. ``set_debug_flag``: set ``app.debug`` from ``STEIN_DEBUG`` (which ``--debug``
    sets). ``load_dotenv_defaults``: load ``.steinenv`` and ``.env`` (unless
    ``STEIN_SKIP_DOTENV`` says not to). ``data`` is free for the commands' own use.

    >>> from stein import Stein
    >>> info = ScriptInfo(create_app=lambda: Stein("shop"))
    >>> info.load_app() is info.load_app()
    True
    """

    def __init__(self, app_import_path: str | None = None,
                 create_app: Callable[..., Any] | None = None,
                 set_debug_flag: bool = True, load_dotenv_defaults: bool = True) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.data: dict[Any, Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = helpers.get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Stein | None = None

    def load_app(self) -> Stein:
        """Find and load the app once; later calls return the same object."""
        if self._loaded_app is not None:
            return self._loaded_app
        debug = helpers.get_debug_flag()
        app: Any
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            # A colon followed by a slash is a Windows drive ("C:\\site\\app.py"), not the
            # separator of the app's name.
            path, name = (re.split(r":(?![\\/])", self.app_import_path, maxsplit=1) + [""])[:2]
            app = locate_app(prepare_import(path), name or None, debug=debug)
        else:
            app = None
            for candidate in ("wsgi.py", "app.py"):
                if os.path.exists(candidate):
                    app = locate_app(prepare_import(candidate), None,
                                     raise_if_not_found=False, debug=debug)
                    if app is not None:
                        break
            if app is None:
                raise NoAppException(
                    f"Could not locate a Stein app. Use the '--app' option, the "
                    f"'{_app_env_name()}' environment variable, or a 'wsgi.py' or 'app.py' "
                    f"file in the current folder.", debug)
        if not _is_app(app):
            raise NoAppException("The app factory did not return a Stein app.", debug)
        if self.set_debug_flag:
            # After the factory ran: --debug/--no-debug (and STEIN_DEBUG) win over what
            # the factory set.
            app.debug = helpers.get_debug_flag()
        self._loaded_app = app
        return app  # type: ignore[no-any-return]


_pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def pass_script_info(f: F) -> F:
    """Give a click command the current :class:`ScriptInfo` as its first argument (made
    when missing), to load the app only if the command needs it.

    >>> @click.command()
    ... @pass_script_info
    ... def where(info):
    ...     click.echo(info.load_app().root_path)
    """
    return _pass_script_info(f)  # type: ignore[return-value]


def with_appcontext(f: F) -> F:
    """Run a click command inside the app's context (the app is loaded first, unless a
    context is active already). ``@app.cli.command()`` does this for you.

    >>> import click
    >>> from stein import current_app
    >>> @click.command()
    ... @with_appcontext
    ... def init_db():
    ...     click.echo(current_app.name)
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in the app context (pass
    ``with_appcontext=False`` to ``command()`` to opt out); ``group()`` makes more
    ``AppGroup``\\ s.

    >>> users = AppGroup("users")
    >>> @users.command("create")
    ... @click.argument("name")
    ... def create(name):
    ...     click.echo(f"created {name}")
    >>> # app.cli.add_command(users)  ->  stein users create ada
    """

    # Whether, invoked as the top group, it loads the app for plain click commands too;
    # the ``stein`` command itself (SteinGroup) does that its own way.
    _loads_app_as_top_group = True

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        rv = super().get_command(ctx, cmd_name)
        if rv is not None and ctx.parent is None and self._loads_app_as_top_group:
            # Invoked as the top group (``app.test_cli_runner()``): plain click commands
            # added with ``app.cli.add_command`` get the app context too.
            info = ctx.find_object(ScriptInfo)
            if info is not None:
                _push_app_context(ctx, info.load_app())
        return rv


def _push_app_context(ctx: click.Context, app: Any) -> None:
    current = _cv_app.get(None)
    if current is None or current.app is not app:
        ctx.with_resource(app.app_context())
