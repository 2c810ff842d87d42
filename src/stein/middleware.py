"""WSGI middleware: trusting a known number of reverse proxies in front of the app.

Behind nginx (or a load balancer) the WSGI server sees the proxy's address and a plain
``http`` connection. The proxy passes the client's view in ``X-Forwarded-*`` headers (or the
standard ``Forwarded`` header, RFC 7239). Any client can send those headers too, so they are
only believed for as many hops as you say are yours::

    from stein.middleware import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

Each proxy appends its own value to the end of a list, so the value written by the
outermost of ``n`` trusted proxies is the ``n``-th from the right; values further left were
sent by the client and are ignored. A header with fewer values than trusted hops is ignored
entirely (something is misconfigured, and the client's word is not taken for it).
Values that are not well-formed (an address that is not an IP, a scheme other than
http/https/ws/wss, a host with characters a host cannot have, a prefix that is not a path
starting with exactly one ``/``) are ignored too.

**Under ASGI** the request never passes through ``app.wsgi_app``; wrap ``app.asgi_app``
instead (or both, when one app is served both ways). The same object rewrites the ASGI
scope (``client``, ``scheme``, the ``host`` header, ``server``, ``root_path``)::

    app.asgi_app = ProxyFix(app.asgi_app, x_for=1, x_proto=1, x_host=1)

(uvicorn's own ``--proxy-headers --forwarded-allow-ips=...`` does the same for the client
address and scheme; use one or the other, not both.)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["ProxyFix", "parse_forwarded"]

_SCHEMES = frozenset(("http", "https", "ws", "wss"))
# A host name or IPv4 address, or a bracketed IPv6 literal, with an optional port.
_HOST_RE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-._]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?\Z")
_PORT_RE = re.compile(r"[0-9]{1,5}\Z")
# A path prefix: "/" or non-empty segments of RFC 3986 pchars, each after one "/". So never
# "//evil.com" (a scheme-relative URL once it starts a Location) nor "/\\evil.com", which
# browsers read the same way.
_PREFIX_RE = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+)*/?\Z")
# One ``name=value`` pair of a Forwarded element: token or quoted-string value.
_PAIR_RE = re.compile(
    r'\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[!#$%&\'*+\-.^_`|~0-9A-Za-z:\[\]]*)\s*'
)


# Request header (lowercase) -> its environ key, for the headers ProxyFix reads.
_PROXY_HEADERS = {
    "host": "HTTP_HOST", "forwarded": "HTTP_FORWARDED", "x-forwarded-for": "HTTP_X_FORWARDED_FOR",
    "x-forwarded-proto": "HTTP_X_FORWARDED_PROTO", "x-forwarded-host": "HTTP_X_FORWARDED_HOST",
    "x-forwarded-port": "HTTP_X_FORWARDED_PORT", "x-forwarded-prefix": "HTTP_X_FORWARDED_PREFIX",
}


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """Parse an RFC 7239 ``Forwarded`` header into one dict per element (per proxy hop),
    names lowercased, quoted values unquoted. A malformed element becomes an empty dict so
    that hop counting still lines up with the commas the proxies wrote.

    >>> parse_forwarded('for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"')
    [{'for': '192.0.2.60', 'proto': 'https'}, {'for': '[2001:db8::1]:4711'}]
    """
    elements: list[dict[str, str]] = []
    pos, n = 0, len(value)
    current: dict[str, str] = {}
    bad = False
    while pos < n:
        m = _PAIR_RE.match(value, pos)
        if m is None:
            # Skip to the next element separator outside quotes; this element is unusable.
            bad = True
            while pos < n and value[pos] != ",":
                pos += 1
        else:
            name, v = m.group(1).lower(), m.group(2)
            if v[:1] == '"':
                v = re.sub(r"\\(.)", r"\1", v[1:-1])
            if name in current:
                bad = True  # RFC 7239 4: a parameter must not occur twice in one element
            current[name] = v
            pos = m.end()
        if pos < n and value[pos] == ";":
            pos += 1
            continue
        if pos < n and value[pos] == ",":
            elements.append({} if bad else current)
            current, bad = {}, False
            pos += 1
            continue
        if pos < n:
            bad = True
            pos += 1
    elements.append({} if bad else current)
    return elements


def _pick(values: list[str], trusted: int) -> str | None:
    """The value written by the outermost trusted proxy, or ``None``."""
    if trusted <= 0 or len(values) < trusted:
        return None
    v = values[-trusted].strip()
    return v or None


def _split(header: str | None) -> list[str]:
    if not header:
        return []
    return header.split(",")


def _client_addr(value: str | None) -> str | None:
    """An IP address from a forwarded ``for`` value (``1.2.3.4``, ``1.2.3.4:80``,
    ``[::1]``, ``[::1]:80``, ``::1``); ``None`` for anything else (``unknown``, ``_hidden``)."""
    if not value:
        return None
    v = value.strip()
    if v.startswith("["):
        end = v.find("]")
        if end < 0:
            return None
        v = v[1:end]
    elif v.count(":") == 1:
        v = v.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        return None


def _split_host(host: str) -> tuple[str, str | None]:
    if host.startswith("["):
        end = host.index("]")
        rest = host[end + 1:]
        return host[: end + 1], rest[1:] if rest.startswith(":") else None
    name, sep, port = host.partition(":")
    return name, port if sep else None


class ProxyFix:
    """Rewrite the WSGI environ from proxy headers, trusting only ``n`` hops of each.

    :param app: the WSGI app to wrap (usually ``app.wsgi_app``).
    :param x_for: hops of ``X-Forwarded-For`` to trust -> ``REMOTE_ADDR``.
    :param x_proto: hops of ``X-Forwarded-Proto`` -> ``wsgi.url_scheme``.
    :param x_host: hops of ``X-Forwarded-Host`` -> ``HTTP_HOST``, ``SERVER_NAME``.
    :param x_port: hops of ``X-Forwarded-Port`` -> ``SERVER_PORT`` and the port in ``HTTP_HOST``.
    :param x_prefix: hops of ``X-Forwarded-Prefix`` -> ``SCRIPT_NAME``.
    :param forwarded: hops of the RFC 7239 ``Forwarded`` header to trust. When non-zero it
        is the only source for the client address, scheme and host (``x_for``, ``x_proto``,
        ``x_host`` and ``x_port`` are ignored); ``x_prefix`` still applies, since
        ``Forwarded`` has no prefix parameter.

    Every default is conservative: ``x_for=1, x_proto=1`` (the usual single nginx), and
    nothing else. The environ values before rewriting are kept in
    ``environ["stein.proxy_fix.orig"]``.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], x_for: int = 1, x_proto: int = 1,
                 x_host: int = 0, x_port: int = 0, x_prefix: int = 0, forwarded: int = 0) -> None:
        for name, v in (("x_for", x_for), ("x_proto", x_proto), ("x_host", x_host),
                        ("x_port", x_port), ("x_prefix", x_prefix), ("forwarded", forwarded)):
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a non-negative int (number of trusted hops), got {v!r}")
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix
        self.forwarded = forwarded

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 send: Any = None) -> Any:
        if send is not None:  # ASGI: (scope, receive, send)
            return self._asgi(environ, start_response, send)
        self.rewrite(environ)
        return self.app(environ, start_response)

    def rewrite(self, environ: dict[str, Any]) -> None:
        """Apply the trusted proxy headers to a WSGI ``environ`` in place.

        >>> env = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
        >>> ProxyFix(None, x_for=1).rewrite(env)  # type: ignore[arg-type]
        >>> env["REMOTE_ADDR"]
        '203.0.113.9'
        """
        environ["stein.proxy_fix.orig"] = {
            k: environ.get(k)
            for k in ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME",
                      "SERVER_PORT", "SCRIPT_NAME")
        }
        if self.forwarded:
            self._apply_forwarded(environ)
        else:
            self._apply_x_forwarded(environ)
        if self.x_prefix:
            prefix = _pick(_split(environ.get("HTTP_X_FORWARDED_PREFIX")), self.x_prefix)
            if prefix is not None and _PREFIX_RE.match(prefix):
                environ["SCRIPT_NAME"] = prefix.rstrip("/") + environ.get("SCRIPT_NAME", "")

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            scope = self.rewrite_scope(scope)
        app: Any = self.app  # an ASGI app here (the type names the WSGI one)
        await app(scope, receive, send)

    def rewrite_scope(self, scope: dict[str, Any]) -> dict[str, Any]:
        """A copy of an ASGI ``http``/``websocket`` scope with the trusted proxy headers
        applied: the same rules as :meth:`rewrite`, run on the scope's headers.

        >>> scope = {"type": "http", "scheme": "http", "client": ("10.0.0.1", 5000),
        ...          "headers": [(b"x-forwarded-proto", b"https")]}
        >>> ProxyFix(None, x_proto=1).rewrite_scope(scope)["scheme"]  # type: ignore[arg-type]
        'https'
        """
        # The headers that matter, as a server would fold them into an environ (names with
        # "_" dropped, repeated ones joined), plus what the scope says about the connection.
        env: dict[str, Any] = {}
        for raw_name, raw_value in scope.get("headers") or ():
            name = raw_name.decode("latin-1").lower()
            if name in _PROXY_HEADERS:
                key = _PROXY_HEADERS[name]
                value = raw_value.decode("latin-1")
                env[key] = f"{env[key]},{value}" if key in env else value
        client = scope.get("client")
        server = scope.get("server") or ("localhost", 80)
        websocket = scope.get("type") == "websocket"
        scheme = scope.get("scheme") or ("ws" if websocket else "http")
        root = scope.get("root_path") or ""
        env.update({"REMOTE_ADDR": client[0] if client else None, "wsgi.url_scheme": scheme,
                     "SERVER_NAME": server[0], "SERVER_PORT": str(server[1] or 80),
                     "SCRIPT_NAME": root})
        before = dict(env)
        self.rewrite(env)
        new = dict(scope)
        if env["REMOTE_ADDR"] != before["REMOTE_ADDR"]:
            new["client"] = (env["REMOTE_ADDR"], client[1] if client else 0)
        if env["wsgi.url_scheme"] != scheme:
            secure = env["wsgi.url_scheme"] in ("https", "wss")
            new["scheme"] = ("wss" if secure else "ws") if websocket else (
                "https" if secure else "http")
        if env.get("HTTP_HOST") != before.get("HTTP_HOST"):
            host = env["HTTP_HOST"].encode("latin-1")
            new["headers"] = [(k, v) for k, v in scope.get("headers") or () if k.lower() != b"host"]
            new["headers"].append((b"host", host))
        if (env["SERVER_NAME"], env["SERVER_PORT"]) != (server[0], before["SERVER_PORT"]):
            new["server"] = (env["SERVER_NAME"], int(env["SERVER_PORT"]))
        if env["SCRIPT_NAME"] != root:
            # ASGI's path includes root_path: the prefix goes in front of both.
            prefix = env["SCRIPT_NAME"][: len(env["SCRIPT_NAME"]) - len(root)]
            new["root_path"] = env["SCRIPT_NAME"]
            new["path"] = prefix + scope.get("path", "")
        new["stein.proxy_fix.orig"] = {k: before.get(k) for k in env["stein.proxy_fix.orig"]}
        return new

    def _apply_x_forwarded(self, environ: dict[str, Any]) -> None:
        if self.x_for:
            addr = _client_addr(_pick(_split(environ.get("HTTP_X_FORWARDED_FOR")), self.x_for))
            if addr is not None:
                environ["REMOTE_ADDR"] = addr
        if self.x_proto:
            proto = _pick(_split(environ.get("HTTP_X_FORWARDED_PROTO")), self.x_proto)
            if proto is not None and proto.lower() in _SCHEMES:
                environ["wsgi.url_scheme"] = proto.lower()
        if self.x_host:
            host = _pick(_split(environ.get("HTTP_X_FORWARDED_HOST")), self.x_host)
            if host is not None and _HOST_RE.match(host):
                self._set_host(environ, host)
        if self.x_port:
            port = _pick(_split(environ.get("HTTP_X_FORWARDED_PORT")), self.x_port)
            if port is not None and _PORT_RE.match(port):
                self._set_port(environ, port)

    def _apply_forwarded(self, environ: dict[str, Any]) -> None:
        header = environ.get("HTTP_FORWARDED")
        if not header:
            return
        elements = parse_forwarded(header)
        if len(elements) < self.forwarded:
            return
        el = elements[-self.forwarded]
        addr = _client_addr(el.get("for"))
        if addr is not None:
            environ["REMOTE_ADDR"] = addr
        proto = el.get("proto", "").lower()
        if proto in _SCHEMES:
            environ["wsgi.url_scheme"] = proto
        host = el.get("host")
        if host and _HOST_RE.match(host):
            self._set_host(environ, host)

    @staticmethod
    def _set_host(environ: dict[str, Any], host: str) -> None:
        environ["HTTP_HOST"] = host
        name, port = _split_host(host)
        environ["SERVER_NAME"] = name
        if port:
            environ["SERVER_PORT"] = port
        else:
            environ["SERVER_PORT"] = "443" if environ.get("wsgi.url_scheme") in ("https", "wss") else "80"

    @staticmethod
    def _set_port(environ: dict[str, Any], port: str) -> None:
        host = environ.get("HTTP_HOST")
        if host:
            name, _ = _split_host(host)
            environ["HTTP_HOST"] = f"{name}:{port}"
        environ["SERVER_PORT"] = port
