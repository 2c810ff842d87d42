"""The test client: call an app in-process the way a browser would, with cookies.

Two clients, as in Flask: :class:`Client` speaks to any WSGI application
(``werkzeug.test.Client``), and :class:`SteinClient` (``app.test_client()``, Flask's
``FlaskClient``) adds what a Stein app offers: requests built from the app's config,
``with client:`` keeping the last request's context, and :meth:`SteinClient.session_transaction`.
Requests are described with :class:`~stein.environ.EnvironBuilder`'s arguments.

The cookie jar behaves like a browser's for what tests can observe: cookies are kept per
``(domain, path, name)``, sent to matching hosts and paths, and dropped when a response
expires them (``Max-Age=0`` or an ``Expires`` in the past) or their time runs out.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from click.testing import CliRunner

from . import environ as _environ
from .datastructures import Headers
from .discovery import ScriptInfo
from .environ import (
    EnvironBuilder,
    FileMultiDict,
    create_environ,
    encode_multipart,
    stream_encode_multipart,
)
from .http import dump_cookie, parse_cookie, parse_date
from .wrappers import Request, Response

# EnvironBuilder.get_request() without a class or an app makes a plain Request.
_environ.default_request_class = Request

if TYPE_CHECKING:
    from .app import Stein

__all__ = [
    "ASGITestClient", "Client", "ClientRedirectError", "Cookie", "EnvironBuilder",
    "FileMultiDict", "SteinCliRunner", "SteinClient", "TestClient", "TestResponse",
    "create_environ", "encode_multipart", "run_wsgi_app", "stream_encode_multipart",
]

STEIN_USER_AGENT = "Stein/test"
#: The ``User-Agent`` the app's test client sends (``client.environ_base`` changes it).
#: Under :mod:`stein.compat` it is Werkzeug's, as Flask's client sends.
DEFAULT_USER_AGENT = STEIN_USER_AGENT


def werkzeug_user_agent(default_version: str) -> str:
    """``Werkzeug/<version>``, what Flask's test client sends: the installed Werkzeug's
    version when there is one (Flask reads it so), else ``default_version``.

    >>> werkzeug_user_agent("3.1.3").startswith("Werkzeug/")
    True
    """
    import importlib.metadata

    try:
        version = importlib.metadata.version("werkzeug")
    except importlib.metadata.PackageNotFoundError:
        version = default_version
    return f"Werkzeug/{version}"

_REDIRECTS = frozenset((301, 302, 303, 305, 307, 308))
# A chain of distinct redirects longer than this is a bug in the app, as browsers judge it.
_MAX_REDIRECTS = 30


def run_wsgi_app(app: Callable[..., Any], environ: dict[str, Any],
                 buffered: bool = False) -> tuple[Iterable[bytes], str, Headers]:
    """Call a WSGI app: ``(app_iter, status, headers)``.

    The app runs until it has called ``start_response`` (a generator is stepped until
    then); with ``buffered`` the whole body is read and the iterable closed.

    >>> def hello(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [b"hi"]
    >>> body, status, headers = run_wsgi_app(hello, create_environ())
    >>> list(body), status
    ([b'hi'], '200 OK')
    """
    environ = dict(environ)
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return written.append

    rv = app(environ, start_response)
    close = getattr(rv, "close", None)
    it = iter(rv)
    app_iter: Iterable[bytes]
    if buffered:
        try:
            app_iter = [*written, *it]
        finally:
            if close is not None:
                close()
    else:
        # Step the body until start_response has been called (a generator app calls it
        # on its first step), keeping what came out for the caller.
        head: list[bytes] = []
        if not started:
            for chunk in it:
                head.append(chunk)
                if started:
                    break
        app_iter = chain(written, head, it)
        if close is not None:
            app_iter = _Closing(app_iter, close)
    if not started:
        raise RuntimeError("The application did not call start_response.")
    return app_iter, started[0], Headers(started[1])


class _Closing:
    """An iterable that calls the app's ``close`` when the client closes it."""

    def __init__(self, it: Iterable[bytes], close: Callable[[], Any]) -> None:
        self._it, self.close = iter(it), close

    def __iter__(self) -> Iterator[bytes]:
        return self._it


class ClientRedirectError(RuntimeError):
    """``follow_redirects=True`` met the same redirect twice (a loop), or too many."""


@dataclasses.dataclass
class Cookie:
    """A cookie the test client holds, as ``client.get_cookie(name)`` returns it.

    ``key``/``value`` are as sent in the ``Cookie`` header, ``decoded_key``/
    ``decoded_value`` as the app sees them; ``expires``, ``max_age``, ``domain``,
    ``path``, ``secure``, ``http_only`` and ``same_site`` are the ``Set-Cookie``
    attributes. ``origin_only`` is true when no ``Domain`` was given (exact host only).
    """

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool | None
    http_only: bool | None
    same_site: str | None
    partitioned: bool = False
    # When it was stored: Max-Age counts from here.
    _created: float = dataclasses.field(default_factory=time.time, repr=False, compare=False)

    def _matches_request(self, server_name: str, path: str) -> bool:
        domain = self.domain
        host_ok = server_name == domain or (
            not self.origin_only and server_name.endswith("." + domain))
        if not host_ok or self._expired():
            return False
        p = self.path
        return path == p or (path.startswith(p) and (p.endswith("/") or path[len(p)] == "/"))

    def _expired(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if self.max_age is not None:
            return self.max_age <= 0 or now >= self._created + self.max_age
        return self.expires is not None and self.expires.timestamp() <= now

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def _from_response_header(cls, server_name: str, path: str, header: str) -> Cookie:
        pair, _, attrs = header.partition(";")
        key, _, value = pair.partition("=")
        decoded = parse_cookie(pair)
        decoded_key, decoded_value = next(iter(decoded.items()), (key.strip(), value.strip()))
        params: dict[str, str | None] = {}
        for item in attrs.split(";"):
            k, sep, v = item.partition("=")
            params[k.strip().lower()] = v.strip() if sep else None
        max_age = None
        if "max-age" in params:
            try:
                max_age = int(params["max-age"] or 0)
            except ValueError:
                max_age = None  # RFC 6265: an unparsable Max-Age is ignored
        domain = (params.get("domain") or "").lstrip(".").lower() or server_name
        return cls(
            key=key.strip(), value=value.strip(), decoded_key=decoded_key,
            decoded_value=decoded_value, expires=parse_date(params.get("expires")),
            max_age=max_age, domain=domain, origin_only="domain" not in params,
            path=params.get("path") or path.rpartition("/")[0] or "/",
            secure="secure" in params, http_only="httponly" in params,
            same_site=params.get("samesite"), partitioned="partitioned" in params,
        )

    @property
    def _storage_key(self) -> tuple[str, str, str]:
        return self.domain, self.path, self.decoded_key

    @property
    def _should_delete(self) -> bool:
        return self._expired()


class TestResponse(Response):
    """A response as the test client returns it.

    Besides the response API: ``request`` (the request that was sent), ``history`` (the
    redirects followed on the way, with ``follow_redirects=True``), ``text`` and ``json``.
    """

    __test__ = False
    # The app's headers are shown as sent: no Content-Type is assumed.
    default_mimetype = None
    request: Any = None
    history: tuple[TestResponse, ...] = ()

    def __init__(self, response: Iterable[bytes], status: str, headers: Headers,
                 request: Request | None = None, history: tuple[TestResponse, ...] = (),
                 **kwargs: Any) -> None:
        if not isinstance(response, (list, tuple)):
            response = _Closing(response, getattr(response, "close", lambda: None))
        super().__init__(response, status, headers, **kwargs)
        self.request = request
        self.history = history

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON, with the app's JSON provider when there is one;
        ``None`` when the response is not JSON (and not ``force``)."""
        module = getattr(self, "json_module", None)
        if module is None:
            return super().get_json(force=force, silent=silent)
        if not (force or self.is_json):
            return None
        try:
            return module.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        """The body parsed as JSON (see :meth:`get_json`)."""
        return self.get_json()


def _current_url_parts(environ: dict[str, Any]) -> tuple[str, str]:
    """``(host name, path)`` of the URL an environ requests, as cookies match them."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
    try:
        name = urlsplit(f"//{host}").hostname or "localhost"
    except ValueError:  # a malformed Host a test sends on purpose: no cookie matches it
        name = host
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    try:
        path = path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    return name, quote(path, safe="/:@!$&'()*+,;=~%") or "/"


class Client:
    """Send requests to a WSGI application without a server (``werkzeug.test.Client``).

    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Set-Cookie", "seen=1; Path=/")])
    ...     return [environ.get("HTTP_COOKIE", "").encode()]
    >>> c = Client(app)
    >>> c.get("/").data, c.get("/").data
    (b'', b'seen=1')

    ``response_wrapper`` is the response class (a subclass of :class:`TestResponse` is
    made when it is not one). ``allow_subdomain_redirects`` lets ``follow_redirects``
    go to subdomains of the host; other hosts are refused.
    """

    __test__ = False

    def __init__(self, application: Any, response_wrapper: type[Response] | None = None,
                 use_cookies: bool = True, allow_subdomain_redirects: bool = False) -> None:
        self.application = application
        if response_wrapper is None or response_wrapper is Response:
            response_wrapper = TestResponse
        elif not issubclass(response_wrapper, TestResponse):
            response_wrapper = type("WrapperTestResponse", (TestResponse, response_wrapper), {})
        self.response_wrapper: type[TestResponse] = response_wrapper  # type: ignore[assignment]
        self._cookies: dict[tuple[str, str, str], Cookie] | None = {} if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"

    # -- cookies -----------------------------------------------------------------------

    def _jar(self) -> dict[tuple[str, str, str], Cookie]:
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The :class:`Cookie` held for ``(domain, path, key)``, or ``None``."""
        cookie = self._jar().get((domain, path, key))
        if cookie is not None and cookie._expired():
            del self._jar()[(domain, path, key)]
            return None
        return cookie

    def set_cookie(self, key: str, value: str = "", *, domain: str = "localhost",
                   origin_only: bool = True, path: str = "/", **kwargs: Any) -> None:
        """Hold a cookie as if a response had set it; ``kwargs`` are :func:`dump_cookie`'s
        (``max_age``, ``expires``, ``secure``, ``httponly``, ``samesite`` ...).

        ``origin_only`` sends it to ``domain`` exactly; false also sends it to subdomains.
        """
        jar = self._jar()
        cookie = Cookie._from_response_header(
            domain, "/", dump_cookie(key, value, domain=domain, path=path, **kwargs))
        cookie.origin_only = origin_only
        if cookie._should_delete:
            jar.pop(cookie._storage_key, None)
        else:
            jar[cookie._storage_key] = cookie

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Forget the cookie held for ``(domain, path, key)``."""
        self._jar().pop((domain, path, key), None)

    def _add_cookies_to_wsgi(self, environ: dict[str, Any]) -> None:
        """Add the held cookies that match the environ's URL to ``HTTP_COOKIE`` (after a
        ``Cookie`` header the request gave itself)."""
        if self._cookies is None:
            return
        name, path = _current_url_parts(environ)
        value = "; ".join(c._to_request_header() for c in self._cookies.values()
                          if c._matches_request(name, path))
        if value:
            own = environ.get("HTTP_COOKIE")
            environ["HTTP_COOKIE"] = f"{own}; {value}" if own else value

    def _update_cookies_from_response(self, server_name: str, path: str,
                                      headers: list[str]) -> None:
        """Store (or drop, when expired) the cookies of ``Set-Cookie`` headers."""
        if self._cookies is None:
            return
        for header in headers:
            try:
                cookie = Cookie._from_response_header(server_name, path, header)
            except Exception:
                continue  # a browser ignores a Set-Cookie it cannot read
            if cookie._should_delete:
                self._cookies.pop(cookie._storage_key, None)
            else:
                self._cookies[cookie._storage_key] = cookie

    # -- requests ----------------------------------------------------------------------

    def run_wsgi_app(self, environ: dict[str, Any],
                     buffered: bool = False) -> tuple[Iterable[bytes], str, Headers]:
        """Run the app with the client's cookies, and keep the cookies it sets."""
        self._add_cookies_to_wsgi(environ)
        rv = run_wsgi_app(self.application, environ, buffered=buffered)
        name, path = _current_url_parts(environ)
        self._update_cookies_from_response(name, path, rv[2].getlist("Set-Cookie"))
        return rv

    def _builder(self, *args: Any, **kwargs: Any) -> EnvironBuilder:
        return EnvironBuilder(*args, **kwargs)

    def resolve_redirect(self, response: TestResponse, buffered: bool = False) -> TestResponse:
        """Request what ``response`` redirects to (307/308 keep the method and body)."""
        scheme, netloc, path, qs, _ = urlsplit(response.headers.get("Location", ""))
        builder = self._builder_from_environ(response.request.environ, path=path,
                                             query_string=qs)
        # The jar supplies the cookies again, as they are after the redirect response.
        builder.headers.remove("Cookie")
        to_parts = netloc.split(":", 1)[0].split(".")
        from_parts = builder.server_name.split(".")
        if to_parts != [""]:
            builder.url_scheme = scheme or builder.url_scheme
            builder.host = netloc
        else:
            to_parts = from_parts
        if to_parts != from_parts:
            if to_parts[-len(from_parts):] == from_parts:
                if not self.allow_subdomain_redirects:
                    raise RuntimeError("Following subdomain redirects is not enabled.")
            else:
                raise RuntimeError("Following external redirects is not supported.")
        if path and not path.startswith("/"):
            # A relative reference: resolved against the current path, as a browser does.
            current = response.request.environ.get("PATH_INFO", "/")
            path = current.rpartition("/")[0] + "/" + path
        root = builder.script_root
        if root and (path == root or path.startswith(root + "/")):
            builder.path = quote(path[len(root):] or "/", safe="/:@!$&'()*+,;=~%")
        else:
            builder.path = quote(path or "/", safe="/:@!$&'()*+,;=~%")
            builder.script_root = ""
        builder.request_uri = builder.path + (f"?{qs}" if qs else "")
        if response.status_code not in (307, 308):
            if builder.method != "HEAD":
                builder.method = "GET"
            if builder.input_stream is not None:
                builder.input_stream.close()
                builder.input_stream = None
            builder.content_type = None
            builder.content_length = None
            builder.headers.remove("Transfer-Encoding")
        elif builder.input_stream is not None:
            builder.input_stream.seek(0)
        return self.open(builder, buffered=buffered)

    def _builder_from_environ(self, environ: dict[str, Any], **kwargs: Any) -> EnvironBuilder:
        return EnvironBuilder.from_environ(environ, **kwargs)

    def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False,
             **kwargs: Any) -> TestResponse:
        """Send a request: :class:`EnvironBuilder`'s arguments, or one builder, environ
        dict or request. ``follow_redirects`` requests each ``Location`` in turn; the
        responses on the way are in the final response's ``history``."""
        request: Request | None = None
        if not kwargs and len(args) == 1:
            arg = args[0]
            if isinstance(arg, EnvironBuilder):
                request = arg.get_request()
            elif isinstance(arg, dict):
                request = self._builder_from_environ(arg).get_request()
            elif isinstance(arg, Request):
                request = arg
        if request is None:
            builder = self._builder(*args, **kwargs)
            try:
                request = builder.get_request()
            finally:
                builder.close()
        return self._send(request, buffered, follow_redirects)

    def _send(self, request: Request, buffered: bool, follow_redirects: bool) -> TestResponse:
        parts = self.run_wsgi_app(request.environ, buffered=buffered)
        response = self.response_wrapper(*parts, request=request)
        if not follow_redirects:
            return response
        seen: set[tuple[str | None, int]] = set()
        history: list[TestResponse] = []
        while response.status_code in _REDIRECTS:
            response.make_sequence()
            response.close()
            entry = (response.headers.get("Location"), response.status_code)
            if entry in seen:
                raise ClientRedirectError(
                    f"Loop detected: A {response.status_code} redirect to {entry[0]}"
                    " was already made.")
            seen.add(entry)
            if len(seen) > _MAX_REDIRECTS:
                raise ClientRedirectError(f"More than {_MAX_REDIRECTS} redirects in a row.")
            response.history = tuple(history)
            history.append(response)
            response = self.resolve_redirect(response, buffered=buffered)
        response.history = tuple(history)
        return response

    def get(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``GET`` request; see :meth:`open`."""
        kw["method"] = "GET"
        return self.open(*args, **kw)

    def post(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``POST`` request; see :meth:`open`."""
        kw["method"] = "POST"
        return self.open(*args, **kw)

    def put(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``PUT`` request; see :meth:`open`."""
        kw["method"] = "PUT"
        return self.open(*args, **kw)

    def patch(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``PATCH`` request; see :meth:`open`."""
        kw["method"] = "PATCH"
        return self.open(*args, **kw)

    def delete(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``DELETE`` request; see :meth:`open`."""
        kw["method"] = "DELETE"
        return self.open(*args, **kw)

    def head(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``HEAD`` request; see :meth:`open`."""
        kw["method"] = "HEAD"
        return self.open(*args, **kw)

    def options(self, *args: Any, **kw: Any) -> TestResponse:
        """Send an ``OPTIONS`` request; see :meth:`open`."""
        kw["method"] = "OPTIONS"
        return self.open(*args, **kw)

    def trace(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``TRACE`` request; see :meth:`open`."""
        kw["method"] = "TRACE"
        return self.open(*args, **kw)


class SteinClient(Client):
    """The app's test client, ``app.test_client()`` (Flask's ``FlaskClient``).

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> @app.get("/")
    ... def index():
    ...     return "hi"
    >>> app.test_client().get("/").text
    'hi'

    Requests are built from the app's config (``SERVER_NAME``, ``APPLICATION_ROOT``,
    ``PREFERRED_URL_SCHEME``) and ``client.environ_base`` (``REMOTE_ADDR``,
    ``HTTP_USER_AGENT``). ``with client:`` keeps the last request's context active until
    the block ends, so ``request``, ``session`` and ``g`` can be inspected after a call.
    """

    application: Stein

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        self._preserved: list[Callable[[], Any]] = []
        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": DEFAULT_USER_AGENT}

    def _builder(self, *args: Any, **kwargs: Any) -> EnvironBuilder:
        kwargs["environ_base"] = {**self.environ_base, **(kwargs.get("environ_base") or {})}
        return EnvironBuilder(self.application, *args, **kwargs)

    def _builder_from_environ(self, environ: dict[str, Any], **kwargs: Any) -> EnvironBuilder:
        kwargs.setdefault("environ_base", dict(self.environ_base))
        return EnvironBuilder.from_environ(environ, app=self.application, **kwargs)

    def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False,
             **kwargs: Any) -> TestResponse:
        """Send a request; see :meth:`Client.open`."""
        if args and isinstance(args[0], EnvironBuilder) and not kwargs and len(args) == 1:
            builder = args[0]
            # The builder's own environ_base wins over the client's defaults.
            saved = builder.environ_base
            builder.environ_base = {**self.environ_base, **(saved or {})}
            try:
                request = builder.get_request()
            finally:
                builder.environ_base = saved
            return self._send(request, buffered, follow_redirects)
        return super().open(*args, buffered=buffered, follow_redirects=follow_redirects,
                            **kwargs)

    def run_wsgi_app(self, environ: dict[str, Any],
                     buffered: bool = False) -> tuple[Iterable[bytes], str, Headers]:
        """Run the app; inside ``with client:`` its request context stays pushed."""
        # The previous request's context ends before the next one starts.
        self._pop_preserved()
        if self.preserve_context:
            environ["stein._preserve_context"] = self._preserved
        # The body is read here, while the request's context is still active for it.
        return super().run_wsgi_app(environ, buffered=True)

    def _send(self, request: Request, buffered: bool, follow_redirects: bool) -> TestResponse:
        response = super()._send(request, buffered, follow_redirects)
        response.json_module = self.application.json  # type: ignore[attr-defined]
        return response

    # -- contexts ----------------------------------------------------------------------

    def _pop_preserved(self) -> None:
        while self._preserved:
            self._preserved.pop()()

    def __enter__(self) -> SteinClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self.preserve_context = False
        self._pop_preserved()

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Open the client's session for changing; it is stored back into the client's
        cookie when the block ends. The arguments are ``app.test_request_context()``'s.

        >>> # with client.session_transaction() as sess:
        >>> #     sess["user_id"] = 1
        """
        self._jar()
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        interface = app.session_interface
        with ctx:
            sess = interface.open_session(app, ctx.request)
        if sess is None:
            raise RuntimeError("Session backend did not open a session.")
        # The block runs outside this context: the caller's own context stays current.
        yield sess
        if interface.is_null_session(sess):
            return
        resp = app.response_class()
        with ctx:
            interface.save_session(app, sess, resp)
        name, path = _current_url_parts(ctx.request.environ)
        self._update_cookies_from_response(name, path, resp.headers.getlist("Set-Cookie"))


#: The name Stein's own code has used for :class:`SteinClient`.
TestClient = SteinClient


class SteinCliRunner(CliRunner):
    """click's ``CliRunner`` for the app's commands (``app.test_cli_runner()``, Flask's
    ``FlaskCliRunner``): :meth:`invoke` runs ``app.cli`` with the app loaded.

    >>> # result = app.test_cli_runner().invoke(args=["hello"]); result.output
    """

    def __init__(self, app: Stein, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Run a command (``cli`` defaults to the app's command group); without ``obj``
        the command gets a ``ScriptInfo`` that loads this app."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


class ASGITestClient:
    """Talk ASGI to the app in-process: an ``httpx.AsyncClient`` over ``httpx.ASGITransport``
    that also runs the lifespan (``on_startup`` on enter, ``on_shutdown`` on exit).

    ``async with app.asgi_test_client() as c: r = await c.get("/")`` - ``r`` is an
    ``httpx.Response`` (``status_code``, ``text``, ``json()``, ``headers``); cookies persist.
    """

    def __init__(self, app: Stein, base_url: str = "http://localhost", lifespan: bool = True,
                 **kwargs: Any) -> None:
        self.app = app
        self.base_url = base_url
        self.lifespan = lifespan
        self.kwargs = kwargs
        self._client: Any = None
        self._lifespan_task: Any = None
        self._to_app: Any = None
        self._from_app: Any = None

    async def __aenter__(self) -> Any:
        import asyncio

        import httpx

        if self.lifespan:
            self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
            scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
            self._lifespan_task = asyncio.ensure_future(
                self.app.asgi_app(scope, self._to_app.get, self._from_app.put)
            )
            await self._lifespan_step("startup")
        transport = httpx.ASGITransport(app=self.app.asgi_app)  # type: ignore[arg-type]
        self._client = httpx.AsyncClient(transport=transport, base_url=self.base_url, **self.kwargs)
        await self._client.__aenter__()
        return self._client

    async def _lifespan_step(self, step: str) -> None:
        await self._to_app.put({"type": f"lifespan.{step}"})
        msg = await self._from_app.get()
        if msg["type"] != f"lifespan.{step}.complete":
            raise RuntimeError(f"lifespan {step} failed: {msg.get('message', '')}")

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._client.__aexit__(*exc)
        finally:
            if self._lifespan_task is not None:
                await self._lifespan_step("shutdown")
                await self._lifespan_task

