"""Bad input from clients ends in the right 4xx with a clear message, never a 500."""

from __future__ import annotations

import io
import json

import pytest

from stein import Request, Response, request


@pytest.fixture
def echo_app(app):
    @app.route("/json", methods=["POST"])
    def json_view():
        return {"got": request.get_json()}

    @app.route("/json-silent", methods=["POST"])
    def json_silent():
        return {"got": request.get_json(silent=True)}

    @app.route("/q")
    def q():
        return {"args": request.args.to_dict()}

    @app.route("/p/<name>")
    def p(name):
        return name

    @app.route("/body", methods=["POST"])
    def body():
        return str(len(request.get_data()))

    @app.route("/form", methods=["POST"])
    def form():
        return request.form.get("a", "")

    return app


def wsgi_call(app, environ):
    """Call the app directly and return (status, headers, body)."""
    base = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
    }
    base.update(environ)
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    body = b"".join(app(base, start_response))
    return captured["status"], dict(captured["headers"]), body.decode()


def test_malformed_json_400_with_message(echo_app, client):
    rv = client.post("/json", data='{"a": ', content_type="application/json")
    assert rv.status_code == 400
    assert "Failed to decode JSON object" in rv.text
    rv = client.post("/json", data='{"a": ', content_type="application/json",
                     headers={"Accept": "application/json"})
    assert rv.status_code == 400
    assert "Failed to decode JSON object" in rv.get_json()["description"]


def test_malformed_json_silent_gives_none(echo_app, client):
    rv = client.post("/json-silent", data="not json", content_type="application/json")
    assert rv.status_code == 200 and rv.get_json() == {"got": None}


def test_invalid_utf8_json_is_400(echo_app, client):
    rv = client.post("/json", data=b'{"a": "\xff"}', content_type="application/json")
    assert rv.status_code == 400
    assert "Failed to decode JSON object" in rv.text


def test_wrong_content_type_is_415(echo_app, client):
    rv = client.post("/json", data='{"a": 1}', content_type="text/plain")
    assert rv.status_code == 415
    assert "application/json" in rv.text
    rv = client.post("/json")
    assert rv.status_code == 415


def test_invalid_percent_encoding_in_query_is_kept_or_replaced(echo_app):
    # As Werkzeug (and what error handlers reading request.args need): no 400 by default.
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": "/q", "QUERY_STRING": "a=%ZZ%"})
    assert status.startswith("200"), body
    assert json.loads(body) == {"args": {"a": "%ZZ%"}}
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": "/q", "QUERY_STRING": "a=%FF%FE&b=%C3%A9"})
    assert status.startswith("200"), body
    assert json.loads(body) == {"args": {"a": "\ufffd\ufffd", "b": "é"}}


def test_invalid_query_is_400_with_strict_encoding_errors(echo_app):
    class StrictRequest(Request):
        encoding_errors = "strict"

    echo_app.request_class = StrictRequest
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": "/q", "QUERY_STRING": "a=%ZZ%"})
    assert status.startswith("400"), body
    assert "Invalid percent-encoding in the query string" in body
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": "/q", "QUERY_STRING": "a=%FF%FE"})
    assert status.startswith("400"), body
    assert "Invalid UTF-8 in the query string" in body


def test_error_handler_can_read_args_of_a_bad_query(app):
    @app.errorhandler(404)
    def nf(e):
        return {"q": request.args.get("q")}, 404

    rv = app.test_client().get("/missing?q=%E9t%E9")
    assert rv.status_code == 404 and rv.get_json() == {"q": "\ufffdt\ufffd"}


def test_invalid_utf8_in_path_is_400(echo_app):
    raw_path = b"/p/\xff\xfe".decode("latin-1")
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": raw_path})
    assert status.startswith("400")
    assert "not valid UTF-8" in body


def test_valid_utf8_in_path_works(echo_app):
    raw_path = "/p/é".encode().decode("latin-1")
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": raw_path})
    assert status.startswith("200") and body == "é"


def test_invalid_utf8_in_form_is_replaced(echo_app, client):
    rv = client.post("/form", data=b"a=%FF&b=%zz", content_type="application/x-www-form-urlencoded")
    assert rv.status_code == 200


def test_invalid_utf8_in_form_is_400_when_strict(echo_app, client):
    class StrictRequest(Request):
        encoding_errors = "strict"

    echo_app.request_class = StrictRequest
    rv = client.post("/form", data=b"a=%FF", content_type="application/x-www-form-urlencoded")
    assert rv.status_code == 400
    assert "Invalid UTF-8 in the form data" in rv.text


def test_bad_content_length_is_400(echo_app):
    status, _, body = wsgi_call(echo_app, {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/body", "CONTENT_LENGTH": "12abc",
        "wsgi.input": io.BytesIO(b"hello"),
    })
    assert status.startswith("400")
    assert "Content-Length" in body


class CountingStream:
    """A wsgi.input that records how many bytes were read from it."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.remaining
        n = min(n, self.remaining)
        self.remaining -= n
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def test_body_over_max_content_length_declared_413_without_reading(echo_app):
    echo_app.config["MAX_CONTENT_LENGTH"] = 1000
    stream = CountingStream(10_000_000)
    status, _, body = wsgi_call(echo_app, {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/body", "CONTENT_LENGTH": "10000000",
        "wsgi.input": stream,
    })
    assert status.startswith("413")
    assert "limit is 1000 bytes" in body
    assert stream.read_bytes == 0


def test_chunked_body_over_limit_stops_early(echo_app):
    echo_app.config["MAX_CONTENT_LENGTH"] = 1000
    stream = CountingStream(10_000_000)
    status, _, body = wsgi_call(echo_app, {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/body", "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": stream,
    })
    assert status.startswith("413")
    assert "over the limit of 1000 bytes" in body
    assert stream.read_bytes <= 70_000  # one read chunk past the limit, not 10 MB


def test_form_over_max_content_length_413(echo_app, client):
    echo_app.config["MAX_CONTENT_LENGTH"] = 100
    rv = client.post("/form", data={"a": "x" * 500})
    assert rv.status_code == 413
    assert "limit is 100 bytes" in rv.text


def test_body_under_limit_is_read(echo_app, client):
    echo_app.config["MAX_CONTENT_LENGTH"] = 1000
    assert client.post("/body", data=b"y" * 999).text == "999"


def test_truncated_body_is_400(echo_app):
    status, _, body = wsgi_call(echo_app, {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/body", "CONTENT_LENGTH": "100",
        "wsgi.input": io.BytesIO(b"short"),
    })
    assert status.startswith("400")
    assert "client" in body.lower()


def test_crlf_in_header_value_set_by_app_is_value_error(app, client):
    @app.route("/h")
    def h():
        resp = Response("x")
        resp.headers["X-Bad"] = request.args["v"]
        return resp

    with pytest.raises(ValueError, match="newline|CR|LF"):
        client.get("/h", query_string={"v": "a\r\nSet-Cookie: evil=1"})


def test_crlf_in_cookie_set_by_app_is_value_error(app, client):
    @app.route("/c")
    def c():
        resp = Response("x")
        resp.set_cookie("k", request.args["v"])
        return resp

    with pytest.raises(ValueError, match="CR, LF"):
        client.get("/c", query_string={"v": "a\nb"})
    assert client.get("/c", query_string={"v": "fine"}).headers["Set-Cookie"].startswith("k=fine")


def test_crlf_in_tuple_headers_is_value_error(app, client):
    @app.route("/t")
    def t():
        return "x", {"X-Bad": "a\nb"}

    with pytest.raises(ValueError):
        client.get("/t")


def test_view_returning_none_type_error_names_view(app, client):
    @app.route("/nothing")
    def my_forgetful_view():
        return None

    with pytest.raises(TypeError, match="my_forgetful_view"):
        client.get("/nothing")


def test_too_many_query_fields_is_4xx(echo_app):
    echo_app.config["MAX_FORM_PARTS"] = 10
    qs = "&".join(f"k{i}=v" for i in range(50))
    status, _, body = wsgi_call(echo_app, {"PATH_INFO": "/q", "QUERY_STRING": qs})
    assert status[:3] in ("400", "413")
    assert "10" in body
