"""Application and request contexts, kept in ``contextvars``.

``contextvars`` give each thread (WSGI) and each asyncio task (ASGI) its own current
request without thread-local tricks. The globals ``request``, ``session``, ``g`` and
``current_app`` are thin proxies that look the current context up on every use.
"""

from __future__ import annotations

import copy
import math
import operator
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from functools import partial, update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import exceptions as _exceptions
from ._accel import speedups

# The two context variables live one layer down, where the wrappers read the app's config.
from .ctxvars import _cv_app as _cv_app
from .ctxvars import _cv_request as _cv_request

if TYPE_CHECKING:
    from .app import Stein
    from .wrappers import Request, Response

F = TypeVar("F", bound=Callable[..., Any])


_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed the current
application. To solve this, set up an application context with app.app_context().\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed an active HTTP
request. Use app.test_request_context() in tests, or run the code inside a view.\
"""

_sentinel: Any = object()

# ``stein.signals`` once it is imported, else None: no receiver can exist, so the request
# path skips every send. Modules above this one that send signals register with
# on_signals_loaded instead of importing stein.signals (which would load blinker).
signals: Any = None
_signals_listeners: list[Callable[[Any], None]] = []


def on_signals_loaded(listener: Callable[[Any], None]) -> None:
    """Call ``listener(stein.signals)`` when that module is imported (now, if it is).

    For modules that send signals on a hot path and keep the module in a global of their
    own (a global read is cheaper than ``ctx.signals``):

    >>> seen = []
    >>> on_signals_loaded(seen.append)
    >>> import stein.signals
    >>> seen[-1] is stein.signals
    True
    """
    _signals_listeners.append(listener)
    if signals is not None:
        listener(signals)


def _signals_loaded(module: Any) -> None:
    # Called by stein.signals at import.
    global signals
    signals = module
    for listener in _signals_listeners:
        listener(module)
# Stands for the level of a context that the app made current itself (see AppContext.push).
_IMPLICIT: Any = object()

# How ``g`` and an unbound proxy show in ``repr``; stein.compat switches them to Flask's
# wording (``<flask.g of 'app'>``, ``<LocalProxy unbound>``), which Flask code may print
# or compare.
G_REPR_PACKAGE = "stein"
UNBOUND_PROXY_REPR = "<unbound proxy {name}>"


class _AppCtxGlobals:
    """The ``g`` namespace: an object to store data on for the length of an app context."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        """``g.name`` or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _sentinel) -> Any:
        """Remove and return ``g.name`` (``KeyError`` without a default)."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        actx = _cv_app.get(None)
        if actx is not None:
            return f"<{G_REPR_PACKAGE}.g of {actx.app.name!r}>"
        return object.__repr__(self)


class AppContext:
    """Makes ``current_app`` and ``g`` available. Pushed for every request, or by hand
    with ``with app.app_context():``."""

    # Class-level defaults rather than __slots__: one context per request, and setting
    # one attribute is cheaper than filling four slots and a list.
    _g: _AppCtxGlobals | None = None
    url_adapter: Any = None
    _tokens: list[Token[AppContext]] | None = None

    def __init__(self, app: Stein) -> None:
        self.app = app

    @property
    def g(self) -> _AppCtxGlobals:
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    def push(self) -> None:
        if self._tokens is None:
            # Stein.wsgi_app makes a context current without push(); a push inside the
            # request (``with app_ctx:``) is then a nested one, and must not tear down.
            self._tokens = [] if _cv_app.get(None) is not self else [_IMPLICIT]
        self._tokens.append(_cv_app.set(self))
        if signals is not None and signals.appcontext_pushed.receivers:
            signals.appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        tokens = self._tokens if self._tokens is not None else []
        try:
            if len(tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_app.get()
            _cv_app.reset(tokens.pop())
        if ctx is not self:
            raise AssertionError(f"Popped wrong app context. ({ctx!r} instead of {self!r})")
        if signals is not None and signals.appcontext_popped.receivers:
            signals.appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.pop(exc)


def _app_aborter() -> Callable[..., Any] | None:
    actx = _cv_app.get(None)
    return None if actx is None else actx.app.aborter  # type: ignore[no-any-return]


# abort() (in stein.exceptions, which knows no contexts) asks for the active app's aborter.
_exceptions.use_app_aborter(_app_aborter)


class RequestContext:
    """Holds the request, its session and flashes; pushes an app context when needed."""

    # Class-level defaults rather than __slots__: a request sets only what it uses.
    _session: Any = None
    flashes: list[tuple[str, str]] | None = None
    _after_request_functions: list[Callable[[Response], Response]] | None = None
    _app_ctx: AppContext | None = None
    _tokens: list[Token[RequestContext]] | None = None
    url_adapter: Any = None
    _deferred = False
    _cv_app_token: Any = None
    # The body list when the app answered without a Response object (Stein._dispatch_plain).
    _body: Any = None

    def __init__(self, app: Stein, environ: dict[str, Any], request: Request | None = None,
                 session: Any = None) -> None:
        self.app = app
        if request is None:
            request = app.request_class(environ)
        self.request = request
        if session is not None:
            self._session = session

    @property
    def session(self) -> Any:
        """The session, opened on first access (a request that never touches it pays nothing)."""
        s = self._session
        if s is None:
            app = self.app
            s = app.session_interface.open_session(app, self.request)
            if s is None:
                s = app.session_interface.make_null_session(app)
            self._session = s
        return s

    @session.setter
    def session(self, value: Any) -> None:
        self._session = value

    def copy(self) -> RequestContext:
        """A context with the same request and session, e.g. for another thread."""
        return self.__class__(self.app, self.request.environ, self.request, self._session)

    def push(self) -> None:
        actx = _cv_app.get(None)
        if actx is None or actx.app is not self.app:
            actx = self.app.app_context()
            actx.push()
            self._app_ctx = actx
        else:
            self._app_ctx = None
        if self._tokens is None:
            self._tokens = [] if _cv_request.get(None) is not self else [_IMPLICIT]
        self._tokens.append(_cv_request.set(self))

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        tokens = self._tokens if self._tokens is not None else []
        clear = len(tokens) == 1
        try:
            if clear:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                self.request.close()
        finally:
            ctx = _cv_request.get()
            _cv_request.reset(tokens.pop())
            if clear and self._app_ctx is not None:
                self._app_ctx.pop(exc)
        if ctx is not self:
            raise AssertionError(f"Popped wrong request context. ({ctx!r} instead of {self!r})")

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.pop(exc)

    def __repr__(self) -> str:
        try:
            return f"<RequestContext {self.request.url!r} [{self.request.method}] of {self.app.name}>"
        except Exception:
            return "<RequestContext>"


class _ProxyOps:
    """What a context proxy forwards besides attribute reads: item access, iteration,
    comparison, calls, ``repr`` and ``isinstance``. A mixin; the class that mixes it in
    provides ``_lookup``, ``_proxy_name`` and the attribute read itself."""

    __slots__ = ()
    _lookup: Callable[[], Any]
    _proxy_name: str

    def _get_current_object(self) -> Any:
        """The real object behind the proxy (to pass to another thread, or compare)."""
        return self._lookup()

    @property
    def __wrapped__(self) -> Any:
        # What the proxy stands for, without looking it up: inspect.unwrap, doctest and
        # pytest ask for this and must not get "Working outside of request context".
        return self._lookup

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._lookup(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._lookup(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._lookup()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._lookup()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._lookup()[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._lookup()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._lookup())

    def __len__(self) -> int:
        return len(self._lookup())

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self._lookup())

    def __or__(self, other: Any) -> Any:
        return self._lookup() | other

    def __ror__(self, other: Any) -> Any:
        return other | self._lookup()

    def __bool__(self) -> bool:
        try:
            return bool(self._lookup())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return self._lookup() == other  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        return self._lookup() != other  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return hash(self._lookup())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._lookup()(*args, **kwargs)

    def __repr__(self) -> str:
        try:
            return repr(self._lookup())
        except RuntimeError:
            return UNBOUND_PROXY_REPR.format(name=self._proxy_name)

    def __str__(self) -> str:
        return str(self._lookup())

    def __dir__(self) -> list[str]:
        try:
            return dir(self._lookup())
        except RuntimeError:
            return []

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        # isinstance(request, Request) works as with the real object.
        try:
            return type(self._lookup())
        except RuntimeError:
            return _Proxy


class _Proxy(_ProxyOps):
    """Forwards every operation to the object ``lookup()`` returns at the time of use."""

    __slots__ = ("_lookup", "_proxy_name")

    def __init__(self, lookup: Callable[[], Any], name: str) -> None:
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_proxy_name", name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lookup(), name)


def _lookup_request() -> Request:
    try:
        return _cv_request.get().request
    except LookupError:
        raise RuntimeError(_no_req_msg) from None


def _lookup_session() -> Any:
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    s = ctx._session  # once open, skip the ``session`` property
    return s if s is not None else ctx.session


def _lookup_app() -> Stein:
    try:
        return _cv_app.get().app
    except LookupError:
        raise RuntimeError(_no_app_msg) from None


def _lookup_g() -> _AppCtxGlobals:
    try:
        return _cv_app.get().g
    except LookupError:
        raise RuntimeError(_no_app_msg) from None


class _FastProxy(_Proxy):
    """A proxy whose attribute reads skip the failed normal lookup that ``__getattr__``
    waits for (an AttributeError raised and swallowed on every ``request.args``).

    Names the proxy type itself has (its methods, ``__class__``, ``__doc__``...) resolve
    on the proxy exactly as before; every other name goes to the current object.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name in _proxy_own_names:
            return object.__getattribute__(self, name)
        return getattr(object.__getattribute__(self, "_lookup")(), name)


class _RequestProxy(_FastProxy):
    """The ``request`` proxy, with the context lookup inlined (views read it most)."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name in _proxy_own_names:
            return object.__getattribute__(self, name)
        ctx = _cv_request.get(None)
        if ctx is None:
            raise RuntimeError(_no_req_msg)
        return getattr(ctx.request, name)


class _SessionItems:
    """Item access and ``in`` for the ``session`` proxy: straight to the lookup, which
    through ``self._lookup`` would pay the attribute hook first."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        return _lookup_session()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        _lookup_session()[key] = value

    def __contains__(self, key: Any) -> bool:
        return key in _lookup_session()


class _SessionProxy(_SessionItems, _FastProxy):
    """The ``session`` proxy: attribute and item access reach the open session directly
    (``session.get``, ``session[k] = v``), opening it on first use as ``ctx.session`` does."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name in _proxy_own_names:
            return object.__getattribute__(self, name)
        return getattr(_lookup_session(), name)


_proxy_own_names = frozenset(dir(_RequestProxy)) | frozenset(dir(_SessionProxy))

if speedups is not None:
    # The same proxies with the attribute read done in C (stein/_speedups.c): the context
    # variable, the context's attribute and the final getattr without a Python frame.
    _ContextProxy: Any = speedups.ContextProxy

    class _CProxy(_ContextProxy, _ProxyOps):
        __slots__ = ()

    class _CSessionProxy(_ContextProxy, _SessionItems, _ProxyOps):
        __slots__ = ()

    _c_own_names = frozenset(dir(_CProxy)) | frozenset(dir(_CSessionProxy))
    request: Request = cast("Request", _CProxy(
        _lookup_request, "request", _c_own_names, _cv_request, "request", _no_req_msg))
    session: Any = _CSessionProxy(_lookup_session, "session", _c_own_names)
    current_app: Stein = cast("Stein", _CProxy(
        _lookup_app, "current_app", _c_own_names, _cv_app, "app", _no_app_msg))
    g: _AppCtxGlobals = cast(_AppCtxGlobals, _CProxy(
        _lookup_g, "g", _c_own_names, _cv_app, "g", _no_app_msg))
else:
    request = cast("Request", _RequestProxy(_lookup_request, "request"))
    session = _SessionProxy(_lookup_session, "session")
    current_app = cast("Stein", _FastProxy(_lookup_app, "current_app"))
    g = cast(_AppCtxGlobals, _FastProxy(_lookup_g, "g"))


def _forward(fn: Callable[..., Any]) -> Callable[..., Any]:
    # A special method of LocalProxy that applies ``fn`` to the current object: Python
    # looks special methods up on the type, so ``__getattr__`` alone never sees them.
    def method(self: LocalProxy, *args: Any) -> Any:
        return fn(self._lookup(), *args)

    return method


def _forward_method(name: str) -> Callable[..., Any]:
    # For special methods with no builtin that calls them (``__enter__``, ``__aexit__``...).
    def method(self: LocalProxy, *args: Any) -> Any:
        return getattr(self._lookup(), name)(*args)

    return method


def _forward_inplace(fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    # ``proxy += x`` changes the object in place and keeps the name bound to the proxy.
    def method(self: LocalProxy, other: Any) -> LocalProxy:
        fn(self._lookup(), other)
        return self

    return method


class LocalProxy(_ProxyOps):
    """A proxy to whatever a context variable, a callable, a :class:`~stein.local.Local`
    or a :class:`~stein.local.LocalStack` holds at the time of use; Werkzeug's
    ``LocalProxy``, which Flask extensions build their globals from. Every operation,
    operators and ``with`` included, goes to the current object.

    >>> from contextvars import ContextVar
    >>> user: ContextVar[str] = ContextVar("user")
    >>> current_user = LocalProxy(user)
    >>> token = user.set("ada")
    >>> current_user.upper(), current_user + "!"
    ('ADA', 'ada!')
    >>> LocalProxy(lambda: {"a": 1})["a"]
    1

    ``name`` reads that attribute of the object (``LocalProxy(_cv_app, "g")``);
    ``unbound_message`` is the ``RuntimeError`` text when there is nothing to proxy.
    """

    __slots__ = ("_lookup", "_proxy_name", "__wrapped")

    def __init__(self, local: Any, name: str | None = None, *,
                 unbound_message: str | None = None) -> None:
        message = unbound_message or "object is not bound"
        get: Callable[[], Any]
        if isinstance(local, ContextVar):
            def get() -> Any:
                try:
                    obj = local.get()
                except LookupError:
                    raise RuntimeError(message) from None
                return obj if name is None else getattr(obj, name)
        elif hasattr(type(local), "_proxy_get"):
            # stein.local.Local / LocalStack: the seam that keeps ctx from importing local.
            if name is None and getattr(type(local), "_proxy_needs_name", False):
                raise TypeError("'name' is required when proxying a 'Local' object.")
            get = partial(local._proxy_get, name, message)
        elif callable(local):
            def get() -> Any:
                obj = local()
                return obj if name is None else getattr(obj, name)
        else:
            raise TypeError(f"Don't know how to proxy {type(local)!r}.")
        object.__setattr__(self, "_lookup", get)
        object.__setattr__(self, "_proxy_name", name or getattr(local, "__name__", "proxy"))
        object.__setattr__(self, "_LocalProxy__wrapped", local)

    @property
    def __wrapped__(self) -> Any:
        return object.__getattribute__(self, "_LocalProxy__wrapped")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lookup(), name)

    def __repr__(self) -> str:
        try:
            return repr(self._lookup())
        except RuntimeError:
            return f"<{type(self).__name__} unbound>"

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        try:
            return type(self._lookup())
        except RuntimeError:
            return type(self)

    def __copy__(self) -> Any:
        return copy.copy(self._lookup())

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self._lookup(), memo)


def _swap(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda obj, other: fn(other, obj)


_unary_and_binary: dict[str, Callable[..., Any]] = {
    "__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt,
    "__ge__": operator.ge, "__bytes__": bytes, "__format__": format,
    "__length_hint__": operator.length_hint, "__next__": next, "__reversed__": reversed,
    "__neg__": operator.neg, "__pos__": operator.pos, "__abs__": abs,
    "__invert__": operator.invert, "__complex__": complex, "__int__": int,
    "__float__": float, "__index__": operator.index, "__round__": round,
    "__trunc__": math.trunc, "__floor__": math.floor, "__ceil__": math.ceil,
    "__divmod__": divmod, "__rdivmod__": _swap(divmod), "__pow__": pow,
    "__rpow__": _swap(pow),
}
for _name, _fn in _unary_and_binary.items():
    setattr(LocalProxy, _name, _forward(_fn))
for _op in ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "lshift",
            "rshift", "and", "xor", "or"):
    _fn = getattr(operator, _op if _op not in ("and", "or") else _op + "_")
    setattr(LocalProxy, f"__{_op}__", _forward(_fn))
    setattr(LocalProxy, f"__r{_op}__", _forward(_swap(_fn)))
    setattr(LocalProxy, f"__i{_op}__", _forward_inplace(getattr(operator, f"i{_op}")))
LocalProxy.__ipow__ = _forward_inplace(operator.ipow)  # type: ignore[attr-defined]
for _name in ("__enter__", "__exit__", "__await__", "__aiter__", "__anext__",
              "__aenter__", "__aexit__"):
    setattr(LocalProxy, _name, _forward_method(_name))
del _name, _fn, _op, _unary_and_binary


# Flask's names for the contexts themselves (``flask.globals.app_ctx``/``request_ctx``).
app_ctx: AppContext = cast(AppContext, LocalProxy(_cv_app, unbound_message=_no_app_msg))
request_ctx: RequestContext = cast(
    RequestContext, LocalProxy(_cv_request, unbound_message=_no_req_msg))


def has_request_context() -> bool:
    """Whether a request context is active (e.g. inside a view)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """Whether an app context is active."""
    return _cv_app.get(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after the current request, before the app's ``after_request``."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("'after_this_request' can only be used when a request context is active.")
    if ctx._after_request_functions is None:
        ctx._after_request_functions = []
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Decorate ``f`` so that it runs inside a copy of the current request context
    (for handing work to another thread or greenlet)."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is active."
        )
    ctx = ctx.copy()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with ctx:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    return cast(F, update_wrapper(wrapper, f))


def stream_with_context(generator_or_function: Any) -> Any:
    """Keep the request context active while a streamed response's generator runs.

    Teardown of the request then waits until the stream is closed.
    """
    if callable(generator_or_function) and not hasattr(generator_or_function, "__next__"):
        func = generator_or_function

        def decorator(*args: Any, **kwargs: Any) -> Any:
            return stream_with_context(func(*args, **kwargs))

        return update_wrapper(decorator, func)
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active, such as"
            " in a view function."
        )
    ctx._deferred = True
    gen = iter(generator_or_function)
    app_ctx = _cv_app.get(None)

    def generator() -> Iterator[Any]:
        t_app = _cv_app.set(app_ctx) if app_ctx is not None else None
        t_req = _cv_request.set(ctx)
        try:
            yield from gen
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                close()
            _cv_request.reset(t_req)
            if t_app is not None:
                _cv_app.reset(t_app)

    return generator()
