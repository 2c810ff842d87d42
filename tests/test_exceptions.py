"""HTTP exceptions: one class per status, abort(), HTML and JSON bodies."""

from __future__ import annotations

import html

import pytest

from stein import Response, abort
from stein import exceptions as exc
from stein.exceptions import (
    Aborter,
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    Unauthorized,
    default_exceptions,
)

STANDARD = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 408: "RequestTimeout", 409: "Conflict",
    410: "Gone", 411: "LengthRequired", 412: "PreconditionFailed",
    413: "RequestEntityTooLarge", 414: "RequestURITooLarge", 415: "UnsupportedMediaType",
    416: "RequestedRangeNotSatisfiable", 417: "ExpectationFailed", 418: "ImATeapot",
    421: "MisdirectedRequest", 422: "UnprocessableEntity", 423: "Locked",
    424: "FailedDependency", 428: "PreconditionRequired", 429: "TooManyRequests",
    431: "RequestHeaderFieldsTooLarge", 451: "UnavailableForLegalReasons",
    500: "InternalServerError", 501: "NotImplemented", 502: "BadGateway",
    503: "ServiceUnavailable", 504: "GatewayTimeout", 505: "HTTPVersionNotSupported",
}


@pytest.mark.parametrize("code,name", sorted(STANDARD.items()))
def test_one_class_per_status(code, name):
    cls = getattr(exc, name)
    assert issubclass(cls, HTTPException)
    assert cls.code == code
    assert default_exceptions[code] is cls
    e = cls()
    assert e.description
    resp = e.get_response()
    assert resp.status_code == code
    assert resp.mimetype == "text/html"
    assert f"<title>{code} {html.escape(e.name)}</title>" in resp.text
    assert str(code) in str(e)


def test_abort_raises_class_with_description():
    with pytest.raises(NotFound) as ei:
        abort(404, "no such user")
    assert ei.value.description == "no such user"
    assert "no such user" in ei.value.get_response().text
    with pytest.raises(LookupError):
        abort(299)


def test_abort_with_response():
    resp = Response("custom", 418)
    with pytest.raises(HTTPException) as ei:
        abort(resp)
    assert ei.value.get_response() is resp


def test_description_is_escaped():
    body = BadRequest("<script>x</script>").get_response().text
    assert "<script>" not in body
    assert "&lt;script&gt;" in body


def test_json_body_when_accept_prefers_json():
    env = {"HTTP_ACCEPT": "application/json"}
    resp = NotFound("gone away").get_response(env)
    assert resp.status_code == 404
    assert resp.mimetype == "application/json"
    assert resp.get_json() == {"code": 404, "name": "Not Found", "description": "gone away"}
    html = NotFound().get_response({"HTTP_ACCEPT": "text/html,application/json;q=0.9"})
    assert html.mimetype == "text/html"


def test_extra_headers_survive_in_json_and_html():
    for env in ({}, {"HTTP_ACCEPT": "application/json"}):
        r = MethodNotAllowed(["GET", "POST"]).get_response(env)
        assert r.headers["Allow"] == "GET, POST"
        r = Unauthorized(www_authenticate='Basic realm="x"').get_response(env)
        assert r.headers["WWW-Authenticate"] == 'Basic realm="x"'
        r = TooManyRequests(retry_after=30).get_response(env)
        assert r.headers["Retry-After"] == "30"


def test_bad_request_key_error_is_key_error():
    e = BadRequestKeyError("name")
    assert isinstance(e, KeyError)
    assert isinstance(e, BadRequest)
    assert e.code == 400
    # The missing key is named only when asked (the app does in debug mode).
    assert "name" not in e.description and "KeyError" not in e.get_response().text
    e.show_exception = True
    assert "'name'" in e.description
    assert html.escape("KeyError: 'name'") in e.get_response().text
    with pytest.raises(KeyError):
        raise e


def test_custom_aborter_mapping():
    class Teapot(HTTPException):
        code = 499
        description = "custom"

    aborter = Aborter(extra={499: Teapot})
    with pytest.raises(Teapot):
        aborter(499)


def test_abort_through_app(app, client):
    @app.route("/a")
    def a():
        abort(403, "not yours")

    @app.route("/r")
    def r():
        abort(Response("teapot body", 418))

    rv = client.get("/a")
    assert rv.status_code == 403
    assert "not yours" in rv.text
    rv = client.get("/a", headers={"Accept": "application/json"})
    assert rv.get_json()["description"] == "not yours"
    rv = client.get("/r")
    assert rv.status_code == 418 and rv.text == "teapot body"
    rv = client.get("/nope", headers={"Accept": "application/json"})
    assert rv.status_code == 404
    assert rv.get_json()["name"] == "Not Found"
