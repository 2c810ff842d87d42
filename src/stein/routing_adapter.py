"""A URL map bound to one server: match a path there, build URLs for it.

``Map.bind("example.com")`` or ``Map.bind_to_environ(environ)`` gives a
:class:`MapAdapter`, the object Werkzeug's users and Flask extensions drive by hand (a CLI
that asks which endpoint a path reaches, a test that builds URLs outside a request). The
app's own request path does not use it: it calls ``Map.match`` directly, with no adapter
to allocate per request.

>>> from stein.routing import Map, Rule
>>> adapter = Map([Rule("/users/<int:id>", endpoint="user")]).bind("example.com")
>>> adapter.match("/users/7")
('user', {'id': 7})
>>> adapter.build("user", {"id": 7}, force_external=True)
'http://example.com/users/7'

The map is only driven through its methods (``match``, ``build``, ``allowed_methods``),
so this module needs nothing from :mod:`stein.routing` at import time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .exceptions import BadRequest, HTTPException, RequestRedirect

if TYPE_CHECKING:
    from .routing import Map

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


class WebsocketMismatch(BadRequest):
    """The path matched a WebSocket rule over plain HTTP, or an HTTP rule over WebSocket."""


def _strip_default_port(host: str, scheme: str) -> str:
    name, sep, port = host.rpartition(":")
    if sep and "]" not in port and port == _DEFAULT_PORTS.get(scheme):
        return name
    return host


def _wsgi_text(environ: Mapping[str, Any], key: str) -> str:
    # WSGI hands text over as latin-1 code points of the raw bytes; the URL is UTF-8.
    return str(environ.get(key, "")).encode("latin-1", "replace").decode("utf-8", "replace")


def host_from_environ(environ: Mapping[str, Any]) -> str:
    """The request's host (``Host`` header, else ``SERVER_NAME:SERVER_PORT``), lower-cased,
    without the scheme's default port."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "")
        port = str(environ.get("SERVER_PORT", ""))
        if port:
            host = f"{host}:{port}"
    return _strip_default_port(str(host).lower(), scheme)


class MapAdapter:
    """A :class:`~stein.routing.Map` bound to a server name, mount point and scheme.

    ``match(path)`` finds the endpoint and values of a path (raising :class:`NotFound`,
    :class:`MethodNotAllowed` or :class:`RequestRedirect` with an absolute URL), and
    ``build(endpoint, values)`` makes a URL, relative when it stays on this host.
    """

    def __init__(self, map: Map, server_name: str, script_name: str = "/",
                 subdomain: str | None = None, url_scheme: str = "http",
                 path_info: str = "/", default_method: str = "GET",
                 query_args: Mapping[str, Any] | str | None = None) -> None:
        self.map = map
        self.server_name = server_name
        # Kept with a trailing slash: URLs are the mount point plus the path's tail.
        self.script_name = script_name if script_name.endswith("/") else script_name + "/"
        self.subdomain = subdomain if subdomain is not None else map.default_subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        self.websocket = url_scheme in ("ws", "wss")

    def _domain(self) -> str:
        return self.server_name if self.map.host_matching else self.subdomain

    def match(self, path_info: str | None = None, method: str | None = None,
              return_rule: bool = False, query_args: Mapping[str, Any] | str | None = None,
              websocket: bool | None = None) -> tuple[Any, dict[str, Any]]:
        """``(endpoint, values)`` for the path, or ``(rule, values)`` with ``return_rule``.

        >>> from stein.routing import Map, Rule
        >>> Map([Rule("/a/", endpoint="a")]).bind("x.org").match("/a")
        Traceback (most recent call last):
          ...
        stein.exceptions.RequestRedirect: 308 Permanent Redirect: http://x.org/a/
        """
        path = self.path_info if path_info is None else path_info
        path = "/" + path.lstrip("/")
        method = (method or self.default_method).upper()
        if query_args is None:
            query_args = self.query_args
        try:
            rule, values = self.map.match(path, method, self._domain())
        except RequestRedirect as e:
            raise RequestRedirect(self._absolute(e.new_url, query_args)) from None
        ws = self.websocket if websocket is None else websocket
        if bool(rule.websocket) != ws:
            raise WebsocketMismatch()
        return (rule if return_rule else rule.endpoint), values

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Whether the path matches a rule (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            pass
        except HTTPException:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """The methods some rule answers for the path (empty when none matches it)."""
        path = "/" + (self.path_info if path_info is None else path_info).lstrip("/")
        return self.map.allowed_methods(path, self._domain())

    def dispatch(self, view_func: Callable[[str, dict[str, Any]], Any],
                 path_info: str | None = None, method: str | None = None,
                 catch_http_exceptions: bool = False) -> Any:
        """Match, then call ``view_func(endpoint, values)``; a redirect is returned as the
        exception (a WSGI app), and other HTTP errors too with ``catch_http_exceptions``."""
        try:
            try:
                endpoint, values = self.match(path_info, method)
            except RequestRedirect as e:
                return e
            return view_func(endpoint, values)
        except HTTPException as e:
            if catch_http_exceptions:
                return e
            raise

    def get_host(self, domain_part: str | None) -> str:
        """The host for a built URL whose rule has ``domain_part``."""
        if self.map.host_matching:
            return domain_part or self.server_name
        subdomain = self.subdomain if domain_part is None else domain_part
        return f"{subdomain}.{self.server_name}" if subdomain else self.server_name

    def encode_query_args(self, query_args: Mapping[str, Any] | str) -> str:
        if isinstance(query_args, str):
            return query_args
        return urlencode(list(_query_pairs(query_args)))

    def _absolute(self, target: str, query_args: Mapping[str, Any] | str | None) -> str:
        if "://" in target:
            return target
        query = self.encode_query_args(query_args) if query_args else ""
        url = (f"{self.url_scheme}://{self.get_host(None)}{self.script_name.rstrip('/')}"
               f"{quote(target, safe='/:@!$&()*+,;=~%')}")
        return f"{url}?{query}" if query and "?" not in target else url

    def build(self, endpoint: str, values: Mapping[str, Any] | None = None,
              method: str | None = None, force_external: bool = False,
              append_unknown: bool = True, url_scheme: str | None = None) -> str:
        """A URL for ``endpoint``: a path on this host, or ``scheme://host/path`` when
        ``force_external`` or the rule lives on another (sub)domain. A ``None`` value is
        left out, a MultiDict gives each of its lists (``?tag=a&tag=b``)."""
        given: dict[str, Any] = {}
        if values:
            lists = getattr(values, "lists", None)
            items = lists() if callable(lists) else values.items()
            for key, value in items:
                if isinstance(value, list) and callable(lists):
                    if value:
                        given[key] = value[0] if len(value) == 1 else value
                elif value is not None:
                    given[key] = value
        rule, domain_part, path = self.map.build(endpoint, given, method, append_unknown)
        host = self.get_host(domain_part)
        scheme = url_scheme or self.url_scheme
        secure = scheme in ("https", "wss")
        if getattr(rule, "websocket", False):
            scheme = "wss" if secure else "ws"
        elif scheme:
            scheme = "https" if secure else "http"
        same_host = (host == self.server_name) if self.map.host_matching \
            else (domain_part or "") == (self.subdomain or "")
        tail = f"{self.script_name.rstrip('/')}/{path.lstrip('/')}"
        if not force_external and same_host:
            return tail
        return f"{scheme}://{host}{tail}" if scheme else f"//{host}{tail}"

    def __repr__(self) -> str:
        return f"<MapAdapter {self.server_name!r}{self.script_name!r} on {self.map!r}>"


def _query_pairs(args: Mapping[str, Any]) -> Any:
    lists = getattr(args, "lists", None)
    items = lists() if callable(lists) else args.items()
    for key, value in items:
        if isinstance(value, (list, tuple)):
            for v in value:
                yield key, v
        elif value is not None:
            yield key, value


def bind_to_environ(map: Map, environ: Mapping[str, Any], server_name: str | None = None,
                    subdomain: str | None = None) -> MapAdapter:
    """What :meth:`Map.bind_to_environ` does: server name, subdomain, mount point, path
    and query of a WSGI environ."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = host_from_environ(environ)
    if server_name is None:
        server_name = host
    else:
        server_name = _strip_default_port(server_name.lower(), scheme)
    if subdomain is None and not map.host_matching:
        here, known = host.split("."), server_name.split(".")
        if here[-len(known):] != known:
            # A host outside SERVER_NAME: no rule with a subdomain can match it. Said
            # aloud, as Werkzeug does: it is most often a misconfigured SERVER_NAME.
            warnings.warn(f"The request's host {host!r} is not under the server name "
                          f"{server_name!r}: no subdomain rule will match it.", stacklevel=3)
            subdomain = "<invalid>"
        else:
            subdomain = ".".join(p for p in here[:-len(known)] if p)
    ws = environ.get("HTTP_UPGRADE", "").lower() == "websocket" and \
        "upgrade" in environ.get("HTTP_CONNECTION", "").lower()
    if ws:
        scheme = "wss" if scheme == "https" else "ws"
    return MapAdapter(map, server_name, _wsgi_text(environ, "SCRIPT_NAME") or "/", subdomain,
                      scheme, _wsgi_text(environ, "PATH_INFO") or "/",
                      str(environ.get("REQUEST_METHOD", "GET")),
                      str(environ.get("QUERY_STRING", "")))

