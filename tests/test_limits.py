"""Every request limit, exactly at the limit (accepted) and one byte/field past it (refused).

The dev-server limits (request line, header count and size) are tested over a socket in
``tests/test_raw_socket.py``. docs/limits.md lists every limit with its default.
"""

from __future__ import annotations

import io
import sys
import warnings
from typing import Any

import pytest

from stein import Response, Stein, request

BOUNDARY = "limit-boundary"


def call(app: Stein, body: bytes, content_type: str, chunked: bool = False) -> tuple[int, str]:
    """POST ``body`` through the WSGI entry point (optionally without Content-Length)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": content_type,
    }
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    got: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        got["status"] = status

    out = b"".join(app(environ, start_response))
    return int(got["status"][:3]), out.decode()


@pytest.fixture
def limited() -> Stein:
    app = Stein("limits")
    app.config.update(TESTING=True, MAX_CONTENT_LENGTH=1000, MAX_FORM_MEMORY_SIZE=100,
                      MAX_FORM_PARTS=5)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        if request.mimetype == "application/octet-stream":
            return {"data": len(request.get_data())}
        if request.mimetype == "application/json":
            return {"json": len(request.get_json())}
        files = {k: len(f.read()) for k, f in request.files.items()}
        return {"form": {k: len(v) for k, v in request.form.items()}, "files": files}

    return app


def _multipart(fields: list[tuple[str, bytes]], files: list[tuple[str, bytes]] = ()) -> bytes:  # type: ignore[assignment]
    out = b""
    for name, value in fields:
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                .encode() + value + b"\r\n")
    for name, value in files:
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{name}.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                .encode() + value + b"\r\n")
    return out + f"--{BOUNDARY}--\r\n".encode()


MP = f"multipart/form-data; boundary={BOUNDARY}"


def test_safe_defaults() -> None:
    cfg = Stein("defaults").config
    assert cfg["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert cfg["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert cfg["MAX_FORM_PARTS"] == 1_000
    assert cfg["MAX_COOKIE_SIZE"] == 4093
    assert Response.max_cookie_size == 4093


# -- MAX_CONTENT_LENGTH ------------------------------------------------------------------

def test_content_length_at_limit(limited: Stein) -> None:
    assert call(limited, b"x" * 1000, "application/octet-stream") == (200, '{"data":1000}\n')


def test_content_length_one_past(limited: Stein) -> None:
    status, body = call(limited, b"x" * 1001, "application/octet-stream")
    assert status == 413
    assert "The request body is 1001 bytes; the limit is 1000 bytes." in body


def test_chunked_body_at_limit(limited: Stein) -> None:
    assert call(limited, b"x" * 1000, "application/octet-stream", chunked=True)[0] == 200


def test_chunked_body_one_past(limited: Stein) -> None:
    status, body = call(limited, b"x" * 1001, "application/octet-stream", chunked=True)
    assert status == 413
    assert "over the limit of 1000 bytes" in body


def test_json_body_one_past(limited: Stein) -> None:
    ok = b"[" + b"1," * 498 + b"1]"  # 998 bytes
    assert call(limited, ok.ljust(1000), "application/json")[0] == 200
    status, body = call(limited, ok.ljust(1001), "application/json")
    assert status == 413
    assert "the limit is 1000 bytes" in body


def test_multipart_file_one_past_content_length(limited: Stein) -> None:
    overhead = len(_multipart([], [("f", b"")]))
    status, _ = call(limited, _multipart([], [("f", b"x" * (1000 - overhead))]), MP)
    assert status == 200
    status, body = call(limited, _multipart([], [("f", b"x" * (1001 - overhead))]), MP)
    assert status == 413
    assert "the limit is 1000 bytes" in body


# -- MAX_FORM_MEMORY_SIZE ------------------------------------------------------------------

def test_urlencoded_at_form_memory_limit(limited: Stein) -> None:
    body = b"a=" + b"x" * 98  # 100 bytes
    status, out = call(limited, body, "application/x-www-form-urlencoded")
    assert (status, out) == (200, '{"files":{},"form":{"a":98}}\n')


def test_urlencoded_one_past_form_memory_limit(limited: Stein) -> None:
    status, body = call(limited, b"a=" + b"x" * 99, "application/x-www-form-urlencoded")
    assert status == 413
    assert "the limit is 100 bytes (MAX_FORM_MEMORY_SIZE)" in body


def test_multipart_field_at_form_memory_limit(limited: Stein) -> None:
    status, out = call(limited, _multipart([("a", b"x" * 100)]), MP)
    assert status == 200
    assert '"a":100' in out


def test_multipart_field_one_past_form_memory_limit(limited: Stein) -> None:
    status, body = call(limited, _multipart([("a", b"x" * 101)]), MP)
    assert status == 413
    assert "MAX_FORM_MEMORY_SIZE" in body


def test_form_memory_limit_does_not_apply_to_files(limited: Stein) -> None:
    status, out = call(limited, _multipart([], [("f", b"x" * 500)]), MP)
    assert status == 200
    assert '"f":500' in out


# -- MAX_FORM_PARTS ------------------------------------------------------------------------

def test_urlencoded_at_parts_limit(limited: Stein) -> None:
    assert call(limited, b"a=1&b=2&c=3&d=4&e=5", "application/x-www-form-urlencoded")[0] == 200


def test_urlencoded_one_past_parts_limit(limited: Stein) -> None:
    status, body = call(limited, b"a=1&b=2&c=3&d=4&e=5&f=6", "application/x-www-form-urlencoded")
    assert status == 413
    assert "Too many fields in the form data (limit 5)." in body


def test_multipart_at_parts_limit(limited: Stein) -> None:
    body = _multipart([(f"f{i}", b"v") for i in range(5)])
    assert call(limited, body, MP)[0] == 200


def test_multipart_one_past_parts_limit(limited: Stein) -> None:
    body = _multipart([(f"f{i}", b"v") for i in range(5)], [("up", b"data")])
    status, out = call(limited, body, MP)
    assert status == 413
    assert "more than 5 parts (MAX_FORM_PARTS)" in out


def test_query_string_field_limit() -> None:
    app = Stein("qs")
    app.config.update(TESTING=True, MAX_FORM_PARTS=None)

    @app.route("/")
    def index() -> str:
        return str(len(request.args))

    client = app.test_client()
    limit = 10000  # Request.max_form_fields, the bound when MAX_FORM_PARTS is None
    r = client.get("/", query_string="&".join(f"a{i}=1" for i in range(limit)))
    assert (r.status_code, r.text) == (200, str(limit))
    r = client.get("/", query_string="&".join(f"a{i}=1" for i in range(limit + 1)))
    assert r.status_code == 413
    assert "Too many fields in the query string (limit 10000)." in r.text


# -- cookie size warning -------------------------------------------------------------------

def _cookie_len(value: str) -> int:
    r = Response()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r.set_cookie("c", value)
    return len(r.headers["Set-Cookie"])


def test_cookie_at_max_size_no_warning() -> None:
    overhead = _cookie_len("")
    r = Response()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r.set_cookie("c", "v" * (4093 - overhead))
    assert len(r.headers["Set-Cookie"]) == 4093


def test_cookie_one_past_max_size_warns() -> None:
    overhead = _cookie_len("")
    r = Response()
    with pytest.warns(UserWarning, match="cookie is 4094 bytes, over the 4093 bytes browsers"):
        r.set_cookie("c", "v" * (4094 - overhead))


# -- weak SECRET_KEY warning ------------------------------------------------------------------

def _session_app(key: str, testing: bool = False) -> Stein:
    from stein import session

    app = Stein("weak_key")
    app.config.update(SECRET_KEY=key, TESTING=testing)

    @app.route("/")
    def index() -> str:
        session["x"] = 1
        return "ok"

    return app


def test_short_secret_key_warns_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    app = _session_app("dev")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a log line: -W error suites keep working
        assert app.test_client().get("/").status_code == 200
    assert "SECRET_KEY is only 3 characters" in caplog.text


def test_short_secret_key_is_quiet_in_debug_mode(caplog: pytest.LogCaptureFixture) -> None:
    app = _session_app("dev")
    app.debug = True
    assert app.test_client().get("/").status_code == 200
    assert "SECRET_KEY" not in caplog.text


def test_sixteen_char_secret_key_does_not_warn() -> None:
    app = _session_app("k" * 16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert app.test_client().get("/").status_code == 200


def test_short_key_not_warned_in_testing() -> None:
    app = _session_app("dev", testing=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert app.test_client().get("/").status_code == 200


# -- dev server: request line, header line, header count (one past each) ---------------------

def _dev_app() -> Stein:
    app = Stein("dev_limits")

    @app.route("/<path:p>")
    def any_path(p: str) -> str:
        return str(len(p))

    @app.route("/")
    def index() -> str:
        return str(len(request.headers))

    return app


def test_dev_server_limits_one_past() -> None:
    from rawhttp import exchange, running_server, status_of
    from stein import serving

    line_max, hdr_max, count_max = (serving.MAX_REQUEST_LINE, serving.MAX_HEADER_LINE,
                                    serving.MAX_HEADER_COUNT)
    assert (line_max, hdr_max, count_max) == (8190, 8190, 100)
    with running_server(_dev_app()) as port:
        def line(n: int) -> bytes:  # a request line of exactly n bytes including CRLF
            path = b"/" + b"a" * (n - len(b"GET / HTTP/1.1\r\n"))
            return b"GET " + path + b" HTTP/1.1\r\n"

        close = b"Connection: close\r\n\r\n"
        assert status_of(exchange(port, line(line_max) + close)) == 200
        assert status_of(exchange(port, line(line_max + 1) + close)) == 414

        def header(n: int) -> bytes:  # one header line of exactly n bytes including CRLF
            return b"X-Big: " + b"v" * (n - len(b"X-Big: \r\n")) + b"\r\n"

        assert status_of(exchange(port, b"GET / HTTP/1.1\r\n" + header(hdr_max) + close)) == 200
        assert status_of(exchange(port, b"GET / HTTP/1.1\r\n" + header(hdr_max + 1) + close)) == 431

        def headers(n: int) -> bytes:  # n header lines in all, Connection: close included
            return b"".join(b"X-H%d: 1\r\n" % i for i in range(n - 1))

        assert status_of(exchange(port, b"GET / HTTP/1.1\r\n" + headers(count_max) + close)) == 200
        raw = exchange(port, b"GET / HTTP/1.1\r\n" + headers(count_max + 1) + close)
        assert status_of(raw) == 431
        assert b"Too many request header fields" in raw


def test_max_cookie_size_config_is_honoured_one_byte_past() -> None:
    import warnings

    from stein import Response, Stein

    app = Stein(__name__)
    app.config["MAX_COOKIE_SIZE"] = 100
    with app.app_context():
        ok = Response()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ok.set_cookie("k", "v" * (100 - len("k=; Path=/")))
        over = Response()
        with pytest.warns(UserWarning, match="over the 100 bytes"):
            over.set_cookie("k", "v" * (101 - len("k=; Path=/")))
