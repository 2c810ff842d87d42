"""Conditional responses: 304 for matching validators, 206/416 for single ``Range`` requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .exceptions import RequestedRangeNotSatisfiable
from .http import parse_date, parse_etags, parse_range_header, unquote_etag

if TYPE_CHECKING:
    from .wrappers import Response


def _environ(request_or_environ: Any) -> dict[str, Any]:
    return request_or_environ if isinstance(request_or_environ, dict) else request_or_environ.environ


def is_not_modified(environ: dict[str, Any], etag: str | None, last_modified: Any) -> bool:
    """Whether the request's ``If-None-Match``/``If-Modified-Since`` match the validators."""
    inm = environ.get("HTTP_IF_NONE_MATCH")
    if inm:
        # RFC 9110: If-None-Match wins over If-Modified-Since, and compares weakly.
        return etag is not None and parse_etags(inm).contains_weak(etag)
    ims = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    if ims is not None and last_modified is not None:
        return last_modified.replace(microsecond=0) <= ims
    return False


def _range_applies(environ: dict[str, Any], etag: str | None, last_modified: Any) -> bool:
    if_range = environ.get("HTTP_IF_RANGE")
    if not if_range:
        return True
    tag, weak = unquote_etag(if_range)
    if if_range.strip().startswith(('"', "W/")):
        return not weak and tag is not None and tag == etag
    date = parse_date(if_range)
    return date is not None and last_modified is not None and last_modified.replace(microsecond=0) == date


def make_conditional(response: Response, request_or_environ: Any,
                     accept_ranges: bool | str = False,
                     complete_length: int | None = None) -> Response:
    """Turn ``response`` into a 304, 206 or 416 as the request's headers ask.

    Only GET and HEAD requests of 200 responses are touched. Ranges apply to bodies of
    known length: an in-memory body, or a file body (``response.response`` with ``seek``
    via ``file``) whose length is ``complete_length``.

    Range rules (RFC 9110 14): one satisfiable range gives 206 with ``Content-Range``; a
    range starting at or past the end, or ``bytes=-0`` (zero bytes from the end), gives 416
    with ``Content-Range: bytes */<length>``; a malformed header (``bytes=5-4``), other
    units, or several ranges (no ``multipart/byteranges`` here) is ignored: 200, whole body.
    """
    environ = _environ(request_or_environ)
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or response.status_code != 200:
        return response
    etag, _ = response.get_etag()
    last_modified = response.last_modified
    if accept_ranges:
        response.headers.set("Accept-Ranges", "bytes" if accept_ranges is True else accept_ranges)
    if is_not_modified(environ, etag, last_modified):
        response.status_code = 304
        close = getattr(response.response, "close", None)
        if close is not None:
            close()  # a file body would otherwise stay open until garbage collection
        response.response = []
        response.headers.remove("Content-Length")
        return response
    if not accept_ranges or "HTTP_RANGE" not in environ:
        return response
    if not _range_applies(environ, etag, last_modified):
        return response
    length = complete_length
    if length is None:
        if not response.is_sequence:
            return response
        response.freeze()
        length = response.content_length
    rng = parse_range_header(environ.get("HTTP_RANGE"))
    # RFC 9110 14.2: a syntactically invalid Range, or one in other units, is ignored (200);
    # Stein serves no multipart/byteranges, so a request for several ranges gets 200 too.
    if rng is None or rng.units != "bytes" or len(rng.ranges) + rng.empty != 1:
        return response
    span = rng.range_for_length(length)
    if span is None:
        raise RequestedRangeNotSatisfiable(length)
    start, stop = span
    body = response.response
    file = getattr(body, "file", None)
    if file is not None and hasattr(body, "limit_to"):
        body.limit_to(start, stop)
    elif response.is_sequence:
        data = b"".join(response.iter_encoded())
        response.response = [data[start:stop]]
    else:
        return response
    response.status_code = 206
    response.headers.set("Content-Length", str(stop - start))
    response.headers.set("Content-Range", f"bytes {start}-{stop - 1}/{length}")
    return response
