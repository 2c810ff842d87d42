"""TRUSTED_HOSTS: requests whose Host is not listed get 400 BadHost before any view runs."""

from __future__ import annotations

import pytest

from stein import Stein, request
from stein.http import host_is_trusted


@pytest.fixture
def hosted() -> Stein:
    app = Stein("hosted")
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org", "[::1]"]
    calls: list[str] = []
    app.config["CALLS"] = calls

    @app.route("/")
    def index() -> str:
        calls.append(request.host)
        return f"host={request.host}"

    return app


@pytest.mark.parametrize("host", [
    "example.com", "EXAMPLE.com", "example.com:8080",
    "example.org", "www.example.org", "a.b.example.org:443", "[::1]:5000",
])
def test_trusted_hosts_pass(hosted: Stein, host: str) -> None:
    r = hosted.test_client().get("/", headers={"Host": host})
    assert r.status_code == 200
    assert r.text.startswith("host=")


@pytest.mark.parametrize("host", [
    "evil.com", "www.example.com", "example.com.evil.com", "notexample.org",
    "example.org.evil", "localhost", "[::2]", "",
])
def test_untrusted_hosts_get_400(hosted: Stein, host: str) -> None:
    r = hosted.test_client().get("/", headers={"Host": host} if host else {"Host": ""},
                                 environ_overrides={"SERVER_NAME": "nope.invalid"})
    assert r.status_code == 400
    assert "is not in TRUSTED_HOSTS" in r.text
    assert hosted.config["CALLS"] == []


def test_message_names_the_host_and_is_escaped(hosted: Stein) -> None:
    r = hosted.test_client().get("/", headers={"Host": "<b>evil</b>"})
    assert r.status_code == 400
    assert "&lt;b&gt;evil&lt;/b&gt;" in r.text
    assert "<b>evil</b>" not in r.text


def test_long_host_is_truncated_in_message(hosted: Stein) -> None:
    r = hosted.test_client().get("/", headers={"Host": "a" * 5000})
    assert r.status_code == 400
    assert "a" * 5000 not in r.text
    assert "..." in r.text


def test_none_accepts_any_host() -> None:
    app = Stein("any")

    @app.route("/")
    def index() -> str:
        return request.host

    assert app.config["TRUSTED_HOSTS"] is None
    r = app.test_client().get("/", headers={"Host": "whatever.example"})
    assert r.status_code == 200
    assert r.text == "whatever.example"


def test_bad_host_can_be_handled_by_errorhandler(hosted: Stein) -> None:
    @hosted.errorhandler(400)
    def bad(e):  # type: ignore[no-untyped-def]
        return f"custom: {e.description}", 400

    r = hosted.test_client().get("/", headers={"Host": "evil.com"})
    assert r.status_code == 400
    assert r.text == "custom: Host 'evil.com' is not in TRUSTED_HOSTS."


def test_before_request_cannot_see_untrusted_host(hosted: Stein) -> None:
    seen: list[str] = []

    @hosted.before_request
    def hook() -> None:
        seen.append(request.host)

    r = hosted.test_client().get("/", headers={"Host": "evil.com"})
    assert r.status_code == 400
    assert seen == []


def test_host_is_trusted_unit() -> None:
    assert host_is_trusted("Example.COM:80", ["example.com"])
    assert host_is_trusted("example.com", [".example.com"])
    assert host_is_trusted("x.example.com", [".example.com"])
    assert not host_is_trusted("xexample.com", [".example.com"])
    assert not host_is_trusted("", ["example.com"])
    assert not host_is_trusted("example.com", [])
