"""ProxyFix: only the configured number of proxy hops is believed; spoofed headers are not."""

from __future__ import annotations

from typing import Any

import pytest

from stein import Stein, request, url_for
from stein.middleware import ProxyFix, parse_forwarded


def _app(**hops: Any) -> Stein:
    app = Stein("proxy_app")
    app.config["TESTING"] = True

    @app.route("/where")
    def where() -> dict[str, Any]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "script_root": request.script_root,
            "external": url_for("where", _external=True),
            "is_secure": request.is_secure,
        }

    if hops is not None:
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)  # type: ignore[method-assign]
    return app


def _get(app: Stein, headers: dict[str, str], remote: str = "10.0.0.1") -> dict[str, Any]:
    client = app.test_client()
    r = client.get("/where", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert r.status_code == 200
    return r.get_json()  # type: ignore[no-any-return]


def test_no_middleware_ignores_spoofed_headers() -> None:
    app = Stein("plain")

    @app.route("/where")
    def where() -> dict[str, Any]:
        return {"remote_addr": request.remote_addr, "scheme": request.scheme,
                "external": url_for("where", _external=True)}

    r = app.test_client().get("/where", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={
        "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example", "Forwarded": "for=6.6.6.6;proto=https;host=evil.example",
    })
    assert r.get_json() == {"remote_addr": "10.0.0.1", "scheme": "http",
                            "external": "http://localhost/where"}


def test_one_nginx_hop() -> None:
    app = _app(x_for=1, x_proto=1, x_host=1)
    got = _get(app, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                     "X-Forwarded-Host": "www.example.com"})
    assert got["remote_addr"] == "203.0.113.7"
    assert got["scheme"] == "https"
    assert got["is_secure"] is True
    assert got["host"] == "www.example.com"
    assert got["external"] == "https://www.example.com/where"


def test_client_prepended_values_are_ignored() -> None:
    # The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the real peer.
    app = _app(x_for=1)
    got = _get(app, {"X-Forwarded-For": "6.6.6.6, 198.51.100.9"})
    assert got["remote_addr"] == "198.51.100.9"


def test_two_hops_takes_second_from_right() -> None:
    app = _app(x_for=2, x_proto=2)
    got = _get(app, {"X-Forwarded-For": "6.6.6.6, 198.51.100.9, 10.1.1.1",
                     "X-Forwarded-Proto": "http, https, http"})
    assert got["remote_addr"] == "198.51.100.9"
    assert got["scheme"] == "https"


def test_fewer_values_than_hops_is_ignored() -> None:
    app = _app(x_for=2, x_proto=2)
    got = _get(app, {"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"})
    assert got["remote_addr"] == "10.0.0.1"
    assert got["scheme"] == "http"


def test_zero_hops_trusts_nothing() -> None:
    app = _app(x_for=0, x_proto=0)
    got = _get(app, {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"})
    assert got["remote_addr"] == "10.0.0.1"
    assert got["scheme"] == "http"


def test_host_not_trusted_by_default() -> None:
    app = _app()  # defaults: x_for=1, x_proto=1, nothing else
    got = _get(app, {"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"})
    assert got["host"] == "localhost"
    assert got["script_root"] == ""


@pytest.mark.parametrize("bad", [
    "not-an-ip", "unknown", "_hidden", "1.2.3.4.5", "<script>", "",
])
def test_malformed_for_is_ignored(bad: str) -> None:
    got = _get(_app(x_for=1), {"X-Forwarded-For": bad})
    assert got["remote_addr"] == "10.0.0.1"


@pytest.mark.parametrize("value,expected", [
    ("2001:db8::1", "2001:db8::1"),
    ("[2001:db8::1]:4711", "2001:db8::1"),
    ("192.0.2.1:8080", "192.0.2.1"),
])
def test_for_with_ports_and_ipv6(value: str, expected: str) -> None:
    assert _get(_app(x_for=1), {"X-Forwarded-For": value})["remote_addr"] == expected


@pytest.mark.parametrize("bad", ["ftp", "javascript", "https;x", "HTTPS2"])
def test_malformed_proto_is_ignored(bad: str) -> None:
    assert _get(_app(x_proto=1), {"X-Forwarded-Proto": bad})["scheme"] == "http"


@pytest.mark.parametrize("bad", ["evil.example/path", "a b", "evil.example:99999999", "x@y", "-bad"])
def test_malformed_host_is_ignored(bad: str) -> None:
    assert _get(_app(x_host=1), {"X-Forwarded-Host": bad})["host"] == "localhost"


def test_port_and_prefix() -> None:
    app = _app(x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    got = _get(app, {"X-Forwarded-Host": "example.com", "X-Forwarded-Port": "8443",
                     "X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/app/"})
    assert got["host"] == "example.com:8443"
    assert got["script_root"] == "/app"
    assert got["external"] == "https://example.com:8443/app/where"


def test_bad_prefix_is_ignored() -> None:
    got = _get(_app(x_prefix=1), {"X-Forwarded-Prefix": "no-slash"})
    assert got["script_root"] == ""
    got = _get(_app(x_prefix=1), {"X-Forwarded-Prefix": "/a b"})
    assert got["script_root"] == ""


def test_rfc7239_forwarded() -> None:
    app = _app(forwarded=1)
    got = _get(app, {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https;host=shop.example'})
    assert got["remote_addr"] == "2001:db8:cafe::17"
    assert got["scheme"] == "https"
    assert got["external"] == "https://shop.example/where"


def test_rfc7239_forwarded_ignores_x_headers_and_client_elements() -> None:
    app = _app(forwarded=1)
    got = _get(app, {
        "Forwarded": "for=6.6.6.6;proto=https;host=evil.example, for=198.51.100.2;proto=http",
        "X-Forwarded-For": "7.7.7.7", "X-Forwarded-Proto": "https",
    })
    assert got["remote_addr"] == "198.51.100.2"
    assert got["scheme"] == "http"
    assert got["host"] == "localhost"


def test_rfc7239_too_few_elements_or_malformed() -> None:
    assert _get(_app(forwarded=2), {"Forwarded": "for=1.2.3.4"})["remote_addr"] == "10.0.0.1"
    got = _get(_app(forwarded=1), {"Forwarded": "for=1.2.3.4;for=5.6.7.8"})
    assert got["remote_addr"] == "10.0.0.1"  # duplicate parameter: element rejected


def test_original_values_kept() -> None:
    app = Stein("orig")
    seen: dict[str, Any] = {}

    @app.route("/")
    def index() -> str:
        seen.update(request.environ["stein.proxy_fix.orig"])
        return "ok"

    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    app.test_client().get("/", headers={"X-Forwarded-For": "1.2.3.4"},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert seen["REMOTE_ADDR"] == "10.9.9.9"


def test_negative_hops_rejected() -> None:
    with pytest.raises(ValueError, match="x_for must be a non-negative int"):
        ProxyFix(lambda e, s: [], x_for=-1)


def test_parse_forwarded() -> None:
    assert parse_forwarded('For="[::1]:80";Proto=HTTPS, for=10.0.0.1') == [
        {"for": "[::1]:80", "proto": "HTTPS"}, {"for": "10.0.0.1"}]
    assert parse_forwarded('for="a\\"b"') == [{"for": 'a"b'}]
    assert parse_forwarded("garbage, for=1.2.3.4") == [{}, {"for": "1.2.3.4"}]
    assert parse_forwarded('for="unterminated, for=1.2.3.4') == [{}, {"for": "1.2.3.4"}]
