"""send_file, send_from_directory, the static view: conditional GET, Range, traversal."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone

import pytest

from stein import Stein, send_file, send_from_directory
from stein.files import FileBody
from stein.http import http_date

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "fixtures")
DATA = bytes(range(256)) * 4  # tests/fixtures/static/data.bin


@pytest.fixture
def app() -> Stein:
    app = Stein("test_files", root_path=FIXTURES)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Stein):  # type: ignore[no-untyped-def]
    return app.test_client()


# -- static folder -------------------------------------------------------------------------


def test_static_file_served_with_validators(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/static/style.css")
    assert rv.status_code == 200
    assert rv.data == b"body { color: red; }\n"
    assert rv.headers["Content-Type"] == "text/css; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len(rv.data))
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert rv.headers["Cache-Control"] == "no-cache"
    assert rv.headers["ETag"].startswith('"')
    mtime = os.stat(os.path.join(FIXTURES, "static", "style.css")).st_mtime
    assert rv.headers["Last-Modified"] == http_date(mtime)
    assert rv.headers["Content-Disposition"] == 'inline; filename="style.css"'


def test_static_subfolder(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/static/sub/hello.txt")
    assert rv.status_code == 200
    assert rv.text == "hello sub\n"
    assert rv.mimetype == "text/plain"


def test_static_missing_is_404(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/static/nope.css").status_code == 404
    assert client.get("/static/sub").status_code == 404  # a folder is not a file


@pytest.mark.parametrize(
    "path",
    [
        "/static/../test_files.py",
        "/static/%2e%2e/test_files.py",
        "/static/sub/%2E%2E/%2e%2e/test_files.py",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
        "/static/C:%5CWindows%5Cwin.ini",
        "/static/sub%5C..%5C..%5Ctest_files.py",
        "/static/style.css%00.txt",
    ],
)
def test_static_traversal_is_404(client, path: str) -> None:  # type: ignore[no-untyped-def]
    # "//" is merged by the router with a redirect; the target must still be a 404.
    rv = client.get(path, follow_redirects=True)
    assert rv.status_code == 404, path
    assert b"root:" not in rv.data and b"import" not in rv.data


def test_etag_if_none_match_gives_304(client) -> None:  # type: ignore[no-untyped-def]
    etag = client.get("/static/style.css").headers["ETag"]
    rv = client.get("/static/style.css", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert rv.data == b""
    assert rv.headers["ETag"] == etag
    assert "Content-Length" not in rv.headers
    rv = client.get("/static/style.css", headers={"If-None-Match": '"other"'})
    assert rv.status_code == 200


def test_if_modified_since_gives_304(client) -> None:  # type: ignore[no-untyped-def]
    lm = client.get("/static/style.css").headers["Last-Modified"]
    assert client.get("/static/style.css", headers={"If-Modified-Since": lm}).status_code == 304
    old = http_date(datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert client.get("/static/style.css", headers={"If-Modified-Since": old}).status_code == 200


def test_send_file_max_age_default_config(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    rv = client.get("/static/style.css")
    assert rv.headers["Cache-Control"] == "public, max-age=3600"
    assert rv.expires is not None and rv.expires > datetime.now(timezone.utc)


def test_head_sends_no_body(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.head("/static/data.bin")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == str(len(DATA))


def test_custom_static_url_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    app = Stein("x", static_folder="assets", static_url_path="/s", root_path=str(tmp_path))
    rv = app.test_client().get("/s/app.js")
    assert rv.status_code == 200
    assert rv.text == "console.log(1)"
    assert rv.mimetype in ("text/javascript", "application/javascript")
    assert app.test_client().get("/static/app.js").status_code == 404


# -- Range ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-9", 0, 10),
        ("bytes=100-199", 100, 200),
        ("bytes=1000-", 1000, 1024),
        ("bytes=-24", 1000, 1024),
        ("bytes=1000-5000", 1000, 1024),  # end beyond the file is clipped
        ("bytes=-5000", 0, 1024),  # suffix larger than the file is the whole file
    ],
)
def test_single_range(client, header: str, start: int, stop: int) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/static/data.bin", headers={"Range": header})
    assert rv.status_code == 206
    assert rv.data == DATA[start:stop]
    assert rv.headers["Content-Length"] == str(stop - start)
    assert rv.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(DATA)}"


def test_unsatisfiable_range_is_416(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/static/data.bin", headers={"Range": "bytes=5000-6000"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{len(DATA)}"


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=10-5", "items=0-5", "bytes=0-1,5-6"])
def test_invalid_or_multi_range_sends_whole_file(client, header: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/static/data.bin", headers={"Range": header})
    assert rv.status_code == 200
    assert rv.data == DATA


def test_if_range(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/static/data.bin")
    etag, lm = first.headers["ETag"], first.headers["Last-Modified"]
    rv = client.get("/static/data.bin", headers={"Range": "bytes=0-3", "If-Range": etag})
    assert rv.status_code == 206 and rv.data == DATA[:4]
    rv = client.get("/static/data.bin", headers={"Range": "bytes=0-3", "If-Range": lm})
    assert rv.status_code == 206
    rv = client.get("/static/data.bin", headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert rv.status_code == 200 and rv.data == DATA


def test_range_on_post_is_ignored(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.post("/dl")
    def dl():  # type: ignore[no-untyped-def]
        return send_file(io.BytesIO(b"0123456789"), mimetype="application/octet-stream")

    rv = client.post("/dl", headers={"Range": "bytes=0-1"})
    assert rv.status_code == 200 and rv.data == b"0123456789"


# -- wsgi.file_wrapper ---------------------------------------------------------------------


class FakeFileWrapper:
    instances: list[FakeFileWrapper] = []

    def __init__(self, file, block_size: int = 8192) -> None:  # type: ignore[no-untyped-def]
        self.file = file
        self.block_size = block_size
        self.closed = False
        FakeFileWrapper.instances.append(self)

    def __iter__(self):  # type: ignore[no-untyped-def]
        while True:
            chunk = self.file.read(self.block_size)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        self.closed = True
        self.file.close()


def test_file_wrapper_used_when_offered(client) -> None:  # type: ignore[no-untyped-def]
    FakeFileWrapper.instances.clear()
    rv = client.get("/static/data.bin", environ_base={"wsgi.file_wrapper": FakeFileWrapper})
    assert rv.status_code == 200
    assert rv.data == DATA
    assert len(FakeFileWrapper.instances) == 1
    assert FakeFileWrapper.instances[0].closed


def test_file_wrapper_used_for_range_to_end(client) -> None:  # type: ignore[no-untyped-def]
    FakeFileWrapper.instances.clear()
    rv = client.get("/static/data.bin", headers={"Range": "bytes=1000-"},
                    environ_base={"wsgi.file_wrapper": FakeFileWrapper})
    assert rv.status_code == 206 and rv.data == DATA[1000:]
    assert len(FakeFileWrapper.instances) == 1


def test_file_wrapper_not_used_for_middle_range(client) -> None:  # type: ignore[no-untyped-def]
    FakeFileWrapper.instances.clear()
    rv = client.get("/static/data.bin", headers={"Range": "bytes=10-19"},
                    environ_base={"wsgi.file_wrapper": FakeFileWrapper})
    assert rv.status_code == 206 and rv.data == DATA[10:20]
    assert FakeFileWrapper.instances == []


def test_file_closed_after_response(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    opened: list[io.BytesIO] = []

    @app.route("/f")
    def f():  # type: ignore[no-untyped-def]
        b = io.BytesIO(b"abc")
        opened.append(b)
        return send_file(b, mimetype="text/plain")

    assert client.get("/f").data == b"abc"
    assert opened[0].closed
    assert client.head("/f").data == b""
    assert opened[1].closed


# -- send_file options -----------------------------------------------------------------------


def test_send_file_object_needs_a_name_or_mimetype(app: Stein) -> None:
    with app.test_request_context():
        with pytest.raises(TypeError, match="Unable to detect the MIME type"):
            send_file(io.BytesIO(b"x"))
        rv = send_file(io.BytesIO(b"x"), download_name="a.json")
        assert rv.mimetype == "application/json"
        rv.close()


def test_send_file_rejects_text_mode(app: Stein) -> None:
    with app.test_request_context():
        with pytest.raises(ValueError, match="binary mode"):
            send_file(io.StringIO("x"), mimetype="text/plain")


def test_as_attachment_ascii(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/d")
    def d():  # type: ignore[no-untyped-def]
        return send_file("static/data.bin", as_attachment=True, download_name='re"port.csv')

    rv = client.get("/d")
    assert rv.headers["Content-Disposition"] == 'attachment; filename="re\\"port.csv"'
    assert rv.mimetype == "text/csv"
    assert rv.data == DATA


def test_as_attachment_unicode_rfc6266(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/d")
    def d():  # type: ignore[no-untyped-def]
        return send_file(io.BytesIO(b"pdf"), as_attachment=True, download_name="Übersicht 2024€.pdf")

    rv = client.get("/d")
    cd = rv.headers["Content-Disposition"]
    assert cd == (
        "attachment; filename=\"Ubersicht 2024.pdf\"; "
        "filename*=UTF-8''%C3%9Cbersicht%202024%E2%82%AC.pdf"
    )
    assert rv.mimetype == "application/pdf"


def test_explicit_etag_last_modified_max_age(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

    @app.route("/x")
    def x():  # type: ignore[no-untyped-def]
        return send_file(io.BytesIO(b"data"), mimetype="text/plain", etag="v1",
                         last_modified=when, max_age=60)

    rv = client.get("/x")
    assert rv.headers["ETag"] == '"v1"'
    assert rv.headers["Last-Modified"] == "Wed, 01 May 2024 12:00:00 GMT"
    assert rv.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/x", headers={"If-None-Match": '"v1"'}).status_code == 304
    assert client.get("/x", headers={"If-None-Match": 'W/"v1"'}).status_code == 304


def test_etag_false_and_not_conditional(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/x")
    def x():  # type: ignore[no-untyped-def]
        return send_file("static/style.css", etag=False, conditional=False, max_age=lambda p: 5)

    rv = client.get("/x", headers={"Range": "bytes=0-1"})
    assert rv.status_code == 200
    assert "ETag" not in rv.headers
    assert rv.headers["Cache-Control"] == "public, max-age=5"


def test_bytesio_range(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/b")
    def b():  # type: ignore[no-untyped-def]
        return send_file(io.BytesIO(b"0123456789"), mimetype="application/octet-stream")

    rv = client.get("/b", headers={"Range": "bytes=2-4"})
    assert rv.status_code == 206 and rv.data == b"234"
    assert rv.headers["Content-Range"] == "bytes 2-4/10"


def test_use_x_sendfile(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["USE_X_SENDFILE"] = True

    @app.route("/x")
    def x():  # type: ignore[no-untyped-def]
        return send_file("static/style.css")

    rv = client.get("/x")
    assert rv.headers["X-Sendfile"] == os.path.join(FIXTURES, "static", "style.css")
    assert rv.data == b""


def test_send_file_missing_path_raises(app: Stein) -> None:
    with app.test_request_context():
        with pytest.raises(FileNotFoundError):
            send_file("static/missing.txt")


def test_send_from_directory(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.route("/files/<path:name>")
    def files(name: str):  # type: ignore[no-untyped-def]
        return send_from_directory("static", name, max_age=10)

    rv = client.get("/files/sub/hello.txt")
    assert rv.status_code == 200 and rv.text == "hello sub\n"
    assert rv.headers["Cache-Control"] == "public, max-age=10"
    assert client.get("/files/../test_files.py").status_code == 404
    assert client.get("/files/missing").status_code == 404
    with app.test_request_context():
        from stein.exceptions import NotFound

        for bad in ("../x", "/etc/passwd", "C:\\x", "a\x00b", "sub\\..\\..\\x"):
            with pytest.raises(NotFound):
                send_from_directory(os.path.join(FIXTURES, "static"), bad)


def test_file_body_limit_to() -> None:
    body = FileBody(io.BytesIO(b"abcdefghij"), chunk_size=3)
    body.limit_to(2, 9)
    assert list(body) == [b"cde", b"fgh", b"i"]
    body.close()
    assert body.file.closed
