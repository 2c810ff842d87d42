"""Building URLs for the current request or app: the adapter behind ``url_for``.

Also the module Flask code knows as ``werkzeug.urls``: :func:`iri_to_uri` and
:func:`uri_to_iri` convert between Unicode URLs and their ASCII, percent-encoded form.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes, urlsplit, urlunsplit

from .ctx import _cv_app, _cv_request
from .response import redirect_response
from .routing import BuildError, Map

if TYPE_CHECKING:
    from .request import Request
    from .response import Response


class URLAdapter:
    """Builds URLs from a :class:`~stein.routing.Map` relative to one host, mount point and
    scheme (those of the current request, or of ``SERVER_NAME``)."""

    __slots__ = ("map", "host", "script_name", "url_scheme", "subdomain", "server_name")

    def __init__(self, map: Map, host: str, script_name: str, url_scheme: str,
                 subdomain: str = "", server_name: str | None = None) -> None:
        self.map = map
        self.host = host
        self.script_name = script_name.rstrip("/")
        self.url_scheme = url_scheme
        self.subdomain = subdomain
        self.server_name = server_name

    def _host_for(self, domain: str) -> str:
        if self.map.host_matching:
            return domain or self.host
        if domain:
            base = self.server_name or self.host
            return f"{domain}.{base}"
        if self.subdomain and self.server_name:
            return self.server_name
        return self.host

    def build(self, endpoint: str, values: dict[str, Any] | None = None, method: str | None = None,
              force_external: bool = False, append_unknown: bool = True,
              url_scheme: str | None = None) -> str:
        """The URL of ``endpoint``: a path, or a full URL when external or on another host."""
        _, domain, path = self.map.build(endpoint, values, method, append_unknown)
        url = self.script_name + path
        if not domain and not force_external and not self.subdomain:
            return url  # _host_for("") is self.host here: a path on this host
        host = self._host_for(domain)
        if force_external or host != self.host:
            return f"{url_scheme or self.url_scheme}://{host}{url}"
        return url


class URLBuildingMixin:
    """The app's URL building: ``url_for`` with its adapters, defaults and build-error
    handlers, and ``redirect``."""

    if TYPE_CHECKING:  # what the mixin uses of the app (Stein sets these up)
        url_map: Map
        config: Any
        response_class: type[Response]
        url_default_functions: dict[Any, list[Callable[..., Any]]]
        url_build_error_handlers: list[Callable[..., Any]]

        def _domain_for(self, request: Request) -> str: ...

    def create_url_adapter(self, request: Request | None) -> Any:
        """A :class:`~stein.urls.URLAdapter` for building URLs for ``request`` (or, without
        one, from ``SERVER_NAME``; ``None`` when that is not set)."""
        if request is not None:
            subdomain = self._domain_for(request) if self.url_map._plain is None else ""
            if subdomain == "<invalid>":
                subdomain = ""
            return URLAdapter(self.url_map, request.host, request.script_root, request.scheme,
                              subdomain, self.config["SERVER_NAME"])
        server_name = self.config["SERVER_NAME"]
        if server_name is None:
            return None
        return URLAdapter(self.url_map, server_name, self.config["APPLICATION_ROOT"],
                          self.config["PREFERRED_URL_SCHEME"], "", server_name)

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Run ``url_defaults`` functions of the app and the endpoint's blueprints."""
        if not any(self.url_default_functions.values()):
            return  # none registered anywhere (the common case): skip the name walk
        names: tuple[str | None, ...] = (None,)
        if "." in endpoint:
            parts = endpoint.split(".")[:-1]
            names = (None, *(".".join(parts[:i]) for i in range(1, len(parts) + 1)))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(self, error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        """Ask ``url_build_error_handlers`` for a URL, else re-raise the error."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv  # type: ignore[no-any-return]
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(self, endpoint: str, /, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
        """Build the URL of ``endpoint``; extra values go to the query string.

        ``'.name'`` is relative to the current blueprint. Outside a request, ``SERVER_NAME``
        must be set and the URL is external.
        """
        req_ctx = _cv_request.get(None)
        if req_ctx is not None:
            adapter = req_ctx.url_adapter
            if adapter is None:
                adapter = req_ctx.url_adapter = self.create_url_adapter(req_ctx.request)
            if endpoint[:1] == ".":
                bp = req_ctx.request.blueprint
                endpoint = f"{bp}{endpoint}" if bp is not None else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = _cv_app.get(None)
            adapter = None
            if app_ctx is not None:
                adapter = app_ctx.url_adapter
                if adapter is None:
                    adapter = app_ctx.url_adapter = self.create_url_adapter(None)
            if adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME'"
                    " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME'"
                    " as needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            rv = adapter.build(endpoint, values, method=_method, url_scheme=_scheme,
                               force_external=_external)
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            rv = f"{rv}#{quote(_anchor, safe='%!#$&()*+,/:;=?@~')}"
        return rv  # type: ignore[no-any-return]

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response to ``location`` (what :func:`stein.redirect` calls)."""
        return redirect_response(location, code, self.response_class)


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return quote(host, safe="")


def iri_to_uri(iri: str) -> str:
    """A URL with non-ASCII characters as an ASCII URI: the host IDNA-encoded, the rest
    percent-encoded as UTF-8 (existing escapes and reserved characters stay).

    >>> iri_to_uri("http://☃.net/p/ä?q=ü#ö")
    'http://xn--n3h.net/p/%C3%A4?q=%C3%BC#%C3%B6'
    """
    parts = urlsplit(iri)
    netloc = parts.netloc
    if netloc and not netloc.isascii():
        auth, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":") if not hostport.startswith("[") else (hostport, "", "")
        netloc = (quote(auth, safe="%:!$&'()*+,;=") + at if at else "") + _idna(host) + colon + port
    safe = "%!$&'()*+,/:;=@~"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=safe),
                       quote(parts.query, safe=safe + "?"), quote(parts.fragment, safe=safe + "?#")))


def uri_to_iri(uri: str) -> str:
    """The reverse of :func:`iri_to_uri`: UTF-8 escapes decoded (reserved characters and
    bytes that are not UTF-8 stay escaped), an IDNA host decoded.

    >>> uri_to_iri("http://xn--n3h.net/p/%C3%A4?q=%26")
    'http://☃.net/p/ä?q=%26'
    """
    parts = urlsplit(uri)
    netloc = parts.netloc
    if "xn--" in netloc:
        auth, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            host = host.encode("ascii").decode("idna")
        except UnicodeError:
            pass
        netloc = auth + at + host + colon + port

    def part(s: str) -> str:
        return _escapes.sub(_decode_run, s)

    return urlunsplit((parts.scheme, netloc, part(parts.path), part(parts.query),
                       part(parts.fragment)))


_escapes = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_keep_escaped = frozenset("%/?#[]@!$&'()*+,;= ")


def _decode_run(m: re.Match[str]) -> str:
    # A run of escapes: UTF-8 sequences become characters; reserved characters and bytes
    # that are not UTF-8 stay escaped.
    out = []
    for ch in unquote_to_bytes(m.group(0)).decode("utf-8", "surrogateescape"):
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"%{ord(ch) - 0xDC00:02X}")
        elif ch in _keep_escaped or not ch.isprintable():
            out.append(quote(ch, safe=""))
        else:
            out.append(ch)
    return "".join(out)
