"""The ``stein`` command: app discovery, ``.env`` loading, ``run``, ``routes``, ``shell``.

``app.cli`` is an :class:`AppGroup`; commands added with ``@app.cli.command()`` run inside
the app context. Finding the app follows the rules Flask users know: ``--app`` (or
``STEIN_APP``) names ``module``, ``module:name`` or ``module:factory(args)``; without it
``wsgi.py`` or ``app.py`` in the current folder is used, and a factory named ``create_app``
or ``make_app`` is called when the module holds no app object.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_FACTORY_NAMES = ("create_app", "make_app")


class NoAppException(click.ClickException):
    """The app could not be found or loaded. Shown as one ``Error: ...`` line, exit code 2;
    with ``--debug`` the traceback of the cause is printed as well."""

    exit_code = 2

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
        click.echo(f"Error: {self.format_message()}", file=file)


def _debug_from_env() -> bool:
    return os.environ.get("STEIN_DEBUG", "").lower() in ("1", "true", "yes", "on")


def _is_app(obj: Any) -> bool:
    from .app import Stein

    return isinstance(obj, Stein)


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


def _call_factory(module: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    func = getattr(module, name)
    try:
        return func(*args, **kwargs)
    except TypeError as e:
        if not _called_with_wrong_args(func):
            raise
        raise NoAppException(
            f"The factory {name!r} in module {module.__name__!r} could not be called with "
            f"the given arguments: {e}") from e


def find_best_app(module: Any) -> Any:
    """The app in ``module``: ``app`` or ``application``, the only app instance, or the
    result of calling ``create_app()`` / ``make_app()``."""
    for attr in ("app", "application"):
        obj = getattr(module, attr, None)
        if _is_app(obj):
            return obj
    found = [v for v in vars(module).values() if _is_app(v)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise NoAppException(
            f"Detected several apps in module {module.__name__!r}; "
            f"name one with '--app {module.__name__}:name'.")
    for name in _FACTORY_NAMES:
        if inspect.isfunction(getattr(module, name, None)):
            app = _call_factory(module, name, [], {})
            if _is_app(app):
                return app
    raise NoAppException(
        f"Could not find a Stein app or factory in module {module.__name__!r}. "
        f"Use '--app {module.__name__}:name' to name one.")


def _parse_call(text: str, module: Any) -> tuple[str, list[Any], dict[str, Any]] | None:
    """``name`` -> (name, [], {}) is returned as None; ``name(args)`` is parsed with ``ast``
    accepting only literal arguments."""
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"Failed to parse {text!r} as an attribute name or function call.")
    if isinstance(expr, ast.Name):
        return None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        try:
            args = [ast.literal_eval(a) for a in expr.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
        except ValueError:
            raise NoAppException(f"Failed to parse arguments as literal values: {text!r}.")
        return expr.func.id, args, kwargs
    raise NoAppException(f"Failed to parse {text!r} as an attribute name or function call.")


def find_app_by_string(module: Any, app_name: str) -> Any:
    """The app named by ``app_name`` in ``module``: an attribute, or a factory call."""
    call = _parse_call(app_name, module)
    if call is None:
        name = app_name.strip()
        if not hasattr(module, name):
            raise NoAppException(f"Failed to find attribute {name!r} in {module.__name__!r}.")
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            obj = _call_factory(module, name, [], {})
    else:
        name, args, kwargs = call
        if not hasattr(module, name):
            raise NoAppException(f"Failed to find attribute {name!r} in {module.__name__!r}.")
        obj = _call_factory(module, name, args, kwargs)
    if _is_app(obj):
        return obj
    raise NoAppException(
        f"A valid Stein app was not obtained from '{module.__name__}:{app_name}'.")


def prepare_import(path: str) -> str:
    """Turn a file or folder path into an importable module name, putting its root folder
    on ``sys.path`` (a package's parent folder, so ``pkg/app.py`` imports as ``pkg.app``)."""
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


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True,
               debug: bool = False) -> Any:
    """Import ``module_name`` and find the app in it; import problems become one clear
    :class:`NoAppException` line."""
    try:
        __import__(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and module_name.startswith(e.name.split(".")[0]) and \
                module_name.split(".")[:len(e.name.split("."))] == e.name.split("."):
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


class ScriptInfo:
    """What the CLI knows about the app it works on: how to find it, and the loaded app.

    ``create_app`` (a callable returning the app) wins over ``app_import_path``
    (``module:name``); without either the current folder's ``wsgi.py`` or ``app.py`` is used.
    """

    def __init__(self, app_import_path: str | None = None,
                 create_app: Callable[..., Any] | None = None,
                 set_debug_flag: bool = True, load_dotenv_defaults: bool = True) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        self.debug: bool | None = None  # set by --debug/--no-debug
        self.data: dict[Any, Any] = {}
        self._loaded_app: Any = None

    def load_app(self) -> Any:
        """Find and load the app once; later calls return the same object."""
        if self._loaded_app is not None:
            return self._loaded_app
        debug = self.debug if self.debug is not None else _debug_from_env()
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            path, _, name = self.app_import_path.partition(":")
            # A Windows drive letter is not a module separator.
            if len(path) == 1 and name[:1] in ("\\", "/"):
                path, _, name = self.app_import_path[2:].partition(":")
                path = self.app_import_path[:2] + path
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
                    "Could not locate a Stein app. Use 'stein --app', set STEIN_APP, or put "
                    "a 'wsgi.py' or 'app.py' file in the current folder.", debug)
        if app is None or not _is_app(app):
            raise NoAppException("The app factory did not return a Stein app.", debug)
        if self.set_debug_flag and self.debug is not None:
            app.debug = self.debug
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run a click command inside the app's context (the app is loaded first)."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        from .ctx import _cv_app

        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in the app context (pass
    ``with_appcontext=False`` to opt out); ``group()`` makes more ``AppGroup``\\ s."""

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
        if rv is not None and ctx.parent is None and not isinstance(self, SteinGroup):
            # Invoked as the top group (``app.test_cli_runner()``): plain click commands
            # added with ``app.cli.add_command`` get the app context too.
            info = ctx.find_object(ScriptInfo)
            if info is not None:
                _push_app_context(ctx, info)
        return rv


def _push_app_context(ctx: click.Context, info: ScriptInfo) -> None:
    from .ctx import _cv_app

    app = info.load_app()
    current = _cv_app.get(None)
    if current is None or current.app is not app:
        ctx.with_resource(app.app_context())


# -- .env files -----------------------------------------------------------------------------


def load_dotenv(path: str | os.PathLike[str] | None = None) -> bool:
    """Load ``path``, then ``.steinenv`` and ``.env`` (searched upward from the current
    folder) into ``os.environ``, never overriding variables already set.

    Returns whether any file was loaded. Needs python-dotenv; without it a found file only
    prints a hint. ``STEIN_SKIP_DOTENV=1`` skips the default files.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".steinenv"):
            click.secho(" * Tip: there are .env files present. Install python-dotenv to use "
                        "them.", fg="yellow", err=True)
        return False
    loaded = False
    if path is not None:
        if not os.path.isfile(path):
            return False
        loaded = bool(dotenv.load_dotenv(path, encoding="utf-8", override=False))
    if os.environ.get("STEIN_SKIP_DOTENV", "").lower() in ("1", "true", "yes"):
        return loaded
    for name in (".steinenv", ".env"):
        found = dotenv.find_dotenv(name, usecwd=True)
        if found:
            dotenv.load_dotenv(found, encoding="utf-8", override=False)
            loaded = True
    return loaded


# -- built-in commands ----------------------------------------------------------------------


class CertParamType(click.ParamType):
    """``--cert``: the path of a PEM certificate file."""

    name = "path"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return click.Path(exists=True, dir_okay=False, resolve_path=True).convert(
                value, param, ctx)
        except click.BadParameter:
            if value == "adhoc":
                self.fail("'adhoc' certificates are not supported; create one with "
                          "'openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
                          "-out cert.pem' and pass --cert and --key.", param, ctx)
            raise


def _split_paths(ctx: Any, param: Any, value: Any) -> list[str]:
    if not value:
        return []
    return [p for p in value.split(os.pathsep) if p]


@click.command("run", short_help="Run the development server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True,
              help="The interface to bind to.")
@click.option("--port", "-p", default=5000, show_default=True, type=int,
              help="The port to bind to (0 picks a free one).")
@click.option("--cert", type=CertParamType(), help="Serve HTTPS with this certificate file.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, resolve_path=True),
              help="The key file for --cert (when the certificate file holds no key).")
@click.option("--debug/--no-debug", default=None,
              help="Debug mode: traceback pages and the reloader. Default: the group's "
                   "--debug or STEIN_DEBUG.")
@click.option("--reload/--no-reload", default=None,
              help="Restart when code changes. Default: on in debug mode.")
@click.option("--debug-public", is_flag=True, default=False,
              help="Allow debug mode on an address other than loopback (shows source code "
                   "and tracebacks to whoever can reach it).")
@click.option("--with-threads/--without-threads", default=True,
              help="Handle each request in its own thread.")
@click.option("--extra-files", default=None, callback=_split_paths,
              help=f"More files that trigger a reload, separated by {os.pathsep!r}.")
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int, cert: str | None, key: str | None,
                debug: bool | None, reload: bool | None, debug_public: bool,
                with_threads: bool, extra_files: list[str]) -> None:
    """Serve the app with Stein's development server (use gunicorn, uvicorn or granian in
    production)."""
    from . import serving

    if debug is not None:
        info.debug = debug
    if info.debug is None:
        info.debug = _debug_from_env()
    debug = bool(info.debug)
    try:
        serving.check_debug_bind(host, debug, debug_public)
    except serving.DebugBindRefused as e:
        raise click.UsageError(str(e)) from None
    if reload is None:
        reload = debug
    if key and not cert:
        raise click.BadParameter('"--key" needs "--cert".', param_hint="--key")
    ssl_context = (cert, key) if cert else None

    if reload and not serving.is_running_from_reloader():
        # The supervising process: keep the socket, and restart the serving child.
        serving.run_with_reloader_supervisor(host, port, extra_files=extra_files,
                                             ssl_context=ssl_context)
        return

    try:
        app: Any = info.load_app()
    except Exception as e:
        if not reload:
            raise
        # Keep the watcher alive: show the error and serve it until the code is fixed.
        app = serving.error_app(e, debug)
        click.echo(f"Error: {e}", err=True)
        if isinstance(e.__cause__, SyntaxError) or debug:
            cause = e.__cause__ or e
            traceback.print_exception(type(cause), cause, cause.__traceback__)
        extra_files = [*extra_files, *serving.files_of_exception(e)]
    else:
        if debug:
            app.debug = True
    serving.run_simple(host, port, app, use_reloader=reload, use_debugger=debug,
                       threaded=with_threads, extra_files=extra_files,
                       ssl_context=ssl_context, debug_public=debug_public,
                       app_name=getattr(app, "name", None))


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell with ``app`` and ``g`` defined, plus what the app's
    shell context processors add."""
    import code

    from .ctx import _cv_app

    app = _cv_app.get().app
    banner = (f"Python {sys.version} on {sys.platform}\n"
              f"App: {app.import_name}\nInstance: {app.instance_path}")
    ctx: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            exec(compile(f.read(), startup, "exec"), ctx)
    ctx.update(app.make_shell_context())
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer

            readline.set_completer(Completer(ctx).complete)
        except ImportError:
            pass
        interactive_hook()
    code.interact(banner=banner, local=ctx)


_SORT_KEYS = ("endpoint", "methods", "rule", "match")


@click.command("routes", short_help="Show the app's routes.")
@click.option("--sort", "-s", type=click.Choice(_SORT_KEYS), default="endpoint",
              show_default=True,
              help="Order by endpoint, methods, rule, or the order they match in.")
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """A table of every route: endpoint, methods and rule."""
    from .ctx import _cv_app

    app = _cv_app.get().app
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    methods = [", ".join(sorted((r.methods or set()) - ignored)) for r in rules]
    rows = list(zip(rules, methods, strict=True))
    if sort == "endpoint":
        rows.sort(key=lambda row: (row[0].endpoint, row[0].rule))
    elif sort == "rule":
        rows.sort(key=lambda row: row[0].rule)
    elif sort == "methods":
        rows.sort(key=lambda row: (row[1], row[0].rule))
    headers = ("Endpoint", "Methods", "Rule")
    table = [(r.endpoint, m, r.rule) for r, m in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    click.echo(fmt.format(*headers).rstrip())
    click.echo(fmt.format(*("-" * w for w in widths)))
    for row in table:
        click.echo(fmt.format(*row).rstrip())


# -- the `stein` group ----------------------------------------------------------------------


def _set_app(ctx: click.Context, param: Any, value: Any) -> Any:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: Any, value: Any) -> Any:
    source = ctx.get_parameter_source(param.name)
    if source is not None and source in (click.core.ParameterSource.DEFAULT,
                                         click.core.ParameterSource.DEFAULT_MAP):
        return None
    ctx.ensure_object(ScriptInfo).debug = value
    # So that an app created later (and the reloaded child) sees the same choice.
    os.environ["STEIN_DEBUG"] = "1" if value else "0"
    return value


def _env_file(ctx: click.Context, param: Any, value: Any) -> Any:
    info = ctx.ensure_object(ScriptInfo)
    if info.load_dotenv_defaults or value:
        load_dotenv(value)
        # .env may name the app or debug mode.
        if info.app_import_path is None and os.environ.get("STEIN_APP"):
            info.app_import_path = os.environ["STEIN_APP"]
    return value


class SteinGroup(AppGroup):
    """The ``stein`` command: the built-in ``run``, ``shell`` and ``routes`` plus the loaded
    app's ``app.cli`` commands. ``--app``, ``--env-file`` and ``--debug`` are read before
    any command so that the app can be found."""

    def __init__(self, add_default_commands: bool = True,
                 create_app: Callable[..., Any] | None = None,
                 load_dotenv: bool = True, set_debug_flag: bool = True,
                 **extra: Any) -> None:
        params = list(extra.pop("params", None) or ())
        params += [
            click.Option(["--env-file", "-e"], type=click.Path(exists=True, dir_okay=False),
                         is_eager=True, expose_value=False, callback=_env_file,
                         help="Load environment variables from this file (python-dotenv)."),
            click.Option(["--app", "-A"], metavar="IMPORT", is_eager=True,
                         expose_value=False, callback=_set_app, envvar="STEIN_APP",
                         help="The app to load: 'module', 'module:name' or "
                              "'module:create_app(args)'. Default: wsgi.py or app.py."),
            click.Option(["--debug/--no-debug"], default=None, is_eager=True,
                         expose_value=False, callback=_set_debug,
                         help="Debug mode (also STEIN_DEBUG)."),
        ]
        extra.setdefault("context_settings", {}).setdefault("auto_envvar_prefix", "STEIN")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        if "obj" not in extra and "obj" not in (self.context_settings or {}):
            extra["obj"] = ScriptInfo(create_app=self.create_app,
                                      set_debug_flag=self.set_debug_flag,
                                      load_dotenv_defaults=self.load_dotenv)
        return super().make_context(info_name, args, parent=parent, **extra)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        rv = super().get_command(ctx, cmd_name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        app = info.load_app()  # a NoAppException here is the clearest message there is
        rv = app.cli.get_command(ctx, cmd_name)
        if rv is not None:
            # App commands run in the app context, decorated with with_appcontext or not.
            _push_app_context(ctx, info)
        return rv  # type: ignore[no-any-return]

    def list_commands(self, ctx: click.Context) -> list[str]:
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            # Still show the built-in commands; say why the app's are missing.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        return sorted(rv)


cli = SteinGroup(
    name="stein",
    help="""A general utility script for Stein apps.

    It loads the app named by --app or STEIN_APP (else wsgi.py or app.py in the
    current folder) and offers its commands next to the built-in ones.

    \b
      stein --app hello run --debug
      stein --app 'blog:create_app()' init-db
    """,
)


def main() -> None:
    """Entry point of the ``stein`` console script and ``python -m stein``."""
    cli.main(prog_name="python -m stein" if _run_as_module() else None)


def _run_as_module() -> bool:
    main_mod = sys.modules.get("__main__")
    spec = getattr(main_mod, "__spec__", None)
    return spec is not None and spec.name == "stein.__main__"


if __name__ == "__main__":
    main()
