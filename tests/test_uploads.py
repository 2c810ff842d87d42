"""multipart/form-data uploads: fields, files, spooling, limits, malformed bodies, cleanup."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stein import Stein, forms, request
from stein import multipart as mp
from stein.http import parse_options_header
from stein.utils import secure_filename

BOUNDARY = "XyZzY"
CT = f"multipart/form-data; boundary={BOUNDARY}"


def body(*parts: bytes, end: bool = True) -> bytes:
    out = b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return out + (b"--" + BOUNDARY.encode() + b"--\r\n" if end else b"")


def field(name: str, value: bytes, ctype: str | None = None) -> bytes:
    h = f'Content-Disposition: form-data; name="{name}"\r\n'.encode()
    if ctype:
        h += f"Content-Type: {ctype}\r\n".encode()
    return h + b"\r\n" + value


def filepart(name: str, filename: str, data: bytes, ctype: str = "application/octet-stream") -> bytes:
    return (
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {ctype}\r\n\r\n"
    ).encode() + data


@pytest.fixture
def app() -> Stein:
    app = Stein("test_uploads")
    app.config["TESTING"] = True
    seen: dict[str, Any] = {}
    app.config["SEEN"] = seen

    @app.post("/up")
    def up():  # type: ignore[no-untyped-def]
        files = {k: [(f.filename, f.content_type, f.read()) for f in request.files.getlist(k)]
                 for k in request.files}
        seen["files"] = [f for vs in request.files.listvalues() for f in vs]
        return {"form": {k: request.form.getlist(k) for k in request.form},
                "files": {k: [[n, c, d.decode("latin-1")] for n, c, d in v] for k, v in files.items()}}

    return app


def post(client: Any, data: bytes, ctype: str = CT) -> Any:
    return client.post("/up", data=data, content_type=ctype)


def test_fields_and_files(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, body(
        field("title", "Grüße".encode()),
        field("tag", b"a"),
        field("tag", b"b"),
        filepart("doc", "notes.txt", b"line1\r\nline2", "text/plain"),
        filepart("doc", "two.bin", b"\x00\x01"),
    ))
    assert rv.status_code == 200, rv.text
    j = rv.get_json()
    assert j["form"] == {"title": ["Grüße"], "tag": ["a", "b"]}
    assert j["files"]["doc"] == [["notes.txt", "text/plain", "line1\r\nline2"],
                                 ["two.bin", "application/octet-stream", "\x00\x01"]]


def test_field_charset_param(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, body(field("x", "é".encode("latin-1"), "text/plain; charset=latin-1")))
    assert rv.get_json()["form"] == {"x": ["é"]}


def test_test_client_encodes_files(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    rv = client.post("/up", data={"name": "x", "f": (io.BytesIO(b"hello"), "h.txt", "text/plain")})
    assert rv.get_json() == {"form": {"name": ["x"]}, "files": {"f": [["h.txt", "text/plain", "hello"]]}}


def test_file_storage_api(app: Stein, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    @app.post("/save")
    def save():  # type: ignore[no-untyped-def]
        f = request.files["f"]
        assert f.name == "f" and bool(f)
        assert f.mimetype == "image/png"
        assert f.content_length == 4
        f.save(tmp_path / secure_filename(f.filename))
        return "ok"

    rv = client.post("/save", data=body(filepart("f", "../../evil name.png", b"\x89PNG", "image/png")),
                     content_type=CT)
    assert rv.text == "ok"
    assert (tmp_path / "evil_name.png").read_bytes() == b"\x89PNG"


def test_large_file_spools_to_disk_and_is_removed(app: Stein, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mp, "SPOOL_MAX_SIZE", 1000)
    data = os.urandom(300_000)
    rv = post(client, body(filepart("f", "big.bin", data)))
    assert rv.status_code == 200
    assert rv.get_json()["files"]["f"][0][2].encode("latin-1") == data
    storage = app.config["SEEN"]["files"][0]
    assert storage.stream._rolled  # moved to a real temporary file
    assert storage.stream.closed  # ...and closed (deleted) at the end of the request


def test_small_file_stays_in_memory(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    post(client, body(filepart("f", "s.bin", b"x" * 100)))
    storage = app.config["SEEN"]["files"][0]
    assert isinstance(storage.stream, mp.PartFile)  # a view of the body read whole
    assert storage.stream.closed
    # Streamed (no declared length): an in-memory spooled file.
    data = body(filepart("f", "s.bin", b"x" * 100))
    rv = client.post("/up", input_stream=io.BytesIO(data), content_type=CT,
                     headers={"Transfer-Encoding": "chunked"})
    assert rv.get_json()["files"] == {"f": [["s.bin", "application/octet-stream", "x" * 100]]}
    storage = app.config["SEEN"]["files"][0]
    assert not storage.stream._rolled
    assert storage.stream.closed


def test_files_closed_for_every_value(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    post(client, body(filepart("f", "a", b"1"), filepart("f", "b", b"2")))
    assert all(f.stream.closed for f in app.config["SEEN"]["files"])


class Spy(io.BytesIO):
    """A WSGI input that records the size of every read (and can hand back short reads)."""

    def __init__(self, data: bytes, most: int | None = None) -> None:
        super().__init__(data)
        self.reads: list[int] = []
        self.most = most

    def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
        self.reads.append(-1 if n is None else n)
        if self.most is not None and (n is None or n < 0 or n > self.most):
            n = self.most
        return super().read(n)


def test_body_streamed_in_chunks(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    # Over the spool size plus a chunk: too big to read whole, so streamed.
    payload = b"z" * (mp.SPOOL_MAX_SIZE + mp.CHUNK_SIZE)
    data = body(filepart("f", "big.bin", payload))
    spy = Spy(data)
    rv = client.post("/up", input_stream=spy, content_type=CT,
                     headers={"Content-Length": str(len(data))})
    assert rv.status_code == 200
    assert rv.get_json()["files"]["f"][0][2] == payload.decode()
    assert len(spy.reads) > 5 and max(spy.reads) <= mp.CHUNK_SIZE + 1
    assert app.config["SEEN"]["files"][0].stream._rolled  # over the spool: on disk


def test_small_body_read_whole_in_one_call(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    payload = os.urandom(500_000)
    data = body(field("t", b"title"), filepart("f", "big.bin", payload))
    spy = Spy(data)
    rv = client.post("/up", input_stream=spy, content_type=CT,
                     headers={"Content-Length": str(len(data))})
    assert rv.status_code == 200
    assert rv.get_json()["form"] == {"t": ["title"]}
    assert rv.get_json()["files"]["f"][0][2].encode("latin-1") == payload
    assert spy.reads == [len(data)]
    assert isinstance(app.config["SEEN"]["files"][0].stream, mp.PartFile)


def test_whole_body_completes_short_reads(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    payload = os.urandom(200_000)
    data = body(filepart("f", "b.bin", payload))
    spy = Spy(data, most=70_000)
    rv = client.post("/up", input_stream=spy, content_type=CT,
                     headers={"Content-Length": str(len(data))})
    assert rv.status_code == 200
    assert rv.get_json()["files"]["f"][0][2].encode("latin-1") == payload
    assert spy.reads == [len(data), len(data) - 70_000, len(data) - 140_000]


@pytest.mark.parametrize("cut", [20, 150, 100_000])
def test_body_shorter_than_declared_is_400(app: Stein, client, cut: int) -> None:  # type: ignore[no-untyped-def]
    # The input ends before Content-Length: the client went away (both paths say so).
    data = body(filepart("f", "b.bin", os.urandom(200_000)))
    for size in (len(data), mp.SPOOL_MAX_SIZE + mp.CHUNK_SIZE + 1):
        rv = client.post("/up", input_stream=io.BytesIO(data[:cut]), content_type=CT,
                         headers={"Content-Length": str(size)})
        assert rv.status_code == 400
        assert "went away before sending the whole body" in rv.text


def test_complete_form_before_declared_end_is_accepted(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    # As the streamed parser, the whole-body one stops at the closing boundary.
    data = body(field("a", b"1"))
    for size in (len(data) + 10, mp.SPOOL_MAX_SIZE + mp.CHUNK_SIZE + 1):
        rv = client.post("/up", input_stream=io.BytesIO(data), content_type=CT,
                         headers={"Content-Length": str(size)})
        assert rv.status_code == 200
        assert rv.get_json()["form"] == {"a": ["1"]}


def test_stream_and_data_empty_after_multipart(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    @app.post("/after")
    def after():  # type: ignore[no-untyped-def]
        return {"n": len(request.files), "data": request.get_data().decode(),
                "stream": request.stream.read().decode()}

    data = body(filepart("f", "a", b"1"))
    rv = client.post("/after", data=data, content_type=CT)
    assert rv.get_json() == {"n": 1, "data": "", "stream": ""}


# -- limits --------------------------------------------------------------------------------


def test_too_many_parts_is_413(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_FORM_PARTS"] = 3
    rv = post(client, body(*(field(f"f{i}", b"v") for i in range(4))))
    assert rv.status_code == 413
    assert "more than 3 parts (MAX_FORM_PARTS)" in rv.text
    assert post(client, body(*(field(f"f{i}", b"v") for i in range(3)))).status_code == 200


def test_form_memory_limit_is_413(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_FORM_MEMORY_SIZE"] = 100
    rv = post(client, body(field("a", b"x" * 60), field("b", b"y" * 60)))
    assert rv.status_code == 413
    assert "limit of 100 bytes (MAX_FORM_MEMORY_SIZE)" in rv.text
    # files do not count against the form memory limit
    rv = post(client, body(filepart("f", "f.bin", b"z" * 1000)))
    assert rv.status_code == 200


def test_content_length_limit_is_413(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    rv = post(client, body(filepart("f", "f.bin", b"z" * 2000)))
    assert rv.status_code == 413
    assert "limit is 1000 bytes" in rv.text


def test_content_length_limit_chunked_is_413(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    data = body(filepart("f", "f.bin", b"z" * 5000))
    rv = client.post("/up", input_stream=io.BytesIO(data), content_type=CT,
                     headers={"Transfer-Encoding": "chunked"})
    assert rv.status_code == 413
    assert "over the limit of 1000 bytes" in rv.text


# -- malformed -----------------------------------------------------------------------------


def test_truncated_body_is_400(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, body(filepart("f", "a.bin", b"abc"), end=False)[:-10])
    assert rv.status_code == 400
    assert "ended before its closing boundary" in rv.text


def test_missing_boundary_is_400(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, b"--x\r\n", ctype="multipart/form-data")
    assert rv.status_code == 400
    assert "no boundary" in rv.text


def test_invalid_boundary_is_400(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, b"--x\r\n", ctype="multipart/form-data; boundary=" + "a" * 80)
    assert rv.status_code == 400
    assert "boundary" in rv.text and "invalid" in rv.text


def test_garbage_body_is_400(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, b"this is not multipart at all\r\n\r\n")
    assert rv.status_code == 400
    assert "malformed" in rv.text or "closing boundary" in rv.text


def test_part_without_disposition_is_400(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, body(b"Content-Type: text/plain\r\n\r\nx"))
    assert rv.status_code == 400
    assert "Content-Disposition: form-data; name=" in rv.text


@pytest.mark.parametrize("whole", [True, False])
def test_error_closes_partial_files(app: Stein, client, monkeypatch, whole: bool) -> None:  # type: ignore[no-untyped-def]
    made: list[Any] = []
    real = mp.tempfile.SpooledTemporaryFile

    def spy(*a: Any, **kw: Any) -> Any:
        f = real(*a, **kw)
        made.append(f)
        return f

    class SpyPart(mp.PartFile):
        def __init__(self, *a: Any) -> None:
            super().__init__(*a)
            made.append(self)

    monkeypatch.setattr(mp.tempfile, "SpooledTemporaryFile", spy)
    monkeypatch.setattr(mp, "PartFile", SpyPart)
    app.config["MAX_FORM_PARTS"] = 2
    data = body(filepart("a", "a", b"1"), filepart("b", "b", b"2"), field("c", b"3"))
    headers = {"Content-Length": str(len(data))} if whole else {"Transfer-Encoding": "chunked"}
    rv = client.post("/up", input_stream=io.BytesIO(data), content_type=CT, headers=headers)
    assert rv.status_code == 413
    assert "more than 2 parts (MAX_FORM_PARTS)" in rv.text
    assert len(made) == 2 and all(f.closed for f in made)
    assert all(isinstance(f, SpyPart) == whole for f in made)


def test_empty_filename_is_falsy(client) -> None:  # type: ignore[no-untyped-def]
    # A browser sends an empty filename when no file was chosen.
    rv = post(client, body(filepart("f", "", b"")))
    assert rv.get_json()["files"] == {"f": [["", "application/octet-stream", ""]]}


def test_form_access_without_multipart(client, app: Stein) -> None:  # type: ignore[no-untyped-def]
    rv = client.post("/up", data={"a": "1"})
    assert rv.get_json() == {"form": {"a": ["1"]}, "files": {}}


def test_test_client_quotes_names(app: Stein, client) -> None:  # type: ignore[no-untyped-def]
    rv = client.post("/up", data={'we"ird': (io.BytesIO(b"d"), 'a "quoted"\nname.txt')})
    assert rv.get_json()["files"] == {
        "we%22ird": [["a %22quoted%22%0Aname.txt", "text/plain", "d"]]}


def test_utf8_filename(client) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, body(filepart("f", "naïve résumé.pdf", b"%PDF", "application/pdf")))
    assert rv.get_json()["files"]["f"][0][0] == "naïve résumé.pdf"
    assert secure_filename("naïve résumé.pdf") == "naive_resume.pdf"


# -- the Content-Type shortcut --------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(tail=st.text(st.sampled_from('aZ09 "\\;=,\t\'-_.:?()+/~é'), max_size=75)
       | st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=60, max_size=75))
def test_plain_boundary_agrees_with_parse_options_header(tail: str) -> None:
    ct = forms._MULTIPART + tail
    m = forms._plain_boundary(ct, len(forms._MULTIPART))
    if m is not None:
        kind, options = parse_options_header(ct)
        assert kind == "multipart/form-data" and options == {"boundary": m[0]}
        assert mp._boundary_re.match(m[0])


@pytest.mark.parametrize("ctype", [
    f"multipart/form-data; boundary={BOUNDARY}",  # the shortcut
    f'multipart/form-data; boundary="{BOUNDARY}"',  # quoted: the slow way
    f"Multipart/Form-Data;boundary={BOUNDARY}; charset=utf-8",
])
def test_boundary_found_either_way(client, ctype: str) -> None:  # type: ignore[no-untyped-def]
    rv = post(client, body(field("a", b"1"), filepart("f", "f.txt", b"xy")), ctype=ctype)
    assert rv.status_code == 200
    assert rv.get_json() == {"form": {"a": ["1"]},
                             "files": {"f": [["f.txt", "application/octet-stream", "xy"]]}}


def test_too_long_boundary_is_400_either_way(client) -> None:  # type: ignore[no-untyped-def]
    for ctype in ("multipart/form-data; boundary=" + "a" * 71,
                  'multipart/form-data; boundary="' + "a" * 71 + '"'):
        rv = post(client, b"--x\r\n", ctype=ctype)
        assert rv.status_code == 400
        assert "boundary in the Content-Type is missing or invalid" in rv.text


# -- under ASGI: the pre-read body is parsed in place ---------------------------------------


def test_asgi_body_parsed_in_place_with_the_same_limits(app: Stein) -> None:  # type: ignore[no-untyped-def]
    from asgi_helpers import call

    payload = os.urandom(300_000)
    data = body(field("t", b"title"), filepart("f", "p.bin", payload))
    chunks = [data[i:i + 40_000] for i in range(0, len(data), 40_000)]
    res = call(app, "POST", "/up", headers=[("Content-Type", CT)], body=chunks)
    assert res.status == 200
    got = json.loads(res.body)
    assert got["form"] == {"t": ["title"]}
    assert got["files"]["f"][0][2].encode("latin-1") == payload
    stream = app.config["SEEN"]["files"][0].stream
    assert isinstance(stream, mp.PartFile) and stream.closed

    app.config["MAX_FORM_PARTS"] = 1
    res = call(app, "POST", "/up", headers=[("Content-Type", CT)], body=chunks)
    assert res.status == 413 and b"more than 1 parts (MAX_FORM_PARTS)" in res.body
    app.config["MAX_FORM_PARTS"] = 1000
    res = call(app, "POST", "/up", headers=[("Content-Type", CT)], body=chunks[:-1])
    assert res.status == 400 and b"ended before its closing boundary" in res.body
    app.config["MAX_CONTENT_LENGTH"] = 100_000  # no Content-Length: stopped while reading
    res = call(app, "POST", "/up", headers=[("Content-Type", CT)], body=chunks)
    assert res.status == 413 and b"over the limit of 100000 bytes" in res.body
