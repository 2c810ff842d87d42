"""Blueprints: routes, prefixes, hooks and handlers scoped to the blueprint, app_* forms,
nesting, registering twice, url_for('.x'), url_defaults, subdomains, static folders."""

from __future__ import annotations

import os

import pytest

from stein import Blueprint, Stein, abort, g, request, url_for

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def test_routes_prefix_and_endpoint_names(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/")
    def index():  # type: ignore[no-untyped-def]
        return f"{request.endpoint} {request.blueprint} {url_for('.item', id=3)} {url_for('index')}"

    @bp.get("/item/<int:id>")
    def item(id: int):  # type: ignore[no-untyped-def]
        return str(id)

    @bp.post("/item")
    def create():  # type: ignore[no-untyped-def]
        return "created", 201

    @app.route("/")
    def index_app():  # type: ignore[no-untyped-def]
        return "app"

    app.add_url_rule("/", "index", index_app)
    app.register_blueprint(bp)
    assert client.get("/shop/").text == "shop.index shop /shop/item/3 /"
    assert client.get("/shop/item/7").text == "7"
    assert client.post("/shop/item").status_code == 201
    assert client.get("/shop/item").status_code == 405
    with app.test_request_context():
        assert url_for("shop.item", id=1) == "/shop/item/1"


def test_register_url_prefix_overrides(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("b", __name__, url_prefix="/orig")

    @bp.route("/x")
    def x():  # type: ignore[no-untyped-def]
        return "x"

    app.register_blueprint(bp, url_prefix="/new")
    assert client.get("/new/x").text == "x"
    assert client.get("/orig/x").status_code == 404


def test_invalid_names() -> None:
    with pytest.raises(ValueError, match="may not contain a dot"):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError, match="may not be empty"):
        Blueprint("", __name__)
    bp = Blueprint("a", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", "x.y", lambda: "")


def test_hooks_scoped_to_blueprint(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    log: list[str] = []
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    def bp_before():  # type: ignore[no-untyped-def]
        log.append("bp_before")

    @bp.after_request
    def bp_after(resp):  # type: ignore[no-untyped-def]
        resp.headers["X-BP"] = "1"
        return resp

    @bp.teardown_request
    def bp_teardown(exc):  # type: ignore[no-untyped-def]
        log.append("bp_teardown")

    @bp.before_app_request
    def all_before():  # type: ignore[no-untyped-def]
        log.append("all_before")

    @bp.after_app_request
    def all_after(resp):  # type: ignore[no-untyped-def]
        resp.headers["X-ALL"] = "1"
        return resp

    @bp.teardown_app_request
    def all_teardown(exc):  # type: ignore[no-untyped-def]
        log.append("all_teardown")

    @bp.route("/")
    def bp_index():  # type: ignore[no-untyped-def]
        return "bp"

    @app.route("/")
    def app_index():  # type: ignore[no-untyped-def]
        return "app"

    app.register_blueprint(bp)
    rv = client.get("/bp/")
    assert rv.headers.get("X-BP") == "1" and rv.headers.get("X-ALL") == "1"
    assert log == ["all_before", "bp_before", "bp_teardown", "all_teardown"]
    log.clear()
    rv = client.get("/")
    assert "X-BP" not in rv.headers and rv.headers.get("X-ALL") == "1"
    assert log == ["all_before", "all_teardown"]


def test_error_handlers_scoped(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.errorhandler(404)
    def bp_404(e):  # type: ignore[no-untyped-def]
        return {"error": "api not found"}, 404

    @bp.app_errorhandler(418)
    def teapot(e):  # type: ignore[no-untyped-def]
        return "teapot everywhere", 418

    class Oops(Exception):
        pass

    @bp.errorhandler(Oops)
    def oops(e):  # type: ignore[no-untyped-def]
        return "bp oops", 500

    @bp.route("/missing")
    def missing():  # type: ignore[no-untyped-def]
        abort(404)

    @bp.route("/oops")
    def raise_oops():  # type: ignore[no-untyped-def]
        raise Oops()

    @app.route("/missing")
    def app_missing():  # type: ignore[no-untyped-def]
        abort(404)

    @app.route("/tea")
    def tea():  # type: ignore[no-untyped-def]
        abort(418)

    app.register_blueprint(bp)
    assert client.get("/api/missing").get_json() == {"error": "api not found"}
    rv = client.get("/missing")
    assert rv.status_code == 404
    assert "api not found" not in rv.text  # the blueprint's handler is for its requests only
    assert client.get("/tea").text == "teapot everywhere"
    assert client.get("/api/oops").text == "bp oops"


def test_url_processors(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("lang", __name__, url_prefix="/<lang>")

    @bp.url_defaults
    def add_lang(endpoint, values):  # type: ignore[no-untyped-def]
        values.setdefault("lang", g.lang)

    @bp.url_value_preprocessor
    def pull_lang(endpoint, values):  # type: ignore[no-untyped-def]
        g.lang = values.pop("lang")

    @bp.route("/about")
    def about():  # type: ignore[no-untyped-def]
        return f"{g.lang} {url_for('.about')}"

    app.register_blueprint(bp)
    assert client.get("/de/about").text == "de /de/about"


def test_app_url_processors(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("b", __name__)
    seen: list[str] = []

    @bp.app_url_value_preprocessor
    def pre(endpoint, values):  # type: ignore[no-untyped-def]
        seen.append(endpoint)

    @bp.app_url_defaults
    def defaults(endpoint, values):  # type: ignore[no-untyped-def]
        if endpoint == "page":
            values.setdefault("n", 9)

    @app.route("/p/<int:n>")
    def page(n: int):  # type: ignore[no-untyped-def]
        return url_for("page")

    app.register_blueprint(bp)
    assert client.get("/p/1").text == "/p/9"
    assert seen == ["page"]


def test_url_defaults_option(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("pages", __name__, url_defaults={"page": "home"})

    @bp.route("/page/<page>")
    @bp.route("/")
    def show(page: str):  # type: ignore[no-untyped-def]
        return page

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="docs", url_prefix="/docs", url_defaults={"page": "intro"})
    assert client.get("/").text == "home"
    # The default applies to /page/<page> too, and "/" gives the same values first in
    # build order: as in Flask (Werkzeug's redirect_defaults), it is the canonical URL.
    rv = client.get("/page/x")
    assert rv.status_code == 308 and rv.headers["Location"] == "/"
    assert client.get("/docs/").text == "intro"


def test_register_twice_needs_name(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("files", __name__)
    calls: list[str] = []

    @bp.before_request
    def count():  # type: ignore[no-untyped-def]
        calls.append(request.blueprint)

    @bp.route("/")
    def index():  # type: ignore[no-untyped-def]
        return url_for(".index")

    app.register_blueprint(bp, url_prefix="/a")
    with pytest.raises(ValueError, match="already registered"):
        app.register_blueprint(bp, url_prefix="/b")
    app.register_blueprint(bp, url_prefix="/b", name="files_b")
    assert client.get("/a/").text == "/a/"
    assert client.get("/b/").text == "/b/"
    assert calls == ["files", "files_b"]
    assert set(app.blueprints) == {"files", "files_b"}


def test_setup_after_registration_fails(app: Stein) -> None:
    bp = Blueprint("late", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp._check_setup_finished("route")


def test_nested_blueprints(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__, url_prefix="/gc")
    log: list[str] = []

    @parent.before_request
    def p_before():  # type: ignore[no-untyped-def]
        log.append("parent")

    @child.before_request
    def c_before():  # type: ignore[no-untyped-def]
        log.append("child")

    @parent.errorhandler(403)
    def p_forbidden(e):  # type: ignore[no-untyped-def]
        return "parent handled 403", 403

    @child.route("/")
    def c_index():  # type: ignore[no-untyped-def]
        return f"{request.blueprint} {list(request.blueprints)} {url_for('.c_index')}"

    @child.route("/forbidden")
    def forbidden():  # type: ignore[no-untyped-def]
        abort(403)

    @grandchild.route("/")
    def gc_index():  # type: ignore[no-untyped-def]
        return url_for("parent.child.c_index")

    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/parent/child/").text == \
        "parent.child ['parent.child', 'parent'] /parent/child/"
    assert log == ["parent", "child"]
    assert client.get("/parent/child/forbidden").text == "parent handled 403"
    assert client.get("/parent/child/gc/").text == "/parent/child/"


def test_nested_registered_with_options(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    parent = Blueprint("p", __name__)
    child = Blueprint("c", __name__)

    @child.route("/x")
    def x():  # type: ignore[no-untyped-def]
        return request.endpoint

    parent.register_blueprint(child, url_prefix="/kid", name="kid")
    with pytest.raises(ValueError, match="Cannot register a blueprint on itself"):
        parent.register_blueprint(parent)
    app.register_blueprint(parent, url_prefix="/up")
    assert client.get("/up/kid/x").text == "p.kid.x"


def test_subdomain() -> None:
    # Subdomains are matched under SERVER_NAME only with subdomain_matching (Flask 3.1).
    app = Stein(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    bp = Blueprint("api", __name__, subdomain="api")

    @bp.route("/")
    def index():  # type: ignore[no-untyped-def]
        return "api root"

    @app.route("/")
    def main():  # type: ignore[no-untyped-def]
        return "main"

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/", base_url="http://api.example.test/").text == "api root"
    assert client.get("/", base_url="http://example.test/").text == "main"
    assert client.get("/", base_url="http://other.example.test/").status_code == 404
    assert client.get("/", base_url="http://elsewhere.test/").status_code == 404
    # Without subdomain_matching, SERVER_NAME does not restrict the host.
    plain = Stein(__name__)
    plain.config["SERVER_NAME"] = "example.test"
    plain.route("/")(lambda: "any host")
    assert plain.test_client().get("/", base_url="http://elsewhere.test/").text == "any host"
    with app.app_context():
        assert url_for("api.index") == "http://api.example.test/"


def test_blueprint_static_folder(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("assets", __name__, static_folder=os.path.join(FIXTURES, "static"),
                   static_url_path="/assets-static", url_prefix="/ui")
    app.register_blueprint(bp)
    rv = client.get("/ui/assets-static/style.css")
    assert rv.status_code == 200
    assert rv.data == b"body { color: red; }\n"
    assert client.get("/ui/assets-static/../test_blueprints.py",
                      follow_redirects=True).status_code == 404
    with app.test_request_context():
        assert url_for("assets.static", filename="style.css") == "/ui/assets-static/style.css"


def test_endpoint_decorator_and_add_url_rule(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("e", __name__)
    bp.add_url_rule("/thing", "thing")

    @bp.endpoint("thing")
    def thing():  # type: ignore[no-untyped-def]
        return "thing"

    app.register_blueprint(bp)
    assert client.get("/thing").text == "thing"


def test_record_once_and_record(app: Stein) -> None:
    bp = Blueprint("r", __name__)
    once: list[str] = []
    every: list[str] = []
    bp.record_once(lambda s: once.append(s.name))
    bp.record(lambda s: every.append(s.name))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="r2")
    assert once == ["r"]
    assert every == ["r", "r2"]


def test_blueprint_on_two_apps() -> None:
    bp = Blueprint("shared", __name__)

    @bp.route("/s")
    def s():  # type: ignore[no-untyped-def]
        return "shared"

    a1, a2 = Stein("a1"), Stein("a2")
    a1.register_blueprint(bp)
    a2.register_blueprint(bp, url_prefix="/two")
    assert a1.test_client().get("/s").text == "shared"
    assert a2.test_client().get("/two/s").text == "shared"


def test_endpoint_decorator_names_the_app_endpoint_too(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    from stein.routing import Rule

    # As in Flask: a rule the app adds without a view, served by a blueprint's function.
    app.url_map.add(Rule("/foo", endpoint="bar"))
    bp = Blueprint("bp", __name__)

    @bp.endpoint("bar")
    def foobar():  # type: ignore[no-untyped-def]
        return request.endpoint

    app.register_blueprint(bp, url_prefix="/bp_prefix")
    assert client.get("/foo").text == "bar"
    assert client.get("/bp_prefix/bar").status_code == 404
    assert app.view_functions["bar"] is app.view_functions["bp.bar"] is foobar


def test_blueprint_rules_carry_a_defaults_dict() -> None:
    # As in Flask: a blueprint's rules always get a dict (extensions such as flask-smorest
    # read rule.defaults without a None check); an app rule without defaults keeps None.
    from stein import Blueprint, Stein

    app = Stein(__name__)
    bp = Blueprint("bp", __name__, url_defaults={"lang": "en"})
    plain = Blueprint("plain", __name__)
    bp.add_url_rule("/<lang>/x", "x", lambda lang: lang)
    plain.add_url_rule("/y", "y", lambda: "y")
    app.add_url_rule("/z", "z", lambda: "z")
    app.register_blueprint(bp)
    app.register_blueprint(plain)
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    assert rules["bp.x"].defaults == {"lang": "en"}
    assert rules["plain.y"].defaults == {}
    assert rules["z"].defaults is None
    assert app.test_client().get("/y").text == "y"
