"""ASGI: the same ``Stein`` object served by an ASGI server (uvicorn, hypercorn, granian).

**One object, two protocols.** ``Stein.__call__`` looks at how it is called:

- ``app(environ, start_response)`` is WSGI and goes straight to ``app.wsgi_app``;
- ``app(scope, receive, send)`` is ASGI 3 and returns the coroutine of ``app.asgi_app``;
- ``app(scope)`` is ASGI 2 (what uvicorn chooses for an object whose ``__call__`` is not
  ``async def``) and returns ``instance(receive, send)``.

So ``gunicorn module:app``, ``uvicorn module:app`` and ``granian --interface asgi module:app``
all serve the same object; the WSGI path pays one ``is None`` test for it. ``app.asgi_app`` is
the plain ASGI 3 callable (``uvicorn module:app.asgi_app``, and the thing to wrap with ASGI
middleware, as ``wsgi_app`` is for WSGI middleware).

**One request path.** The first step turns the ASGI scope into a WSGI-style environ, so the
same ``Request`` class, routing, hooks, error handlers and sessions run unchanged; the last
step sends the ``Response`` as ASGI messages. In between:

- the body is read before the view (bounded by ``MAX_CONTENT_LENGTH``), so
  ``request.get_json()``, ``form`` and ``files`` stay synchronous; a view decorated with
  :func:`stream_body` skips that and reads ``async for chunk in request.stream()`` instead
  (``stein.asgi_body``); a big form body for an ``async def`` view is parsed in the pool;
- an ``async def`` view runs on the event loop, with its hooks (sync hooks inline, async
  ones awaited);
- a sync view runs in a bounded thread pool (``ASGI_THREAD_POOL_SIZE``). When every hook and
  handler of the app is sync too, the whole WSGI dispatch (hooks, view, error handlers,
  after-request, session save) runs there in one hop, exactly as under WSGI;
- async generators stream on the loop, sync iterables (generators, ``send_file``) are
  iterated in the pool; a client disconnect stops the body, and teardown runs after it.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import types
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from . import ctx as _ctx
from .asgi_body import FORM_THREAD_THRESHOLD as FORM_THREAD_THRESHOLD
from .asgi_body import RequestBody as RequestBody
from .asgi_body import _preread, load_form, wants_thread_parse
from .asgi_body import request_body_stream as request_body_stream
from .ctx import AppContext, RequestContext, _cv_app, _cv_request
from .exceptions import (
    HTTPException,
    InternalServerError,
    RequestRedirect,
)
from .middleware import ProxyFix
from .wrappers import Response as _Response

if TYPE_CHECKING:
    from .app import Stein
    from .wrappers import Request, Response

F = TypeVar("F", bound=Callable[..., Any])
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# ``stein.signals`` once imported (None: no receiver can exist), as stein.app keeps it.
_signals: Any = None


def _set_signals(module: Any) -> None:
    global _signals
    _signals = module


_ctx.on_signals_loaded(_set_signals)

_Coroutine = types.CoroutineType
_NO_BODY_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))
_DONE = object()

# Header name (bytes, as the server sends it) -> environ key, and response header pair ->
# (lowercase name, value) as bytes. Both are small in practice (the same Content-Type and
# Content-Lengths again and again); the bound keeps hostile input harmless.
_ENVIRON_KEYS: dict[bytes, str] = {b"content-type": "CONTENT_TYPE", b"content-length": "CONTENT_LENGTH"}
_RAW_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_CACHE_BOUND = 512


def stream_body(view: F) -> F:
    """Mark a view whose request body is not read before it runs (ASGI).

    The view reads it with ``async for chunk in request.stream()``; ``MAX_CONTENT_LENGTH``
    still holds (413 when passed). ``request.get_data()``/``form``/``json`` raise instead.
    Under WSGI the mark has no effect (``request.stream`` is a file there).
    """
    view.stream_body = True  # type: ignore[attr-defined]
    return view


# -- the first step: scope -> environ ---------------------------------------------------


# Where a header whose name holds "_" goes: nowhere. ``x_forwarded_for`` would otherwise
# become HTTP_X_FORWARDED_FOR beside (or instead of) the real ``X-Forwarded-For`` a proxy
# set, so a client could spoof a header by its dashed name. Dropped as the dev server,
# gunicorn and nginx drop them.
_DROPPED = "stein.asgi.dropped_header"


def _environ_key(name: bytes) -> str:
    key = _ENVIRON_KEYS.get(name)
    if key is None:
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        if b"_" in name:
            key = _DROPPED
        if len(_ENVIRON_KEYS) < _CACHE_BOUND:
            _ENVIRON_KEYS[name] = key
    return key


def _environ_base(scope: dict[str, Any]) -> dict[str, Any]:
    # The part of the environ that only depends on the server's address, the scheme, the
    # HTTP version and the mount point: the same for every request a server sends.
    get = scope.get
    root = get("root_path") or ""
    if not root.isascii():
        root = root.encode("utf-8").decode("latin-1")
    server = get("server") or ("localhost", 80)
    return {
        "SCRIPT_NAME": root,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": "HTTP/" + get("http_version", "1.1"),
        "wsgi.url_scheme": get("scheme", "http"),
    }


_ENVIRON_BASES: dict[Any, dict[str, Any]] = {}


def build_environ(scope: dict[str, Any], receive: Receive | None = None) -> dict[str, Any]:
    """A PEP 3333 environ for an ASGI ``http`` or ``websocket`` scope (no body stream:
    the body comes from ``receive``, see :class:`RequestBody`)."""
    get = scope.get
    server = get("server")
    base_key = (server, get("scheme"), get("http_version"), get("root_path"))
    try:
        base = _ENVIRON_BASES[base_key]
    except KeyError:
        base = _environ_base(scope)
        if len(_ENVIRON_BASES) < _CACHE_BOUND:
            _ENVIRON_BASES[base_key] = base
    except TypeError:  # a server that gives "server" as a list: not a dict key
        base = _environ_base(scope)
    environ = base.copy()
    path = scope["path"]
    root = get("root_path")
    if root and path.startswith(root):
        path = path[len(root):]
    if not path.isascii():
        path = path.encode("utf-8").decode("latin-1")
    qs = scope["query_string"]
    client = get("client")
    environ["REQUEST_METHOD"] = get("method", "GET")
    environ["PATH_INFO"] = path
    environ["QUERY_STRING"] = qs.decode("latin-1") if qs else ""
    environ["REMOTE_ADDR"] = client[0] if client else None
    environ["asgi.scope"] = scope
    if receive is not None:
        environ["stein.asgi.receive"] = receive
    headers = scope["headers"]
    if headers.__class__ is not list:
        headers = list(headers)
    # Header keys (HTTP_*, CONTENT_*) never clash with the keys set above, so a repeated
    # header is the only way the environ grows by less than one key per header; that rare
    # case is redone with the values joined.
    size = len(environ) + len(headers)
    known = _ENVIRON_KEYS.get
    for name, value in headers:
        environ[known(name) or _environ_key(name)] = value.decode("latin-1")
    if len(environ) != size:
        _join_repeated(environ, headers)
    elif _DROPPED in environ:
        del environ[_DROPPED]
    return environ


def _join_repeated(environ: dict[str, Any], headers: list[Any]) -> None:
    # Repeated headers are one environ value, joined with ", " ("; " for Cookie).
    for name, _ in headers:
        environ.pop(_environ_key(name), None)
    for name, value in headers:
        key = _environ_key(name)
        if key is _DROPPED:
            continue
        if key in environ:
            sep = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = f"{environ[key]}{sep}{value.decode('latin-1')}"
        else:
            environ[key] = value.decode("latin-1")


# -- the thread pool --------------------------------------------------------------------


def thread_pool(app: Stein) -> ThreadPoolExecutor:
    """The app's bounded pool for sync views and sync body iterables (made on first use)."""
    pool: ThreadPoolExecutor | None = app.__dict__.get("_asgi_pool")
    if pool is None:
        pool = app.__dict__["_asgi_pool"] = ThreadPoolExecutor(
            max_workers=int(app.config.get("ASGI_THREAD_POOL_SIZE") or 40),
            thread_name_prefix="stein-asgi",
        )
    return pool


def run_sync(app: Stein, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """Run ``func(*args)`` in the app's pool with the current context variables."""
    ctx = contextvars.copy_context()
    return asyncio.get_running_loop().run_in_executor(thread_pool(app), partial(ctx.run, func, *args))


def _has_async_hooks(app: Stein) -> bool:
    """Whether any hook or handler that runs around a view is ``async def`` (those must
    run on the loop, so a sync view then goes to the pool alone)."""
    import inspect

    groups = (app.before_request_funcs, app.after_request_funcs, app.url_value_preprocessors)
    for group in groups:
        for funcs in group.values():
            if any(inspect.iscoroutinefunction(f) for f in funcs):
                return True
    for by_code in app.error_handler_spec.values():
        for by_class in by_code.values():
            if any(inspect.iscoroutinefunction(f) for f in by_class.values()):
                return True
    return False


def _view_info(app: Stein, endpoint: str, view: Any) -> tuple[Any, bool, bool]:
    """``(view, is_async, stream_body)`` of an endpoint's view, computed once per view
    function (the cache entry is replaced when the endpoint gets another function)."""
    import inspect

    cache: dict[str, tuple[Any, bool, bool]] | None = app.__dict__.get("_asgi_views")
    if cache is None:
        cache = app.__dict__["_asgi_views"] = {}
    target = getattr(view, "view_class", None)
    is_async = inspect.iscoroutinefunction(view) or (
        target is not None and inspect.iscoroutinefunction(getattr(target, "dispatch_request", None))
    )
    info = cache[endpoint] = (view, is_async, bool(getattr(view, "stream_body", False)))
    return info


async def _parse_form_off_loop(app: Stein, request: Request) -> None:
    """Parse a big form body in the pool (see :data:`stein.asgi_body.FORM_THREAD_THRESHOLD`)."""
    if wants_thread_parse(app, request):
        await run_sync(app, load_form, request)


# -- dispatch on the loop (the async mirror of Stein.full_dispatch_request) -------------


async def _call(func: Callable[..., Any], *args: Any) -> Any:
    rv = func(*args)
    if rv.__class__ is _Coroutine:
        rv = await rv
    return rv


async def _preprocess(app: Stein, request: Request) -> Any:
    names = (None, *reversed(request.blueprints))
    for name in names:
        for url_func in app.url_value_preprocessors.get(name, ()):
            await _call(url_func, request.endpoint, request.view_args)
    for name in names:
        for before_func in app.before_request_funcs.get(name, ()):
            rv = await _call(before_func)
            if rv is not None:
                return rv
    return None


async def _handle_user_exception(app: Stein, request: Request, e: Exception) -> Any:
    if isinstance(e, HTTPException) and not app.trap_http_exception(e):
        if e.code is None or isinstance(e, RequestRedirect):
            return e
        handler = app._find_error_handler(e, request.blueprints)
        return e if handler is None else await _call(handler, e)
    handler = app._find_error_handler(e, request.blueprints)
    if handler is None:
        raise e
    return await _call(handler, e)


async def _finalize(app: Stein, ctx: RequestContext, rv: Any, from_error_handler: bool = False) -> Response:
    response = app.make_response(rv)
    try:
        if ctx._after_request_functions:
            for func in ctx._after_request_functions:
                response = await _call(func, response)
        if app.after_request_funcs:
            for name in (*ctx.request.blueprints, None):
                for func in reversed(app.after_request_funcs.get(name, ())):
                    response = await _call(func, response)
        app._save_session(ctx, response)
        signals = _signals
        if signals is not None and signals.request_finished.receivers:
            signals.request_finished.send(app, response=response)
    except Exception:
        if not from_error_handler:
            raise
        app.logger.exception("Request finalizing failed with an error while handling an error")
    return response


async def _handle_exception(app: Stein, ctx: RequestContext, e: Exception) -> Response:
    signals = _signals
    if signals is not None and signals.got_request_exception.receivers:
        signals.got_request_exception.send(app, exception=e)
    if app._propagates_exceptions():
        raise e
    app.log_exception((type(e), e, e.__traceback__))
    server_error: Any = InternalServerError(original_exception=e)
    handler = app._find_error_handler(server_error, ctx.request.blueprints)
    if handler is not None:
        server_error = await _call(handler, server_error)
    return await _finalize(app, ctx, server_error, from_error_handler=True)


async def _dispatch_on_loop(app: Stein, ctx: RequestContext, view_in_pool: bool) -> Response:
    request = ctx.request
    signals = _signals
    if signals is not None and signals.request_started.receivers:
        signals.request_started.send(app)
    try:
        rv = None
        if app.before_request_funcs or app.url_value_preprocessors:
            rv = await _preprocess(app, request)
        if rv is None:
            if request.routing_exception is not None:
                app.raise_routing_exception(request)
            rule = request.url_rule
            if rule.provide_automatic_options and request.method == "OPTIONS":
                rv = app.make_default_options_response()
            else:
                view = app.view_functions[rule.endpoint]
                if view_in_pool:
                    rv = await run_sync(app, partial(view, **request.view_args))  # type: ignore[arg-type]
                else:
                    rv = view(**request.view_args)  # type: ignore[arg-type]
                    if rv.__class__ is _Coroutine:
                        rv = await rv
    except Exception as e:
        rv = await _handle_user_exception(app, request, e)
    return await _finalize(app, ctx, rv)


def _dispatch_in_thread(app: Stein) -> tuple[Response, BaseException | None]:
    # The WSGI dispatch itself, run in a pool thread: every hook here is sync.
    try:
        return app.full_dispatch_request(), None
    except Exception as e:
        try:
            return app.handle_exception(e), e
        except Exception as again:
            return app._handling_failed(again), e


# -- the last step: Response -> ASGI messages -------------------------------------------


def _raw_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    raw = (pair[0].lower().encode("latin-1"), pair[1].encode("latin-1"))
    # Set-Cookie values are never the same twice: caching them would only fill the cache
    # and keep the pairs that do repeat out of it.
    if len(_RAW_PAIRS) < _CACHE_BOUND and raw[0] != b"set-cookie":
        _RAW_PAIRS[pair] = raw
    return raw


def _raw_headers(response: Response) -> list[tuple[bytes, bytes]]:
    # Most response headers repeat (Content-Type, small Content-Lengths): cache whole pairs.
    get = _RAW_PAIRS.get
    return [get(pair) or _raw_pair(pair) for pair in response.headers._list]


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return


async def _pump_async(body: Any, send: Send, encode: Callable[[Any], bytes]) -> None:
    async for chunk in body:
        if chunk:
            await send({"type": "http.response.body", "body": encode(chunk), "more_body": True})


async def _pump_sync(app: Stein, body: Any, send: Send, encode: Callable[[Any], bytes],
                     gone: asyncio.Future[None]) -> bool:
    # Never cancelled mid-next(): the generator is running in a thread, and closing it
    # then would fail. A disconnect is noticed between chunks instead.
    it = iter(body)
    # One context for the whole iteration: a stream_with_context generator sets and resets
    # context variables across next() calls, which must happen in the same Context.
    ctx = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    pool = thread_pool(app)
    while True:
        chunk = await loop.run_in_executor(pool, ctx.run, next, it, _DONE)  # type: ignore[arg-type]
        if gone.done():
            return True
        if chunk is _DONE:
            return False
        if chunk:
            await send({"type": "http.response.body", "body": encode(chunk), "more_body": True})


class _NotStarted(Exception):
    """The response failed before its ``http.response.start`` was sent (a header that
    does not encode, a broken body attribute): the cause is ``__cause__``."""


async def send_response(app: Stein, response: Response, environ: dict[str, Any],
                        receive: Receive, send: Send) -> None:
    """Send ``response`` as ``http.response.start`` and body messages."""
    code = response._status_code
    if code in (204, 304):
        response.headers._list = [
            t for t in response.headers._list if t[0].lower() not in ("content-length", "content-type")
        ]
    try:
        start = {"type": "http.response.start", "status": code, "headers": _raw_headers(response)}
        body = response.response
    except Exception as e:
        raise _NotStarted from e
    await send(start)
    try:
        if environ["REQUEST_METHOD"] == "HEAD" or code < 200 or code in (204, 304):
            await send({"type": "http.response.body", "body": b""})
            return
        if body.__class__ is list:
            if len(body) == 1 and body[0].__class__ is bytes:
                data = body[0]
            else:
                data = b"".join(response.iter_encoded())
            await send({"type": "http.response.body", "body": data})
            return
        charset = response.charset

        def encode(chunk: Any) -> bytes:
            return chunk.encode(charset) if isinstance(chunk, str) else bytes(chunk)

        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            if hasattr(body, "__aiter__"):
                gone = await _until_disconnect(_pump_async(body, send, encode), watcher)
            else:
                gone = await _pump_sync(app, body, send, encode, watcher)
        finally:
            watcher.cancel()
        if not gone:
            await send({"type": "http.response.body", "body": b""})
    finally:
        aclose = getattr(body, "aclose", None)
        if aclose is not None:
            await aclose()
        response.close()


async def _until_disconnect(pump: Awaitable[None], watcher: asyncio.Future[None]) -> bool:
    """Run ``pump``; True when the client went away first (the pump is then cancelled)."""
    task = asyncio.ensure_future(pump)
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task.done():
        task.result()
        return False
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return True


# -- entry points -----------------------------------------------------------------------


def handle(app: Stein, scope: dict[str, Any], receive: Receive, send: Send) -> Awaitable[None]:
    """The ASGI 3 application behind ``app.asgi_app`` (returns the coroutine to await:
    one frame less per request than an ``async def`` here)."""
    kind = scope["type"]
    if kind == "http":
        return handle_http(app, scope, receive, send)
    if kind == "websocket":
        return _handle_websocket(app, scope, receive, send)
    if kind == "lifespan":
        return handle_lifespan(app, scope, receive, send)
    raise ValueError(f"Unknown ASGI scope type {kind!r}")


async def _handle_websocket(app: Stein, scope: dict[str, Any], receive: Receive,
                            send: Send) -> None:
    """A ``websocket`` scope: the request and its contexts as for HTTP, around
    :func:`stein.websocket.serve_websocket`."""
    from .websocket import serve_websocket  # deferred: loads with the first WebSocket

    environ = build_environ(scope)
    ctx, t_req, t_app = push_contexts(app, environ)
    error: BaseException | None = None
    try:
        error = await serve_websocket(app, ctx.request, scope, receive, send)
    finally:
        await _end_request(app, ctx, error, t_req, t_app)


def push_contexts(app: Stein, environ: dict[str, Any]) -> tuple[RequestContext, Any, Any]:
    """Make the request, push its contexts; returns ``(ctx, request_token, app_token)``."""
    request = app.request_class(environ)
    ctx = RequestContext(app, environ, request)
    app_ctx = _cv_app.get(None)
    t_app = None
    if app_ctx is None or app_ctx.app is not app:
        t_app = _cv_app.set(AppContext(app))
        _appcontext_pushed(app)
    return ctx, _cv_request.set(ctx), t_app


def _appcontext_pushed(app: Stein) -> None:
    signals = _signals
    if signals is not None and signals.appcontext_pushed.receivers:
        signals.appcontext_pushed.send(app)


async def handle_http(app: Stein, scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """One HTTP request: the WSGI request path with an ASGI first and last step.

    The common case runs in this one coroutine, without the awaits of the general path: an
    ``async def`` view of an app with no request hooks and no signal receivers, a body that
    is a single ``bytes`` chunk, nothing to tear down. Every other request takes the general
    path (:func:`_dispatch_on_loop`, :func:`send_response`, :func:`_end_request`), which
    does the same thing step by step."""
    if app._startup_pending:
        await run_startup(app)
    if not app._got_first_request:
        app._got_first_request = True  # as in Stein.wsgi_app (see _check_setup_finished)
    environ = build_environ(scope, receive)
    request = app.request_class(environ)
    ctx = RequestContext(app, environ, request)
    app_ctx = _cv_app.get(None)
    t_app = None
    signals = _signals
    if app_ctx is None or app_ctx.app is not app:
        t_app = _cv_app.set(AppContext(app))
        if signals is not None:
            _appcontext_pushed(app)
    t_req = _cv_request.set(ctx)
    error: BaseException | None = None
    try:
        app._match_request(request)
        rule = request.url_rule
        if rule is None:
            response = await _dispatch_on_loop(app, ctx, False)
        else:
            endpoint = rule.endpoint
            view = app.view_functions.get(endpoint)
            views: dict[str, tuple[Any, bool, bool]] | None = app.__dict__.get("_asgi_views")
            info = views.get(endpoint) if views is not None else None
            if info is None or info[0] is not view:
                info = _view_info(app, endpoint, view)
            if not info[2] and (environ["REQUEST_METHOD"] not in _NO_BODY_METHODS
                                or "CONTENT_LENGTH" in environ
                                or "HTTP_TRANSFER_ENCODING" in environ):
                await _preread(environ, receive, app.config["MAX_CONTENT_LENGTH"])
                if info[1]:
                    await _parse_form_off_loop(app, request)
            if not info[1]:
                if _has_async_hooks(app):
                    response = await _dispatch_on_loop(app, ctx, True)
                else:
                    response, error = await run_sync(app, _dispatch_in_thread, app)
            elif signals is not None or app.before_request_funcs or app.url_value_preprocessors:
                response = await _dispatch_on_loop(app, ctx, False)
            else:
                # _dispatch_on_loop without hooks, inline.
                try:
                    if rule.provide_automatic_options and request.method == "OPTIONS":
                        rv = app.make_default_options_response()
                    else:
                        rv = view(**request.view_args)  # type: ignore[misc,arg-type]
                        if rv.__class__ is _Coroutine:
                            rv = await rv
                except Exception as e:
                    rv = await _handle_user_exception(app, request, e)
                if ctx._after_request_functions or app.after_request_funcs or \
                        ctx._session is not None or "HTTP_COOKIE" in environ:
                    response = await _finalize(app, ctx, rv)
                else:
                    response = app.make_response(rv)
    except Exception as e:
        error = e
        try:
            try:
                response = await _handle_exception(app, ctx, e)
            except Exception as again:
                response = app._handling_failed(again)
        except BaseException:
            await _end_request(app, ctx, error, t_req, t_app)
            raise
    except BaseException as e:
        await _end_request(app, ctx, e, t_req, t_app)
        raise
    try:
        try:
            body = response.response
            code = response._status_code
            if body.__class__ is list and len(body) == 1 and body[0].__class__ is bytes and \
                    200 <= code != 204 and code != 304 and environ["REQUEST_METHOD"] != "HEAD":
                # send_response for a one-chunk body, inline: the start and the whole body.
                try:
                    raw = []
                    get = _RAW_PAIRS.get
                    for pair in response.headers._list:
                        raw.append(get(pair) or _raw_pair(pair))
                except Exception as e:
                    raise _NotStarted from e
                await send({"type": "http.response.start", "status": code, "headers": raw})
                await send({"type": "http.response.body", "body": body[0]})
                if response._on_close is not None or response.__class__ is not _Response:
                    response.close()  # (a list body has nothing else to close)
            else:
                await send_response(app, response, environ, receive, send)
        except _NotStarted as e:
            # Nothing was sent yet: the bare 500 can still go out in its place.
            cause = e.__cause__ or e
            error = error or cause
            await send_response(app, app._handling_failed(cause), environ, receive, send)
    except BaseException as e:
        # Once the start is sent, a failing body cannot become an error page: the server
        # must see the exception and drop the connection, so a cut body never looks whole.
        error = error or e
        raise
    finally:
        if app.teardown_request_funcs or signals is not None or request._form_parsed or \
                (t_app is not None and app.teardown_appcontext_funcs):
            await _end_request(app, ctx, error, t_req, t_app)
        else:
            # Nothing to tear down (the common case): just leave the contexts.
            _cv_request.reset(t_req)
            if t_app is not None:
                _cv_app.reset(t_app)


async def _end_request(app: Stein, ctx: RequestContext, error: BaseException | None,
                       t_req: Any, t_app: Any) -> None:
    """Teardown (async teardown functions awaited), then the contexts are reset."""
    try:
        signals = _signals
        if app.teardown_request_funcs:
            for name in (*ctx.request.blueprints, None):
                for func in reversed(app.teardown_request_funcs.get(name, ())):
                    await _call(func, error)
        if signals is not None and signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(app, exc=error)
        if "files" in ctx.request.__dict__:
            ctx.request.close()
        if t_app is not None:
            for func in reversed(app.teardown_appcontext_funcs):
                await _call(func, error)
            if signals is not None and signals.appcontext_tearing_down.receivers:
                signals.appcontext_tearing_down.send(app, exc=error)
    except Exception as e:
        app._log_teardown_failure(e)
    finally:
        _cv_request.reset(t_req)
        if t_app is not None:
            _cv_app.reset(t_app)
            signals = _signals
            if signals is not None and signals.appcontext_popped.receivers:
                signals.appcontext_popped.send(app)


# -- lifespan ---------------------------------------------------------------------------


def _startup_lock(app: Stein) -> asyncio.Lock:
    lock: asyncio.Lock | None = app.__dict__.get("_asgi_startup_lock")
    if lock is None:
        lock = app.__dict__["_asgi_startup_lock"] = asyncio.Lock()
    return lock


async def run_startup(app: Stein) -> None:
    """Run the ``on_startup`` functions once, in registration order, in an app context."""
    async with _startup_lock(app):
        if not app._startup_pending:
            return
        with app.app_context():
            for func in app.startup_funcs:
                await _call(func)
        app._startup_pending = False


async def run_shutdown(app: Stein) -> None:
    """Run the ``on_shutdown`` functions (last registered first), then stop the pool."""
    try:
        with app.app_context():
            for func in reversed(app.shutdown_funcs):
                await _call(func)
    finally:
        pool = app.__dict__.pop("_asgi_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)


async def _lifespan_phase(app: Stein, run: Callable[[Stein], Awaitable[None]], phase: str,
                          send: Send) -> bool:
    """Run one lifespan phase and report it; False when it failed."""
    try:
        await run(app)
    except BaseException as e:
        app.logger.exception(f"{phase.title()} failed")
        await send({"type": f"lifespan.{phase}.failed", "message": f"{type(e).__name__}: {e}"})
        return False
    await send({"type": f"lifespan.{phase}.complete"})
    return True


def _warn_if_proxy_fix_is_wsgi_only(app: Stein) -> None:
    # The Flask idiom ``app.wsgi_app = ProxyFix(app.wsgi_app)`` does nothing under an ASGI
    # server: say so once, at startup, instead of silently trusting no proxy.
    if isinstance(app.__dict__.get("wsgi_app"), ProxyFix) and \
            not isinstance(app.__dict__.get("asgi_app"), ProxyFix):
        app.logger.warning(
            "app.wsgi_app is wrapped in ProxyFix, but this ASGI server calls app.asgi_app, "
            "which is not: proxy headers are ignored. Wrap it too: "
            "app.asgi_app = ProxyFix(app.asgi_app, ...).")


async def handle_lifespan(app: Stein, scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """The ASGI lifespan protocol: ``on_startup`` before the first request, ``on_shutdown``
    when the server stops. A failing function is reported to the server, which exits."""
    while True:
        kind = (await receive())["type"]
        if kind == "lifespan.startup":
            _warn_if_proxy_fix_is_wsgi_only(app)
            if not await _lifespan_phase(app, run_startup, "startup", send):
                return
        elif kind == "lifespan.shutdown":
            await _lifespan_phase(app, run_shutdown, "shutdown", send)
            return


def run_startup_sync(app: Stein) -> None:
    """WSGI: run the ``on_startup`` functions on the first request (async ones on the
    thread's loop) and register the ``on_shutdown`` ones to run at interpreter exit."""
    with app._startup_thread_lock:
        if not app._startup_pending:
            return
        with app.app_context():
            for func in app.startup_funcs:
                app.ensure_sync(func)()
        app._startup_pending = False
        import atexit

        atexit.register(_shutdown_at_exit, app)


def _shutdown_at_exit(app: Stein) -> None:
    with app.app_context():
        for func in reversed(app.shutdown_funcs):
            try:
                app.ensure_sync(func)()
            except Exception:
                print(f"stein: on_shutdown function {func!r} failed", file=sys.stderr)
