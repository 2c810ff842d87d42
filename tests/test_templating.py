"""Templates: rendering, autoescape, context globals, filters/tests/globals, context
processors, streaming, reload in debug, blueprint folders, lazy Jinja import."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from stein import (
    Blueprint,
    Stein,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    session,
    stream_template,
    stream_template_string,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


@pytest.fixture
def app() -> Stein:
    app = Stein("test_templating", root_path=FIXTURES)
    app.config.update(TESTING=True, SECRET_KEY="k", APP_TITLE="Demo")

    @app.route("/")
    def index():  # type: ignore[no-untyped-def]
        return render_template("page.html", title="Home", items=["a", "<b>"])

    return app


def test_render_template_with_loop(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.text.strip() == "<h1>Home</h1><li>a</li><li>&lt;b&gt;</li>"
    assert rv.mimetype == "text/html"


@pytest.mark.parametrize("ext", ["html", "htm", "xml", "xhtml", "svg"])
def test_autoescape_extensions(app: Stein, ext: str) -> None:
    assert app.select_jinja_autoescape(f"x.{ext}") is True
    assert app.select_jinja_autoescape("x.txt") is False
    assert app.select_jinja_autoescape(None) is True


def test_autoescape_in_files_and_strings(app: Stein) -> None:
    with app.app_context():
        assert render_template("plain.txt", value="<i>").strip() == "<i>"
        assert render_template("image.svg", label="<x>").strip() == "<svg>&lt;x&gt;</svg>"
        assert render_template_string("{{ v }}", v="<script>") == "&lt;script&gt;"
        assert render_template_string("{{ v|safe }}", v="<b>") == "<b>"
        assert render_template_string("{% autoescape false %}{{ v }}{% endautoescape %}",
                                      v="<b>") == "<b>"


def test_template_inheritance_and_list(app: Stein) -> None:
    with app.app_context():
        assert render_template("child.html", text="hi").strip() == "<title>Child</title>hi"
        assert render_template(["missing.html", "child.html"], text="x").strip() == \
            "<title>Child</title>x"


def test_missing_template(app: Stein) -> None:
    from jinja2 import TemplateNotFound

    with app.app_context():
        with pytest.raises(TemplateNotFound, match="nope.html"):
            render_template("nope.html")


def test_needs_app_context(app: Stein) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")


def test_context_globals(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/globals/<path:rest>")
    def view(rest: str):  # type: ignore[no-untyped-def]
        g.who = "gee"
        session["user"] = "ann"
        flash("f1")
        flash("f2")
        return render_template("globals.html")

    rv = client.get("/globals/x")
    assert rv.text.strip() == "/globals/x|ann|gee|Demo|/|f1,f2"


def test_globals_in_string_and_macros_without_context(app: Stein) -> None:
    with app.test_request_context("/p?q=1"):
        assert render_template_string("{{ request.args.q }} {{ config.APP_TITLE }}") == "1 Demo"
        hello = get_template_attribute("macros.html", "hello")
        assert str(hello("W")) == "Hello W!"


def test_template_not_using_session_does_not_open_it(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/", headers={"Cookie": "session=garbage"})
    assert rv.status_code == 200
    assert "Vary" not in rv.headers


def test_request_outside_request_is_falsy(app: Stein) -> None:
    with app.app_context():
        assert render_template_string("{% if request %}yes{% else %}no{% endif %}") == "no"


def test_filters_tests_globals(app: Stein) -> None:
    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("shout")
    def _shout(s: str) -> str:
        return s.upper() + "!"

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_global()
    def answer() -> int:
        return 42

    app.add_template_global("constant", name="CONST")

    with app.app_context():
        out = render_template_string(
            "{{ 'abc'|reverse }} {{ 'hi'|shout }} {{ 4 is even }} {{ 3 is even }} {{ answer() }} {{ CONST }}"
        )
        assert out == "cba HI! True False 42 constant"

    # registered after the environment exists: still visible
    @app.template_filter()
    def late(s: str) -> str:
        return "late:" + s

    with app.app_context():
        assert render_template_string("{{ 'x'|late }}") == "late:x"


def test_context_processors(app: Stein) -> None:
    @app.context_processor
    def inject():  # type: ignore[no-untyped-def]
        return {"site": "Stein", "title": "from processor"}

    with app.test_request_context():
        assert render_template_string("{{ site }}") == "Stein"
        # explicit values win over processors
        assert render_template_string("{{ title }}", title="explicit") == "explicit"


def test_g_and_request_are_the_objects_themselves(app: Stein) -> None:
    from stein import request
    from stein.ctx import _cv_app

    seen: dict[str, object] = {}

    def probe(name: str, value: object) -> str:
        seen[name] = value
        return ""

    app.jinja_env.globals["probe"] = probe
    with app.test_request_context("/p?q=1"):
        # no g yet: a template that does not use it creates none
        assert render_template_string("{{ request.args.q }}") == "1"
        assert _cv_app.get()._g is None
        g.user = "ann"
        render_template_string("{{ probe('g', g) }}{{ probe('request', request) }}{{ g.user }}")
        assert seen["g"] is _cv_app.get()._g
        assert seen["request"] is request._get_current_object()  # type: ignore[attr-defined]
        # an explicit value and a context processor's value still win over the default
        assert render_template_string("{{ g }}", g="explicit") == "explicit"

        @app.context_processor
        def inject():  # type: ignore[no-untyped-def]
            return {"g": "from processor", "request": "req"}

        assert render_template_string("{{ g }} {{ request }}") == "from processor req"
        assert render_template_string("{{ g }}", g="explicit") == "explicit"


def test_async_context_processor(app: Stein) -> None:
    @app.context_processor
    async def inject():  # type: ignore[no-untyped-def]
        return {"a": "async"}

    with app.test_request_context():
        assert render_template_string("{{ a }}") == "async"


def test_stream_template(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/stream")
    def stream():  # type: ignore[no-untyped-def]
        return stream_template("page.html", title=g.get("t", "S"), items=range(3))

    @app.route("/stream-string")
    def stream_string():  # type: ignore[no-untyped-def]
        return stream_template_string("{% for i in range(3) %}{{ request.path }}{{ i }}{% endfor %}")

    rv = client.get("/stream")
    assert rv.text.strip() == "<h1>S</h1><li>0</li><li>1</li><li>2</li>"
    assert "Content-Length" not in rv.headers
    assert client.get("/stream-string").text == "/stream-string0/stream-string1/stream-string2"


def test_signals(app: Stein) -> None:
    from stein import signals

    seen = []

    def before(sender, template, context):  # type: ignore[no-untyped-def]
        seen.append(("before", template.name, context["v"]))

    def after(sender, template, context):  # type: ignore[no-untyped-def]
        seen.append(("after", template.name))

    with signals.before_render_template.connected_to(before, app), \
            signals.template_rendered.connected_to(after, app):
        with app.app_context():
            render_template("plain.txt", v=1)
    assert seen == [("before", "plain.txt", 1), ("after", "plain.txt")]


def test_templates_auto_reload(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "templates").mkdir()
    tpl = tmp_path / "templates" / "t.html"
    tpl.write_text("one")

    def make(**config: object) -> Stein:
        a = Stein("reload", root_path=str(tmp_path))
        a.config.update(config)
        return a

    debug_app = make(DEBUG=True)
    fixed_app = make(DEBUG=False)
    forced_app = make(DEBUG=False, TEMPLATES_AUTO_RELOAD=True)
    for a in (debug_app, fixed_app, forced_app):
        with a.app_context():
            assert render_template("t.html") == "one"
    tpl.write_text("two")
    st = os.stat(tpl)
    os.utime(tpl, (st.st_atime, st.st_mtime + 5))
    with debug_app.app_context():
        assert render_template("t.html") == "two"
    with forced_app.app_context():
        assert render_template("t.html") == "two"
    with fixed_app.app_context():
        assert render_template("t.html") == "one"
    assert fixed_app.jinja_env.auto_reload is False
    fixed_app.debug = True  # switching debug on later turns reloading on
    assert fixed_app.jinja_env.auto_reload is True


def test_blueprint_template_folder(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("admin", __name__, template_folder=os.path.join(FIXTURES, "bp_templates"),
                   url_prefix="/admin")

    @bp.route("/")
    def index():  # type: ignore[no-untyped-def]
        return render_template("admin/index.html", msg="hi")

    @bp.route("/page")
    def page():  # type: ignore[no-untyped-def]
        return render_template("page.html", title="T", items=[])

    app.register_blueprint(bp)
    assert client.get("/admin/").text.strip() == "admin:hi"
    # the app's folder is searched first
    assert client.get("/admin/page").text.strip() == "<h1>T</h1>"
    assert "admin/index.html" in app.jinja_env.list_templates()


def test_blueprint_template_registrations(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.app_template_filter()
    def double(s: str) -> str:
        return s * 2

    @bp.template_filter("triple")
    def _triple(s: str) -> str:
        return s * 3

    @bp.app_template_test()
    def big(n: int) -> bool:
        return n > 100

    @bp.app_template_global()
    def site() -> str:
        return "S"

    @bp.context_processor
    def only_bp():  # type: ignore[no-untyped-def]
        return {"where": "in-bp"}

    @bp.app_context_processor
    def everywhere():  # type: ignore[no-untyped-def]
        return {"all": "yes"}

    tpl = "{{ 'a'|double }}{{ 'b'|triple }} {{ 500 is big }} {{ site() }} {{ where|default('none') }} {{ all }}"

    @bp.route("/")
    def bp_view():  # type: ignore[no-untyped-def]
        return render_template_string(tpl)

    @app.route("/app")
    def app_view():  # type: ignore[no-untyped-def]
        return render_template_string(tpl)

    app.register_blueprint(bp)
    assert client.get("/bp/").text == "aabbb True S in-bp yes"
    assert client.get("/app").text == "aabbb True S none yes"


def test_jinja_env_options(app: Stein) -> None:
    app.jinja_options = {"trim_blocks": True}
    with app.app_context():
        assert render_template_string("{% if true %}\nx{% endif %}") == "x"
    assert app.jinja_env.app is app


def test_jinja_imported_lazily() -> None:
    code = (
        "import sys, stein\n"
        "app = stein.Stein('x')\n"
        "@app.template_filter()\n"
        "def up(s): return s.upper()\n"
        "@app.template_global()\n"
        "def glob(): return 1\n"
        "bp = stein.Blueprint('b', 'x')\n"
        "@bp.app_template_filter()\n"
        "def low(s): return s.lower()\n"
        "app.register_blueprint(bp)\n"
        "@app.route('/')\n"
        "def index(): return 'hi'\n"
        "assert app.test_client().get('/').data == b'hi'\n"
        "print('jinja2' in sys.modules, 'markupsafe' in sys.modules)\n"
        "with app.app_context():\n"
        "    print(stein.render_template_string('{{ \"A\"|low }}{{ \"b\"|up }}'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "aB"]


def test_render_speed_sanity(app: Stein) -> None:
    # Rendering a cached template must not rebuild the environment or reload the file.
    with app.test_request_context():
        render_template("page.html", title="x", items=[])
        env = app.jinja_env
        t0 = time.perf_counter()
        for _ in range(200):
            render_template("page.html", title="x", items=[1, 2, 3])
        assert app.jinja_env is env
        assert time.perf_counter() - t0 < 1.0


def test_create_global_jinja_loader_and_environment_subclass() -> None:
    from jinja2 import DictLoader

    from stein import templating
    from stein.jinja_fast import Environment

    class CustomEnvironment(templating.Environment):  # type: ignore[name-defined]
        pass

    class MyApp(Stein):
        jinja_environment = CustomEnvironment

        def create_global_jinja_loader(self):  # type: ignore[no-untyped-def]
            return DictLoader({"index.html": "Hello {{ name }}!"})

    assert templating.Environment is Environment
    app = MyApp(__name__)
    assert isinstance(app.jinja_env, CustomEnvironment) and app.jinja_env.app is app

    @app.route("/")
    def index():  # type: ignore[no-untyped-def]
        return render_template("index.html", name="Custom World")

    assert app.test_client().get("/").text == "Hello Custom World!"
