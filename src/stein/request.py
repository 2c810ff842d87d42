"""The request: a WSGI environ, parsed on first access.

Nothing is parsed up front: every attribute is computed on first access and then cached
on the instance (a hello-world request touches none of them).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from . import forms as _forms
from ._accel import speedups
from .ctxvars import _cv_app
from .datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    ImmutableMultiDict,
    MultiDict,
)
from .exceptions import (
    BadHost,
    BadRequest,
    ClientDisconnected,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from .http import (
    Accept,
    Authorization,
    CharsetAccept,
    ETags,
    HeaderSet,
    IfRange,
    LanguageAccept,
    MIMEAccept,
    Range,
    RequestCacheControl,
    host_is_trusted,
    is_valid_host,
    parse_accept_header,
    parse_cache_control_header,
    parse_cookie,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_options_header,
    parse_qs_multidict,
    parse_range_header,
    parse_set_header,
)


class cached_property:
    """Compute once per instance, then live in the instance ``__dict__``.

    A non-data descriptor: after the first access the instance attribute shadows it, so
    later reads cost a plain attribute lookup.
    """

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


_PyCachedProperty = cached_property
if speedups is not None:
    # The same descriptor in C: the first read of request.args, .form, .headers... skips
    # a Python-level __get__ call.
    cached_property = speedups.cached_property  # type: ignore[misc]


def _wsgi_decode(s: str) -> str:
    """PEP 3333 strings carry bytes as latin-1; re-decode them as UTF-8 (bad bytes -> 400)."""
    if s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadRequest("The URL is not valid UTF-8.") from None


def _is_json_mimetype(mt: str) -> bool:
    return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))


class UserAgent(str):
    """The ``User-Agent`` header as a string, with ``.string`` for Werkzeug parity."""

    @property
    def string(self) -> str:
        return str(self)


class Request:
    """The incoming request, built from a WSGI environ.

    Everything is parsed on first access and cached. Routing sets ``url_rule`` and
    ``view_args``; a failure to route sets ``routing_exception``.
    """

    url_rule: Any = None
    view_args: dict[str, Any] | None = None
    routing_exception: Exception | None = None
    # Bound on how many key=value pairs a query string or urlencoded body may hold.
    max_form_fields: int = 10000
    parameter_storage_class = ImmutableMultiDict
    # How the query string and a urlencoded form decode bad input: "replace" (as Werkzeug:
    # invalid %-escapes stay literal, non-UTF-8 bytes become U+FFFD) or "strict" (400).
    encoding_errors: str = "replace"
    json_module: Any = None
    # Host names ``host`` accepts (see ``TRUSTED_HOSTS``); ``None`` accepts any.
    trusted_hosts: Any = None

    def __init__(self, environ: dict[str, Any], populate_request: bool = True,
                 shallow: bool = False) -> None:
        self.environ = environ
        self.shallow = shallow
        # Routing reads path and method at once: fill the common (ASCII) case now, with the
        # values the lazy properties below would compute, saving two descriptor calls.
        # (Plain attribute sets: touching __dict__ would cost an allocation.)
        if self._eager_route_attrs:
            self.method = environ.get("REQUEST_METHOD", "GET").upper()
            p = environ.get("PATH_INFO")
            if p and p[0] == "/" and p.isascii():
                self.path = p

    # Set when the body was parsed into form/files (the request must then close its files);
    # reading it does not force the instance __dict__ into existence as a lookup there would.
    _form_parsed = False

    # False when a subclass redefines path or method (then they stay as it wrote them).
    _eager_route_attrs = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._eager_route_attrs = cls.path is Request.path and cls.method is Request.method  # type: ignore[comparison-overlap]

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception:
            url = "(invalid URL)"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    # -- where the request points ------------------------------------------------------

    @cached_property
    def method(self) -> str:
        """The HTTP method, uppercase."""
        return self.environ.get("REQUEST_METHOD", "GET").upper()

    @cached_property
    def path(self) -> str:
        """The path below the app's root, decoded (always starts with ``/``)."""
        p = self.environ.get("PATH_INFO") or "/"
        if p[0] != "/":
            p = "/" + p
        return _wsgi_decode(p)

    @cached_property
    def script_root(self) -> str:
        """Where the app is mounted (``SCRIPT_NAME``), without a trailing slash."""
        return _wsgi_decode(self.environ.get("SCRIPT_NAME", "")).rstrip("/")

    root_path = script_root

    @cached_property
    def query_string(self) -> bytes:
        return self.environ.get("QUERY_STRING", "").encode("latin-1", "replace")

    @cached_property
    def full_path(self) -> str:
        """Path and query string: ``/search?q=x`` (``?`` kept even when the query is empty)."""
        return f"{quote(self.path)}?{self.environ.get('QUERY_STRING', '')}"

    @cached_property
    def scheme(self) -> str:
        """``http`` or ``https`` (from ``wsgi.url_scheme``)."""
        return self.environ.get("wsgi.url_scheme", "http")

    @property
    def is_secure(self) -> bool:
        """``True`` for HTTPS (or WSS) requests."""
        return self.scheme in ("https", "wss")

    @cached_property
    def host(self) -> str:
        """``Host`` header (or server name and port), with the port only when not default."""
        env = self.environ
        host = env.get("HTTP_HOST")
        if not host:
            host = env.get("SERVER_NAME", "localhost")
            port = env.get("SERVER_PORT")
            if port and port not in ("80", "443"):
                host = f"{host}:{port}"
        elif not is_valid_host(host):
            # Not host[:port] (RFC 3986): it would make external URLs point elsewhere.
            shown = host if len(host) <= 100 else host[:100] + "..."
            raise BadHost(f"The Host header {shown!r} is not a valid host[:port].")
        scheme = self.scheme
        if (scheme in ("http", "ws") and host.endswith(":80")) or (
            scheme in ("https", "wss") and host.endswith(":443")
        ):
            host = host.rsplit(":", 1)[0]
        if self.trusted_hosts is not None:
            if not host_is_trusted(host, self.trusted_hosts):
                shown = host if len(host) <= 100 else host[:100] + "..."
                raise BadHost(f"Host {shown!r} is not in TRUSTED_HOSTS.")
        return host

    @cached_property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @cached_property
    def root_url(self) -> str:
        return f"{self.scheme}://{self.host}{self._quoted_root}/"

    url_root = root_url

    @property
    def _quoted_root(self) -> str:
        return quote(self.script_root)

    @cached_property
    def base_url(self) -> str:
        """The URL without the query string."""
        return f"{self.scheme}://{self.host}{self._quoted_root}{quote(self.path)}"

    @cached_property
    def url(self) -> str:
        """The full URL as the client asked for it."""
        qs = self.environ.get("QUERY_STRING")
        return f"{self.base_url}?{qs}" if qs else self.base_url

    @cached_property
    def remote_addr(self) -> str | None:
        return self.environ.get("REMOTE_ADDR")

    @property
    def remote_user(self) -> str | None:
        """The user a front server authenticated (``REMOTE_USER``), if any."""
        return self.environ.get("REMOTE_USER")

    @cached_property
    def access_route(self) -> list[str]:
        """The ``X-Forwarded-For`` chain, client first, or just ``remote_addr``."""
        fwd = self.environ.get("HTTP_X_FORWARDED_FOR")
        if fwd:
            return [x.strip() for x in fwd.split(",") if x.strip()]
        return [self.remote_addr] if self.remote_addr else []

    # -- routing results -----------------------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        """Endpoint of the matched rule, or ``None``."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """Name of the blueprint that owns the endpoint (dotted for nested ones), or ``None``."""
        ep = self.endpoint
        if ep is not None and "." in ep:
            return ep.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> tuple[str, ...]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return ()
        parts = name.split(".")
        return tuple(".".join(parts[:i]) for i in range(len(parts), 0, -1))

    # -- headers ---------------------------------------------------------------------

    @cached_property
    def headers(self) -> EnvironHeaders:
        """Case-insensitive, read-only request headers."""
        h = _new_headers(EnvironHeaders)  # (its __init__ only stores the environ)
        h.environ = self.environ
        return h

    @cached_property
    def cookies(self) -> ImmutableMultiDict:
        """Cookies sent by the client (first value of each name)."""
        return ImmutableMultiDict(parse_cookie(_wsgi_decode_lax(self.environ.get("HTTP_COOKIE"))))

    @cached_property
    def content_type(self) -> str | None:
        return self.environ.get("CONTENT_TYPE") or None

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.environ.get("CONTENT_TYPE", ""))

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lowercased (``""`` when absent)."""
        # What parse_options_header gives as its first value, without parsing the
        # parameters (a charset costs a regex pass): the part before ";", stripped.
        return self.environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()  # type: ignore[no-any-return]

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The parameters of ``Content-Type``, e.g. ``{"charset": "utf-8"}``."""
        return self._parsed_content_type[1]

    @cached_property
    def content_length(self) -> int | None:
        """``Content-Length`` as an int; a malformed value -> 400."""
        v = self.environ.get("CONTENT_LENGTH")
        if v in (None, ""):
            return None
        v = v.strip()
        if not (v.isdigit() and v.isascii()):  # ("\xb2" is a digit to isdigit, not to int)
            raise BadRequest("The Content-Length header is not a valid number.")
        return int(v)

    @property
    def content_encoding(self) -> str | None:
        """The ``Content-Encoding`` header of the body, if any."""
        return self.environ.get("HTTP_CONTENT_ENCODING")

    @property
    def user_agent(self) -> UserAgent:
        """The ``User-Agent`` header (a string, also with a ``.string`` attribute)."""
        return UserAgent(self.environ.get("HTTP_USER_AGENT", ""))

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header, if sent."""
        return self.environ.get("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header, if sent (CORS and CSRF checks use it)."""
        return self.environ.get("HTTP_ORIGIN")

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        """The ``Accept`` header: ``best_match([...])``, ``quality(x)``, ``x in ...``."""
        return parse_accept_header(self.environ.get("HTTP_ACCEPT"), MIMEAccept)  # type: ignore[no-any-return]

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        """The ``Accept-Language`` header: ``best_match(["en", "fr"])`` (``en-GB`` accepts ``en``)."""
        return parse_accept_header(self.environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        """The ``Accept-Charset`` header."""
        return parse_accept_header(self.environ.get("HTTP_ACCEPT_CHARSET"), CharsetAccept)

    @cached_property
    def accept_encodings(self) -> Accept:
        return parse_accept_header(self.environ.get("HTTP_ACCEPT_ENCODING"), Accept)  # type: ignore[no-any-return]

    @cached_property
    def if_none_match(self) -> ETags:
        return parse_etags(self.environ.get("HTTP_IF_NONE_MATCH"))

    @cached_property
    def if_match(self) -> ETags:
        return parse_etags(self.environ.get("HTTP_IF_MATCH"))

    @cached_property
    def if_modified_since(self) -> datetime | None:
        return parse_date(self.environ.get("HTTP_IF_MODIFIED_SINCE"))

    @cached_property
    def if_unmodified_since(self) -> datetime | None:
        return parse_date(self.environ.get("HTTP_IF_UNMODIFIED_SINCE"))

    @cached_property
    def if_range(self) -> IfRange:
        """The ``If-Range`` header: ``.etag`` or ``.date`` (both ``None`` when absent)."""
        return parse_if_range_header(self.environ.get("HTTP_IF_RANGE"))

    @cached_property
    def range(self) -> Range | None:
        """The parsed ``Range`` header or ``None``."""
        return parse_range_header(self.environ.get("HTTP_RANGE"))

    @cached_property
    def cache_control(self) -> RequestCacheControl:
        """The ``Cache-Control`` header (read-only): ``.no_cache``, ``.max_age``..."""
        return parse_cache_control_header(self.environ.get("HTTP_CACHE_CONTROL"),
                                          cls=RequestCacheControl)

    @cached_property
    def access_control_request_headers(self) -> HeaderSet:
        """CORS preflight: the headers the real request will send."""
        return parse_set_header(self.environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"))

    @property
    def access_control_request_method(self) -> str | None:
        """CORS preflight: the method the real request will use."""
        return self.environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")

    @property
    def max_forwards(self) -> int | None:
        """The ``Max-Forwards`` header as an int (``None`` when absent or invalid)."""
        v = self.environ.get("HTTP_MAX_FORWARDS")
        return int(v) if v and v.isascii() and v.isdigit() else None

    @property
    def content_md5(self) -> str | None:
        """The ``Content-MD5`` header, if sent."""
        return self.environ.get("HTTP_CONTENT_MD5")

    @property
    def is_multithread(self) -> bool:
        """``wsgi.multithread``: whether the server may run requests in threads."""
        return bool(self.environ.get("wsgi.multithread"))

    @property
    def is_multiprocess(self) -> bool:
        """``wsgi.multiprocess``: whether the server may run several processes."""
        return bool(self.environ.get("wsgi.multiprocess"))

    @property
    def is_run_once(self) -> bool:
        """``wsgi.run_once``: whether the process serves one request only (CGI)."""
        return bool(self.environ.get("wsgi.run_once"))

    @cached_property
    def pragma(self) -> HeaderSet:
        """The ``Pragma`` header's tokens (``"no-cache" in request.pragma``)."""
        return parse_set_header(self.environ.get("HTTP_PRAGMA"))

    @property
    def date(self) -> datetime | None:
        """The ``Date`` header parsed to an aware :class:`~datetime.datetime`, or ``None``."""
        return parse_date(self.environ.get("HTTP_DATE"))

    @cached_property
    def authorization(self) -> Authorization | None:
        """The ``Authorization`` header: ``.type``, ``.username``/``.password`` for Basic,
        ``.token`` for Bearer and the like, parameters as ``auth["realm"]``; ``None`` when
        absent or malformed."""
        return Authorization.from_header(self.environ.get("HTTP_AUTHORIZATION"))

    # -- query and body ----------------------------------------------------------------

    @cached_property
    def args(self) -> ImmutableMultiDict:
        """The query string as a MultiDict; a missing key raises a 400 ``KeyError``."""
        qs = self.environ.get("QUERY_STRING")
        if not qs:
            return parse_qs_multidict("", self.parameter_storage_class)
        cls = self.__class__
        actx = _cv_app.get(None)
        if actx is None or (cls is not Request and _overrides_limits(cls)):
            limit = self._form_limit("MAX_FORM_PARTS")
        else:  # _form_limit inlined: one config read per query string
            limit = actx.app.config.get("MAX_FORM_PARTS", self.max_form_fields)
            limit = self.max_form_fields if limit is None else int(limit)
        return parse_qs_multidict(qs, self.parameter_storage_class, "query string", limit,
                                  self.encoding_errors)

    def _app_config(self, key: str, default: Any = None) -> Any:
        actx = _cv_app.get(None)
        if actx is None:
            return default
        return actx.app.config.get(key, default)

    def _form_limit(self, key: str) -> int | None:
        v = self._app_config(key, self.max_form_fields)
        return self.max_form_fields if v is None else int(v)

    def _body_limits(self) -> tuple[int | None, int | None, int | None]:
        """``MAX_CONTENT_LENGTH``, ``MAX_FORM_MEMORY_SIZE`` and the field bound
        (``MAX_FORM_PARTS``), read from the config in one go; a subclass that overrides
        one of the limit properties gets its own answers."""
        cls = self.__class__
        d = self.__dict__
        if "_own_limits" in d or (cls is not Request and _overrides_limits(cls)):
            parts = d["_max_form_parts"] if "_max_form_parts" in d else self._form_limit("MAX_FORM_PARTS")
            return self.max_content_length, self.max_form_memory_size, parts
        actx = _cv_app.get(None)
        if actx is None:
            return None, 500_000, self.max_form_fields
        get = actx.app.config.get
        parts = get("MAX_FORM_PARTS", self.max_form_fields)
        return (get("MAX_CONTENT_LENGTH"), get("MAX_FORM_MEMORY_SIZE"),
                self.max_form_fields if parts is None else int(parts))

    # A value assigned to one of the three limits below, on this request only (Werkzeug
    # lets code set request.max_content_length; it then wins over the app's config).
    def _limit(self, attr: str, key: str, default: int | None) -> int | None:
        d = self.__dict__
        if attr in d:
            return d[attr]  # type: ignore[no-any-return]
        return self._app_config(key, default)  # type: ignore[no-any-return]

    @property
    def max_content_length(self) -> int | None:
        """``MAX_CONTENT_LENGTH`` of the current app (``None``: no limit); assign to set it
        for this request alone."""
        return self._limit("_max_content_length", "MAX_CONTENT_LENGTH", None)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self.__dict__["_max_content_length"] = value
        self.__dict__["_own_limits"] = True  # _body_limits then reads each limit

    @property
    def max_form_memory_size(self) -> int | None:
        """The largest non-file form field accepted (``MAX_FORM_MEMORY_SIZE``; 500 000
        bytes outside an app, as Werkzeug); assign to set it for this request alone."""
        return self._limit("_max_form_memory_size", "MAX_FORM_MEMORY_SIZE", 500_000)

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self.__dict__["_max_form_memory_size"] = value
        self.__dict__["_own_limits"] = True  # _body_limits then reads each limit

    @property
    def max_form_parts(self) -> int | None:
        """The most multipart fields accepted (``MAX_FORM_PARTS``; 1000 outside an app, as
        Werkzeug); assign to set it for this request alone."""
        return self._limit("_max_form_parts", "MAX_FORM_PARTS", 1_000)

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self.__dict__["_max_form_parts"] = value
        self.__dict__["_own_limits"] = True  # _body_limits then reads each limit

    def _check_length(self) -> int | None:
        cl = self.content_length
        limit = self.max_content_length
        if limit is not None and cl is not None and cl > limit:
            raise RequestEntityTooLarge(
                f"The request body is {cl} bytes; the limit is {limit} bytes."
            )
        return cl

    @cached_property
    def stream(self) -> Any:
        """The body as a file-like object, bounded by ``Content-Length``/``MAX_CONTENT_LENGTH``."""
        cl = self._check_length()
        env = self.environ
        if "stein.asgi.receive" in env:
            # Under ASGI: a file over the pre-read body, also ``async for c in request.stream()``.
            from .asgi_body import request_body_stream  # deferred: only ASGI requests use it

            return request_body_stream(self)
        wsgi_input = env.get("wsgi.input")
        if wsgi_input is None or "_cached_data" in self.__dict__:
            # (Form parsing read the whole body straight from the input: nothing is left.)
            return io.BytesIO()
        if cl is None:
            chunked = "chunked" in env.get("HTTP_TRANSFER_ENCODING", "").lower()
            if not (chunked or env.get("wsgi.input_terminated")):
                return io.BytesIO()
            return _forms.LimitedStream(wsgi_input, None, self.max_content_length)
        return _forms.LimitedStream(wsgi_input, cl, self.max_content_length)

    @property
    def input_stream(self) -> Any:
        """The raw WSGI input, unbounded; use :attr:`stream` instead."""
        return self.environ.get("wsgi.input")

    def get_data(self, cache: bool = True, as_text: bool = False,
                 parse_form_data: bool = False) -> Any:
        """The raw body (bytes, or str with ``as_text``). Over ``MAX_CONTENT_LENGTH`` -> 413."""
        data = self.__dict__.get("_cached_data")
        if data is None:
            if parse_form_data:
                self._load_form_data()
                data = self.__dict__.get("_cached_data")
            if data is None:
                n = _forms.direct_length(self) if cache else None
                if n is not None:
                    # A declared length (the usual body): checked against MAX_CONTENT_LENGTH,
                    # then read in one call with no bounded stream object in between.
                    limit = self.max_content_length
                    if limit is not None and n > limit:
                        raise RequestEntityTooLarge(
                            f"The request body is {n} bytes; the limit is {limit} bytes."
                        )
                    data = self.__dict__["_cached_data"] = _forms.read_exactly(
                        self.environ["wsgi.input"], n)
                    return data.decode("utf-8", "replace") if as_text else data
                fresh = "stream" not in self.__dict__
                data = self.stream.read()
                cl = self.content_length
                # (A stream read before, e.g. by get_data(cache=False), has less left: no error.)
                if fresh and cl is not None and len(data) < cl:
                    raise ClientDisconnected("The client sent less data than Content-Length announced.")
                if cache:
                    self.__dict__["_cached_data"] = data
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    @property
    def data(self) -> bytes:
        """The raw body as bytes. For a form post the body is parsed into ``form`` first
        and the bytes it was parsed from are returned (Werkzeug returns ``b""`` there); a
        multipart body gives ``b""``."""
        if self.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            self._load_form_data()
            return self.__dict__.get("_cached_data", b"")  # type: ignore[no-any-return]
        return self.get_data()  # type: ignore[no-any-return]

    def _load_form_data(self) -> None:
        d = self.__dict__
        if "form" in d:
            return
        if self.environ.get("CONTENT_TYPE") == "application/x-www-form-urlencoded":
            # The exact header browsers send: straight to its parser, no parameters to split.
            d["form"] = _forms.parse_urlencoded(self)
            d["files"] = dict.__new__(ImmutableMultiDict)  # empty, without an __init__ call
            return  # no files: nothing to close at the end of the request
        d["form"], files = _forms.parse_form_data(self)
        d["files"] = files
        if files:
            self._form_parsed = True

    # Cached after the first read (the parse fills both form and files in __dict__).
    @cached_property
    def form(self) -> ImmutableMultiDict:
        """Form fields of a urlencoded or multipart body."""
        if self.environ.get("CONTENT_TYPE") == "application/x-www-form-urlencoded":
            # _load_form_data's first case, without the call in between (measured: about
            # 0.25 µs of a 7 µs form post).
            form = _forms.parse_urlencoded(self)
            self.__dict__["files"] = dict.__new__(ImmutableMultiDict)
            return form
        self._load_form_data()
        return self.__dict__["form"]  # type: ignore[no-any-return]

    @cached_property
    def files(self) -> ImmutableMultiDict:
        """Uploaded files (``FileStorage``) of a multipart body."""
        self._load_form_data()
        return self.__dict__["files"]  # type: ignore[no-any-return]

    @property
    def want_form_data_parsed(self) -> bool:
        """``True`` when the request has a body that form parsing should read."""
        return bool(self.environ.get("CONTENT_TYPE"))

    @cached_property
    def values(self) -> CombinedMultiDict:
        """``args`` and ``form`` together (only ``args`` for GET)."""
        sources: list[MultiDict] = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(sources)

    @property
    def is_json(self) -> bool:
        """Whether the body is declared as JSON (``application/json`` or ``+json``)."""
        return _is_json_mimetype(self.mimetype)

    @property
    def json(self) -> Any:
        """The parsed JSON body (see :meth:`get_json`)."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON.

        Not declared as JSON -> 415 (``None`` with ``silent``); malformed -> 400 (``None``
        with ``silent``). ``force`` ignores the content type.
        """
        d = self.__dict__
        key = "_json_silent" if silent else "_json"
        if cache and key in d:
            return d[key]
        if not (force or self.is_json):
            if silent:
                return None
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was not "
                "'application/json'."
            )
        data = self.get_data(cache=cache)
        try:
            actx = _cv_app.get(None)
            if actx is not None:
                rv = actx.app.json.loads(data)
            else:
                rv = json.loads(data)
        except (ValueError, RecursionError) as e:
            if silent:
                rv = None
            else:
                if isinstance(e, RecursionError):
                    # "[[[[..." nests past the interpreter's stack: malformed input, not a 500.
                    e = ValueError("The JSON document is nested too deeply.")
                rv = self.on_json_loading_failed(e)
        if cache:
            d[key] = rv
            if rv is not None:
                d["_json_silent"] = rv
        return rv

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Called on malformed JSON; raises a 400 naming the error."""
        raise BadRequest(f"Failed to decode JSON object: {e}")

    def close(self) -> None:
        """Close uploaded files' temporary storage."""
        files = self.__dict__.get("files")
        if files:
            for values in files.listvalues():  # every file, not only the first per name
                for f in values:
                    f.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @classmethod
    def from_values(cls, *args: Any, **kwargs: Any) -> Request:
        """A request built like the test client builds one (see ``stein.testing``)."""
        from . import environ  # deferred: environ loads mimetypes and tempfile

        if environ.default_request_class is None:
            environ.default_request_class = Request
        return cls(environ.EnvironBuilder(*args, **kwargs).get_environ())


_limit_overrides: dict[type, bool] = {}
_new_headers = object.__new__


def _overrides_limits(cls: type) -> bool:
    """Whether a Request subclass redefines a body limit (remembered per class)."""
    rv = _limit_overrides.get(cls)
    if rv is None:
        rv = _limit_overrides[cls] = any(
            getattr(cls, name) is not getattr(Request, name)
            for name in ("max_content_length", "max_form_memory_size", "_form_limit", "_app_config")
        )
    return rv


def _wsgi_decode_lax(s: str | None) -> str | None:
    if s is None or s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return s
