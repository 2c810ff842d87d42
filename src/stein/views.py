"""Class-based views: :class:`View` and :class:`MethodView`.

A class groups the handlers of one resource and lets subclasses share behaviour;
``as_view`` turns it into the plain view function the router calls, so class-based
views cost the router nothing extra. By default each request gets a new instance
(state set on ``self`` cannot leak between requests); ``init_every_request = False``
reuses one instance when construction is expensive and the view keeps no state.
Async handlers (``async def get``) run through ``app.ensure_sync`` like async views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .ctx import current_app, request

http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])


class View:
    """Subclass and implement :meth:`dispatch_request`; register with
    ``app.add_url_rule("/x", view_func=MyView.as_view("name"))``.

    ``methods`` sets the allowed methods, ``decorators`` wraps the view function, and
    ``init_every_request = False`` reuses one instance for all requests.

    >>> from stein import Stein
    >>> class Hello(View):
    ...     def __init__(self, greeting):
    ...         self.greeting = greeting
    ...     def dispatch_request(self, name):
    ...         return f"{self.greeting}, {name}"
    >>> app = Stein(__name__)
    >>> app.add_url_rule("/hi/<name>", view_func=Hello.as_view("hi", "Hello"))
    >>> app.test_client().get("/hi/ada").text
    'Hello, ada'
    """

    methods: ClassVar[Any] = None
    provide_automatic_options: ClassVar[bool | None] = None
    decorators: ClassVar[list[Callable[..., Any]]] = []
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        """Handle the request; the URL's values arrive as keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
        """A view function for this class; arguments are passed to the constructor."""
        if cls.init_every_request:

            def view(**kwargs: Any) -> Any:
                self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return current_app.ensure_sync(self.dispatch_request)(**kwargs)

        else:
            self = cls(*class_args, **class_kwargs)

            def view(**kwargs: Any) -> Any:
                return current_app.ensure_sync(self.dispatch_request)(**kwargs)

        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """Dispatches to the method named like the HTTP method (``get``, ``post``, ...).

    ``methods`` is filled in from the methods the class defines; HEAD falls back to
    ``get``.

    >>> from stein import Stein
    >>> class Item(MethodView):
    ...     def get(self, id):
    ...         return f"item {id}"
    ...     def delete(self, id):
    ...         return "", 204
    >>> app = Stein(__name__)
    >>> app.add_url_rule("/items/<int:id>", view_func=Item.as_view("item"))
    >>> sorted(Item.methods)
    ['DELETE', 'GET']
    >>> app.test_client().delete("/items/3").status_code
    204
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods = set()
            for base in cls.__bases__:
                if getattr(base, "methods", None):
                    methods.update(base.methods)  # type: ignore[attr-defined]
            for key in http_method_funcs:
                if hasattr(cls, key):
                    methods.add(key.upper())
            if methods:
                cls.methods = methods

    def dispatch_request(self, **kwargs: Any) -> Any:
        meth = getattr(self, request.method.lower(), None)
        if meth is None and request.method == "HEAD":
            meth = getattr(self, "get", None)
        assert meth is not None, f"Unimplemented method {request.method!r}"
        return current_app.ensure_sync(meth)(**kwargs)
