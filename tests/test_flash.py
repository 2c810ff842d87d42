"""flash() and get_flashed_messages(): categories, filters, one-time delivery, templates."""

from __future__ import annotations

import pytest

from stein import Stein, flash, get_flashed_messages, redirect, render_template_string


@pytest.fixture
def app() -> Stein:
    app = Stein("test_flash")
    app.config.update(TESTING=True, SECRET_KEY="flash-key")

    @app.route("/add")
    def add():  # type: ignore[no-untyped-def]
        flash("plain")
        flash("saved", "success")
        flash("<b>careful</b>", "warning")
        flash("broken", category="error")
        return redirect("/show")

    @app.route("/show")
    def show():  # type: ignore[no-untyped-def]
        return {"all": get_flashed_messages(),
                "again": get_flashed_messages(),  # same list for the rest of the request
                "cats": [list(x) for x in get_flashed_messages(with_categories=True)],
                "errors": get_flashed_messages(category_filter=["error", "warning"]),
                "errors_cats": [list(x) for x in get_flashed_messages(
                    with_categories=True, category_filter=("error",))]}

    return app


def test_flash_and_read_once(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/add", follow_redirects=True)
    assert rv.status_code == 200
    j = rv.get_json()
    assert j["all"] == ["plain", "saved", "<b>careful</b>", "broken"]
    assert j["again"] == j["all"]
    assert j["cats"] == [["message", "plain"], ["success", "saved"],
                         ["warning", "<b>careful</b>"], ["error", "broken"]]
    assert j["errors"] == ["<b>careful</b>", "broken"]
    assert j["errors_cats"] == [["error", "broken"]]
    # consumed: the next request sees nothing
    assert client.get("/show").get_json()["all"] == []


def test_flash_survives_until_read(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/add")
    client.get("/add")  # two rounds queue up
    assert len(client.get("/show").get_json()["all"]) == 8


def test_flashes_in_template_escaped(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/tpl")
    def tpl():  # type: ignore[no-untyped-def]
        return render_template_string(
            "{% for cat, msg in get_flashed_messages(with_categories=true) %}"
            "[{{ cat }}:{{ msg }}]{% endfor %}"
        )

    client.get("/add")
    assert client.get("/tpl").text == (
        "[message:plain][success:saved][warning:&lt;b&gt;careful&lt;/b&gt;][error:broken]"
    )


def test_no_request_context_gives_empty(app: Stein) -> None:
    with app.app_context():
        assert get_flashed_messages() == []


def test_flash_without_secret_key_errors(app: Stein) -> None:
    app.config["SECRET_KEY"] = None
    with app.test_request_context():
        with pytest.raises(RuntimeError, match="secret key"):
            flash("x")


def test_message_flashed_signal(app: Stein) -> None:
    from stein import signals

    got = []

    def rec(sender, message, category):  # type: ignore[no-untyped-def]
        got.append((sender, message, category))

    with signals.message_flashed.connected_to(rec, app):
        with app.test_request_context():
            flash("hi", "info")
    assert got == [(app, "hi", "info")]


def test_session_transaction_sees_flashes(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/add")
    with client.session_transaction() as sess:
        assert [tuple(x) for x in sess["_flashes"]][0] == ("message", "plain")


def test_category_filter_as_string(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/one")
    def one():  # type: ignore[no-untyped-def]
        return {"m": get_flashed_messages(category_filter="error")}

    client.get("/add")
    assert client.get("/one").get_json() == {"m": ["broken"]}
