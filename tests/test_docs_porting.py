"""docs/porting.md's recipe, run as a reader would: ``python -m stein.compat.port`` on a
Flask project that is not a git checkout, with no git on PATH. Only ``flask`` and
``werkzeug`` names change (third-party modules such as ``alchemical.flask`` and
``flask_login`` keep theirs, comments are left alone), ``.flaskenv`` becomes a
``.steinenv`` that ``stein`` reads, and the ported app then runs under ``stein``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "porting.md"

FLASK_APP = textwrap.dedent('''\
    # A Flask app: "from flask import Flask" stays as written in this comment.
    import os

    import werkzeug.exceptions
    from flask import Flask, jsonify

    app = Flask(__name__)
    DEBUG_FROM = os.environ.get("FLASK_DEBUG", "0")


    @app.get("/")
    def index():
        return jsonify(ok=True)


    @app.errorhandler(werkzeug.exceptions.NotFound)
    def missing(e):
        return jsonify(error="missing"), 404
''')
THIRD_PARTY = textwrap.dedent('''\
    from alchemical.flask import Alchemical
    from flask_login import LoginManager
    import flask_wtf.csrf
''')


def _env_without_git(tmp_path: Path) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEIN_", "FLASK_"))}
    # Python itself and nothing else: no git to ask for the list of files.
    wrapper = bindir / "python"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    env["PATH"] = str(bindir)
    return env


def test_the_page_gives_the_command_and_no_git_or_sed() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert "python -m stein.compat.port --diff ." in text
    assert "python -m stein.compat.port ." in text
    assert "git ls-files" not in text and "sed -i" not in text
    assert "`alchemical.flask`" in text
    assert "needs no git" in " ".join(text.split())


def test_port_touches_only_flask_and_werkzeug_and_needs_no_git(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(FLASK_APP)
    (project / "ext.py").write_text(THIRD_PARTY)
    (project / ".flaskenv").write_text("FLASK_APP=app\nFLASK_RUN_PORT=5001\n")
    env = _env_without_git(tmp_path)
    assert not (project / ".git").exists()

    diff = subprocess.run(["python", "-m", "stein.compat.port", "--diff", "."], cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)
    assert diff.returncode == 0, diff.stderr
    assert "+from stein import Stein, jsonify" in diff.stdout
    assert (project / "app.py").read_text() == FLASK_APP  # --diff changes nothing

    done = subprocess.run(["python", "-m", "stein.compat.port", "."], cwd=project, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ported = (project / "app.py").read_text()
    assert ported == (FLASK_APP.replace("import werkzeug.exceptions", "import stein.exceptions")
                      .replace("from flask import Flask, jsonify", "from stein import Stein, jsonify")
                      .replace("app = Flask(__name__)", "app = Stein(__name__)")
                      .replace('"FLASK_DEBUG"', '"STEIN_DEBUG"')
                      .replace("(werkzeug.exceptions.NotFound)", "(stein.exceptions.NotFound)"))
    assert '"from flask import Flask" stays' in ported  # the comment
    assert (project / "ext.py").read_text() == THIRD_PARTY  # not Flask's or Werkzeug's own
    assert not (project / ".flaskenv").exists()
    assert (project / ".steinenv").read_text() == "STEIN_APP=app\nSTEIN_RUN_PORT=5001\n"

    # The ported project runs: `stein` finds the app through .steinenv's STEIN_APP.
    stein = Path(sys.executable).with_name("stein")
    routes = subprocess.run([str(stein), "routes"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=60)
    assert routes.returncode == 0, routes.stderr
    assert "index" in routes.stdout and "GET" in routes.stdout
