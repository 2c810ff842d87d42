"""The application object: registration, and the request path from environ to response."""

from __future__ import annotations

import os
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import partial as _partial
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from . import ctx as _ctx
from .config import Config, ConfigAttribute
from .ctx import (
    AppContext,
    RequestContext,
    _AppCtxGlobals,
    _cv_app,
    _cv_request,
)
from .debughelpers import FormDataRoutingRedirect
from .errors import ErrorHandlingMixin
from .exceptions import (
    Aborter,
    HTTPException,
    RequestRedirect,
)
from .helpers import env_name, get_debug_flag
from .instance import instance_path_for
from .json import DefaultJSONProvider, JSONProvider
from .loops import run_coroutine as _run_coroutine
from .matching import RequestMatchingMixin
from .routing import Map, Rule
from .scaffold import Scaffold, _endpoint_from_view_func, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import TemplatingMixin
from .urls import URLBuildingMixin
from .viewresults import ViewResultMixin
from .wrappers import Request, Response, _ClosingIterator, _content_type_for

if TYPE_CHECKING:
    import logging  # only for the annotation; stein.logging imports it on first use

F = TypeVar("F", bound=Callable[..., Any])

# ``stein.signals`` once imported; ``None`` means no receiver can exist. A module global,
# read on every request: cheaper than ``ctx.signals``.
signals: Any = None


def _set_signals(module: Any) -> None:
    global signals
    signals = module


_ctx.on_signals_loaded(_set_signals)

_CoroutineType = types.CoroutineType
# The Content-Type headers Response gives a str and a JSON body (see _dispatch_plain).
_HTML_CONTENT_TYPE = ("Content-Type", _content_type_for("text/html"))
_JSON_CONTENT_TYPE = ("Content-Type", _content_type_for("application/json"))
_asgi_handle: Any = None


def _load_asgi() -> Any:
    # stein.asgi imports asyncio: loaded on the first ASGI call, never at ``import stein``.
    global _asgi_handle
    from .asgi import handle  # deferred: see above

    _asgi_handle = handle
    return handle


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class Stein(ViewResultMixin, ErrorHandlingMixin, RequestMatchingMixin, TemplatingMixin,
            URLBuildingMixin, Scaffold):
    """The application: a WSGI callable (``app(environ, start_response)``) that holds the
    routes, hooks, error handlers and config.

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> @app.route("/")
    ... def index():
    ...     return "Hello"
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    config_class = Config
    url_rule_class = Rule
    url_map_class = Map
    app_ctx_globals_class = _AppCtxGlobals
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    aborter_class = Aborter
    session_interface: SessionInterface = SecureCookieSessionInterface()
    test_client_class: type | None = None
    test_cli_runner_class: type | None = None
    jinja_options: dict[str, Any] = {}
    #: The Jinja environment class; ``None`` means ``stein.jinja_fast.Environment``.
    jinja_environment: type | None = None

    default_config: dict[str, Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": True,
        # Bounded by default: an internet-facing app should not read unbounded bodies.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
        # Threads for sync views and sync response bodies under ASGI (see stein.asgi).
        "ASGI_THREAD_POOL_SIZE": 40,
    }

    secret_key = ConfigAttribute("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute("PERMANENT_SESSION_LIFETIME", _make_timedelta)
    testing = ConfigAttribute("TESTING")

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError("If an instance path is provided it must be absolute.")
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        if self._class_config:
            self.config.update(self._class_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[Callable[..., Any]] = []
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.shell_context_processors: list[Callable[..., Any]] = []
        self.blueprints: dict[str, Any] = {}
        # name -> (url_prefix, subdomain) of each registered blueprint (stein inspect app).
        self.blueprint_mounts: dict[str, tuple[str | None, str | None]] = {}
        self.extensions: dict[str, Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        # on_startup/on_shutdown (see stein.asgi): lifespan under ASGI, first request and
        # interpreter exit under WSGI.
        self.startup_funcs: list[Callable[..., Any]] = []
        self.shutdown_funcs: list[Callable[..., Any]] = []
        self._startup_pending = False
        self._startup_thread_lock = threading.Lock()
        self.websocket_handlers: dict[str, Callable[..., Any]] = {}
        self._jinja_env: Any = None
        self._template_filters: dict[str, Callable[..., Any]] = {}
        self._template_globals: dict[str, Any] = {}
        self._template_tests: dict[str, Callable[..., Any]] = {}
        self._cli: Any = None
        if self.has_static_folder:
            self_ref = weakref.ref(self)
            assert bool(static_host) == host_matching, (
                "Invalid static_host/host_matching combination"
            )
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>", endpoint="static", host=static_host,
                # A weak reference: the app must not keep itself alive through its view.
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # -- identity and config -----------------------------------------------------------

    @property
    def name(self) -> str:  # type: ignore[override]
        """The import name, or the script's file name when run as ``__main__``."""
        if self.import_name == "__main__":
            fn = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    def auto_find_instance_path(self) -> str:
        """The instance folder when none is given: ``instance`` beside the project's code,
        or ``<prefix>/var/<name>-instance`` once installed (see :mod:`stein.instance`)."""
        return instance_path_for(self.import_name, self.name, self.root_path)

    def make_aborter(self) -> Aborter:
        """The :class:`~stein.exceptions.Aborter` behind ``abort()`` (``aborter_class()``)."""
        return self.aborter_class()

    def make_config(self, instance_relative: bool = False) -> Config:
        """The app's :class:`Config`, filled with ``default_config`` (``STEIN_DEBUG`` sets ``DEBUG``)."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG``): tracebacks in the dev server, template reloading."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and self._jinja_env is not None:
            self._jinja_env.auto_reload = value

    @property
    def logger(self) -> logging.Logger:
        """A standard logger named after the app, with a stderr handler if none is set up."""
        logger = self.__dict__.get("_logger")
        if logger is None:
            from .logging import create_logger  # deferred: made on first use

            logger = self.__dict__["_logger"] = create_logger(self)
        return logger

    def open_instance_resource(self, resource: str, mode: str = "rb", encoding: str | None = "utf-8") -> Any:
        """Open a file in the instance folder (for reading or writing)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    @property
    def cli(self) -> Any:  # type: ignore[override]
        """The app's click command group (``@app.cli.command()``); click loads on first use."""
        if self._cli is None:
            from .discovery import AppGroup  # deferred: click loads with the first command

            self._cli = AppGroup(self.name)
        return self._cli

    @cli.setter
    def cli(self, value: Any) -> None:
        self._cli = value

    # -- registration ------------------------------------------------------------------

    def _check_setup_finished(self, f_name: str) -> None:
        # In debug mode, as Flask did before 2.3: a registration after the first request
        # takes effect for every later request in Stein (rules compile as they are added),
        # so it is a mistake worth an error while developing, not a hazard in production.
        if self._got_first_request and self.debug:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application: it"
                " has already handled a request, so the change would reach only some"
                " requests. Register routes, hooks and blueprints before serving.")

    @setupmethod
    def add_url_rule(self, rule: str, endpoint: str | None = None,
                     view_func: Callable[..., Any] | None = None,
                     provide_automatic_options: bool | None = None, **options: Any) -> None:
        """Connect a URL rule to an endpoint and its view function (what ``route`` calls)."""
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError("Allowed methods must be a list of strings, for example: @app.route(..., methods=['POST'])")
        methods = {m.upper() for m in methods}
        required = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = (
                "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
        if provide_automatic_options:
            required.add("OPTIONS")
        methods |= required
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = bool(provide_automatic_options)
        self.url_map.add(rule_obj)
        if view_func is not None:
            old = self.view_functions.get(endpoint)
            if old is not None and old != view_func:
                raise AssertionError(
                    f"View function mapping is overwriting an existing endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the app context ends (after every request, too)."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        """``f()`` returns a dict of names for ``stein shell``."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, Any]:
        """The namespace of ``stein shell``: ``app``, ``g`` and what shell context processors add."""
        rv: dict[str, Any] = {"app": self, "g": _ctx.g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    @setupmethod
    def register_blueprint(self, blueprint: Any, **options: Any) -> None:
        """Register a :class:`~stein.Blueprint`; options override the blueprint's own
        (``url_prefix``, ``subdomain``, ``url_defaults``, ``name``)."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> Iterator[Any]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    # -- contexts ----------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new app context: ``with app.app_context(): ...``."""
        return AppContext(self)

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        """A :class:`~stein.ctx.RequestContext` for a WSGI environ, with the URL already matched."""
        ctx = RequestContext(self, environ)
        self._match_request(ctx.request)
        return ctx

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a request built like the test client's arguments."""
        from .environ import EnvironBuilder  # deferred: loads mimetypes and tempfile

        builder = EnvironBuilder(self, *args, **kwargs)
        return self.request_context(builder.get_environ())

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> Any:
        """A :class:`~stein.testing.TestClient` for this app."""
        cls = self.test_client_class
        if cls is None:
            from .testing import TestClient as cls  # type: ignore[assignment]  # deferred: click
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)  # type: ignore[misc]

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A click runner that invokes ``app.cli`` commands."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import SteinCliRunner as cls  # type: ignore[assignment]  # deferred: click
        return cls(self, **kwargs)  # type: ignore[misc]

    # -- async -------------------------------------------------------------------------

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` itself, or for a coroutine function a sync wrapper that runs it."""
        import inspect

        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``func`` on this thread's reused event loop."""
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _run_coroutine(func(*args, **kwargs))

        return wrapper

    # False when a subclass overrides a step of the request path; then every request
    # takes those steps as methods (see _dispatch_plain).
    _plain_dispatch = True

    # Values a subclass gave attributes that forward to the config (``secret_key = "..."``
    # in the class body): each instance's config starts with them.
    _class_config: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        class_config = dict(cls._class_config)
        for name, value in list(cls.__dict__.items()):
            forward = getattr(Stein, name, None)
            # Only plain values: a property or method of that name is the subclass's own.
            if isinstance(forward, ConfigAttribute) and not hasattr(value, "__get__"):
                # Put the descriptor back in charge so that ``app.secret_key`` and
                # ``app.config["SECRET_KEY"]`` stay one value.
                class_config[forward.__name__] = value
                delattr(cls, name)
        cls._class_config = class_config
        cls._plain_dispatch = all(
            getattr(cls, name) is getattr(Stein, name)
            for name in ("full_dispatch_request", "preprocess_request", "dispatch_request",
                         "finalize_request", "make_response", "process_response"))

    # -- the request path --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any = None, send: Any = None) -> Any:
        """WSGI ``app(environ, start_response)``, ASGI 3 ``app(scope, receive, send)`` or
        ASGI 2 ``app(scope)``, told apart by the arguments (see ``stein.asgi``). Wrap
        ``wsgi_app`` / ``asgi_app`` for middleware, not this."""
        if send is None and start_response is not None and not self._startup_pending:
            return self.wsgi_app(environ, start_response)
        if send is not None:
            return self.asgi_app(environ, start_response, send)
        if start_response is None:
            # uvicorn's default detection sees a non-async __call__ and speaks ASGI 2 to it.
            return _partial(self.asgi_app, environ)
        from .asgi import run_startup_sync  # deferred: stein.asgi imports asyncio

        run_startup_sync(self)
        return self.wsgi_app(environ, start_response)

    def asgi_app(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        """The ASGI 3 application: returns the awaitable that serves ``scope``. Wrap it for
        ASGI middleware as ``wsgi_app`` is wrapped for WSGI middleware."""
        handle = _asgi_handle
        if handle is None:
            handle = _load_asgi()
        return handle(self, scope, receive, send)

    @setupmethod
    def on_startup(self, f: F) -> F:
        """Run ``f()`` (sync or async) once before serving: at ASGI lifespan startup, or
        on the first request under WSGI."""
        self.startup_funcs.append(f)
        self._startup_pending = True
        return f

    @setupmethod
    def on_shutdown(self, f: F) -> F:
        """Run ``f()`` (sync or async) when serving ends: at ASGI lifespan shutdown, or at
        interpreter exit under WSGI (only if startup ran)."""
        self.shutdown_funcs.append(f)
        return f

    def websocket(self, rule: str, endpoint: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register ``async def handler(ws, **view_args)`` for WebSocket connections to
        ``rule`` (ASGI only; see ``stein.websocket``)."""

        def decorator(f: F) -> F:
            from .websocket import register  # deferred: WebSocket apps only

            register(self, rule, endpoint, f, options)
            return f

        return decorator

    def asgi_test_client(self, **kwargs: Any) -> Any:
        """An async client that talks ASGI to the app in-process, with lifespan:
        ``async with app.asgi_test_client() as c: r = await c.get("/")``."""
        from .testing import ASGITestClient  # deferred: testing imports click

        return ASGITestClient(self, **kwargs)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Handle one request: route, hooks, view, response, teardown."""
        if not self._got_first_request:
            self._got_first_request = True
        request = self.request_class(environ)
        ctx = RequestContext(self, environ, request)
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self:
            app_ctx = AppContext(self)
            t_app = _cv_app.set(app_ctx)
            if signals is not None and signals.appcontext_pushed.receivers:
                signals.appcontext_pushed.send(self, _async_wrapper=self.ensure_sync)
        else:
            t_app = None
        t_req = _cv_request.set(ctx)
        error: BaseException | None = None
        deferred = False
        try:
            url_map = self.url_map
            if url_map._plain is not None and not self.subdomain_matching and \
                    self.config["TRUSTED_HOSTS"] is None:
                # _match_request for the common app (no host matching, any Host), inlined.
                try:
                    rule, request.view_args = url_map.match(request.path, request.method, "")
                    request.url_rule = rule
                except HTTPException as e:
                    request.routing_exception = e
            else:
                self._match_request(request)
            response: Response | None
            try:
                if self._plain_dispatch and signals is None and not self.before_request_funcs \
                        and not self.url_value_preprocessors:
                    response = self._dispatch_plain(request, ctx, environ, start_response)
                else:
                    response = self.full_dispatch_request()
            except Exception as e:
                error = e
                try:
                    response = self.handle_exception(e)
                except Exception as again:
                    response = self._handling_failed(again)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            if response is None:
                body: Iterable[bytes] = ctx._body
            else:
                try:
                    body = response(environ, start_response)
                except Exception as again:
                    error = error or again
                    body = self._send_failure(again, environ, start_response)
            preserve = environ.get("stein._preserve_context")
            if preserve is not None:
                deferred = True
                preserve.append(lambda exc=None: self._end_request(ctx, exc, t_req, t_app))
            elif ctx._deferred:
                # stream_with_context: the context ends when the server closes the body.
                deferred = True
                close = getattr(body, "close", None)
                # Leave the caller's context clean now (the stream's generator sets the
                # context itself while it runs); teardown gets it back in ``end``.
                _cv_request.reset(t_req)
                if t_app is not None:
                    _cv_app.reset(t_app)
                own_app_ctx = t_app is not None

                def end() -> None:
                    t_a = _cv_app.set(app_ctx)
                    t_r = _cv_request.set(ctx)
                    try:
                        try:
                            if close is not None:
                                close()
                        finally:
                            self._end_request(ctx, None, t_r, t_a if own_app_ctx else None)
                    finally:
                        if not own_app_ctx:
                            _cv_app.reset(t_a)

                return _ClosingIterator(body, end)
            return body
        finally:
            if deferred:
                pass
            elif self.teardown_request_funcs or signals is not None or \
                    request._form_parsed or \
                    (t_app is not None and self.teardown_appcontext_funcs):
                self._end_request(ctx, error, t_req, t_app)
            else:
                # Nothing to tear down (the common case): just leave the contexts.
                _cv_request.reset(t_req)
                if t_app is not None:
                    _cv_app.reset(t_app)

    def _dispatch_plain(self, request: Request, ctx: RequestContext, environ: dict[str, Any],
                        start_response: Callable[..., Any]) -> Response | None:
        # full_dispatch_request, dispatch_request and make_response in a straight line, for
        # an app with no hooks, no signals and no subclass overriding those steps. A str or
        # dict answer that nothing else can see or change (no after-request hook, no session,
        # not HEAD) is sent as make_response would build it, without the Response object:
        # the body goes in ``ctx._body`` and None is returned.
        rv: Any
        try:
            if request.routing_exception is not None:
                self.raise_routing_exception(request)
            rule = request.url_rule
            if rule.provide_automatic_options and request.method == "OPTIONS":
                rv = self.make_default_options_response()
            else:
                rv = self.view_functions[rule.endpoint](**request.view_args)  # type: ignore[arg-type]
                if rv.__class__ is _CoroutineType:
                    rv = _run_coroutine(rv)
        except Exception as e:
            rv = self.handle_user_exception(e)
        cls = rv.__class__
        if (cls is str or cls is dict) and self.response_class is Response and \
                not self.after_request_funcs and ctx._session is None and \
                ctx._after_request_functions is None and "HTTP_COOKIE" not in environ and \
                request.method != "HEAD":
            json = self.json
            if cls is str:
                data, ctype = rv.encode(), _HTML_CONTENT_TYPE
            elif json.__class__ is DefaultJSONProvider:
                data = json._fast_dumps(rv, (json.compact is None and self.config["DEBUG"])
                                        or json.compact is False)
                ctype = _JSON_CONTENT_TYPE
            else:
                return self.finalize_request(rv)
            start_response("200 OK", [ctype, ("Content-Length", str(len(data)))])
            ctx._body = [data]
            return None
        if isinstance(rv, Response) and not self.after_request_funcs and \
                ctx._session is None and not ctx._after_request_functions and \
                "HTTP_COOKIE" not in environ:
            # A response object that no hook or session save would touch: finalize_request
            # would hand it back unchanged (make_response returns it, process_response has
            # nothing to run, and no signal can have receivers here).
            return rv
        return self.finalize_request(rv)

    def _send_failure(self, e: Exception, environ: dict[str, Any],
                      start_response: Callable[..., Any]) -> Iterable[bytes]:
        # The response raised while starting (a bad header, a failing iterable): start
        # again with the bare 500, passing exc_info as PEP 3333 asks of a second call.
        exc_info = (type(e), e, e.__traceback__)
        fallback = self._handling_failed(e)
        return fallback(environ, lambda status, headers, _=None:  # type: ignore[no-any-return]
                        start_response(status, headers, exc_info))

    def _end_request(self, ctx: RequestContext, error: BaseException | None,
                     t_req: Any, t_app: Any, reset: bool = True) -> None:
        if error is not None and self.should_ignore_error(error):
            error = None
        try:
            if self.teardown_request_funcs or signals is not None:
                self.do_teardown_request(error)
            if "files" in ctx.request.__dict__:
                ctx.request.close()
            if t_app is not None and (self.teardown_appcontext_funcs or signals is not None):
                self.do_teardown_appcontext(error)
        except Exception as e:
            self._log_teardown_failure(e)
        finally:
            if reset:
                _cv_request.reset(t_req)
                if t_app is not None:
                    _cv_app.reset(t_app)
            if t_app is not None and signals is not None and signals.appcontext_popped.receivers:
                signals.appcontext_popped.send(self, _async_wrapper=self.ensure_sync)

    def full_dispatch_request(self) -> Response:
        """Before-request hooks, the view, then :meth:`finalize_request`."""
        if signals is not None and signals.request_started.receivers:
            signals.request_started.send(self, _async_wrapper=self.ensure_sync)
        try:
            rv = None
            if self.before_request_funcs or self.url_value_preprocessors:
                rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """Run URL value preprocessors and ``before_request`` hooks; a value ends the request."""
        request = _cv_request.get().request
        names = (None, *reversed(request.blueprints))
        for name in names:
            for url_func in self.url_value_preprocessors.get(name, ()):
                url_func(request.endpoint, request.view_args)
        for name in names:
            for before_func in self.before_request_funcs.get(name, ()):
                rv = before_func()
                if rv.__class__ is _CoroutineType:
                    rv = _run_coroutine(rv)
                if rv is not None:
                    return rv
        return None

    def raise_routing_exception(self, request: Request) -> None:
        """Raise the request's routing error (404, 405, or a redirect to the slash URL)."""
        exc = request.routing_exception
        if isinstance(exc, RequestRedirect) and exc.new_url.startswith("/"):
            qs = request.environ.get("QUERY_STRING")
            exc.new_url = request.script_root + quote(exc.new_url) + (f"?{qs}" if qs else "")
        if (isinstance(exc, RequestRedirect) and exc.code not in (307, 308) and self.debug
                and request.method not in ("GET", "HEAD", "OPTIONS")):
            # A browser repeats a 301/302 as GET without the body: say so while developing.
            raise FormDataRoutingRedirect(request)
        raise exc  # type: ignore[misc]

    def dispatch_request(self) -> Any:
        """Call the view of the matched rule (or raise the routing error)."""
        request = _cv_request.get().request
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule = request.url_rule
        if rule.provide_automatic_options and request.method == "OPTIONS":
            return self.make_default_options_response()
        rv = self.view_functions[rule.endpoint](**request.view_args)  # type: ignore[arg-type]
        if rv.__class__ is _CoroutineType:
            rv = _run_coroutine(rv)
        return rv

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run ``teardown_request`` functions (current blueprints first, then the app's)."""
        ctx = _cv_request.get()
        for name in (*ctx.request.blueprints, None):
            for func in reversed(self.teardown_request_funcs.get(name, ())):
                self.ensure_sync(func)(exc)
        if signals is not None and signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run ``teardown_appcontext`` functions, last registered first."""
        for func in reversed(self.teardown_appcontext_funcs):
            self.ensure_sync(func)(exc)
        if signals is not None and signals.appcontext_tearing_down.receivers:
            signals.appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # -- running -----------------------------------------------------------------------

    def run(self, host: str | None = None, port: int | None = None, debug: bool | None = None,
            load_dotenv: bool = True, **options: Any) -> None:
        """Serve the app with the development server (not for production).

        Under the ``stein`` command (``stein run``, or any command importing the app) it
        does nothing: a call outside ``if __name__ == "__main__":`` must not block it.
        """
        if os.environ.get(env_name("RUN_FROM_CLI")) == "true":
            from .serving import is_running_from_reloader  # deferred: the dev server

            if not is_running_from_reloader():
                print(" * Ignoring a call to 'app.run()' made while the app was loaded by "
                      "the command line; put it under 'if __name__ == \"__main__\":'.",
                      file=sys.stderr)
            return
        if debug is not None:
            self.debug = bool(debug)
        from .serving import run_simple  # deferred: the dev server

        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        host = host or sn_host or "127.0.0.1"
        # 0 is a port (the OS picks a free one), not "unset".
        port = int(port) if port is not None else int(sn_port or 5000)
        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)
        run_simple(host, port, self, **options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _mark_asgi3(call: Callable[..., Any]) -> None:
    # ASGI servers that detect the interface (uvicorn, hypercorn) call an app ASGI 3 when
    # its __call__ is a coroutine function, else wrap it as ASGI 2 (a partial and an extra
    # coroutine per request). Stein.__call__ serves both, so it carries the markers that
    # asyncio.iscoroutinefunction and (3.12+) inspect.iscoroutinefunction look for. Only
    # when those modules are loaded already, as every ASGI server has them before it
    # imports the app: ``import stein`` itself does not pay for importing asyncio.
    aio = sys.modules.get("asyncio.coroutines")
    if aio is not None and hasattr(aio, "_is_coroutine"):
        call._is_coroutine = aio._is_coroutine  # type: ignore[attr-defined]
    inspect = sys.modules.get("inspect")
    if inspect is not None and hasattr(inspect, "markcoroutinefunction"):
        inspect.markcoroutinefunction(call)


_mark_asgi3(Stein.__call__)
