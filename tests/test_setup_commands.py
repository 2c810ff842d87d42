"""The README's two set-up commands on a machine that is not this one.

``make demo`` installs only what the example blog needs (Stein and the ``demo`` extra) into
a venv of its own, not the development toolchain; ``make test`` installs Debian packages
with apt-get only as root, and otherwise says what it skipped and goes on (the tests that
need those packages skip with their reason).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")

needs_make = pytest.mark.skipif(MAKE is None, reason="no make on PATH")

DEV_ONLY = ("playwright", "pytest", "mypy", "ruff", "mkdocs", "hypothesis", "schemathesis",
            "sqlalchemy", "pydantic", "gunicorn", "uvicorn")


@needs_make
def test_make_demo_installs_the_demo_extra_into_its_own_venv() -> None:
    out = subprocess.run([MAKE, "-n", "-B", "demo"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "-m venv .venv-demo" in out
    assert "pip install -q --disable-pip-version-check '.[demo]'" in out
    assert "[dev]" not in out and ".venv/" not in out
    assert ".venv-demo/bin/stein --app blog run --host 127.0.0.1 --port 5000 --debug" in out
    # The database is made once, where the blog keeps it (examples/blog/instance/).
    assert "test -f instance/blog.sqlite ||" in out


def _demo_extra() -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        pytest.skip("tomllib is Python 3.11+")
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]["demo"]  # type: ignore[no-any-return]


def test_the_demo_extra_is_small() -> None:
    extra = _demo_extra()
    names = {req.split(">")[0].split("=")[0].split("[")[0].strip().lower() for req in extra}
    assert names == {"watchfiles", "python-dotenv"}


def test_a_demo_venv_runs_the_blog_without_the_toolchain(tmp_path: Path) -> None:
    # What `make demo` installs (a regular install of this checkout), into a fresh venv.
    venv = tmp_path / "venv-demo"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q",
                          "--disable-pip-version-check", f"{ROOT}[demo]"],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    listed = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"],
                            capture_output=True, text=True, timeout=120, check=True).stdout
    installed = {ln.split("==")[0].lower() for ln in listed.split()}
    assert {"stein", "jinja2", "itsdangerous", "click", "blinker", "watchfiles",
            "python-dotenv"} <= installed
    assert not installed & set(DEV_ONLY), installed & set(DEV_ONLY)
    size = sum(p.stat().st_size for p in venv.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < 120 * 1024 * 1024, f"the demo venv is {size / 2**20:.0f} MB"

    # The blog's own commands from that venv: no warning, no key noise.
    blog = tmp_path / "blog"
    shutil.copytree(ROOT / "examples" / "blog" / "blog", blog / "blog",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STEIN_", "PYTHON", "VIRTUAL_ENV"))}
    for args, expect in ((["init-db"], "Initialized the database."), (["routes"], "blog.index")):
        proc = subprocess.run([str(venv / "bin" / "stein"), "--app", "blog", *args], cwd=blog,
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert expect in proc.stdout
        assert proc.stderr == ""
    assert (blog / "instance" / "secret_key").is_file()


def _fake_path(tmp_path: Path) -> tuple[str, Path]:
    """A PATH with `ls` and a recording `apt-get`, and none of the packages."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ls").symlink_to(shutil.which("ls") or "/bin/ls")
    log = tmp_path / "apt.log"
    apt = bindir / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    apt.chmod(0o755)
    return str(bindir), log


TARGETS = ["postgres", "redis", "chromium", "openapi-assets"]


@needs_make
def test_make_test_skips_apt_get_when_not_root(tmp_path: Path) -> None:
    path, log = _fake_path(tmp_path)
    overrides = ["IS_ROOT=", "PG_INITDB=/nonexistent/initdb",
                 f"OPENAPI_STATIC={tmp_path / 'static'}"]
    proc = subprocess.run([MAKE, "-s", *TARGETS, *overrides], cwd=ROOT,
                          env={"PATH": path, "HOME": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not log.exists(), "apt-get ran although make is not root"
    for package in ("postgresql", "redis-server", "chromium", "npm"):
        assert (f"'{package}' is not installed and make is not running as root, so apt-get "
                f"is skipped; the tests that need it will skip") in proc.stdout
    assert "no npm, so Swagger UI is not built" in proc.stdout


@needs_make
def test_make_test_as_root_installs_with_apt_get(tmp_path: Path) -> None:
    path, log = _fake_path(tmp_path)
    proc = subprocess.run([MAKE, "-s", "redis", "chromium", "postgres", "IS_ROOT=yes",
                           "PG_INITDB=/nonexistent/initdb"], cwd=ROOT,
                          env={"PATH": path, "HOME": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = log.read_text().splitlines()
    assert "install -y redis-server" in calls and "install -y chromium" in calls
    assert "install -y postgresql" in calls and "update" in calls
