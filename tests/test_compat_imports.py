"""stein.compat's aliased modules keep Stein's own import metadata (run in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_aliased_modules_keep_their_spec_so_relative_imports_do_not_warn() -> None:
    # Pallets extensions run their suites with -W error: a module whose __spec__ names
    # ``flask.app`` while its __package__ is ``stein`` warns on every later relative import.
    code = (
        "import stein.compat; stein.compat.install()\n"
        "import flask, flask.app, flask.sansio.app, flask.json.tag, werkzeug.routing\n"
        "import stein.app\n"
        "assert flask.app is stein.app\n"
        "assert stein.app.__spec__.name == 'stein.app', stein.app.__spec__\n"
        "exec('from . import helpers', vars(stein.app))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-W", "error", "-c", code],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_werkzeug_utils_cached_property_caches_per_instance() -> None:
    code = (
        "import stein.compat; stein.compat.install()\n"
        "from werkzeug.utils import cached_property\n"
        "calls = []\n"
        "class Form:\n"
        "    @cached_property\n"
        "    def meta(self):\n"
        "        calls.append(1)\n"
        "        return object()\n"
        "f = Form()\n"
        "assert f.meta is f.meta and calls == [1]\n"
        "f.meta = 'set'\n"
        "assert f.meta == 'set'\n"
        "assert Form().meta is not f.meta and calls == [1, 1]\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
