"""Context-local namespaces and stacks: Werkzeug's ``werkzeug.local`` for code that uses it.

Stein's own contexts use one ``ContextVar`` per value (see :mod:`stein.ctx`), which is
the cheapest way to keep per-thread and per-task state. Older Flask extensions keep their
state in a :class:`Local` (a namespace of attributes) or a :class:`LocalStack` (a stack
with ``push``/``pop``/``top``) and expose it through :class:`~stein.ctx.LocalProxy`.
Both are built on a ``ContextVar`` too, holding a dict or a list that is copied on each
change, so a value set in one thread or asyncio task is never seen by another, and a
nested context (``contextvars.copy_context().run``) cannot change its parent's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from functools import update_wrapper
from typing import Any, Generic, TypeVar

from .ctx import LocalProxy
from .wrappers import _ClosingIterator

__all__ = ["Local", "LocalManager", "LocalProxy", "LocalStack", "release_local"]

T = TypeVar("T")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def release_local(local: Local | LocalStack[Any]) -> None:
    """Forget the current context's data in ``local`` (a :class:`Local` or :class:`LocalStack`).

    >>> ns = Local()
    >>> ns.user = "ada"
    >>> release_local(ns)
    >>> hasattr(ns, "user")
    False
    """
    local.__release_local__()


class Local:
    """A namespace whose attributes belong to the current thread or asyncio task.

    >>> ns = Local()
    >>> ns.user = "ada"
    >>> ns.user
    'ada'
    >>> current_user = ns("user")  # a LocalProxy to ``ns.user``
    >>> current_user.upper()
    'ADA'
    """

    __slots__ = ("_Local__storage",)
    # stein.ctx.LocalProxy calls _proxy_get; a Local has no "whole object" to proxy.
    _proxy_needs_name = True

    def __init__(self, context_var: ContextVar[dict[str, Any]] | None = None) -> None:
        if context_var is None:
            context_var = ContextVar(f"stein.Local<{id(self)}>")
        object.__setattr__(self, "_Local__storage", context_var)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.__storage.get({}).items())

    def __call__(self, name: str, *, unbound_message: str | None = None) -> LocalProxy:
        """A :class:`~stein.ctx.LocalProxy` to the attribute ``name`` of this namespace."""
        return LocalProxy(self, name, unbound_message=unbound_message)

    def _proxy_get(self, name: str, message: str) -> Any:
        try:
            return self.__storage.get({})[name]
        except KeyError:
            raise RuntimeError(message) from None

    def __release_local__(self) -> None:
        self.__storage.set({})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__storage.get({})[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        # Copy, never mutate: a context copied from this one keeps its own dict.
        values = dict(self.__storage.get({}))
        values[name] = value
        self.__storage.set(values)

    def __delattr__(self, name: str) -> None:
        values = self.__storage.get({})
        if name not in values:
            raise AttributeError(name)
        values = dict(values)
        del values[name]
        self.__storage.set(values)


class LocalStack(Generic[T]):
    """A stack that belongs to the current thread or asyncio task.

    >>> stack: LocalStack[str] = LocalStack()
    >>> stack.push("a") and stack.push("b")
    ['a', 'b']
    >>> stack.top, stack.pop(), stack.top
    ('b', 'b', 'a')
    >>> top = stack()  # a LocalProxy to the top item
    >>> top.upper()
    'A'
    """

    __slots__ = ("_storage",)

    def __init__(self, context_var: ContextVar[list[T]] | None = None) -> None:
        if context_var is None:
            context_var = ContextVar(f"stein.LocalStack<{id(self)}>")
        self._storage = context_var

    def __release_local__(self) -> None:
        self._storage.set([])

    def push(self, obj: T) -> list[T]:
        """Put ``obj`` on top; returns the stack as a new list."""
        stack = [*self._storage.get([]), obj]
        self._storage.set(stack)
        return stack

    def pop(self) -> T | None:
        """Take the top item off and return it (``None`` when the stack is empty)."""
        stack = self._storage.get([])
        if not stack:
            return None
        self._storage.set(stack[:-1])
        return stack[-1]

    @property
    def top(self) -> T | None:
        """The top item, or ``None`` when the stack is empty."""
        stack = self._storage.get([])
        return stack[-1] if stack else None

    def __call__(self, name: str | None = None, *,
                 unbound_message: str | None = None) -> LocalProxy:
        """A :class:`~stein.ctx.LocalProxy` to the top item (or its attribute ``name``)."""
        return LocalProxy(self, name, unbound_message=unbound_message)

    def _proxy_get(self, name: str | None, message: str) -> Any:
        stack = self._storage.get([])
        if not stack:
            raise RuntimeError(message)
        return stack[-1] if name is None else getattr(stack[-1], name)


class LocalManager:
    """Releases the data of several locals at once, e.g. at the end of each request.

    >>> ns = Local()
    >>> manager = LocalManager([ns])
    >>> ns.user = "ada"
    >>> manager.cleanup()
    >>> hasattr(ns, "user")
    False

    ``manager.make_middleware(wsgi_app)`` (or ``@manager.middleware``) calls ``cleanup``
    when the server closes each response.
    """

    __slots__ = ("locals",)

    def __init__(self, locals: Local | LocalStack[Any] | Iterable[Local | LocalStack[Any]]
                 | None = None) -> None:
        if locals is None:
            self.locals: list[Local | LocalStack[Any]] = []
        elif isinstance(locals, (Local, LocalStack)):
            self.locals = [locals]
        else:
            self.locals = list(locals)

    def cleanup(self) -> None:
        """Release every managed local's data for the current context."""
        for local in self.locals:
            release_local(local)

    def make_middleware(self, app: WSGIApp) -> WSGIApp:
        """Wrap a WSGI app so that :meth:`cleanup` runs once each response is closed."""

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            return _ClosingIterator(app(environ, start_response), self.cleanup)

        return application

    def middleware(self, func: WSGIApp) -> WSGIApp:
        """:meth:`make_middleware` as a decorator of a WSGI function."""
        return update_wrapper(self.make_middleware(func), func)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} storages: {len(self.locals)}>"
