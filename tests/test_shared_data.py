"""SharedDataMiddleware: static files served in front of an app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stein.shared_data import SharedDataMiddleware
from stein.testing import Client


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app:" + environ["PATH_INFO"].encode()]


@pytest.fixture
def static(tmp_path: Path) -> Path:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body{}")
    (tmp_path / "secret.key").write_text("k")
    (tmp_path / "caf\u00e9.txt").write_text("latte")
    (tmp_path.parent / "outside.txt").write_text("no")
    return tmp_path


def test_serves_files_under_prefix_with_type_and_length(static: Path):
    c = Client(SharedDataMiddleware(_app, {"/static": str(static)}))
    rv = c.get("/static/css/site.css")
    assert rv.status_code == 200 and rv.data == b"body{}"
    assert rv.headers["Content-Type"] == "text/css; charset=utf-8"
    assert rv.headers["Content-Length"] == "6"
    assert "max-age=43200" in rv.headers["Cache-Control"]
    assert rv.headers["Etag"].startswith('"sd-')
    assert c.get("/static/caf%C3%A9.txt").data == b"latte"
    # Not a file there, or another prefix: the app answers.
    assert c.get("/static/css/missing.css").data == b"app:/static/css/missing.css"
    assert c.get("/other").data == b"app:/other"


def test_never_leaves_the_folder(static: Path):
    c = Client(SharedDataMiddleware(_app, {"/static": str(static)}))
    for path in ("/static/../outside.txt", "/static/%2e%2e/outside.txt",
                 "/static/..%2foutside.txt", "/static/css/..\\..\\outside.txt"):
        assert c.get(path).data != b"no", path


def test_conditional_get_and_head(static: Path):
    c = Client(SharedDataMiddleware(_app, {"/static": str(static)}))
    etag = c.get("/static/css/site.css").headers["Etag"]
    rv = c.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert rv.status_code == 304 and rv.data == b""
    head = c.head("/static/css/site.css")
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Length"] == "6"
    # Other methods are the app's.
    assert c.post("/static/css/site.css").data == b"app:/static/css/site.css"


def test_single_file_disallow_and_no_cache(static: Path):
    mw = SharedDataMiddleware(_app, {"/robots.txt": str(static / "css" / "site.css"),
                                     "/s": str(static)}, disallow="*.key", cache=False)
    c = Client(mw)
    rv = c.get("/robots.txt")
    assert rv.data == b"body{}" and rv.headers["Cache-Control"] == "public"
    assert "Etag" not in rv.headers
    assert c.get("/s/secret.key").data == b"app:/s/secret.key"


def test_package_export():
    c = Client(SharedDataMiddleware(_app, {"/pkg": ("stein", "compat")}))
    rv = c.get("/pkg/_names.py")
    assert rv.status_code == 200 and b"MODULES" in rv.data
    with pytest.raises(TypeError):
        SharedDataMiddleware(_app, {"/x": 42})
