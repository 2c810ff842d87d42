"""The test client: call the app in-process the way a browser would, with cookies."""

from __future__ import annotations

import io
import json as _json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

from .datastructures import Headers, MultiDict
from .wrappers import Response

if TYPE_CHECKING:
    from .app import Stein


def _encode_multipart(fields: list[tuple[str, Any]], boundary: str) -> bytes:
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        filename = None
        ctype = None
        if isinstance(value, tuple):
            stream, filename, *rest = value
            ctype = rest[0] if rest else None
            data = stream.read() if hasattr(stream, "read") else stream
        elif hasattr(value, "read"):
            filename = os.path.basename(getattr(value, "name", "") or "") or "file"
            data = value.read()
        else:
            data = value
        if hasattr(value, "filename") and hasattr(value, "stream"):  # a FileStorage
            filename, ctype = value.filename, value.content_type
            data = value.stream.read()
        if isinstance(data, str):
            data = data.encode()
        disp = f'form-data; name="{_quote_part(name)}"'
        if filename is not None:
            disp += f'; filename="{_quote_part(filename)}"'
            ctype = ctype or "application/octet-stream"
        out.write(f"Content-Disposition: {disp}\r\n".encode())
        if ctype:
            out.write(f"Content-Type: {ctype}\r\n".encode())
        out.write(b"\r\n")
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def _quote_part(value: str) -> str:
    # As browsers do (HTML form encoding): percent-encode what would end the quoted value.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _is_file(v: Any) -> bool:
    return hasattr(v, "read") or (isinstance(v, tuple) and v and hasattr(v[0], "read")) or \
        (isinstance(v, tuple) and len(v) >= 2 and isinstance(v[0], bytes))


class EnvironBuilder:
    """Builds a WSGI environ from test-client style arguments.

    ``path`` may carry a query string or a full URL; ``data`` is bytes, str, or a dict
    (urlencoded, or multipart when a value is a file); ``json`` sets a JSON body.
    """

    def __init__(
        self,
        app: Stein | None = None,
        path: str = "/",
        base_url: str | None = None,
        query_string: Any = None,
        method: str = "GET",
        headers: Any = None,
        data: Any = None,
        json: Any = None,
        content_type: str | None = None,
        environ_base: dict[str, Any] | None = None,
        environ_overrides: dict[str, Any] | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        input_stream: Any = None,
        follow_redirects: bool = False,
    ) -> None:
        if app is not None and not hasattr(app, "wsgi_app"):
            # EnvironBuilder(path, ...) without an app, as Request.from_values uses it.
            path, app = app, None  # type: ignore[assignment]
        self.app = app
        parts = urlsplit(path)
        if base_url is None:
            server_name = "localhost"
            root = "/"
            scheme = url_scheme or "http"
            if app is not None:
                server_name = app.config.get("SERVER_NAME") or "localhost"
                root = app.config.get("APPLICATION_ROOT") or "/"
                scheme = url_scheme or app.config.get("PREFERRED_URL_SCHEME", "http")
            if subdomain:
                server_name = f"{subdomain}.{server_name}"
            if parts.netloc:
                server_name = parts.netloc
                scheme = parts.scheme or scheme
            base_url = f"{scheme}://{server_name}{root.rstrip('/')}/"
        base = urlsplit(base_url)
        self.scheme = base.scheme
        self.host = base.netloc
        self.script_root = base.path.rstrip("/")
        self.path = parts.path or "/"
        if self.script_root and self.path.startswith(self.script_root + "/"):
            self.path = self.path[len(self.script_root):]
        qs = parts.query
        if query_string is not None:
            if isinstance(query_string, (dict, MultiDict, list)):
                items = query_string.items(multi=True) if isinstance(query_string, MultiDict) else (
                    query_string.items() if isinstance(query_string, dict) else query_string)
                pairs: list[tuple[Any, Any]] = []
                for k, v in items:
                    if isinstance(v, (list, tuple)):
                        pairs.extend((k, x) for x in v)
                    else:
                        pairs.append((k, v))
                qs = urlencode(pairs)
            else:
                qs = query_string.decode() if isinstance(query_string, bytes) else query_string
        self.query_string = qs
        self.method = method.upper()
        self.headers = Headers(headers)
        self.environ_base = environ_base or {}
        self.environ_overrides = environ_overrides or {}
        body = b""
        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            if app is not None:
                body = app.json.dumps(json).encode()
            else:
                body = _json.dumps(json).encode()
            content_type = content_type or "application/json"
        elif isinstance(data, dict) or isinstance(data, MultiDict):
            items = list(data.items(multi=True)) if isinstance(data, MultiDict) else []
            if not isinstance(data, MultiDict):
                for k, v in data.items():
                    if isinstance(v, list):
                        items.extend((k, x) for x in v)
                    else:
                        items.append((k, v))
            if any(_is_file(v) for _, v in items) or (
                content_type or "").startswith("multipart/form-data"):
                boundary = "----SteinBoundary" + secrets.token_hex(8)
                body = _encode_multipart(items, boundary)
                content_type = f"multipart/form-data; boundary={boundary}"
            else:
                body = urlencode([(k, v) for k, v in items]).encode()
                content_type = content_type or "application/x-www-form-urlencoded"
        elif isinstance(data, str):
            body = data.encode()
        elif isinstance(data, (bytes, bytearray)):
            body = bytes(data)
        elif data is not None and hasattr(data, "read"):
            body = data.read()
        self.body = body
        self.input_stream = input_stream
        if content_type is None:
            content_type = self.headers.get("Content-Type")
        self.content_type = content_type

    def get_environ(self) -> dict[str, Any]:
        """The environ dict."""
        host = self.host
        server_name, _, port = host.partition(":")
        if not port:
            port = "443" if self.scheme == "https" else "80"
        path = unquote(self.path, errors="surrogateescape")
        try:
            path_info = path.encode("utf-8", "surrogateescape").decode("latin-1")
        except UnicodeError:
            path_info = path
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": self.script_root,
            "PATH_INFO": path_info,
            "QUERY_STRING": self.query_string,
            "SERVER_NAME": server_name,
            "SERVER_PORT": port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": host,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": self.input_stream if self.input_stream is not None else io.BytesIO(self.body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_URI": self.path + (f"?{self.query_string}" if self.query_string else ""),
            "RAW_URI": self.path + (f"?{self.query_string}" if self.query_string else ""),
        }
        env.update(self.environ_base)
        if self.body or self.input_stream is None and self.method not in ("GET", "HEAD"):
            env["CONTENT_LENGTH"] = str(len(self.body))
        if self.content_type:
            env["CONTENT_TYPE"] = self.content_type
        # Headers given for this request replace environ_base's; repeated ones are joined.
        given: set[str] = set()
        for k, v in self.headers:
            key = k.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = v
                continue
            key = "HTTP_" + key
            env[key] = f"{env[key]}, {v}" if key in given and key != "HTTP_HOST" else v
            given.add(key)
        env.update(self.environ_overrides)
        return env


class TestResponse(Response):
    """A response as the test client returns it: ``.request``, ``.history``, ``.text``."""

    __test__ = False
    request: Any = None
    history: tuple[TestResponse, ...] = ()


class _CookieJar:
    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], str] = {}

    def extract(self, response: Response, host: str) -> None:
        for header in response.headers.getlist("Set-Cookie"):
            c = SimpleCookie()
            try:
                c.load(header)
            except Exception:
                continue
            for name, morsel in c.items():
                domain = (morsel["domain"] or host.partition(":")[0]).lstrip(".")
                path = morsel["path"] or "/"
                key = (domain, path, name)
                max_age = morsel["max-age"]
                expired = False
                if max_age != "":
                    try:
                        expired = int(max_age) <= 0
                    except ValueError:
                        pass
                elif morsel["expires"]:
                    from .http import parse_date

                    dt = parse_date(morsel["expires"])
                    if dt is not None:
                        from datetime import datetime, timezone

                        expired = dt <= datetime.now(timezone.utc)
                if expired:
                    self._cookies.pop(key, None)
                else:
                    self._cookies[key] = morsel.value if not header.split("=", 1)[1].startswith('"') \
                        else header.split("=", 1)[1].split(";", 1)[0]

    def header_for(self, host: str, path: str) -> str | None:
        host = host.partition(":")[0]
        pairs = []
        for (domain, cpath, name), value in self._cookies.items():
            if not (host == domain or host.endswith("." + domain)):
                continue
            if not (path == cpath or path.startswith(cpath.rstrip("/") + "/") or cpath == "/"):
                continue
            pairs.append(f"{name}={value}")
        return "; ".join(pairs) or None

    def get(self, name: str, domain: str = "localhost", path: str = "/") -> str | None:
        return self._cookies.get((domain, path, name))

    def set(self, name: str, value: str, domain: str = "localhost", path: str = "/") -> None:
        self._cookies[(domain, path, name)] = value

    def delete(self, name: str, domain: str = "localhost", path: str = "/") -> None:
        self._cookies.pop((domain, path, name), None)


class _Cookie:
    def __init__(self, key: str, value: str, domain: str, path: str) -> None:
        self.key, self.value, self.domain, self.path = key, value, domain, path


class TestClient:
    """Sends requests to the app without a server: ``client.get("/")``.

    ``with client:`` keeps the last request's context active until the block ends, so
    ``request``, ``session`` and ``g`` can be inspected after a call.
    """

    __test__ = False

    def __init__(self, application: Stein, response_wrapper: Any = None, use_cookies: bool = True,
                 **kwargs: Any) -> None:
        self.application = application
        self.use_cookies = use_cookies
        self._jar = _CookieJar() if use_cookies else None
        self.environ_base: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "Stein/test"}
        self._preserve = False
        self._preserved: list[Any] = []
        self._kwargs = kwargs

    # -- cookies -----------------------------------------------------------------------

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> _Cookie | None:
        """The cookie the client holds, or ``None``."""
        if self._jar is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        value = self._jar.get(key, domain, path)
        return None if value is None else _Cookie(key, value, domain, path)

    def set_cookie(self, key: str, value: str = "", domain: str = "localhost", path: str = "/",
                   **kwargs: Any) -> None:
        """Store a cookie in the client, sent with the next matching requests."""
        if self._jar is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        self._jar.set(key, value, domain, path)

    def delete_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> None:
        """Forget a cookie the client holds."""
        if self._jar is not None:
            self._jar.delete(key, domain, path)

    # -- contexts ----------------------------------------------------------------------

    def _pop_preserved(self) -> None:
        while self._preserved:
            self._preserved.pop()()

    def __enter__(self) -> TestClient:
        if self._preserve:
            raise RuntimeError("Cannot nest client invocations")
        self._preserve = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self._preserve = False
        self._pop_preserved()

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Open the client's session for changing, and store it back into its cookie."""
        if self._jar is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.application
        builder = EnvironBuilder(app, *args, **kwargs)
        environ = builder.get_environ()
        cookie = self._jar.header_for(builder.host, builder.path)
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        ctx = app.request_context(environ)
        with ctx:
            sess = app.session_interface.open_session(app, ctx.request)
            if sess is None:
                raise RuntimeError("Session backend did not open a session.")
            yield sess
            resp = app.response_class()
            if not app.session_interface.is_null_session(sess):
                app.session_interface.save_session(app, sess, resp)
        self._jar.extract(resp, builder.host)

    # -- requests ----------------------------------------------------------------------

    def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False,
             **kwargs: Any) -> TestResponse:
        """Send a request; the arguments are those of :class:`EnvironBuilder`."""
        if args and isinstance(args[0], dict):
            environ = dict(args[0])
            builder = None
        else:
            kwargs.setdefault("environ_base", {})
            kwargs["environ_base"] = {**self.environ_base, **kwargs["environ_base"]}
            builder = EnvironBuilder(self.application, *args, **kwargs)
            environ = builder.get_environ()
        response = self._run(environ, builder)
        history: list[TestResponse] = []
        seen = 0
        while follow_redirects and response.status_code in (301, 302, 303, 305, 307, 308):
            seen += 1
            if seen > 30:
                raise RuntimeError("Too many redirects while following them in the test client.")
            history.append(response)
            location = response.headers.get("Location", "")
            target = urlsplit(location)
            method = environ["REQUEST_METHOD"]
            keep_body = response.status_code in (307, 308)
            if not keep_body and method != "HEAD":
                method = "GET"
            path = target.path or builder.path if builder else target.path
            if target.path and not target.path.startswith("/"):
                base = (builder.path if builder else "/").rsplit("/", 1)[0]
                path = f"{base}/{target.path}"
            base_url = None
            if target.netloc:
                base_url = f"{target.scheme or 'http'}://{target.netloc}/"
            kw: dict[str, Any] = {"method": method, "base_url": base_url,
                                  "query_string": target.query or None,
                                  "environ_base": {**self.environ_base}}
            if keep_body and builder is not None:
                kw["data"] = builder.body
                kw["content_type"] = builder.content_type
            builder = EnvironBuilder(self.application, path, **kw)
            environ = builder.get_environ()
            response = self._run(environ, builder)
        response.history = tuple(history)
        return response

    def _run(self, environ: dict[str, Any], builder: EnvironBuilder | None) -> TestResponse:
        self._pop_preserved()
        host = environ.get("HTTP_HOST", "localhost")
        if self._jar is not None:
            cookie = self._jar.header_for(host, environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"])
            if cookie and "HTTP_COOKIE" not in environ:
                environ["HTTP_COOKIE"] = cookie
        if self._preserve:
            environ["stein._preserve_context"] = self._preserved
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is not None and captured:
                raise exc_info[1].with_traceback(exc_info[2])
            captured["status"], captured["headers"] = status, list(headers)
            return lambda data: None

        app_iter = self.application(environ, start_response)
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        response = TestResponse(body, captured["status"], Headers(captured["headers"]))
        # Response() appends a Content-Length for bytes bodies; keep the app's headers as sent.
        response.headers = Headers(captured["headers"])
        from .wrappers import Request

        response.request = Request(environ)
        if self._jar is not None:
            self._jar.extract(response, host)
        return response

    def get(self, *args: Any, **kw: Any) -> TestResponse:
        """A GET request."""
        return self.open(*args, method="GET", **kw)

    def post(self, *args: Any, **kw: Any) -> TestResponse:
        """A POST request."""
        return self.open(*args, method="POST", **kw)

    def put(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``PUT`` request; see :meth:`open`."""
        return self.open(*args, method="PUT", **kw)

    def patch(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``PATCH`` request; see :meth:`open`."""
        return self.open(*args, method="PATCH", **kw)

    def delete(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``DELETE`` request; see :meth:`open`."""
        return self.open(*args, method="DELETE", **kw)

    def head(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``HEAD`` request; see :meth:`open`."""
        return self.open(*args, method="HEAD", **kw)

    def options(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``OPTIONS`` request; see :meth:`open`."""
        return self.open(*args, method="OPTIONS", **kw)

    def trace(self, *args: Any, **kw: Any) -> TestResponse:
        """Send a ``TRACE`` request; see :meth:`open`."""
        return self.open(*args, method="TRACE", **kw)


class SteinCliRunner:
    """Invokes ``app.cli`` commands in tests (click's ``CliRunner`` with the app loaded)."""

    def __init__(self, app: Stein, **kwargs: Any) -> None:
        from click.testing import CliRunner

        self.app = app
        self._runner = CliRunner(**kwargs)

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:
        """Run a command; ``cli`` defaults to the app's command group."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            from .cli import ScriptInfo

            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return self._runner.invoke(cli, args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)


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
