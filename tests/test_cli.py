"""The ``stein`` command: app discovery, errors, .env files, routes, shell, app commands."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import click
import pytest
from click.testing import CliRunner

from stein import Blueprint, Stein, current_app, g
from stein.cli import (
    AppGroup,
    NoAppException,
    ScriptInfo,
    SteinGroup,
    cli,
    load_dotenv,
    run_command,
    with_appcontext,
)

APP_SOURCE = """
from stein import Stein
{name} = Stein(__name__)

@{name}.get("/")
def index():
    return "hi"

@{name}.cli.command("hello")
def hello():
    print("hello from", {name}.import_name)
"""


@pytest.fixture(autouse=True)
def _cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The group sets STEIN_RUN_FROM_CLI (and --debug STEIN_DEBUG) in os.environ; undo it."""
    for var in ("STEIN_RUN_FROM_CLI", "FLASK_RUN_FROM_CLI", "STEIN_DEBUG", "FLASK_DEBUG"):
        # setenv records the variable's state, so teardown also removes one set later.
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)


@pytest.fixture
def project(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An empty project folder as the current directory; modules imported from it and
    environment changes are undone afterwards."""
    monkeypatch.chdir(tmp_path)
    for var in ("STEIN_APP", "STEIN_DEBUG", "STEIN_SKIP_DOTENV", "STEIN_COMPAT", "FLASK_APP",
                "FLASK_DEBUG", "GREETING"):
        monkeypatch.delenv(var, raising=False)
    before_modules = set(sys.modules)
    before_path = list(sys.path)
    before_env = dict(os.environ)
    try:
        yield tmp_path
    finally:
        for name in set(sys.modules) - before_modules:
            del sys.modules[name]
        sys.path[:] = before_path
        os.environ.clear()
        os.environ.update(before_env)


def write(folder: Any, name: str, source: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def run(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(cli, list(args), **kwargs)


# -- discovery ------------------------------------------------------------------------------


def test_app_py_in_current_folder(project: Any) -> None:
    write(project, "app.py", APP_SOURCE.format(name="app"))
    result = run("hello")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello from app\n"


def test_wsgi_py_wins_over_app_py(project: Any) -> None:
    write(project, "app.py", APP_SOURCE.format(name="app"))
    write(project, "wsgi.py", APP_SOURCE.format(name="application"))
    result = run("hello")
    assert result.stdout == "hello from wsgi\n"


def test_app_option_module_and_attribute(project: Any) -> None:
    write(project, "mysite.py", APP_SOURCE.format(name="website"))
    assert run("--app", "mysite", "hello").stdout == "hello from mysite\n"
    assert run("--app", "mysite:website", "hello").stdout == "hello from mysite\n"
    assert run("--app", "mysite.py", "hello").stdout == "hello from mysite\n"


def test_app_in_a_package_by_path(project: Any) -> None:
    write(project, "pkg/__init__.py", "")
    write(project, "pkg/web.py", APP_SOURCE.format(name="app"))
    assert run("--app", "pkg/web.py", "hello").stdout == "hello from pkg.web\n"


def test_stein_app_environment_variable(project: Any) -> None:
    write(project, "site_env.py", APP_SOURCE.format(name="app"))
    result = run("hello", env={"STEIN_APP": "site_env"})
    assert result.stdout == "hello from site_env\n"


FACTORY_SOURCE = """
from stein import Stein

def {factory}(name="default", *, debug=False):
    app = Stein(__name__)
    app.config["NAME"] = name

    @app.cli.command("whoami")
    def whoami():
        print(app.config["NAME"], app.debug)

    return app
"""


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_factory_found_automatically(project: Any, factory: str) -> None:
    write(project, f"fac_{factory}.py", FACTORY_SOURCE.format(factory=factory))
    result = run("--app", f"fac_{factory}", "whoami")
    assert result.exit_code == 0, result.output
    assert result.stdout == "default False\n"


def test_factory_call_with_arguments(project: Any) -> None:
    write(project, "fac_args.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run("--app", "fac_args:create_app('staging', debug=True)", "whoami")
    assert result.exit_code == 0, result.output
    assert result.stdout == "staging False\n"
    result = run("--debug", "--app", "fac_args:create_app('x')", "whoami")
    assert result.stdout == "x True\n"


# -- errors: one line, exit code 2 ----------------------------------------------------------


def _one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_unknown_app_module(project: Any) -> None:
    line = _one_error_line(run("--app", "nosuchmodule", "routes"))
    assert line == "Error: Could not import 'nosuchmodule': no such module."


def test_no_app_in_folder(project: Any) -> None:
    line = _one_error_line(run("routes"))
    assert "Could not locate a Stein app" in line
    assert "STEIN_APP" in line


def test_unknown_attribute(project: Any) -> None:
    write(project, "attrs.py", APP_SOURCE.format(name="app"))
    line = _one_error_line(run("--app", "attrs:nothere", "routes"))
    assert line == "Error: Failed to find attribute 'nothere' in 'attrs'."


def test_import_error_inside_the_app(project: Any) -> None:
    write(project, "broken.py", "import missing_dependency_xyz\n")
    line = _one_error_line(run("--app", "broken", "routes"))
    assert "Error while importing 'broken'" in line
    assert "No module named 'missing_dependency_xyz'" in line
    assert "broken.py, line 1" in line


def test_exception_and_syntax_error_inside_the_app(project: Any) -> None:
    write(project, "raises.py", "x = 1\nraise RuntimeError('no config')\n")
    line = _one_error_line(run("--app", "raises", "routes"))
    assert "RuntimeError: no config" in line
    assert "raises.py, line 2" in line
    write(project, "badsyntax.py", "def f(:\n    pass\n")
    line = _one_error_line(run("--app", "badsyntax", "routes"))
    assert "SyntaxError" in line
    assert "badsyntax.py, line 1" in line


def test_factory_with_wrong_arguments(project: Any) -> None:
    write(project, "fac_wrong.py", FACTORY_SOURCE.format(factory="create_app"))
    line = _one_error_line(run("--app", "fac_wrong:create_app(1, 2, 3)", "routes"))
    assert "could not be called with the given arguments" in line
    assert "create_app() takes" in line
    line = _one_error_line(run("--app", "fac_wrong:create_app(nope=1)", "routes"))
    assert "unexpected keyword argument 'nope'" in line


def test_factory_needing_arguments_is_reported(project: Any) -> None:
    write(project, "needs.py", "from stein import Stein\ndef create_app(config):\n"
                               "    return Stein(__name__)\n")
    line = _one_error_line(run("--app", "needs", "routes"))
    assert "could not be called with the given arguments" in line


def test_type_error_inside_factory_is_not_blamed_on_arguments(project: Any) -> None:
    write(project, "inner.py", "def create_app():\n    return len(5)\n")
    line = _one_error_line(run("--app", "inner", "routes"))
    assert "TypeError" in line
    assert "could not be called" not in line


def test_unparsable_app_string(project: Any) -> None:
    write(project, "p.py", APP_SOURCE.format(name="app"))
    line = _one_error_line(run("--app", "p:create_app(", "routes"))
    assert "Failed to parse" in line
    line = _one_error_line(run("--app", "p:create_app(os.getcwd())", "routes"))
    assert "literal values" in line


def test_several_apps_need_a_name(project: Any) -> None:
    write(project, "two.py", "from stein import Stein\na = Stein('a')\nb = Stein('b')\n")
    line = _one_error_line(run("--app", "two", "routes"))
    assert "several apps" in line


def test_debug_shows_the_traceback(project: Any) -> None:
    write(project, "broken2.py", "import missing_dependency_xyz\n")
    result = run("--debug", "--app", "broken2", "routes")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Error while importing")


def test_unknown_command_with_broken_app_reports_the_app(project: Any) -> None:
    # The name may be a typo of a built-in command as well: both errors, and the usage.
    result = run("--app", "nosuchmodule", "init-db")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Error: Could not import 'nosuchmodule': no such module."
    assert "Usage: stein [OPTIONS] COMMAND [ARGS]..." in lines
    assert lines[-1] == "Error: No such command 'init-db'."
    assert "Traceback" not in result.stderr


def test_help_lists_app_commands_and_survives_a_broken_app(project: Any) -> None:
    write(project, "app.py", APP_SOURCE.format(name="app"))
    result = run("--help")
    assert result.exit_code == 0
    for name in ("run", "routes", "shell", "hello"):
        assert f"  {name}" in result.stdout
    result = run("--app", "nosuchmodule", "--help")
    assert result.exit_code == 0
    assert "  routes" in result.stdout
    assert "Could not import 'nosuchmodule'" in result.stderr


# -- .env files -----------------------------------------------------------------------------


ENV_APP = """
import os
from stein import Stein
app = Stein(__name__)

@app.cli.command("greet")
def greet():
    print(os.environ.get("GREETING"), app.config.get("FROM_ENV"))
"""


def test_dotenv_names_the_app(project: Any) -> None:
    write(project, "envsite.py", ENV_APP)
    write(project, ".env", "STEIN_APP=envsite\nGREETING=from-dotenv\n")
    result = run("greet")
    assert result.exit_code == 0, result.output
    assert result.stdout == "from-dotenv None\n"


def test_dotenv_wins_over_steinenv_and_real_env_wins_over_both(project: Any) -> None:
    # .steinenv holds the project's committed defaults, .env a developer's own overrides.
    write(project, "envsite2.py", ENV_APP)
    write(project, ".steinenv", "STEIN_APP=envsite2\nGREETING=from-steinenv\n")
    write(project, ".env", "GREETING=from-dotenv\n")
    assert run("greet").stdout == "from-dotenv None\n"
    os.environ["GREETING"] = "from-shell"
    assert run("greet").stdout == "from-shell None\n"


def test_env_file_option(project: Any) -> None:
    write(project, "envsite3.py", ENV_APP)
    write(project, "custom.env", "STEIN_APP=envsite3\nGREETING=from-custom\n")
    write(project, ".env", "GREETING=from-dotenv\n")
    result = run("--env-file", "custom.env", "greet")
    assert result.exit_code == 0, result.output
    assert result.stdout == "from-custom None\n"
    result = run("--env-file", "nope.env", "greet")
    assert result.exit_code == 2
    assert "nope.env" in result.stderr


def test_skip_dotenv(project: Any) -> None:
    write(project, "envsite4.py", ENV_APP)
    write(project, ".env", "GREETING=from-dotenv\n")
    result = run("--app", "envsite4", "greet", env={"STEIN_SKIP_DOTENV": "1"})
    assert result.stdout == "None None\n"


# -- routes ---------------------------------------------------------------------------------


ROUTES_APP = """
from stein import Stein
app = Stein(__name__, static_folder=None)

@app.route("/zeta", methods=["GET", "POST"])
def alpha():
    return ""

@app.delete("/items/<int:id>")
def remove(id):
    return ""

@app.get("/about")
def zebra():
    return ""
"""


def _rows(output: str) -> list[list[str]]:
    lines = output.strip().splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    return [line.split(None, 1)[:1] + [line.split(None, 1)[1].rsplit(None, 1)[0].strip(),
                                      line.rsplit(None, 1)[1]] for line in lines[2:]]


def test_routes_table_sorted(project: Any) -> None:
    write(project, "r.py", ROUTES_APP)
    result = run("--app", "r", "routes")
    assert result.exit_code == 0, result.output
    assert _rows(result.stdout) == [["alpha", "GET, POST", "/zeta"],
                                    ["remove", "DELETE", "/items/<int:id>"],
                                    ["zebra", "GET", "/about"]]
    by_rule = _rows(run("--app", "r", "routes", "--sort", "rule").stdout)
    assert [r[2] for r in by_rule] == ["/about", "/items/<int:id>", "/zeta"]
    by_methods = _rows(run("--app", "r", "routes", "-s", "methods").stdout)
    assert [r[1] for r in by_methods] == ["DELETE", "GET", "GET, POST"]
    by_match = _rows(run("--app", "r", "routes", "--sort", "match").stdout)
    assert [r[0] for r in by_match] == ["alpha", "remove", "zebra"]


def test_routes_all_methods_and_bad_sort(project: Any) -> None:
    write(project, "r2.py", ROUTES_APP)
    rows = _rows(run("--app", "r2", "routes", "--all-methods").stdout)
    assert rows[0] == ["alpha", "GET, HEAD, OPTIONS, POST", "/zeta"]
    result = run("--app", "r2", "routes", "--sort", "size")
    assert result.exit_code == 2
    assert "'size' is not one of" in result.stderr


def test_routes_empty(project: Any) -> None:
    write(project, "empty.py", "from stein import Stein\napp = Stein(__name__, static_folder=None)\n")
    result = run("--app", "empty", "routes")
    assert result.stdout == "No routes were registered.\n"


# -- shell ----------------------------------------------------------------------------------


def test_shell_has_app_g_and_shell_context(project: Any) -> None:
    write(project, "sh.py", """
        from stein import Stein, g
        app = Stein(__name__)

        @app.shell_context_processor
        def extra():
            return {"answer": 42}
    """)
    code = ("print('APP', app.import_name, answer, type(g).__name__)\n"
            "g.x = 1\nprint('G', g.x)\n")
    result = run("--app", "sh", "shell", input=code)
    assert result.exit_code == 0, result.output
    assert "APP sh 42" in result.output
    assert "G 1" in result.output
    assert "App: sh" in result.output


# -- app.cli, blueprints, with_appcontext, the test runner ----------------------------------


def test_app_cli_command_with_test_cli_runner() -> None:
    app = Stein("cliapp")

    @app.cli.command("greet")
    @click.argument("name")
    def greet(name: str) -> None:
        click.echo(f"hi {name} from {current_app.name}")

    result = app.test_cli_runner().invoke(args=["greet", "Ada"])
    assert result.exit_code == 0, result.output
    assert result.output == "hi Ada from cliapp\n"


def test_plain_click_command_gets_the_app_context() -> None:
    app = Stein("plain")

    @click.command("where")
    def where() -> None:
        click.echo(current_app.name)

    app.cli.add_command(where)
    assert app.test_cli_runner().invoke(args=["where"]).output == "plain\n"


def test_with_appcontext_and_opt_out() -> None:
    app = Stein("ctxapp")

    @app.cli.command("noctx", with_appcontext=False)
    def noctx() -> None:
        from stein import has_app_context

        click.echo(f"context: {has_app_context()}")

    @click.command("decorated")
    @with_appcontext
    def decorated() -> None:
        g.value = "set"
        click.echo(f"{current_app.name} {g.value}")

    runner = app.test_cli_runner()
    # Not wrapped by with_appcontext (the top-level group still provides a context).
    assert not hasattr(app.cli.commands["noctx"].callback, "__wrapped__")
    assert runner.invoke(args=["noctx"]).output == "context: True\n"
    # Invoked without any app to load, the unwrapped command runs with no context.
    assert CliRunner().invoke(app.cli.commands["noctx"]).output == "context: False\n"
    result = runner.invoke(decorated)
    assert result.output == "ctxapp set\n"


def test_nested_app_groups() -> None:
    app = Stein("groups")
    users = AppGroup("users", help="Manage users.")

    @users.command("create")
    @click.option("--admin", is_flag=True)
    @click.argument("name")
    def create(name: str, admin: bool) -> None:
        click.echo(f"created {name} admin={admin} in {current_app.name}")

    @users.group("roles")
    def sub() -> None:
        """Roles."""

    assert isinstance(sub, AppGroup)

    @sub.command("list")
    def list_roles() -> None:
        click.echo(f"roles of {current_app.name}")

    app.cli.add_command(users)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "--admin", "bo"]).output == \
        "created bo admin=True in groups\n"
    assert runner.invoke(args=["users", "roles", "list"]).output == "roles of groups\n"
    result = runner.invoke(args=["users", "nope"])
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.output


def test_blueprint_cli_groups() -> None:
    app = Stein("bpcli")
    grouped = Blueprint("shop", __name__)
    custom = Blueprint("stock", __name__, cli_group="inventory")
    merged = Blueprint("misc", __name__, cli_group=None)

    @grouped.cli.command("open")
    def open_shop() -> None:
        click.echo("shop open")

    @custom.cli.command("count")
    def count() -> None:
        click.echo(f"count in {current_app.name}")

    @merged.cli.command("ping")
    def ping() -> None:
        click.echo("pong")

    for bp in (grouped, custom, merged):
        app.register_blueprint(bp)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["shop", "open"]).output == "shop open\n"
    assert runner.invoke(args=["inventory", "count"]).output == "count in bpcli\n"
    assert runner.invoke(args=["ping"]).output == "pong\n"


def test_script_info_caches_and_checks_the_factory() -> None:
    app = Stein("cached")
    calls = []

    def factory() -> Stein:
        calls.append(1)
        return app

    info = ScriptInfo(create_app=factory)
    assert info.load_app() is app
    assert info.load_app() is app
    assert calls == [1]
    with pytest.raises(NoAppException) as e:
        ScriptInfo(create_app=lambda: "not an app").load_app()
    assert "did not return a Stein app" in e.value.format_message()


# -- run: refusals that need no server ------------------------------------------------------


def test_run_refuses_public_debug(project: Any) -> None:
    write(project, "app.py", APP_SOURCE.format(name="app"))
    result = run("run", "--host", "0.0.0.0", "--debug")
    assert result.exit_code == 2
    assert "Refusing to serve debug mode on '0.0.0.0'" in result.stderr
    assert "--debug-public" in result.stderr


def test_run_key_needs_cert(project: Any) -> None:
    write(project, "app.py", APP_SOURCE.format(name="app"))
    write(project, "key.pem", "x")
    result = run("run", "--key", "key.pem")
    assert result.exit_code == 2
    assert '"--key" needs "--cert"' in result.stderr
    result = run("run", "--cert", "adhoc")
    assert result.exit_code == 2
    assert "An 'adhoc' certificate needs the cryptography package" in result.stderr


def test_python_dash_m_stein(tmp_path: Any) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP_SOURCE.format(name="app")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEIN_")}
    result = subprocess.run([sys.executable, "-m", "stein", "routes"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "index" in result.stdout
    result = subprocess.run([sys.executable, "-m", "stein", "--app", "nothere", "routes"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "Error: Could not import 'nothere': no such module.\n"


# -- Flask apps through `stein --compat` ------------------------------------------------------


FLASK_APP_SOURCE = """
from flask import Flask
import flask.cli

app = Flask(__name__)

@app.route("/hello")
def hello():
    return "hi"

@app.cli.command("kind")
def kind():
    import stein
    print(type(app).__module__, isinstance(app, stein.Stein), flask.cli.FlaskGroup.__name__)
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("STEIN_", "FLASK_"))}


def test_compat_flag_runs_a_flask_app_in_a_subprocess(tmp_path: Any) -> None:
    (tmp_path / "flaskapp.py").write_text(FLASK_APP_SOURCE)
    cmd = [sys.executable, "-m", "stein", "--compat", "--app", "flaskapp", "routes"]
    result = subprocess.run(cmd, cwd=tmp_path, env=_clean_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["Endpoint", "Methods", "Rule"]
    assert any(line.split() == ["hello", "GET", "/hello"] for line in result.stdout.splitlines())
    # Without the flag `import flask` finds no Flask, or (with a real Flask installed
    # beside Stein, as `make bench` does) a Flask app that is not a Stein app.
    result = subprocess.run(cmd[:3] + cmd[4:], cwd=tmp_path, env=_clean_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "No module named 'flask'" in result.stderr or \
        "Could not find a Stein app or factory in module 'flaskapp'" in result.stderr


def test_stein_compat_variable_reads_flask_app_and_flaskenv(tmp_path: Any) -> None:
    (tmp_path / "flaskapp2.py").write_text(FLASK_APP_SOURCE)
    (tmp_path / ".flaskenv").write_text("FLASK_APP=flaskapp2\n")
    env = dict(_clean_env(), STEIN_COMPAT="1")
    result = subprocess.run([sys.executable, "-m", "stein", "kind"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "stein.app True SteinGroup\n"


@pytest.fixture
def compat_off_after() -> Iterator[None]:
    import stein.compat

    was = stein.compat.is_installed()
    try:
        yield
    finally:
        if not was:
            stein.compat.uninstall()


def test_compat_flag_with_cli_runner(project: Any, compat_off_after: None) -> None:
    import stein.compat

    write(project, "flaskapp3.py", FLASK_APP_SOURCE)
    write(project, ".flaskenv", "FLASK_APP=flaskapp3\n")
    write(project, ".steinenv", "STEIN_APP=nothere\n")
    result = run("--compat", "routes")
    assert result.exit_code == 0, result.output
    assert stein.compat.is_installed()
    assert "/hello" in result.stdout
    # FLASK_RUN_* is what `run` reads now (click's auto_envvar_prefix): an invalid port
    # from the environment is reported as that option's error.
    result = run("run", env={"FLASK_RUN_PORT": "notaport"})
    assert result.exit_code == 2
    assert "'notaport' is not a valid integer" in result.stderr


def test_compat_flag_is_not_taken_from_a_command_s_arguments(project: Any,
                                                             compat_off_after: None) -> None:
    import stein.compat

    stein.compat.uninstall()
    write(project, "app.py", """
        import click
        from stein import Stein
        app = Stein(__name__)

        @app.cli.command("echo")
        @click.argument("words", nargs=-1)
        def echo(words):
            print(*words)
    """)
    result = run("echo", "--", "--compat")
    assert result.exit_code == 0, result.output
    assert result.stdout == "--compat\n"
    assert not stein.compat.is_installed()


def test_without_compat_flask_names_are_not_read(project: Any) -> None:
    write(project, "named.py", APP_SOURCE.format(name="app"))
    write(project, ".flaskenv", "FLASK_APP=named\n")
    result = run("hello", env={"FLASK_APP": "named"})
    assert result.exit_code == 2
    assert "STEIN_APP" in result.stderr
    write(project, ".steinenv", "STEIN_APP=named\n")
    assert run("hello").stdout == "hello from named\n"


# -- the group's parameters (FlaskGroup's) ------------------------------------------------------


def test_version_option(project: Any) -> None:
    import platform

    from stein import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"Python {platform.python_version()}\nStein {__version__}\n"
    group = SteinGroup(name="manage", add_version_option=False)
    result = CliRunner().invoke(group, ["--version"])
    assert result.exit_code == 2
    assert "No such option '--version'" in result.stderr


def test_custom_group_with_factory_and_debug_flag(project: Any) -> None:
    def create_app() -> Stein:
        app = Stein("managed")
        app.debug = True
        return app

    for set_debug_flag, expected in ((True, "False"), (False, "True")):
        @click.group(cls=SteinGroup, create_app=create_app, set_debug_flag=set_debug_flag)
        def manage() -> None:
            """Management script."""

        @manage.command()
        def show() -> None:
            click.echo(f"{current_app.name} {current_app.debug}")

        result = CliRunner().invoke(manage, ["show"])
        assert result.exit_code == 0, result.output
        # set_debug_flag: STEIN_DEBUG (unset: off) wins over what the factory did.
        assert result.stdout == f"managed {expected}\n"
        assert CliRunner().invoke(manage, ["--debug", "show"]).stdout == "managed True\n"


def test_load_dotenv_false_and_explicit_env_file(project: Any) -> None:
    write(project, ".env", "GREETING=from-dotenv\n")
    write(project, "other.env", "GREETING=from-other\n")

    @click.command()
    def greet() -> None:
        click.echo(str(os.environ.get("GREETING")))

    group = SteinGroup(name="m", create_app=lambda: Stein("m"), load_dotenv=False)
    group.add_command(greet)
    assert CliRunner().invoke(group, ["greet"]).stdout == "None\n"
    assert CliRunner().invoke(group, ["-e", "other.env", "greet"]).stdout == "from-other\n"


def test_load_dotenv_function_precedence(project: Any) -> None:
    for var in ("A", "B", "C"):
        os.environ.pop(var, None)
    write(project, ".steinenv", "A=steinenv\nB=steinenv\nC=steinenv\n")
    write(project, ".env", "A=env\nB=env\n")
    write(project, "given.env", "A=given\n")
    os.environ["C"] = "shell"
    assert load_dotenv("given.env")
    assert (os.environ["A"], os.environ["B"], os.environ["C"]) == ("given", "env", "shell")
    assert not load_dotenv("missing.env", load_defaults=False)


def test_app_option_callbacks_have_the_app_context(project: Any) -> None:
    app = Stein("cbapp")

    def callback(ctx: Any, param: Any, value: Any) -> Any:
        return f"{value}@{current_app.name}"

    @app.cli.command()
    @click.argument("value", callback=callback)
    def check(value: str) -> None:
        click.echo(value)

    group = SteinGroup(create_app=lambda: app)
    assert CliRunner().invoke(group, ["check", "x"]).stdout == "x@cbapp\n"


def test_help_shows_a_factory_error_and_the_usage(project: Any) -> None:
    def create_app() -> Stein:
        raise RuntimeError("factory is broken")

    result = CliRunner().invoke(SteinGroup(create_app=create_app), ["--help"])
    assert result.exit_code == 0
    assert "RuntimeError: factory is broken" in result.stderr
    assert "Usage:" in result.stdout


# -- routes: domains; run: certificates ---------------------------------------------------------


def test_routes_shows_subdomain_and_host_columns() -> None:
    app = Stein("subs", static_folder=None)
    app.add_url_rule("/a", endpoint="a", subdomain="api")
    app.add_url_rule("/b", endpoint="b")
    out = CliRunner().invoke(SteinGroup(create_app=lambda: app), ["routes"]).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Subdomain", "Rule"]
    assert lines[2].split() == ["a", "GET", "api", "/a"]
    assert lines[3].split() == ["b", "GET", "/b"]
    hosts = Stein("hosts", static_folder=None, host_matching=True)
    hosts.add_url_rule("/x", endpoint="x", host="shop.example")
    out = CliRunner().invoke(SteinGroup(create_app=lambda: hosts), ["routes"]).stdout
    assert out.splitlines()[0].split() == ["Endpoint", "Methods", "Host", "Rule"]
    assert out.splitlines()[2].split() == ["x", "GET", "shop.example", "/x"]


def test_run_certificate_options(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl
    import types

    pem = tmp_path / "cert.pem"
    pem.write_text("x")
    with pytest.raises(click.BadParameter, match="needs \"--key\""):
        run_command.make_context("run", ["--cert", str(pem)])
    ctx = run_command.make_context("run", ["--key", str(pem), "--cert", str(pem)])
    assert ctx.params["cert"] == (str(pem), str(pem))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    monkeypatch.setitem(sys.modules, "my_tls", types.SimpleNamespace(context=context))
    assert run_command.make_context("run", ["--cert", "my_tls:context"]).params["cert"] \
        is context
    with pytest.raises(click.BadParameter, match="SSLContext"):
        run_command.make_context("run", ["--cert", "my_tls:context", "--key", str(pem)])
    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--cert", "stein"])  # importable, not a context
    monkeypatch.setitem(sys.modules, "cryptography", types.ModuleType("cryptography"))
    assert run_command.make_context("run", ["--cert", "adhoc"]).params["cert"] == "adhoc"
    with pytest.raises(click.BadParameter, match="adhoc"):
        run_command.make_context("run", ["--cert", "adhoc", "--key", str(pem)])


def test_run_path_lists(tmp_path: Any) -> None:
    a, b = tmp_path / "a.cfg", tmp_path / "b.cfg"
    ctx = run_command.make_context(
        "run", ["--extra-files", f"{a}{os.pathsep}{b}", "--exclude-patterns", "*.tmp"])
    assert ctx.params["extra_files"] == [str(a), str(b)]
    assert ctx.params["exclude_patterns"] == ["*.tmp"]


def test_app_run_at_import_does_not_block_the_command(project: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import stein.serving

    calls: list[Any] = []
    monkeypatch.setattr(stein.serving, "run_simple", lambda *a, **k: calls.append(a))
    write(project, "runs.py", APP_SOURCE.format(name="app") + "\napp.run()\n")
    result = run("--app", "runs", "hello")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello from runs\n"
    assert "Ignoring a call to 'app.run()'" in result.stderr
    assert calls == []
    # Outside the command line app.run() serves.
    del os.environ["STEIN_RUN_FROM_CLI"]
    Stein("direct").run(port=5001)
    assert calls and calls[0][:2] == ("127.0.0.1", 5001)


def test_version_under_compat_names_the_flask_api(project: Any, compat_off_after: None) -> None:
    from stein.compat._names import FLASK_VERSION, WERKZEUG_VERSION

    result = run("--compat", "--version")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        f"stein.compat: the API of Flask {FLASK_VERSION} and Werkzeug {WERKZEUG_VERSION}")


def test_plugin_commands_from_entry_points(project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # An installed package declaring a command, as extensions do.
    site = project / "site"
    write(site, "steinplug.py", """
        import click

        @click.command()
        def cmd():
            click.echo("from the plugin")
    """)
    write(site, "steinplug-1.0.dist-info/METADATA", "Name: steinplug\nVersion: 1.0\n")
    write(site, "steinplug-1.0.dist-info/entry_points.txt",
          "[stein.commands]\nplugged = steinplug:cmd\n")
    monkeypatch.syspath_prepend(str(site))
    group = SteinGroup(create_app=lambda: Stein("plug"))
    result = CliRunner().invoke(group, ["plugged"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "from the plugin\n"
    assert "plugged" in CliRunner().invoke(group, ["--help"]).stdout
