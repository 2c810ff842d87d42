"""stein.inspection and stein.sourceinfo on small apps: the order of what runs (held to the
order the app really runs it), error-handler lookup (held to the app's own), where
functions, classes and blueprints are defined, and the templates a view renders."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest

from stein import Blueprint, Stein, abort, render_template
from stein.exceptions import BadRequest, Forbidden, HTTPException, NotFound
from stein.inspection import describe_app, error_handler_for, explain_url, show_value
from stein.sourceinfo import (
    blueprint_definition,
    definition,
    display_name,
    display_path,
    templates_rendered,
)
from stein.views import MethodView

HERE = os.path.abspath(__file__)


def def_line(name: str, path: str = HERE) -> int:
    """The line of ``def name`` / ``class name`` in ``path``, found by reading the file."""
    for n, text in enumerate(Path(path).read_text().splitlines(), 1):
        if text.lstrip().startswith((f"def {name}(", f"async def {name}(", f"class {name}(",
                                     f"class {name}:")):
            return n
    raise AssertionError(f"no def {name} in {path}")


def traced(log: list[str]) -> Any:
    """A decorator that logs the name of a function each time it runs."""

    def decorate(f: Any) -> Any:
        @functools.wraps(f)
        def logged(*args: Any, **kwargs: Any) -> Any:
            log.append(f.__name__)
            return f(*args, **kwargs)

        return logged

    return decorate


def build_app(log: list[str]) -> Stein:
    """Hooks at every level: app, a parent blueprint and a nested child."""
    app = Stein(__name__)
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c", subdomain=None)
    t = traced(log)

    @app.url_value_preprocessor
    @t
    def app_values(endpoint: Any, values: Any) -> None: ...

    @child.url_value_preprocessor
    @t
    def child_values(endpoint: Any, values: Any) -> None: ...

    @app.before_request
    @t
    def app_before() -> None: ...

    @parent.before_request
    @t
    def parent_before() -> None: ...

    @child.before_request
    @t
    def child_before() -> None: ...

    @child.before_app_request
    @t
    def child_before_everything() -> None: ...

    @app.after_request
    @t
    def app_after(r: Any) -> Any:
        return r

    @app.after_request
    @t
    def app_after_second(r: Any) -> Any:
        return r

    @child.after_request
    @t
    def child_after(r: Any) -> Any:
        return r

    @parent.teardown_request
    @t
    def parent_teardown(exc: Any) -> None: ...

    @app.teardown_appcontext
    @t
    def app_ctx_teardown(exc: Any) -> None: ...

    @child.get("/items/<int:id>")
    @t
    def item(id: int) -> str:
        return f"item {id}"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app


def names(steps: list[Any]) -> list[str]:
    return [s.name.rpartition(".")[2] for s in steps]


def test_the_order_shown_is_the_order_run() -> None:
    log: list[str] = []
    app = build_app(log)
    report = explain_url(app, "GET", "/p/c/items/3")
    assert (report.endpoint, report.rule, report.view_args) == (
        "parent.child.item", "/p/c/items/<int:id>", {"id": 3})
    assert report.blueprints == ["parent.child", "parent"]
    shown = (names(report.url_value_preprocessors) + names(report.before_request)
             + ["item"] + names(report.after_request) + names(report.teardown))
    assert app.test_client().get("/p/c/items/3").text == "item 3"
    # The decorator logs the wrapped name; the report names what was wrapped (functools.wraps).
    assert shown == log
    assert [s.scope for s in report.before_request] == [
        "app", "app", "blueprint parent", "blueprint parent.child"]
    assert report.teardown[-1].note == "app context"


def test_decorators_are_shown_outermost_first_with_their_own_lines() -> None:
    log: list[str] = []
    app = build_app(log)
    report = explain_url(app, "GET", "/p/c/items/3")
    assert [d.name for d in report.decorators] == ["@traced"]
    assert report.decorators[0].file == HERE
    assert report.decorators[0].line == def_line("logged")
    assert report.view is not None
    assert (report.view.name, report.view.file, report.view.line) == (
        "build_app.<locals>.item", HERE, def_line("item"))
    assert report.view.scope == "blueprint parent.child"


def test_routing_errors() -> None:
    log: list[str] = []
    app = build_app(log)
    missing = explain_url(app, "GET", "/nowhere")
    assert missing.outcome == "404 Not Found" and missing.view is None
    # before_request hooks of the app still run for a 404; blueprints' do not.
    assert names(missing.before_request) == ["app_before", "child_before_everything"]
    assert missing.error_handlers[0].error == "404 Not Found"
    assert missing.error_handlers[0].handler is None
    wrong = explain_url(app, "DELETE", "/p/c/items/3")
    assert wrong.outcome == "405 Method Not Allowed"
    options = explain_url(app, "OPTIONS", "/p/c/items/3")
    assert options.outcome == "automatic OPTIONS response"


def test_strict_slash_redirect() -> None:
    app = Stein(__name__)
    app.get("/folder/")(lambda: "x")
    report = explain_url(app, "GET", "/folder")
    assert report.outcome.startswith("308 redirect to ") and report.outcome.endswith("/folder/")


def test_error_handler_lookup_matches_the_apps() -> None:
    app = Stein(__name__)
    api = Blueprint("api", __name__, url_prefix="/api")
    inner = Blueprint("inner", __name__)

    @app.errorhandler(404)
    def app_404(e: Any) -> Any: ...

    @app.errorhandler(HTTPException)
    def app_any_http(e: Any) -> Any: ...

    @api.errorhandler(NotFound)
    def api_404(e: Any) -> Any: ...

    @inner.errorhandler(ValueError)
    def inner_value(e: Any) -> Any: ...

    @app.errorhandler(Exception)
    def app_exception(e: Any) -> Any: ...

    api.register_blueprint(inner)
    app.register_blueprint(api)

    class Teapot(HTTPException):
        code = 418

    for chain in [(), ("api",), ("api.inner", "api")]:
        for cls in (NotFound, Forbidden, BadRequest, ValueError, KeyError, Teapot):
            found = error_handler_for(app, cls, chain)
            expected = app._find_error_handler(cls(), chain)
            assert (found[1] if found else None) is expected, (chain, cls)
    assert error_handler_for(app, NotFound, ("api",)) == ("api", api_404)
    assert error_handler_for(app, KeyError, ("api.inner", "api")) == (None, app_exception)


def test_error_handlers_listed_for_a_url() -> None:
    app = Stein(__name__)
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/x")
    def x() -> str:
        abort(403)

    @api.errorhandler(403)
    def api_403(e: Any) -> Any:
        return "no", 403

    @app.errorhandler(403)
    def app_403(e: Any) -> Any:
        return "no", 403

    @app.errorhandler(ValueError)
    def bad_value(e: Any) -> Any:
        return "bad", 400

    app.register_blueprint(api)
    inside = {r.error: r.handler for r in explain_url(app, "GET", "/api/x").error_handlers}
    assert inside["403 Forbidden"].name.endswith("api_403")
    assert inside["403 Forbidden"].scope == "blueprint api"
    assert inside["403 Forbidden"].line == def_line("api_403")
    assert inside["ValueError"].name.endswith("bad_value")
    outside = {r.error: r.handler for r in explain_url(app, "GET", "/").error_handlers}
    assert outside["403 Forbidden"].name.endswith("app_403")


class ItemAPI(MethodView):
    def get(self, item_id: int) -> str:
        return render_template("items/one.html", item_id=item_id)

    def delete(self, item_id: int) -> tuple[str, int]:
        return "", 204


def test_class_based_views_show_the_method_that_runs() -> None:
    app = Stein(__name__)
    app.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("item"))
    get = explain_url(app, "GET", "/items/1")
    assert get.view is not None
    assert (get.view.name, get.view.line) == ("ItemAPI.get", def_line("get"))
    assert get.view.note == "class ItemAPI"
    assert [t.name for t in get.templates] == ["items/one.html"]
    assert get.templates[0].file is None  # no such template: shown as not found
    delete = explain_url(app, "DELETE", "/items/1")
    assert delete.view is not None and delete.view.name == "ItemAPI.delete"


def test_templates_and_the_ones_they_extend(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text("{% block body %}{% endblock %}")
    (tmp_path / "templates" / "part.html").write_text("part")
    (tmp_path / "templates" / "page.html").write_text(
        '{% extends "base.html" %}{% block body %}{% include "part.html" %}{% endblock %}')
    app = Stein(__name__, root_path=str(tmp_path))

    @app.context_processor
    def extra() -> dict[str, Any]:
        return {}

    @app.get("/")
    def page() -> str:
        return render_template("page.html")

    report = explain_url(app, "GET", "/")
    assert [(t.name, t.via) for t in report.templates] == [
        ("page.html", None), ("base.html", "page.html"), ("part.html", "page.html")]
    assert report.templates[1].file == str(tmp_path / "templates" / "base.html")
    assert names(report.context_processors) == ["extra"]


def test_templates_rendered_in_source_order() -> None:
    def view(flag: bool) -> str:
        if flag:
            return render_template("b.html")
        return render_template(["a.html", "c.html"]) + render_template("b.html")

    assert templates_rendered(view) == ["b.html", "a.html", "c.html"]
    assert templates_rendered(len) == []


def plain() -> None: ...


class Handler:
    def __call__(self) -> None: ...

    def method(self) -> None: ...


def test_definition() -> None:
    assert definition(plain) == (HERE, def_line("plain"))
    assert definition(functools.partial(plain)) == (HERE, def_line("plain"))
    assert definition(Handler) == (HERE, def_line("Handler"))
    assert definition(Handler())[1] == def_line("__call__")
    assert definition(Handler().method)[1] == def_line("method")
    assert definition(len) == (None, None)
    lam = lambda: None  # noqa: E731  # the-lambda
    assert definition(lam)[1] == next(
        n for n, t in enumerate(Path(HERE).read_text().splitlines(), 1)
        if t.endswith("# the-lambda"))
    assert display_name(functools.partial(plain)) == "partial(plain)"
    assert display_name(Handler().method) == "Handler.method"


def test_display_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import stein.ext.csrf

    monkeypatch.chdir(tmp_path)
    assert display_path(str(tmp_path / "app.py")) == "app.py"
    assert display_path(stein.ext.csrf.__file__) == os.path.join("stein", "ext", "csrf.py")
    assert display_path("/nowhere/script.py") == "/nowhere/script.py"
    assert display_path(None) == "?"


bp_here = Blueprint(
    "here", __name__)


def test_blueprint_definition() -> None:
    line = next(n for n, t in enumerate(Path(HERE).read_text().splitlines(), 1)
                if t.startswith("bp_here = Blueprint("))
    assert blueprint_definition(bp_here) == (HERE, line)


def test_describe_app() -> None:
    from stein.signals import request_started

    app = Stein(__name__)
    api = Blueprint("api", __name__, url_prefix="/api")
    v1 = Blueprint("v1", __name__, subdomain="api")
    v1.get("/ping")(lambda: "pong")
    api.register_blueprint(v1, url_prefix="/v1")
    app.register_blueprint(api)
    app.register_blueprint(v1, name="legacy", url_prefix="/old")
    app.extensions["thing"] = Handler()

    @app.cli.command("seed")
    def seed() -> None:
        """Fill the database."""

    def on_start(sender: Any, **extra: Any) -> None: ...

    app.config["GREETING"] = "hi"  # greeting
    with request_started.connected_to(on_start, app):
        report = describe_app(app)
    bps = {b.name: b for b in report.blueprints}
    assert (bps["api"].url_prefix, bps["api"].subdomain, bps["api"].routes) == ("/api", None, 0)
    assert (bps["api.v1"].url_prefix, bps["api.v1"].subdomain, bps["api.v1"].routes) == (
        "/api/v1", "api", 1)
    assert (bps["legacy"].url_prefix, bps["legacy"].blueprint) == ("/old", "v1")
    assert [(e.name, e.line) for e in report.extensions] == [("thing", def_line("Handler"))]
    assert [(c.name, c.line, c.note) for c in report.commands] == [
        ("seed", def_line("seed"), "Fill the database.")]
    assert [s.name for s in report.signals["request_started"]] == [
        "test_describe_app.<locals>.on_start"]
    greeting = next(c for c in report.config if c.key == "GREETING")
    line = next(n for n, t in enumerate(Path(HERE).read_text().splitlines(), 1)
                if t.endswith("# greeting"))
    assert (greeting.value, greeting.how, greeting.file, greeting.line) == (
        "'hi'", "set", HERE, line)


def test_show_value_hides_secrets() -> None:
    assert show_value("SECRET_KEY", "k") == "'***'"
    assert show_value("MAIL_PASSWORD", "k") == "'***'"
    assert show_value("API_TOKEN", "k") == "'***'"
    assert show_value("SECRET_KEY", None) == "None"  # nothing to hide
    assert show_value("JSON_SORT_KEYS", True) == "True"
    assert show_value("DB_URL", "postgresql://u:pw@h/db") == "'postgresql://u:***@h/db'"
    assert show_value("LONG", "x" * 200).endswith("...")


def test_host_matching_and_missing_views() -> None:
    app = Stein(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    api = Blueprint("api", __name__, subdomain="api")
    api.get("/v")(plain)
    app.register_blueprint(api)
    app.add_url_rule("/orphan", endpoint="orphan")
    assert explain_url(app, "GET", "/v").outcome == "404 Not Found"
    report = explain_url(app, "GET", "/v?x=1", host="api.example.test")
    assert (report.outcome, report.endpoint, report.path) == ("view", "api.plain", "/v?x=1")
    orphan = explain_url(app, "GET", "/orphan")
    assert orphan.outcome == "500 Internal Server Error: no view function for orphan"
    from stein.inspect_cli import format_url_report

    assert format_url_report(orphan).splitlines()[0] == (
        "GET /orphan -> orphan (rule /orphan): "
        "500 Internal Server Error: no view function for orphan")


def test_decorator_names_without_co_qualname() -> None:
    """Python 3.10 has no ``co_qualname``: the decorator's name is read from the source."""
    from stein.sourceinfo import enclosing_function

    wrapper = traced([])(plain)
    code = wrapper.__code__
    assert enclosing_function(code.co_filename, code.co_firstlineno) == "traced"
    assert enclosing_function(HERE, def_line("plain")) is None


def test_blueprint_definition_when_its_module_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    line = next(n for n, t in enumerate(Path(HERE).read_text().splitlines(), 1)
                if t.startswith("bp_here = Blueprint("))
    monkeypatch.delitem(sys.modules, __name__)
    assert blueprint_definition(bp_here) == (HERE, line)
