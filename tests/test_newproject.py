"""``stein new``: the project it writes, whose own tests pass as generated."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stein.cli import cli
from stein.newproject import TEMPLATE, create_project, package_name, stein_requirement

ROOT = Path(__file__).resolve().parent.parent


def test_layout(tmp_path: Path) -> None:
    root = tmp_path / "my-shop"
    files = create_project(root)
    rel = sorted(p.relative_to(root).as_posix() for p in files)
    assert rel == [
        ".gitignore", "Makefile", "README.md",
        "my_shop/__init__.py", "my_shop/api/__init__.py", "my_shop/api/views.py",
        "my_shop/config.py", "my_shop/main/__init__.py", "my_shop/main/static/main.css",
        "my_shop/main/templates/main/about.html", "my_shop/main/templates/main/index.html",
        "my_shop/main/views.py", "my_shop/static/style.css", "my_shop/templates/base.html",
        "pyproject.toml", "tests/conftest.py", "tests/test_api.py", "tests/test_config.py",
        "tests/test_main.py",
    ]
    for path in files:
        assert not re.search(r"\[\[\w+\]\]", path.read_text()), path  # markers replaced
    assert "from my_shop import create_app" in (root / "tests" / "conftest.py").read_text()
    assert 'name = "my-shop"' in (root / "pyproject.toml").read_text()
    assert "<h1>Welcome to {{ site_name }}</h1>" in (
        root / "my_shop" / "main" / "templates" / "main" / "index.html").read_text()


def test_makefile_has_demo_and_test(tmp_path: Path) -> None:
    create_project(tmp_path / "shop")
    makefile = (tmp_path / "shop" / "Makefile").read_text()
    assert re.search(r"^demo: \$\(STAMP\)\n\t\$\(BIN\)/stein --app shop run .*--debug$",
                     makefile, re.M)
    assert re.search(r"^test: \$\(STAMP\)\n\t\$\(BIN\)/pytest$", makefile, re.M)
    assert f"STEIN ?= {stein_requirement()}\n" in makefile
    # Recipes are indented with tabs, as make requires.
    assert "\n\t$(BIN)/pip install -q '$(STEIN)' -e '.[dev]'\n" in makefile


def test_generated_tests_pass(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    create_project(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEIN_")}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b12 passed\b", result.stdout), result.stdout


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new", "Big-Store"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Created Big-Store (19 files), package big_store:", "  cd Big-Store",
        "  make demo    # the app on http://127.0.0.1:5000", "  make test    # its tests"]
    assert (tmp_path / "Big-Store" / "big_store" / "__init__.py").is_file()
    assert "Big Store" in (tmp_path / "Big-Store" / "big_store" / "config.py").read_text()
    again = CliRunner().invoke(cli, ["new", "Big-Store"])
    assert again.exit_code == 2 and "exists and is not an empty folder" in again.output
    named = CliRunner().invoke(cli, ["new", "web", "--package", "storefront"])
    assert named.exit_code == 0, named.output
    assert (tmp_path / "web" / "storefront" / "main" / "views.py").is_file()


def test_package_names() -> None:
    assert package_name("my-shop") == "my_shop"
    assert package_name("Shop") == "shop"
    for bad in ("1shop", "class", "json", "stein", "my/shop"):
        with pytest.raises(ValueError):
            package_name(bad)


def test_template_ships_in_the_wheel_and_sdist() -> None:
    """Every template file is package data (wheel) and in MANIFEST.in (sdist)."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["stein"]
    pkg = ROOT / "src" / "stein"
    covered = {p for pattern in patterns for p in pkg.glob(pattern) if p.is_file()}
    template_files = {p for p in TEMPLATE.rglob("*") if p.is_file()
                      and "__pycache__" not in p.parts}
    assert template_files and template_files <= covered
    assert "recursive-include src/stein/project_template *" in (
        ROOT / "MANIFEST.in").read_text().splitlines()
