"""stein.helpers: the environment switches, send_file's max_age default, url_for's names;
stein.instance: where the instance folder goes; stein.debughelpers."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from stein import Stein, helpers, request, send_file, send_from_directory, url_for
from stein.debughelpers import DebugFilesKeyError, FormDataRoutingRedirect
from stein.instance import find_package, instance_path_for


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("", False), ("0", False), ("false", False), ("No", False),
    ("1", True), ("True", True), ("yes", True),
])
def test_get_debug_flag(monkeypatch: pytest.MonkeyPatch, value: str | None,
                        expected: bool) -> None:
    monkeypatch.delenv("STEIN_DEBUG", raising=False)
    if value is not None:
        monkeypatch.setenv("STEIN_DEBUG", value)
    assert helpers.get_debug_flag() is expected
    assert Stein("dbg").debug is expected


def test_get_load_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEIN_SKIP_DOTENV", raising=False)
    assert helpers.get_load_dotenv() is True
    assert helpers.get_load_dotenv(False) is False
    monkeypatch.setenv("STEIN_SKIP_DOTENV", "1")
    assert helpers.get_load_dotenv() is False
    monkeypatch.setenv("STEIN_SKIP_DOTENV", "0")
    assert helpers.get_load_dotenv() is True


def test_compat_switches_the_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    import stein.compat

    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("STEIN_DEBUG", raising=False)
    was = stein.compat.is_installed()
    stein.compat.uninstall()
    try:
        assert helpers.env_name("APP") == "STEIN_APP"
        assert helpers.get_debug_flag() is False
        stein.compat.install()
        assert helpers.env_name("APP") == "FLASK_APP"
        assert helpers.get_debug_flag() is True
    finally:
        stein.compat.uninstall()
        if was:
            stein.compat.install()
    assert helpers.env_prefix() == ("FLASK" if was else "STEIN")


def test_send_file_max_age_comes_from_the_app(tmp_path: Any) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("A")
    app = Stein("files", root_path=str(tmp_path))
    with app.test_request_context():
        assert send_file("static/a.txt").cache_control.max_age is None
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 600
        assert send_file("static/a.txt").cache_control.max_age == 600
        assert send_from_directory("static", "a.txt").cache_control.max_age == 600
        assert send_file("static/a.txt", max_age=5).cache_control.max_age == 5

    class Short(Stein):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 10

    short = Short("files2", root_path=str(tmp_path))
    with short.test_request_context():
        assert send_file("static/a.txt").cache_control.max_age == 10


def test_url_for_accepts_a_value_named_self() -> None:
    app = Stein("selfish")
    app.add_url_rule("/<self>", endpoint="index", view_func=lambda self: self)
    with app.test_request_context():
        assert url_for("index", self="me") == "/me"
        assert app.url_for("index", self="you") == "/you"


def test_stream_with_context_is_in_helpers() -> None:
    from stein.ctx import stream_with_context

    assert helpers.stream_with_context is stream_with_context


# -- the instance folder -------------------------------------------------------------------------


@pytest.fixture
def modules(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    folder = tmp_path / "mods"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_instance_folder_beside_uninstalled_module_and_package(modules: Any) -> None:
    (modules / "inst_mod.py").write_text("from stein import Stein\napp = Stein(__name__)\n")
    (modules / "inst_pkg").mkdir()
    (modules / "inst_pkg" / "__init__.py").write_text(
        "from stein import Stein\napp = Stein(__name__)\n")
    import inst_mod  # type: ignore[import-not-found]
    import inst_pkg  # type: ignore[import-not-found]

    assert inst_mod.app.instance_path == str(modules / "instance")
    assert inst_pkg.app.instance_path == str(modules / "instance")
    assert find_package("inst_pkg") == (None, str(modules))


def test_instance_folder_of_a_namespace_package_part(tmp_path: Any, modules: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for part in ("one", "two"):
        project = tmp_path / f"proj-{part}"
        (project / "nsp" / part).mkdir(parents=True)
        (project / "nsp" / part / "__init__.py").write_text("")
        monkeypatch.syspath_prepend(str(project))
    assert instance_path_for("nsp.two", "two") == str(tmp_path / "proj-two" / "instance")
    assert instance_path_for("nsp.one", "one") == str(tmp_path / "proj-one" / "instance")


def test_instance_folder_of_installed_code(modules: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", str(modules))
    site = modules / "lib" / "python3" / "site-packages"
    site.mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    (site / "inst_site.py").write_text("")
    assert instance_path_for("inst_site", "inst_site") == \
        str(modules / "var" / "inst_site-instance")
    # A site-packages outside sys.prefix: the prefix is the folder above lib/.
    monkeypatch.setattr(sys, "prefix", "/nonexistent-prefix")
    assert find_package("inst_site") == (str(modules), str(site))


def test_instance_folder_when_the_code_cannot_be_found(tmp_path: Any) -> None:
    app = Stein("no_such_module_here", root_path=str(tmp_path))
    assert app.instance_path == str(tmp_path / "instance")
    assert instance_path_for("no_such_module_here", "x") == os.path.join(os.getcwd(), "instance")


# -- debug helpers -------------------------------------------------------------------------------


def test_debug_files_key_error_and_form_data_redirect() -> None:
    from stein.debughelpers import attach_enctype_error_multidict

    app = Stein("dbg")

    @app.post("/upload")
    def upload() -> str:
        attach_enctype_error_multidict(request._get_current_object())  # type: ignore[attr-defined]
        try:
            request.files["photo"]
        except DebugFilesKeyError as e:
            assert isinstance(e, KeyError)
            return str(e)
        return "found"

    @app.post("/things/")
    def things() -> str:
        return ""

    text = app.test_client().post("/upload", data={"photo": "cat.jpg"}).text
    assert "not 'multipart/form-data'" in text
    assert "This was submitted: 'cat.jpg'" in text

    with app.test_request_context("/things", method="POST"):
        req = request._get_current_object()  # type: ignore[attr-defined]
        assert req.routing_exception is not None
        message = str(FormDataRoutingRedirect(req))
    assert "'http://localhost/things'" in message
    assert "/things/" in message
    assert "Its rule ends with a slash" in message
    assert "307 or 308" in message


def test_explain_template_loading_logs_every_loader(tmp_path: Any) -> None:
    import logging

    from jinja2 import TemplateNotFound

    from stein import Blueprint, render_template

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("app page")
    (tmp_path / "shop" / "templates").mkdir(parents=True)
    app = Stein("explain", root_path=str(tmp_path))
    shop = Blueprint("shop", "explain.shop", root_path=str(tmp_path / "shop"),
                     template_folder="templates")

    @shop.route("/missing")
    def missing() -> str:
        return render_template("nothere.html")

    app.register_blueprint(shop)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    app.logger.addHandler(Keep())
    app.logger.setLevel(logging.INFO)
    app.config.update(EXPLAIN_TEMPLATE_LOADING=True, TESTING=True)
    try:
        with app.test_request_context():
            assert render_template("page.html") == "app page"
        assert "1: trying loader of application 'explain'" in records[0]
        assert "2: trying loader of blueprint 'shop' (explain.shop)" in records[0]
        assert "-> found (" in records[0]
        with pytest.raises(TemplateNotFound):
            app.test_client().get("/missing")
        assert "Error: the template could not be found." in records[-1]
        assert "belongs to the blueprint 'shop'" in records[-1]
    finally:
        app.logger.handlers.clear()
        app.logger.setLevel(logging.NOTSET)


def test_debug_mode_refuses_a_redirect_that_drops_form_data(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from stein.exceptions import RequestRedirect

    app = Stein("redir")
    app.config.update(DEBUG=True, TESTING=True)

    @app.route("/user/", methods=["GET", "POST"])
    def user() -> str:
        return request.form["status"]

    client = app.test_client()
    # 308, the default, keeps the method and body.
    assert client.post("/user", data={"status": "ok"}, follow_redirects=True).text == "ok"
    monkeypatch.setattr(RequestRedirect, "code", 301)
    with pytest.raises(FormDataRoutingRedirect, match="canonical URL 'http://localhost/user/'"):
        client.post("/user", data={"status": "lost"})
    assert client.get("/user").status_code == 301  # GET loses nothing: redirected
    app.debug = False
    assert client.post("/user", data={"status": "lost"}).status_code == 301


def test_debug_mode_explains_a_file_sent_without_multipart() -> None:
    app = Stein("enctype")
    app.config.update(DEBUG=True)

    @app.post("/upload")
    def upload() -> str:
        return request.files["photo"].filename or ""

    @app.post("/query")
    def query() -> str:
        return request.args["photo"]  # a missing query value: not about files

    client = app.test_client()
    with pytest.raises(DebugFilesKeyError) as info:
        client.post("/upload", data={"photo": "cat.jpg"})
    assert "This was submitted: 'cat.jpg'" in str(info.value)
    assert isinstance(info.value, KeyError)
    from stein.exceptions import BadRequestKeyError

    with pytest.raises(BadRequestKeyError):
        client.post("/query", data={"photo": "cat.jpg"})
    app.debug = False
    assert client.post("/upload", data={"photo": "cat.jpg"}).status_code == 400
