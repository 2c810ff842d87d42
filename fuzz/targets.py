"""atheris fuzz targets: one WSGI app per parser, driven by a raw environ built from bytes.

Each target's property: the app answers (it never raises; TESTING is on so an unhandled
exception surfaces as a crash) with a documented status, never a 500, and headers that are
safe to send. Run one with ``python fuzz/targets.py NAME -max_total_time=60``; ``make fuzz``
runs them all.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any

import atheris

with atheris.instrument_imports(include=["stein"]):
    from stein import Response, Stein, request, session
    from stein.http import parse_cookie
    from stein.routing import Map, Rule


def _call(app: Stein, path: str = "/", method: str = "GET", body: bytes = b"",
          **env: Any) -> int:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
    }
    environ.update(env)
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        got["status"], got["headers"] = status, headers

    it = app(environ, start_response)
    b"".join(it)
    getattr(it, "close", lambda: None)()
    for k, v in got["headers"]:
        v.encode("latin-1")
        if "\r" in v or "\n" in v:
            raise AssertionError(f"header injection in {k}: {v!r}")
    return int(got["status"][:3])


def _check(status: int, allowed: set[int]) -> None:
    if status not in allowed:
        raise AssertionError(f"status {status} not in {sorted(allowed)}")


def _app() -> Stein:
    app = Stein("fuzz")
    app.config.update(TESTING=True, SECRET_KEY="fuzzing-secret-key-0123456789abcdef",
                      MAX_CONTENT_LENGTH=64 * 1024, MAX_FORM_MEMORY_SIZE=4096, MAX_FORM_PARTS=50)

    @app.route("/", methods=["GET", "POST"])
    def index() -> Any:
        kind = request.args.get("k", "")
        if kind == "json":
            return {"t": type(request.get_json()).__name__}
        if kind == "form":
            files = {k: len(f.read()) for k, f in request.files.items()}
            return {"form": len(request.form), "files": files}
        if kind == "session":
            return {"n": len(session)}
        rv = Response("x" * 500)
        rv.set_etag("e")
        _ = (request.accept_mimetypes.best, request.accept_languages.best, len(request.cookies),
             request.mimetype_params, request.if_modified_since, request.authorization)
        return rv.make_conditional(request, accept_ranges=True)

    @app.route("/u/<int:id>/")
    def user(id: int) -> str:
        return str(id)

    @app.route("/p/<path:p>", methods=["POST"])
    def path(p: str) -> str:
        return p

    @app.route("/s/<name>/<float:f>")
    def s(name: str, f: float) -> str:
        return name

    return app


APP = _app()


def _latin(fdp: Any, n: int) -> str:
    return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, n)).decode("latin-1")


def fuzz_router(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    method = fdp.PickValueInList(["GET", "POST", "HEAD", "OPTIONS", "PUT"])
    _check(_call(APP, path=_latin(fdp, 300), method=method), {200, 308, 400, 404, 405})
    # Map.match directly on generated rules
    m = Map()
    for i in range(fdp.ConsumeIntInRange(1, 5)):
        segs = []
        for _ in range(fdp.ConsumeIntInRange(0, 3)):
            segs.append(fdp.PickValueInList(["a", "b", "<x{}>", "<int:y{}>", "<path:z{}>"])
                        .format(len(segs)))
        rule = "/" + "/".join(segs)
        try:
            m.add(Rule(rule, endpoint=f"e{i}"))
        except ValueError:
            continue  # path converter not last, etc.: refused at registration is fine
    from stein.exceptions import MethodNotAllowed, NotFound, RequestRedirect

    try:
        m.match("/" + fdp.ConsumeUnicodeNoSurrogates(100), "GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        pass


def fuzz_query(data: bytes) -> None:
    qs = data.decode("latin-1")
    _check(_call(APP, QUERY_STRING="k=form&" + qs), {200, 400, 413})
    _check(_call(APP, method="POST", body=data, CONTENT_TYPE="application/x-www-form-urlencoded",
                 QUERY_STRING="k=form"), {200, 400, 413})


def fuzz_cookie(data: bytes) -> None:
    header = data.decode("latin-1")
    parse_cookie(header)
    _check(_call(APP, HTTP_COOKIE=header), {200, 206, 304, 412, 416})


def fuzz_headers(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    env = {}
    for name in ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_RANGE", "HTTP_IF_NONE_MATCH",
                 "HTTP_IF_MATCH", "HTTP_IF_RANGE", "HTTP_IF_MODIFIED_SINCE", "CONTENT_TYPE",
                 "HTTP_AUTHORIZATION", "HTTP_HOST"):
        if fdp.ConsumeBool():
            env[name] = _latin(fdp, 80)
    _check(_call(APP, **env), {200, 206, 304, 400, 412, 416})


def fuzz_multipart(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    boundary = fdp.PickValueInList(["b", "----x", "", "é", "a b"])
    body = b"--b\r\nContent-Disposition: form-data; " + fdp.ConsumeBytes(fdp.remaining_bytes())
    ctype = f'multipart/form-data; boundary="{boundary}"'
    whole = _call(APP, method="POST", body=body, QUERY_STRING="k=form", CONTENT_TYPE=ctype)
    _check(whole, {200, 400, 413})
    # The same body with no declared length (a chunked request) takes the streamed path;
    # both paths must give the same answer.
    streamed = _call(APP, method="POST", body=body, QUERY_STRING="k=form", CONTENT_TYPE=ctype,
                     CONTENT_LENGTH="", **{"wsgi.input_terminated": True})
    if streamed != whole:
        raise AssertionError(f"streamed multipart gave {streamed}, whole-body gave {whole}")


def fuzz_json(data: bytes) -> None:
    _check(_call(APP, method="POST", body=data, QUERY_STRING="k=json",
                 CONTENT_TYPE="application/json"), {200, 400, 413})


def fuzz_session(data: bytes) -> None:
    value = data.decode("latin-1").replace(";", "")
    _check(_call(APP, QUERY_STRING="k=session", HTTP_COOKIE=f"session={value}"), {200})
    # A correctly signed cookie around fuzzed payload bytes must not crash the loader either.
    import hashlib

    from itsdangerous import TimestampSigner
    from itsdangerous.encoding import base64_encode

    signer = TimestampSigner(APP.secret_key, salt="cookie-session", key_derivation="hmac",  # type: ignore[arg-type]
                    digest_method=hashlib.sha256, sep=".")
    signed = signer.sign(base64_encode(data)).decode()
    _check(_call(APP, QUERY_STRING="k=session", HTTP_COOKIE=f"session={signed}"), {200})


TARGETS: dict[str, Callable[[bytes], None]] = {
    "router": fuzz_router, "query": fuzz_query, "cookie": fuzz_cookie, "headers": fuzz_headers,
    "multipart": fuzz_multipart, "json": fuzz_json, "session": fuzz_session,
}


def main() -> None:
    name = sys.argv[1]
    target = TARGETS[name]
    import logging

    logging.disable(logging.CRITICAL)  # errors the app answers are logged; only crashes count
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
