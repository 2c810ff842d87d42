"""The ``stein`` command: app discovery, ``.env`` files, ``run``, ``routes``, ``shell`` and
the app's own commands.

``app.cli`` is an :class:`AppGroup`; commands added with ``@app.cli.command()`` run inside
the app context. :class:`SteinGroup` is the ``stein`` command itself (``FlaskGroup`` under
:mod:`stein.compat`): its ``--app``, ``--env-file`` and ``--debug`` options are read
before any command, so that the app can be found (:mod:`stein.discovery`), and each
option and command option also reads an environment variable: ``STEIN_APP``,
``STEIN_DEBUG``, ``STEIN_ENV_FILE``, ``STEIN_RUN_PORT``, ... (``FLASK_*`` while
:mod:`stein.compat` is installed, with ``.flaskenv`` for ``.steinenv``).

``stein --compat ...`` (or ``STEIN_COMPAT=1``) installs :mod:`stein.compat` before the app
is imported, so a Flask app runs unchanged: ``stein --compat --app flaskr run``.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from . import __version__, helpers
from .commands import (
    CertParamType as CertParamType,
)
from .commands import (
    SeparatedPathType as SeparatedPathType,
)
from .commands import routes_command, run_command, shell_command
from .discovery import (
    AppGroup,
    NoAppException,
    ScriptInfo,
    _push_app_context,
    find_app_by_string,
    find_best_app,
    locate_app,
    pass_script_info,
    prepare_import,
    with_appcontext,
)
from .inspect_cli import inspect_group
from .newproject import new_command

__all__ = [
    "AppGroup", "SteinGroup", "ScriptInfo", "NoAppException", "with_appcontext",
    "pass_script_info", "find_best_app", "find_app_by_string", "locate_app", "prepare_import",
    "load_dotenv", "get_version", "version_option", "run_command", "shell_command",
    "routes_command", "cli", "main",
]


# -- .env files -----------------------------------------------------------------------------


def _dotenv_name() -> str:
    """``.steinenv``, or ``.flaskenv`` under :mod:`stein.compat`."""
    return f".{helpers.env_prefix().lower()}env"


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load environment variables from ``path`` and the default files, ``.steinenv`` and
    ``.env`` (``.flaskenv`` and ``.env`` under :mod:`stein.compat`), found by searching
    upward from the current folder.

    Precedence: a variable already in ``os.environ`` is never changed; then ``path``;
    then ``.env`` (private, not committed); then ``.steinenv`` (the project's committed
    defaults). Returns whether any variable was found. Needs python-dotenv; without it a
    present file only prints a hint.

    >>> load_dotenv("deploy/staging.env", load_defaults=False)   # doctest: +SKIP
    True
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(_dotenv_name()):
            click.secho(" * Tip: there are .env files present. Install python-dotenv to use "
                        "them.", fg="yellow", err=True)
        return False
    data: dict[str, str | None] = {}
    if load_defaults:
        for name in (_dotenv_name(), ".env"):  # later files win
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        data.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in data.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return bool(data)


# -- the group's options ----------------------------------------------------------------------


def get_version(ctx: click.Context, param: click.Parameter | None, value: Any) -> None:
    """The ``--version`` callback: print the Python and Stein versions (and, under
    :mod:`stein.compat`, the Flask and Werkzeug APIs it follows), then exit."""
    if not value or ctx.resilient_parsing:
        return
    lines = [f"Python {platform.python_version()}", f"Stein {__version__}"]
    if helpers.env_prefix() == "FLASK":
        from .compat._names import FLASK_VERSION, WERKZEUG_VERSION  # deferred: compat only

        lines.append(f"stein.compat: the API of Flask {FLASK_VERSION} and Werkzeug "
                     f"{WERKZEUG_VERSION}")
    click.echo("\n".join(lines), color=ctx.color)
    ctx.exit()


version_option = click.Option(["--version"], help="Show the Python and Stein versions.",
                              expose_value=False, callback=get_version, is_flag=True,
                              is_eager=True)


def _set_app(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    source = ctx.get_parameter_source(param.name)  # type: ignore[arg-type]
    if source is None or source in (click.core.ParameterSource.DEFAULT,
                                    click.core.ParameterSource.DEFAULT_MAP):
        return None  # not given: STEIN_DEBUG (or nothing) decides
    # Through the environment, so that a factory and a reloaded child see it too.
    os.environ[helpers.env_name("DEBUG")] = "1" if value else "0"
    return value


def _env_file(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter("python-dotenv must be installed to load an env file "
                                     "(pip install python-dotenv).", ctx, param) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


def _compat_flag(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # Already acted on in SteinGroup.make_context, before any option read its variable.
    return value


def _wants_compat(args: list[str]) -> bool:
    """Whether ``--compat`` comes before the command name in ``args``."""
    takes_value = {"--app", "-A", "--env-file", "-e"}
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--compat":
            return True
        elif arg == "--":
            return False
        elif arg in takes_value:
            skip = True
        elif not arg.startswith("-"):
            return False  # the command: what follows is its own
    return False


class SteinGroup(AppGroup):
    """The ``stein`` command (``FlaskGroup`` under :mod:`stein.compat`): the built-in
    ``run``, ``shell``, ``routes``, ``inspect`` and ``new`` plus the loaded app's
    ``app.cli`` commands.

    ``create_app`` builds the app (else ``--app`` or the current folder names it);
    ``add_default_commands``: add the built-in commands; ``add_version_option``: add
    ``--version``; ``load_dotenv``: load ``.steinenv``/``.env``; ``set_debug_flag``: set
    ``app.debug`` from ``--debug``/``STEIN_DEBUG``. A project's own command:

    >>> def create_app():
    ...     from stein import Stein
    ...     return Stein("shop")
    >>> @click.group(cls=SteinGroup, create_app=create_app)
    ... def manage():
    ...     '''Management script for the shop.'''
    """

    _loads_app_as_top_group = False

    def __init__(self, add_default_commands: bool = True,
                 create_app: Callable[..., Any] | None = None,
                 add_version_option: bool = True, load_dotenv: bool = True,
                 set_debug_flag: bool = True, **extra: Any) -> None:
        params = list(extra.pop("params", None) or ())
        # --env-file first: eager options run in this order when not on the command line,
        # and a .env file may set STEIN_APP for --app.
        self._env_file_option = click.Option(
            ["-e", "--env-file"], type=click.Path(exists=True, dir_okay=False),
            is_eager=True, expose_value=False, callback=_env_file,
            help="Load environment variables from this file; they win over .env and "
                 ".steinenv, variables already set win over all (python-dotenv).")
        self._app_option = click.Option(
            ["-A", "--app"], metavar="IMPORT", is_eager=True, expose_value=False,
            callback=_set_app,
            help="The app to load: 'module', 'module:name' or 'module:create_app(args)'; "
                 "module is a dotted name or a file path. Default: wsgi.py or app.py.")
        params += [self._env_file_option, self._app_option,
                   click.Option(["--debug/--no-debug"], expose_value=False,
                                callback=_set_debug, help="Debug mode (also STEIN_DEBUG).")]
        if add_version_option:
            params.append(version_option)
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        self._offers_compat = any(p.name == "compat" for p in self.params)
        self._plugins_loaded = False
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
            self.add_command(inspect_group)
            self.add_command(new_command)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        if self._offers_compat and (_wants_compat(args) or os.environ.get(
                "STEIN_COMPAT", "").lower() in ("1", "true", "yes", "on")):
            import stein.compat  # deferred: loaded only when asked for

            stein.compat.install()  # switches the variable prefix to FLASK as well
        # Tells app.run() that the CLI serves the app, so a stray call at import is a no-op.
        os.environ[helpers.env_name("RUN_FROM_CLI")] = "true"
        if "auto_envvar_prefix" not in extra and \
                "auto_envvar_prefix" not in (self.context_settings or {}):
            extra["auto_envvar_prefix"] = helpers.env_prefix()
        if "obj" not in extra and "obj" not in (self.context_settings or {}):
            extra["obj"] = ScriptInfo(create_app=self.create_app,
                                      set_debug_flag=self.set_debug_flag,
                                      load_dotenv_defaults=self.load_dotenv)
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
                len(args) == 1 and args[0] in self.get_help_option_names(ctx)):
            # Help is shown before the eager options run; read the env file and the app
            # now so that the help lists the app's commands.
            self._env_file_option.handle_parse_result(ctx, {}, [])
            self._app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)

    def _load_plugin_commands(self) -> None:
        """Add the commands installed packages declare under the ``stein.commands`` entry
        point group (``flask.commands`` under :mod:`stein.compat`, as Flask extensions
        do), once."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=f"{helpers.env_prefix().lower()}.commands"):
            self.add_command(ep.load(), ep.name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugin_commands()
        rv = super().get_command(ctx, cmd_name)
        if rv is not None:  # built-in commands work even when the app does not load
            return rv
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException as e:
            # Click goes on to say "No such command", with the usage.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        # App commands run in the app context, decorated with with_appcontext or not,
        # and so do their parameter callbacks.
        _push_app_context(ctx, app)
        return app.cli.get_command(ctx, cmd_name)  # type: ignore[no-any-return]

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        try:
            rv.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as e:
            # Still show the built-in commands; say why the app's are missing.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)


cli = SteinGroup(
    name="stein",
    params=[click.Option(
        ["--compat"], is_flag=True, expose_value=False, is_eager=True, callback=_compat_flag,
        help="Run a Flask app unchanged: install stein.compat (import flask gives Stein) "
             "and read FLASK_* variables and .flaskenv. Also STEIN_COMPAT=1.")],
    help="""A general utility script for Stein apps.

    It loads the app named by --app or STEIN_APP (else wsgi.py or app.py in the
    current folder) and offers its commands next to the built-in ones.

    \b
      stein --app hello run --debug
      stein --app 'blog:create_app()' init-db
      stein --compat --app flaskr routes
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
