"""Which rule a request is for: the path and method, and with host or subdomain matching
the part of the host the rules name.

Matching here is the general path; ``Stein.wsgi_app`` inlines the common case (rules
with no host or subdomain, no subdomain matching, no ``TRUSTED_HOSTS``) as one
``url_map.match(path, method, "")`` call, which the tests in
``tests/test_dispatch_fastpath.py`` hold to this one.

``SERVER_NAME`` restricts hosts only with ``subdomain_matching=True`` (as in Flask 3.1):
then a host outside it, or a subdomain no rule names, is a 404, where Flask would match
a ``"<sub>"`` rule with the placeholder ``"<invalid>"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exceptions import HTTPException, NotFound

if TYPE_CHECKING:
    from .config import Config
    from .routing import Map
    from .wrappers import Request


class RequestMatchingMixin:
    """The URL-matching step of :class:`~stein.Stein`.

    >>> from stein import Stein
    >>> app = Stein(__name__, subdomain_matching=True)
    >>> app.config["SERVER_NAME"] = "example.test"
    >>> with app.test_request_context(base_url="http://api.example.test") as ctx:
    ...     app._domain_for(ctx.request)
    'api'
    """

    config: Config
    url_map: Map
    subdomain_matching: bool

    def _match_request(self, request: Request) -> None:
        try:
            trusted = self.config["TRUSTED_HOSTS"]
            if trusted is not None:
                # A Host outside TRUSTED_HOSTS raises BadHost (400) here, before routing.
                request.trusted_hosts = trusted
                request.host  # noqa: B018
            url_map = self.url_map
            if self.subdomain_matching:
                domain = self._domain_for(request)
                if domain == "<invalid>" or (domain and url_map._plain is not None):
                    # A host outside SERVER_NAME, or a subdomain no rule names, is not
                    # this app's (and must not reach a "<sub>" rule).
                    raise NotFound()
            else:
                domain = self._domain_for(request) if url_map._plain is None else ""
            rule, args = url_map.match(request.path, request.method, domain)
            request.url_rule = rule
            request.view_args = args
        except HTTPException as e:
            request.routing_exception = e

    def _domain_for(self, request: Request) -> str:
        """What rules are matched against besides the path: the host with host matching,
        the subdomain under ``SERVER_NAME`` with subdomain matching, else the map's
        default subdomain (``SERVER_NAME`` then only names the app in external URLs)."""
        if self.url_map.host_matching:
            return request.host.lower()
        if not self.subdomain_matching:
            return self.url_map.default_subdomain
        server_name = self.config["SERVER_NAME"]
        if not server_name:
            return ""
        host = request.host.lower()
        server_name = server_name.lower()
        if ":" not in server_name and ":" in host:
            host = host.rsplit(":", 1)[0]
        if host == server_name:
            return ""
        if host.endswith("." + server_name):
            return host[: -len(server_name) - 1]
        return "<invalid>"
