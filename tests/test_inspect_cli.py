"""``stein inspect url`` and ``stein inspect app`` against the example blog and a project
made by ``stein new``: the lines shown, with their files and line numbers (found by
reading the sources, so the tests follow the code as it changes)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import stein.ext.csrf
from stein.cli import cli
from stein.newproject import create_project

ROOT = Path(__file__).resolve().parent.parent
BLOG = ROOT / "examples" / "blog"
CSRF = Path(stein.ext.csrf.__file__)


def line_of(path: Path, text: str) -> int:
    """The first line of ``path`` that, stripped, starts with ``text``."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip().startswith(text):
            return n
    raise AssertionError(f"{text!r} not in {path}")


def row(output: str, *cells: str) -> str:
    """The line of ``output`` made of ``cells`` (separated by runs of spaces)."""
    pattern = re.compile(r"^\s+" + r"\s+".join(re.escape(c) for c in cells) + r"$", re.M)
    m = pattern.search(output)
    assert m, f"no line {cells!r} in:\n{output}"
    return m.group(0)


@pytest.fixture
def in_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """chdir into a folder for the test; the app modules imported from it, sys.path and
    the variables the stein command sets are restored afterwards."""
    for var in ("STEIN_RUN_FROM_CLI", "STEIN_DEBUG", "STEIN_APP", "STEIN_ENV"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    before = set(sys.modules)
    path = list(sys.path)
    folders: list[str] = []

    def enter(folder: Path, package: str) -> None:
        folders.append(str(folder) + os.sep)
        monkeypatch.chdir(folder)
        # A module of the same name left by another test would be found instead.
        for name in list(sys.modules):
            if name == package or name.startswith(package + "."):
                monkeypatch.delitem(sys.modules, name)

    yield enter
    for name in set(sys.modules) - before:
        f = getattr(sys.modules[name], "__file__", None) or ""
        if f.startswith(tuple(folders)):
            del sys.modules[name]
    sys.path[:] = path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def blog(in_folder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    in_folder(BLOG, "blog")
    # A key from the environment: the blog would otherwise make one in its instance folder.
    monkeypatch.setenv("STEIN_SECRET_KEY", "inspect-test-key")


def test_inspect_url_on_the_blog(blog: None) -> None:
    out = invoke("--app", "blog", "inspect", "url", "GET", "/3/update")
    auth, posts, db = BLOG / "blog" / "auth.py", BLOG / "blog" / "posts.py", BLOG / "blog" / "db.py"
    lines = out.splitlines()
    assert lines[0] == "GET /3/update -> blog.update (rule /<int:id>/update, id=3)  [blueprint blog]"
    csrf = row(out, "1. CSRFProtect.init_app.<locals>._csrf_protect",
               f"stein/ext/csrf.py:{line_of(CSRF, 'def _csrf_protect')}", "app")
    user = row(out, "2. load_logged_in_user",
               f"blog/auth.py:{line_of(auth, 'def load_logged_in_user')}", "app")
    deco = row(out, "@login_required", f"blog/auth.py:{line_of(auth, 'def wrapped_view')}",
               "decorator")
    view = row(out, "update", f"blog/posts.py:{line_of(posts, 'def update(')}",
               "blueprint blog")
    tpl = row(out, "blog/update.html", "blog/templates/blog/update.html")
    base = row(out, "base.html (from blog/update.html)", "blog/templates/base.html")
    close = row(out, "1. close_db", f"blog/db.py:{line_of(db, 'def close_db')}", "app context")
    # In the order they run.
    order = [lines.index(x) for x in (csrf, user, deco, view, tpl, base, close)]
    assert order == sorted(order)
    for section in ("url value preprocessors", "before_request", "view", "templates",
                    "context processors (when a template renders)", "after_request",
                    "teardown", "error handlers"):
        assert section in lines


def test_inspect_url_error_handlers_on_the_blog(blog: None) -> None:
    sys.path.insert(0, str(BLOG))
    from blog import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    out = invoke("--app", "blog", "inspect", "url", "GET", "/nowhere")
    assert out.splitlines()[0] == "GET /nowhere -> 404 Not Found"
    assert "  (none: 404 Not Found)" in out.splitlines()
    handlers = {code: h for code, by_class in app.error_handler_spec.get(None, {}).items()
                for h in by_class.values()}
    if 404 in handlers:
        h = handlers[404]
        path = Path(h.__code__.co_filename)
        row(out, f"404 Not Found: {h.__qualname__}",
            f"blog/{path.name}:{line_of(path, f'def {h.__name__}(')}", "app")
    else:
        row(out, "404 Not Found", "-", "Stein's default error page")


def test_inspect_url_json_on_the_blog(blog: None) -> None:
    data = json.loads(invoke("--app", "blog", "inspect", "url", "POST", "/create", "--json"))
    posts, auth = BLOG / "blog" / "posts.py", BLOG / "blog" / "auth.py"
    assert (data["endpoint"], data["outcome"], data["method"]) == ("blog.create", "view", "POST")
    assert data["view"] == {"name": "create", "file": str(posts),
                            "line": line_of(posts, "def create("), "scope": "blueprint blog",
                            "note": ""}
    assert [(d["name"], d["file"], d["line"]) for d in data["decorators"]] == [
        ("@login_required", str(auth), line_of(auth, "def wrapped_view"))]
    assert [b["name"] for b in data["before_request"]] == [
        "CSRFProtect.init_app.<locals>._csrf_protect", "load_logged_in_user"]
    assert [t["name"] for t in data["templates"]] == ["blog/create.html", "base.html"]


def test_inspect_url_rejects_a_non_method(blog: None) -> None:
    result = CliRunner().invoke(cli, ["--app", "blog", "inspect", "url", "/x", "GET"])
    assert result.exit_code == 2 and "is not an HTTP method" in result.output


def test_inspect_app_on_the_blog(blog: None) -> None:
    out = invoke("--app", "blog", "inspect", "app")
    init = BLOG / "blog" / "__init__.py"
    auth, posts, db = BLOG / "blog" / "auth.py", BLOG / "blog" / "posts.py", BLOG / "blog" / "db.py"
    assert out.splitlines()[0].startswith("app blog: ")
    row(out, "auth", f"blog/auth.py:{line_of(auth, 'bp = Blueprint(')}",
        "url_prefix /auth, 3 routes")
    row(out, "blog", f"blog/posts.py:{line_of(posts, 'bp = Blueprint(')}",
        "url_prefix /, 4 routes")
    row(out, "csrf", f"stein/ext/csrf.py:{line_of(CSRF, 'class CSRFProtect')}",
        "stein.ext.csrf.CSRFProtect")
    row(out, "init-db", f"blog/db.py:{line_of(db, 'def init_db_command')}",
        "Clear the existing data and create new tables.")
    row(out, "SECRET_KEY", "'***'", "from_prefixed_env STEIN_SECRET_KEY at "
        f"blog/__init__.py:{line_of(init, 'app.config.from_prefixed_env()')}")
    database = row(out, "DATABASE", "'" + str(BLOG / "instance" / "blog.sqlite") + "'",
                   f"from_mapping at blog/__init__.py:"
                   f"{line_of(init, 'app.config.from_mapping(DATABASE=')}")
    assert database
    row(out, "CSRF_ENABLED", "True",
        f"setdefault at stein/ext/csrf.py:{line_of(CSRF, 'app.config.setdefault(key, value)')}")
    row(out, "SESSION_COOKIE_NAME", "'session'", "default")
    row(out, "DEBUG", "False",
        "environment STEIN_DEBUG not set (--debug sets it; read after the factory ran)")
    assert "inspect-test-key" not in out
    trimmed = invoke("--app", "blog", "inspect", "app", "--skip-defaults")
    assert "SESSION_COOKIE_NAME" not in trimmed and "SECRET_KEY" in trimmed


def test_inspect_app_json_on_the_blog(blog: None) -> None:
    data = json.loads(invoke("--app", "blog", "--debug", "inspect", "app", "--json"))
    config = {c["key"]: c for c in data["config"]}
    assert config["DEBUG"]["how"] == "environment" and config["DEBUG"]["value"] == "True"
    assert config["SECRET_KEY"]["value"] == "'***'"
    assert config["SECRET_KEY"]["detail"] == "STEIN_SECRET_KEY"
    assert [(b["name"], b["url_prefix"]) for b in data["blueprints"]] == [
        ("auth", "/auth"), ("blog", None)]
    assert [c["name"] for c in data["commands"]] == ["init-db"]


# -- a project made by stein new ------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path, in_folder: Any) -> Path:
    root = tmp_path / "shop"
    create_project(root)
    in_folder(root, "shop")
    return root


def test_inspect_url_on_a_new_project(shop: Path) -> None:
    api, main = shop / "shop" / "api" / "views.py", shop / "shop" / "main" / "views.py"
    out = invoke("--app", "shop", "inspect", "url", "GET", "/api/items/3")
    assert out.splitlines()[0] == (
        "GET /api/items/3 -> api.item (rule /api/items/<int:item_id>, item_id=3)"
        "  [blueprint api]")
    row(out, "item", f"shop/api/views.py:{line_of(api, 'def item(')}", "blueprint api")
    row(out, "HTTPException (any HTTP error): json_error",
        f"shop/api/views.py:{line_of(api, 'def json_error(')}", "blueprint api")
    out = invoke("--app", "shop", "inspect", "url", "GET", "/")
    row(out, "index", f"shop/main/views.py:{line_of(main, 'def index(')}", "blueprint main")
    row(out, "main/index.html", os.path.join("shop", "main", "templates", "main", "index.html"))
    row(out, "base.html (from main/index.html)", os.path.join("shop", "templates", "base.html"))
    row(out, "1. site", f"shop/main/views.py:{line_of(main, 'def site(')}", "app")
    # Outside the api blueprint, its JSON handler does not apply.
    assert "json_error" not in out


def test_inspect_app_on_a_new_project(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEIN_PAGE_SIZE", "50")
    config_py = shop / "shop" / "config.py"
    out = invoke("--app", "shop", "inspect", "app")
    main, api = shop / "shop" / "main" / "__init__.py", shop / "shop" / "api" / "__init__.py"
    row(out, "main", f"shop/main/__init__.py:{line_of(main, 'bp = Blueprint(')}",
        "url_prefix /, 3 routes")
    row(out, "api", f"shop/api/__init__.py:{line_of(api, 'bp = Blueprint(')}",
        "url_prefix /api, 2 routes")
    from_object = line_of(config_py, "config.from_object(")
    row(out, "SITE_NAME", "'Shop'",
        f"from_object shop.config.DevelopmentConfig at shop/config.py:{from_object}")
    row(out, "SECRET_KEY", "'***'",
        f"from_object shop.config.DevelopmentConfig at shop/config.py:{from_object}")
    row(out, "PAGE_SIZE", "50", "from_prefixed_env STEIN_PAGE_SIZE at shop/config.py:"
        f"{line_of(config_py, 'config.from_prefixed_env()')}")
