"""docs/guides/configuration.md lists every environment variable Stein reads, in one table.

The names are collected from the code: each ``"STEIN_..."`` string in src/stein, each
``env_name("...")`` call, and each option of the built-in commands (click reads
``STEIN_<COMMAND>_<OPTION>`` for them). A few of the documented names are then set and read
back through the real command, so that the table says what the code does.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from stein import commands

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "stein"
PAGE = ROOT / "docs" / "guides" / "configuration.md"


def _table() -> str:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Environment variables and `.steinenv`", 1)[1].split("\n## ", 1)[0]
    return "\n".join(ln for ln in section.splitlines() if ln.startswith("| `STEIN_"))


def _names_in_the_code() -> set[str]:
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "project_template" in path.parts:  # a generated project's own settings
            continue
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"""["'](STEIN_[A-Z0-9_]+)["']""", text))
        names |= {f"STEIN_{n}" for n in re.findall(r"""env_name\(["']([A-Z0-9_]+)["']\)""", text)}
    for command in (commands.run_command, commands.routes_command, commands.shell_command):
        for param in command.params:
            if isinstance(param, click.Option) and param.name:
                names.add(f"STEIN_{command.name.upper()}_{param.name.upper()}")
    # Values of from_prefixed_env examples, not variables Stein itself reads.
    return names - {"STEIN_SECRET_KEY"}


def test_every_variable_is_in_the_table() -> None:
    table = _table()
    documented = set(re.findall(r"`(STEIN_[A-Z0-9_]+)`", table))
    missing = sorted(_names_in_the_code() - documented)
    assert missing == [], f"not in the table of {PAGE.relative_to(ROOT)}: {missing}"
    assert "`STEIN_<KEY>`" in table  # from_prefixed_env


def test_the_page_explains_steinenv() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for needle in ("`.steinenv`", "`.env`", "`--env-file FILE`", "`STEIN_SKIP_DOTENV=1`",
                   "`.flaskenv`"):
        assert needle in text


def test_documented_run_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEIN_RUN_PORT", "8123")
    monkeypatch.setenv("STEIN_RUN_HOST", "127.0.0.2")
    monkeypatch.setenv("STEIN_RUN_WITH_THREADS", "false")
    ctx = commands.run_command.make_context("run", [], auto_envvar_prefix="STEIN_RUN")
    assert ctx.params["port"] == 8123 and ctx.params["host"] == "127.0.0.2"
    assert ctx.params["with_threads"] is False


def test_documented_app_and_routes_variables_are_read(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from click.testing import CliRunner

    from stein.cli import cli as main

    (tmp_path / "shop.py").write_text(
        "from stein import Stein\napp = Stein('shop')\n"
        "@app.get('/z')\ndef a(): return ''\n@app.get('/a')\ndef z(): return ''\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = CliRunner()
    by_endpoint = runner.invoke(main, ["routes"], env={"STEIN_APP": "shop"})
    assert by_endpoint.exit_code == 0, by_endpoint.output
    by_rule = runner.invoke(main, ["routes"], env={"STEIN_APP": "shop",
                                                   "STEIN_ROUTES_SORT": "rule"})
    assert by_rule.exit_code == 0, by_rule.output

    def order(output: str) -> list[str]:
        return [w for w in output.split() if w in ("/a", "/z")]

    assert order(by_endpoint.output) == ["/z", "/a"]  # endpoints a, z
    assert order(by_rule.output) == ["/a", "/z"]
