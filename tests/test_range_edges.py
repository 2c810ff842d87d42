"""Single-range edge cases of RFC 9110 14: ``-0``, ``0-0``, reversed, past the end, several.

Each case runs against a file body (the static view, which goes through ``FileBody.limit_to``)
and an in-memory body (``Response.make_conditional``), so both slicing paths agree.
"""

from __future__ import annotations

import os

import pytest

from stein import Response, Stein
from stein.http import parse_range_header

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
DATA = bytes(range(256)) * 4  # tests/fixtures/static/data.bin, 1024 bytes
SIZE = len(DATA)


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    app = Stein("test_range_edges", root_path=FIXTURES)
    app.config["TESTING"] = True

    @app.get("/mem")
    def mem() -> Response:
        from stein import request

        return Response(DATA, mimetype="application/octet-stream").make_conditional(
            request, accept_ranges=True)

    @app.get("/empty")
    def empty() -> Response:
        from stein import request

        return Response(b"").make_conditional(request, accept_ranges=True)

    return app.test_client()


PATHS = ["/static/data.bin", "/mem"]


# -- parser ---------------------------------------------------------------------------------


def test_zero_suffix_parses_to_an_unsatisfiable_range() -> None:
    rng = parse_range_header("bytes=-0")
    assert rng is not None
    assert rng.ranges == [] and rng.empty == 1
    assert rng.range_for_length(SIZE) is None
    assert rng.range_for_length(0) is None
    assert rng.to_header() == "bytes=-0"


def test_zero_zero_is_the_first_byte() -> None:
    rng = parse_range_header("bytes=0-0")
    assert rng is not None and rng.ranges == [(0, 1)]
    assert rng.range_for_length(SIZE) == (0, 1)


@pytest.mark.parametrize("value", [
    "bytes=5-4",       # last-pos before first-pos: invalid
    "bytes=²-",        # a digit to str.isdigit(), not to int()
    "bytes=0-²",
    "bytes=-²",
    "bytes=١-٢",       # Arabic-Indic digits: int() takes them, the ABNF (DIGIT) does not
    "bytes=" + "9" * 5000 + "-",   # longer than int() converts
    "bytes=-" + "1" * 5000,
    "bytes=-0-",
    "bytes=",
])
def test_malformed_specs_parse_to_none(value: str) -> None:
    assert parse_range_header(value) is None


def test_zero_suffix_among_other_ranges_is_counted() -> None:
    rng = parse_range_header("bytes=0-4,-0")
    assert rng is not None
    assert rng.ranges == [(0, 5)] and rng.empty == 1
    assert rng.range_for_length(SIZE) is None  # two specs: not a single range


# -- responses ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_zero_suffix_is_416(client, path: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get(path, headers={"Range": "bytes=-0"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{SIZE}"
    assert DATA not in rv.data


@pytest.mark.parametrize("path", PATHS)
def test_zero_zero_sends_one_byte(client, path: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get(path, headers={"Range": "bytes=0-0"})
    assert rv.status_code == 206
    assert rv.data == DATA[:1]
    assert rv.headers["Content-Length"] == "1"
    assert rv.headers["Content-Range"] == f"bytes 0-0/{SIZE}"


@pytest.mark.parametrize("path", PATHS)
def test_last_byte(client, path: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get(path, headers={"Range": f"bytes={SIZE - 1}-{SIZE - 1}"})
    assert rv.status_code == 206
    assert rv.data == DATA[-1:]
    assert rv.headers["Content-Range"] == f"bytes {SIZE - 1}-{SIZE - 1}/{SIZE}"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("header", ["bytes=5-4", "bytes=²-", "bytes=" + "9" * 5000 + "-"])
def test_invalid_range_is_ignored(client, path: str, header: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get(path, headers={"Range": header})
    assert rv.status_code == 200
    assert rv.data == DATA
    assert "Content-Range" not in rv.headers


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE}-{SIZE + 10}", "bytes=99999999-"])
def test_start_at_or_beyond_size_is_416(client, path: str, header: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get(path, headers={"Range": header})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=0-4,-0", "bytes=-0,0-4"])
def test_several_ranges_send_the_whole_body(client, path: str, header: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get(path, headers={"Range": header})
    assert rv.status_code == 200
    assert rv.data == DATA
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in rv.headers


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-5", "bytes=-0"])
def test_any_range_of_an_empty_body_is_416(client, header: str) -> None:  # type: ignore[no-untyped-def]
    rv = client.get("/empty", headers={"Range": header})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == "bytes */0"


def test_zero_suffix_on_head_is_416(client) -> None:  # type: ignore[no-untyped-def]
    rv = client.head("/static/data.bin", headers={"Range": "bytes=-0"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{SIZE}"
