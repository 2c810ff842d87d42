"""Building URLs for the current request or app: the adapter behind ``url_for``."""

from __future__ import annotations

from typing import Any

from .routing import Map


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
        host = self._host_for(domain)
        if force_external or host != self.host:
            return f"{url_scheme or self.url_scheme}://{host}{url}"
        return url
