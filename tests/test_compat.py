"""stein.compat: `import flask` / `import werkzeug` answered by Stein's own modules.

Each check runs in a fresh interpreter: installing the layer changes process-wide state
(sys.meta_path, Flask names on Stein's modules) that the rest of the suite must not see.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from stein.compat.port import port_source

ROOT = Path(__file__).resolve().parents[1]
PTH = ROOT / "src" / "stein" / "compat" / "stein-compat.pth"


def run_py(code: str, *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("STEIN_COMPAT", None) if env is None or "STEIN_COMPAT" not in env else None
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_flask_names_are_steins_own_objects() -> None:
    out = run_py("""
        import stein, stein.testing, stein.exceptions, stein.ctx, stein.cli
        import stein.compat
        stein.compat.install(); stein.compat.install()  # idempotent
        import flask, flask.testing, flask.globals, flask.cli
        import werkzeug.exceptions
        from flask import Flask, request
        assert flask is stein and Flask is stein.Stein and request is stein.request
        assert flask.testing is stein.testing
        assert flask.testing.FlaskClient is stein.testing.TestClient
        assert flask.cli.FlaskGroup is stein.cli.SteinGroup
        assert flask.globals is stein.ctx
        assert werkzeug.exceptions.NotFound is stein.exceptions.NotFound
        app = Flask(__name__)
        @app.route("/<int:n>")
        def n(n):
            return {"n": n}
        print(app.test_client().get("/4").get_json()["n"], sys_path_first())
    """.replace("sys_path_first()", "type(__import__('sys').meta_path[0]).__name__"))
    assert out == "4 _FlaskFinder"


def test_import_stein_does_not_load_the_layer() -> None:
    out = run_py("""
        import sys, stein
        print("stein.compat" in sys.modules, hasattr(stein, "Flask"),
              any(type(f).__name__ == "_FlaskFinder" for f in sys.meta_path))
    """)
    assert out == "False False False"


def test_wins_over_a_real_flask_on_the_path(tmp_path: Path) -> None:
    # A "real" Flask and Werkzeug earlier on sys.path, one of them imported before install.
    for name in ("flask", "werkzeug"):
        pkg = tmp_path / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text("REAL = True\n")
        (pkg / "testing.py").write_text("REAL = True\n")
    out = run_py("""
        import flask  # the real one, imported first
        assert flask.REAL
        import stein.compat
        stein.compat.install()
        import flask, flask.testing, werkzeug
        print(hasattr(flask, "REAL"), hasattr(flask.testing, "REAL"), flask.Flask.__name__,
              werkzeug.__version__)
    """, env={"PYTHONPATH": str(tmp_path)})
    assert out == "False False Stein 3.1.3"


def test_monkeypatching_through_the_werkzeug_name_patches_stein() -> None:
    out = run_py("""
        import stein.compat.flask  # the one-line form
        import werkzeug.serving, stein.serving
        werkzeug.serving.run_simple = lambda *a, **k: "patched"
        print(stein.serving.run_simple())
    """)
    assert out == "patched"


def test_unknown_submodule_is_an_import_error_not_a_real_flask() -> None:
    out = run_py("""
        import stein.compat
        stein.compat.install()
        try:
            import werkzeug.no_such_module
        except ModuleNotFoundError as e:
            print(e.name, "does not provide" in str(e))
    """)
    assert out == "werkzeug.no_such_module True"


def test_uninstall_removes_the_finder_and_the_names() -> None:
    out = run_py("""
        import sys, stein, stein.compat, stein.json, stein.testing
        before = {m.__name__: set(vars(m)) for m in (stein, stein.json, stein.testing)}
        stein.compat.install()
        import flask, flask.json.tag, flask.testing
        assert flask.testing.FlaskClient and hasattr(stein.json, "__path__")
        stein.compat.uninstall()
        def own_submodule(m, k):  # importing stein.cli sets stein.cli: Stein's own doing
            return isinstance(vars(m)[k], type(sys)) and vars(m)[k].__name__ == f"{m.__name__}.{k}"
        after = {m.__name__: {k for k in vars(m) if not own_submodule(m, k)}
                 for m in (stein, stein.json, stein.testing)}
        added = {k: sorted(after[k] - before[k]) for k in before if after[k] - before[k]}
        try:
            import flask
        except ImportError:
            print("gone", stein.compat.is_installed(), "flask" in sys.modules, added)
        else:
            # A real Flask installed beside Stein (``make bench`` installs one) is found
            # again once the layer is gone: it must be that one, not Stein's modules.
            real = not getattr(flask, "__file__", "").startswith(stein.__path__[0])
            print("gone" if real else "still stein", stein.compat.is_installed(), False, added)
    """)
    assert out == "gone False False {}"


def test_compat_switches_the_env_prefix_to_flask() -> None:
    out = run_py("""
        import stein.compat
        from stein import Stein
        app = Stein(__name__)
        app.config.from_prefixed_env()
        before = app.config.get("X")
        stein.compat.install()
        app.config.from_prefixed_env()
        print(before, app.config["X"])
    """, env={"STEIN_X": "1", "FLASK_X": "2"})
    assert out == "1 2"


@pytest.mark.parametrize("value,expected", [("1", "True"), ("", "False")])
def test_startup_hook_installs_only_when_asked(tmp_path: Path, value: str, expected: str) -> None:
    # The wheel puts stein-compat.pth at the root of site-packages; addsitedir processes
    # it exactly as interpreter start-up does.
    (tmp_path / PTH.name).write_text(PTH.read_text())
    out = run_py(f"""
        import site, sys
        site.addsitedir({str(tmp_path)!r})
        print("stein.compat" in sys.modules)
    """, env={"STEIN_COMPAT": value})
    assert out == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_launcher_serves_an_unedited_flask_app_under_gunicorn(tmp_path: Path) -> None:
    (tmp_path / "flaskapp.py").write_text(textwrap.dedent("""
        from flask import Flask, request
        from werkzeug.exceptions import NotFound
        app = Flask(__name__)

        @app.route("/")
        def index():
            return {"cls": type(app).__module__, "q": request.args["q"]}

        @app.errorhandler(NotFound)
        def missing(e):
            return "nope", 404
    """))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stein.compat", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "flaskapp:app"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=x", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert body == b'{"cls":"stein.app","q":"x"}\n'
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/missing", timeout=2)
        assert info.value.code == 404 and info.value.read() == b"nope"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_launcher_names_a_missing_server() -> None:
    proc = subprocess.run([sys.executable, "-m", "stein.compat", "no-such-server"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "no console script named 'no-such-server'" in proc.stderr


def test_port_rewrites_imports_and_names_but_not_strings() -> None:
    src = textwrap.dedent("""
        import flask
        import werkzeug.serving
        from flask.globals import request_ctx
        from flask.testing import FlaskClient
        from werkzeug.test import EnvironBuilder
        from flask_login import LoginManager
        app = flask.Flask("flask")  # flask stays in comments
        x = flask.globals.app_ctx
        obj.flask.Flask
        from flask_appbuilder import FlaskAppBuilder
    """)
    assert port_source(src) == textwrap.dedent("""
        import stein
        import stein.serving
        from stein.ctx import request_ctx
        from stein.testing import SteinClient
        from stein.testing import EnvironBuilder
        from flask_login import LoginManager
        app = stein.Stein("flask")  # flask stays in comments
        x = stein.ctx.app_ctx
        obj.flask.Stein
        from flask_appbuilder import FlaskAppBuilder
    """)


def test_port_renames_code_inside_fstrings() -> None:
    src = 'x = f"{flask.request.path} {{flask.g}} flask.g {werkzeug.exceptions.NotFound!r}"\n'
    assert port_source(src) == (
        'x = f"{stein.request.path} {{flask.g}} flask.g {stein.exceptions.NotFound!r}"\n')


def test_port_renames_environment_names_in_strings_only() -> None:
    src = 'os.environ["FLASK_APP"] = "x"  # FLASK_APP\nload_dotenv(".flaskenv")\nNOT_FLASK_X = "NOT_FLASK_X"\n'
    assert port_source(src) == (
        'os.environ["STEIN_APP"] = "x"  # FLASK_APP\nload_dotenv(".steinenv")\n'
        'NOT_FLASK_X = "NOT_FLASK_X"\n')


def test_port_command_rewrites_files_in_place(tmp_path: Path) -> None:
    f = tmp_path / "app.py"
    f.write_text("from flask import Flask\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "views.py").write_text("import werkzeug.exceptions\n")
    (tmp_path / "pkg" / ".flaskenv").write_text("FLASK_APP=app\n")
    diff = subprocess.run([sys.executable, "-m", "stein.compat.port", "--diff", str(tmp_path)],
                          check=True, timeout=30, capture_output=True, text=True).stdout
    assert "+from stein import Stein" in diff and f.read_text() == "from flask import Flask\n"
    subprocess.run([sys.executable, "-m", "stein.compat.port", str(tmp_path)], check=True,
                   timeout=30, capture_output=True)
    assert f.read_text() == "from stein import Stein\n"
    assert (tmp_path / "pkg" / "views.py").read_text() == "import stein.exceptions\n"
    assert (tmp_path / "pkg" / ".steinenv").exists() and not (tmp_path / "pkg" / ".flaskenv").exists()
