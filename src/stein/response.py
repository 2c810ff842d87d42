"""The response: body, status and headers, and a WSGI application of its own.

The headers are kept as the very list handed to ``start_response``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from . import exceptions as _exceptions
from .ctxvars import _cv_app
from .datastructures import (
    Headers,
)
from .http import (
    STATUS_LINES,
    ContentRange,
    ContentSecurityPolicy,
    HeaderSet,
    ResponseCacheControl,
    WWWAuthenticate,
    dump_cookie,
    dump_header,
    http_date,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_date,
    parse_options_header,
    parse_set_header,
    quote_etag,
    unquote_etag,
)
from .loops import run_coroutine
from .request import _is_json_mimetype

_TEXT_PREFIXES = ("text/",)
# What a status line may not hold: controls other than HTAB, and anything not Latin-1.
_STATUS_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]").search
_UTF8_TYPES = frozenset(("application/xml", "application/javascript", "application/ecmascript",
                         "application/xhtml+xml"))


def _content_type_for(mimetype: str) -> str:
    ct = _content_types.get(mimetype)
    if ct is None:
        ct = f"{mimetype}; charset=utf-8" if (
            mimetype.startswith(_TEXT_PREFIXES) or mimetype in _UTF8_TYPES) else mimetype
        if len(_content_types) < 256:  # bounded: mimetypes can come from user input
            _content_types[mimetype] = ct
    return ct


_content_types: dict[str, str] = {}


class _MaxCookieSize:
    """``Response.max_cookie_size``: the size over which ``set_cookie`` warns that browsers
    may drop a cookie. On an instance it is the active app's ``MAX_COOKIE_SIZE`` (else
    4093 bytes; ``0`` turns the check off) unless the instance was given its own value;
    on the class it is the 4093 default. A subclass may replace it with a plain number.

    >>> Response().max_cookie_size
    4093
    """

    default = 4093

    def __get__(self, obj: Any, owner: Any = None) -> int:
        if obj is None:
            return self.default
        v = obj._own_max_cookie_size
        if v is not None:
            return v  # type: ignore[no-any-return]
        actx = _cv_app.get(None)
        if actx is not None:
            return actx.app.config.get("MAX_COOKIE_SIZE", self.default)  # type: ignore[no-any-return]
        return self.default

    def __set__(self, obj: Any, value: int) -> None:
        obj._own_max_cookie_size = value


class Response:
    """An HTTP response: body, status and headers, and a WSGI application of its own.

    ``response`` may be ``str``, ``bytes`` or an iterable of either (streamed).
    """

    default_status = 200
    default_mimetype: str | None = "text/html"
    charset = "utf-8"
    automatically_set_content_length = True
    direct_passthrough = False
    # Headers that a streamed response must not get computed for it.
    _on_close: list[Callable[[], Any]] | None = None
    # A status line with a custom reason phrase; None means the standard one for the code.
    # (A plain attribute, not a __dict__ entry: touching __dict__ costs an allocation.)
    _status: str | None = None

    def __init__(
        self,
        response: Any = None,
        status: int | str | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        cls = response.__class__
        if (cls is str or cls is bytes) and headers is None and content_type is None and \
                status is None and self._plain_set_data and self.automatically_set_content_length:
            # The common case (a view's str, a JSON body) in a straight line: the same
            # headers, in the same order, as the general path below.
            value = response.encode(self.charset) if cls is str else response
            if mimetype is None:
                mimetype = self.default_mimetype
            h = Headers.__new__(Headers)
            if mimetype is None:
                h._list = [("Content-Length", str(len(value)))]
            else:
                h._list = [("Content-Type", _content_types.get(mimetype) or _content_type_for(mimetype)),
                           ("Content-Length", str(len(value)))]
            self.headers = h
            self._status_code = self.default_status
            self.response: Any = [value]
            if direct_passthrough:
                self.direct_passthrough = True
            return
        if headers is None:
            h = Headers.__new__(Headers)
            h._list = []
            fresh = True
        elif isinstance(headers, Headers):
            h = headers
            fresh = False
        else:
            h = Headers(headers)
            fresh = False
        self.headers = h
        if content_type is None:
            if mimetype is None and (fresh or "content-type" not in h):
                mimetype = self.default_mimetype
            if mimetype is not None:
                h._list.append(("Content-Type", _content_types.get(mimetype) or
                                _content_type_for(mimetype)))
        else:
            h.set("Content-Type", content_type)
        if status is None:
            self._status_code = self.default_status
        elif isinstance(status, int):
            self._status_code = status
        else:
            self.status = status
        if direct_passthrough:
            self.direct_passthrough = True
        if response is None:
            self.response = []
            if self.automatically_set_content_length:
                h._list.append(("Content-Length", "0"))
        elif fresh and (response.__class__ is str or response.__class__ is bytes) and \
                self._plain_set_data and self.automatically_set_content_length:
            # What set_data does, minus its search for a Content-Length that a fresh
            # header list cannot hold yet (the hello-world and JSON paths).
            value = response.encode(self.charset) if response.__class__ is str else response
            self.response = [value]
            h._list.append(("Content-Length", str(len(value))))
        elif isinstance(response, (str, bytes, bytearray)):
            self.set_data(response)
        else:
            self.response = response

    # True unless a subclass overrides set_data (then __init__ must call it).
    _plain_set_data = True

    # True unless a subclass overrides status or get_app_iter (then __call__ uses them).
    _plain_wsgi = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_set_data = cls.set_data is Response.set_data
        cls._plain_wsgi = cls.get_app_iter is Response.get_app_iter and \
            cls.status is Response.status

    def __repr__(self) -> str:
        body = f"{len(self.get_data())} bytes" if self.is_sequence else "streamed"
        return f"<{type(self).__name__} {body} [{self.status}]>"

    # -- status ------------------------------------------------------------------------

    @property
    def status_code(self) -> int:
        """The status as an int."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status_code = int(code)
        self._status = None

    @property
    def status(self) -> str:
        """The status line, e.g. ``"200 OK"``."""
        s = self._status
        if s is not None:
            return s  # type: ignore[no-any-return]
        code = self._status_code
        try:
            return STATUS_LINES[code]
        except KeyError:
            return f"{code} UNKNOWN"

    @status.setter
    def status(self, value: str | int) -> None:
        if isinstance(value, int):
            self.status_code = value
            return
        value = value.strip()
        if not value:
            raise ValueError("Empty status argument")
        if _STATUS_BAD(value) is not None:
            # The status line goes to the wire as it is: a CR or LF here would let the value
            # add header lines of its own (response splitting), as in a header value.
            raise ValueError(f"Invalid status {value[:60]!r}: control characters (CR, LF, NUL"
                             f" ...) and characters outside Latin-1 cannot be sent.")
        code_s, _, reason = value.partition(" ")
        # ASCII digits only: int() would also take "٢٠٠" or "2_00".
        if not (code_s.isdigit() and code_s.isascii()):
            self._status_code = 0
            self._status = f"0 {value}"
            return
        self._status_code = int(code_s)
        if reason:
            self._status = value
        else:
            self._status = None

    # -- body --------------------------------------------------------------------------

    def set_data(self, value: str | bytes | bytearray) -> None:
        """Replace the body; sets ``Content-Length``."""
        if isinstance(value, str):
            value = value.encode(self.charset)
        else:
            value = bytes(value)
        self.response = [value]
        if self.automatically_set_content_length:
            lst = self.headers._list
            for i, (k, _) in enumerate(lst):
                if k.lower() == "content-length":
                    lst[i] = (k, str(len(value)))
                    break
            else:
                lst.append(("Content-Length", str(len(value))))

    def get_data(self, as_text: bool = False) -> Any:
        """The whole body (a streamed body is read and kept)."""
        self._ensure_sequence()
        rv = b"".join(self.iter_encoded())
        return rv.decode(self.charset) if as_text else rv

    data = property(get_data, set_data, doc="The body as bytes.")

    @property
    def text(self) -> str:
        """The body decoded as text."""
        return self.get_data(as_text=True)  # type: ignore[no-any-return]

    @property
    def is_sequence(self) -> bool:
        """``True`` when the body is a list of bytes in memory (not a stream)."""
        return isinstance(self.response, (list, tuple))

    @property
    def is_streamed(self) -> bool:
        """True for a body of unknown length (an iterator)."""
        try:
            len(self.response)
        except (TypeError, AttributeError):
            return True
        return False

    def _ensure_sequence(self) -> None:
        if not self.is_sequence:
            self.make_sequence()

    def make_sequence(self) -> None:
        """Read a streamed body into memory."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def iter_encoded(self) -> Iterator[bytes]:
        """The body as bytes chunks."""
        body = self.response
        if hasattr(body, "__aiter__"):
            # An async generator served over WSGI: step it on this thread's event loop.
            body = _iter_async(body, run_coroutine)
        for item in body:
            if isinstance(item, str):
                yield item.encode(self.charset)
            else:
                yield item

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``func`` when the server closes the response."""
        if self._on_close is None:
            self._on_close = []
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body iterable and run ``call_on_close`` callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for f in self._on_close or ():
            f()

    def freeze(self) -> None:
        """Buffer the body and set ``Content-Length`` (for caching the response)."""
        self.make_sequence()
        self.set_data(b"".join(self.response))

    # -- headers as attributes -------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header."""
        return self.headers.get("Content-Type")  # type: ignore[no-any-return]

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.remove("Content-Type")
        else:
            self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters."""
        ct = self.content_type
        return ct.split(";", 1)[0].strip().lower() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", _content_type_for(value))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The parameters of ``Content-Type``, e.g. ``{"charset": "utf-8"}``."""
        return parse_options_header(self.content_type or "")[1]

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int, or ``None``."""
        v = self.headers.get("Content-Length")
        return int(v) if v and v.isdigit() else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", str(value))

    def calculate_content_length(self) -> int | None:
        """The body's length when it is in memory, else ``None``."""
        if self.is_sequence:
            return sum(len(x) for x in self.iter_encoded())
        return None

    def _header_prop(name: str, doc: str = "") -> Any:  # type: ignore[misc]  # noqa: N805
        def fget(self: Response) -> Any:
            return self.headers.get(name)

        def fset(self: Response, value: Any) -> None:
            if value is None:
                self.headers.remove(name)
            else:
                self.headers.set(name, value)

        return property(fget, fset, doc=doc or f"The ``{name}`` header.")

    location = _header_prop("Location")
    content_encoding = _header_prop("Content-Encoding")
    content_location = _header_prop("Content-Location")
    content_md5 = _header_prop("Content-MD5")
    cross_origin_opener_policy = _header_prop("Cross-Origin-Opener-Policy")
    cross_origin_embedder_policy = _header_prop("Cross-Origin-Embedder-Policy")
    access_control_allow_origin = _header_prop("Access-Control-Allow-Origin")
    accept_ranges = _header_prop("Accept-Ranges")
    age = _header_prop("Age")
    del _header_prop

    def _date_prop(name: str) -> Any:  # type: ignore[misc]  # noqa: N805
        def fget(self: Response) -> datetime | None:
            return parse_date(self.headers.get(name))

        def fset(self: Response, value: Any) -> None:
            if value is None:
                self.headers.remove(name)
            else:
                self.headers.set(name, value if isinstance(value, str) else http_date(value))

        return property(fget, fset, doc=f"The ``{name}`` header as a datetime.")

    last_modified = _date_prop("Last-Modified")
    expires = _date_prop("Expires")
    date = _date_prop("Date")
    del _date_prop

    def _header_writer(self, name: str) -> Callable[[Any], None]:
        """The ``on_update`` callback of a parsed header object: writes the object back to
        header ``name`` on every change, removing the header when the object is empty."""
        def on_update(value: Any) -> None:
            if value:
                self.headers.set(name, value.to_header())
            else:
                self.headers.remove(name)

        return on_update

    def _set_prop(name: str, doc: str) -> Any:  # type: ignore[misc]  # noqa: N805
        # A token-list header as a HeaderSet that writes itself back on every change.
        def fget(self: Response) -> HeaderSet:
            return parse_set_header(self.headers.get(name), self._header_writer(name))

        def fset(self: Response, value: Any) -> None:
            if not value:
                self.headers.remove(name)
            elif isinstance(value, str):
                self.headers.set(name, value)
            else:
                self.headers.set(name, dump_header(value))

        return property(fget, fset, doc=doc)

    vary = _set_prop("Vary", "The ``Vary`` header as a :class:`~stein.datastructures.HeaderSet`"
                      " (``response.vary.add('Accept')``); assign a set or a string to replace it.")
    allow = _set_prop("Allow", "The ``Allow`` header as a HeaderSet of methods.")
    content_language = _set_prop("Content-Language", "The ``Content-Language`` header as a HeaderSet.")
    access_control_allow_headers = _set_prop(
        "Access-Control-Allow-Headers", "CORS: the request headers allowed, as a HeaderSet.")
    access_control_allow_methods = _set_prop(
        "Access-Control-Allow-Methods", "CORS: the methods allowed, as a HeaderSet.")
    access_control_expose_headers = _set_prop(
        "Access-Control-Expose-Headers", "CORS: the headers scripts may read, as a HeaderSet.")
    del _set_prop

    @property
    def access_control_allow_credentials(self) -> bool:
        """CORS: whether credentials may be sent (``Access-Control-Allow-Credentials: true``)."""
        return self.headers.get("Access-Control-Allow-Credentials") == "true"

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value:
            self.headers.set("Access-Control-Allow-Credentials", "true")
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    @property
    def access_control_max_age(self) -> int | None:
        """CORS: seconds a preflight answer may be cached."""
        return self.headers.get("Access-Control-Max-Age", type=int)  # type: ignore[no-any-return]

    @access_control_max_age.setter
    def access_control_max_age(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Access-Control-Max-Age")
        else:
            self.headers.set("Access-Control-Max-Age", str(int(value)))

    def _csp_prop(name: str) -> Any:  # type: ignore[misc]  # noqa: N805
        def fget(self: Response) -> ContentSecurityPolicy:
            return parse_csp_header(self.headers.get(name), self._header_writer(name))

        def fset(self: Response, value: Any) -> None:
            if not value:
                self.headers.remove(name)
            else:
                self.headers.set(name, value if isinstance(value, str) else value.to_header())

        return property(fget, fset, doc=f"The ``{name}`` header as a ContentSecurityPolicy"
                        " (``.default_src = \"'self'\"``); changing it rewrites the header.")

    content_security_policy = _csp_prop("Content-Security-Policy")
    content_security_policy_report_only = _csp_prop("Content-Security-Policy-Report-Only")
    del _csp_prop

    def add_vary(self, field: str) -> None:
        """Add ``field`` to ``Vary`` unless it is there."""
        current = self.headers.get("Vary")
        if not current:
            self.headers.set("Vary", field)
        elif field.lower() not in {x.strip().lower() for x in current.split(",")}:
            self.headers.set("Vary", f"{current}, {field}")

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header; changing it rewrites the header.

        >>> r = Response("x"); r.cache_control.max_age = 300; r.cache_control.public = True
        >>> r.headers["Cache-Control"]
        'max-age=300, public'
        """
        return parse_cache_control_header(self.headers.get("Cache-Control"),
                                          self._header_writer("Cache-Control"),
                                          ResponseCacheControl)

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header (``units``, ``start``, ``stop``, ``length``); changing
        it rewrites the header, assigning a string or ``None`` sets or removes it."""
        on_update = self._header_writer("Content-Range")
        rv = parse_content_range_header(self.headers.get("Content-Range"), on_update)
        return rv if rv is not None else ContentRange(None, None, None, on_update=on_update)

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if not value:
            self.headers.remove("Content-Range")
        else:
            self.headers.set("Content-Range", value if isinstance(value, str) else value.to_header())

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The first ``WWW-Authenticate`` challenge (an empty Basic one to fill in when there
        is none); changing it rewrites the header.

        >>> r = Response(status=401); r.www_authenticate.type = "basic"
        >>> r.www_authenticate.realm = "admin"; r.headers["WWW-Authenticate"]
        'Basic realm="admin"'
        """
        value = self.headers.get("WWW-Authenticate")
        rv = WWWAuthenticate.from_header(value) or WWWAuthenticate("basic")

        def on_update(wa: WWWAuthenticate) -> None:
            self.www_authenticate = wa

        rv._on_update = on_update
        return rv

    @www_authenticate.setter
    def www_authenticate(self, value: WWWAuthenticate | list[WWWAuthenticate] | None) -> None:
        self.headers.remove("WWW-Authenticate")
        if not value:
            return
        for v in (value if isinstance(value, list) else [value]):
            self.headers.add("WWW-Authenticate", v.to_header())

    @property
    def retry_after(self) -> datetime | None:
        """The ``Retry-After`` header as a datetime (seconds count from now); set a datetime,
        a number of seconds or a string."""
        value = self.headers.get("Retry-After")
        if not value:
            return None
        if value.isdigit() and value.isascii():
            return datetime.now(timezone.utc) + timedelta(seconds=int(value))
        return parse_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None:
            self.headers.remove("Retry-After")
        elif isinstance(value, datetime):
            self.headers.set("Retry-After", http_date(value))
        else:
            self.headers.set("Retry-After", str(value))

    # -- cookies -----------------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header. CR/LF in any part -> ``ValueError``."""
        header = dump_cookie(key, value, max_age, expires, path, domain, secure, httponly,
                             samesite, partitioned)
        limit = self.max_cookie_size
        if limit and len(header) > limit:
            warnings.warn(
                f"The {key!r} cookie is {len(header)} bytes, over the {limit} bytes browsers"
                " keep (MAX_COOKIE_SIZE): the cookie is too large and may be dropped.",
                stacklevel=2,
            )
        self.headers._list.append(("Set-Cookie", header))

    max_cookie_size = _MaxCookieSize()
    _own_max_cookie_size: int | None = None

    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None,
                      secure: bool = False, httponly: bool = False, samesite: str | None = None,
                      partitioned: bool = False) -> None:
        """Expire a cookie in the client."""
        self.set_cookie(key, "", max_age=0, expires=0, path=path, domain=domain, secure=secure,
                        httponly=httponly, samesite=samesite, partitioned=partitioned)

    # -- JSON ---------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """``True`` when the mimetype is JSON (``application/json`` or ``+json``)."""
        return _is_json_mimetype(self.mimetype or "")

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON (``None`` when it is not JSON and not ``force``)."""
        if not (force or self.is_json):
            return None
        try:
            return json.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        """The body parsed as JSON (see :meth:`get_json`)."""
        return self.get_json()

    # -- conditional responses ---------------------------------------------------------

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted; ``weak=True`` for a weak one)."""
        self.headers.set("ETag", quote_etag(etag, weak))

    def get_etag(self) -> tuple[str | None, bool]:
        """``(etag, is_weak)``."""
        return unquote_etag(self.headers.get("ETag"))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ETag from a hash of the body."""
        if overwrite or "etag" not in self.headers:
            self.set_etag(hashlib.sha1(self.get_data()).hexdigest(), weak)

    def make_conditional(self, request_or_environ: Any, accept_ranges: bool | str = False,
                         complete_length: int | None = None) -> Response:
        """Answer ``If-None-Match``/``If-Modified-Since`` with 304 and ``Range`` with 206/416."""
        from .conditional import make_conditional  # deferred: loads with the first use

        return make_conditional(self, request_or_environ, accept_ranges, complete_length)

    # -- WSGI --------------------------------------------------------------------------

    def get_app_iter(self, environ: dict[str, Any]) -> Iterable[bytes]:
        """The body iterable to return to the WSGI server for ``environ`` (empty for HEAD, 204, 304)."""
        code = self._status_code
        if environ.get("REQUEST_METHOD") == "HEAD" or 100 <= code < 200 or code in (204, 304):
            self.close()
            return ()
        body = self.response
        if isinstance(body, list):
            return body
        if self.direct_passthrough:
            # A file body hands its file to the server's wsgi.file_wrapper when offered.
            to_wsgi = getattr(body, "to_wsgi", None)
            return body if to_wsgi is None else to_wsgi(environ)  # type: ignore[no-any-return]
        return _ClosingIterator(self.iter_encoded(), self.close)

    def get_wsgi_headers(self, environ: dict[str, Any]) -> Headers:
        """The headers to send for ``environ``."""
        return self.headers

    def get_wsgi_response(self, environ: dict[str, Any]) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """``(app_iter, status, headers)`` for ``environ``."""
        return self.get_app_iter(environ), self.status, self.headers._list

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        code = self._status_code
        if code in (204, 304):
            self.headers._list = [
                t for t in self.headers._list
                if t[0].lower() not in ("content-length", "content-type")
            ]
        if self._plain_wsgi:
            # ``status`` and ``get_app_iter`` inlined (a subclass overriding them clears the
            # flag): the common answer, a list body to a GET, returns straight away.
            start_response(self._status or STATUS_LINES.get(code) or self.status, self.headers._list)
            body = self.response
            if body.__class__ is list and code >= 200 and code != 204 and code != 304 and \
                    not self._on_close and environ.get("REQUEST_METHOD") != "HEAD":
                return body  # type: ignore[no-any-return]
            body = self.get_app_iter(environ)
        else:
            start_response(self.status, self.headers._list)
            body = self.get_app_iter(environ)
        if self._on_close and isinstance(body, list):
            return _ClosingIterator(body, self.close)
        return body

    @classmethod
    def force_type(cls, response: Any, environ: dict[str, Any] | None = None) -> Response:
        """Make ``response`` (a Response or any WSGI app) an instance of ``cls``."""
        if isinstance(response, Response):
            if not isinstance(response, cls):
                response.__class__ = cls
            return response  # type: ignore[return-value]
        if environ is None:
            raise TypeError("cannot convert WSGI application into response objects without an environ")
        return cls.from_app(response, environ)

    @classmethod
    def from_app(cls, app: Callable[..., Any], environ: dict[str, Any], buffered: bool = False) -> Response:
        """Run a WSGI app and wrap what it returns."""
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = app(environ, start_response)
        if buffered:
            try:
                body = [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()
        rv = cls(body, captured.get("status", "200 OK"), captured.get("headers", []))
        return rv


class _AssignableHeaders:
    """``response.headers = {...}`` (or a list of pairs) stored as :class:`Headers`, as
    Werkzeug allows. Only a setter: reading ``response.headers`` stays a plain attribute
    read. Installed on :class:`Response` by :func:`allow_headers_assignment`, which
    ``stein.compat.install()`` calls; without it Stein's hot path has no descriptor.
    """

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["headers"] = value if isinstance(value, Headers) else Headers(value)


def allow_headers_assignment(on: bool = True) -> None:
    """Let ``response.headers = mapping_or_pairs`` convert the value to :class:`Headers`.

    >>> allow_headers_assignment()
    >>> r = Response("hi"); r.headers = {"X-A": "1"}; r.headers.get("x-a")
    '1'
    >>> allow_headers_assignment(False)
    """
    # setattr/delattr: ``headers`` is an instance attribute everywhere else.
    if on:
        setattr(Response, "headers", _AssignableHeaders())  # noqa: B010
    elif isinstance(Response.__dict__.get("headers"), _AssignableHeaders):
        delattr(Response, "headers")  # noqa: B043


def _iter_async(body: Any, run: Callable[[Any], Any]) -> Iterator[Any]:
    it = body.__aiter__()
    try:
        while True:
            try:
                yield run(it.__anext__())
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            run(aclose())


class _ClosingIterator:
    """A body iterable whose ``close`` also runs the response's callbacks."""

    __slots__ = ("_it", "_close", "_closed")

    def __init__(self, it: Iterable[bytes], close: Callable[[], Any]) -> None:
        self._it = iter(it)
        self._close = close
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._it)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()


def redirect_response(location: str, code: int = 302,
                      response_class: type[Response] | None = None) -> Response:
    """A redirect to ``location``: the status, a ``Location`` header and a short HTML page
    with the link (``stein.redirect`` and ``werkzeug.utils.redirect`` build on it).

    >>> redirect_response("/login").headers["Location"]
    '/login'
    """
    if response_class is None:
        response_class = Response
    if "\r" in location or "\n" in location:
        raise ValueError("Redirect locations must not contain CR or LF characters.")
    escaped = html.escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
        f'<p>You should be redirected automatically to the target URL: <a href="{escaped}">'
        f"{escaped}</a>. If not, click the link.\n"
    )
    # Non-ASCII in the Location would not survive latin-1 header encoding: quote it.
    if not location.isascii():
        location = quote(location, safe="/:?#[]@!$&'()*+,;=%~")
    rv = response_class(body, code, mimetype="text/html")
    rv.headers.set("Location", location)
    return rv


# HTTP errors (stein.exceptions, a layer down) render into this class.
_exceptions.use_responses(Response, redirect_response)
