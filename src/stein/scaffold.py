"""What the app and blueprints share: route decorators, hooks, error handlers, resources.

Hooks and handlers are stored in dicts keyed by blueprint name, ``None`` for the app,
so the app finds those of the current blueprint chain with plain dict lookups.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import defaultdict
from collections.abc import Callable
from functools import update_wrapper
from typing import IO, Any, TypeVar, cast

from .ctx import current_app
from .exceptions import HTTPException, default_exceptions

F = TypeVar("F", bound=Callable[..., Any])


def setupmethod(f: F) -> F:
    """Mark a registration method: once the app has handled a request (or a blueprint has
    been registered), calling it raises ``AssertionError``, since a change then would
    reach some requests or registrations and not others.

    >>> class Thing(Scaffold):
    ...     @setupmethod
    ...     def add_thing(self, thing): ...
    """
    name = f.__name__

    def wrapper(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    return cast(F, update_wrapper(wrapper, f))


ErrorHandlerSpec = dict[Any, dict[Any, dict[type, Callable[..., Any]]]]


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (the cwd when unknown)."""
    mod = sys.modules.get(import_name)
    mod_file = getattr(mod, "__file__", None) if mod is not None else None
    if mod_file:
        return os.path.dirname(os.path.abspath(mod_file))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin in (None, "namespace", "built-in", "frozen"):
        return os.getcwd()
    if spec.submodule_search_locations:
        return os.path.dirname(os.path.abspath(spec.origin))  # type: ignore[arg-type]
    return os.path.dirname(os.path.abspath(spec.origin))  # type: ignore[arg-type]


class Scaffold:
    """Registration API common to :class:`~stein.Stein` and :class:`~stein.Blueprint`."""

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(self, import_name: str, static_folder: str | os.PathLike[str] | None = None,
                 static_url_path: str | None = None, template_folder: str | os.PathLike[str] | None = None,
                 root_path: str | None = None) -> None:
        self.import_name = import_name
        self.static_folder = static_folder  # type: ignore[assignment]
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(import_name)
        self.root_path = root_path
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handler_spec: ErrorHandlerSpec = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[Any, list[Callable[..., Any]]] = defaultdict(list)
        self.after_request_funcs: dict[Any, list[Callable[..., Any]]] = defaultdict(list)
        self.teardown_request_funcs: dict[Any, list[Callable[..., Any]]] = defaultdict(list)
        self.template_context_processors: dict[Any, list[Callable[..., Any]]] = defaultdict(list)
        self.url_value_preprocessors: dict[Any, list[Callable[..., Any]]] = defaultdict(list)
        self.url_default_functions: dict[Any, list[Callable[..., Any]]] = defaultdict(list)
        self.cli: Any = None

    def _check_setup_finished(self, f_name: str) -> None:
        """Raise ``AssertionError`` if ``f_name`` comes too late (see :func:`setupmethod`)."""

    # -- static files and resources ----------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """Absolute path of the static folder, or ``None``."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """URL prefix of static files (defaults to ``/`` + the folder's name)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """``max_age`` for static files: ``SEND_FILE_MAX_AGE_DEFAULT`` (``None`` by default)."""
        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if hasattr(value, "total_seconds"):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Any:
        """Serve a file from the static folder (the ``static`` view)."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .files import send_from_directory  # deferred: files loads mimetypes

        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(self.static_folder, filename, max_age=max_age)  # type: ignore[arg-type]

    @property
    def jinja_loader(self) -> Any:
        """A Jinja loader for ``template_folder``, or ``None``."""
        if self.template_folder is not None:
            from jinja2 import FileSystemLoader  # deferred: Jinja2 loads with the first template

            return FileSystemLoader(os.path.join(self.root_path, self.template_folder))
        return None

    def open_resource(self, resource: str, mode: str = "rb", encoding: str | None = None) -> IO[Any]:
        """Open a file relative to ``root_path`` for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding or "utf-8")

    # -- routes ------------------------------------------------------------------------

    def add_url_rule(self, rule: str, endpoint: str | None = None,
                     view_func: Callable[..., Any] | None = None,
                     provide_automatic_options: bool | None = None, **options: Any) -> None:
        raise NotImplementedError

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the view for ``rule``.

        ``methods``, ``endpoint``, ``defaults``, ``strict_slashes``, ``subdomain``,
        ``host`` and the other :class:`~stein.routing.Rule` options are accepted.
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Register the decorated function as the view of an endpoint whose rule is added
        with ``add_url_rule`` (no ``view_func``)."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks -------------------------------------------------------------------------

    @setupmethod
    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-``None`` return value is the response."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response to send."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when the request context ends, error or not."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def context_processor(self, f: F) -> F:
        """``f()`` returns a dict of names added to every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, view_args)`` after routing, before ``before_request``."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` in ``url_for`` to fill in values."""
        self.url_default_functions[None].append(f)
        return f

    def errorhandler(self, code_or_exception: type[Exception] | int) -> Callable[[F], F]:
        """Handle a status code or an exception class with the decorated function."""

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(self, code_or_exception: type[Exception] | int,
                               f: Callable[..., Any]) -> None:
        """The non-decorator form of :meth:`errorhandler`."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(exc_class_or_code: type[Exception] | int) -> tuple[type[Exception], int | None]:
        if isinstance(exc_class_or_code, int):
            try:
                exc_class: type[Exception] = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass"
                    " of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(f"{exc_class!r} is an instance, not a class. Handlers can only be registered for Exception classes or HTTP error codes.")
        if not issubclass(exc_class, Exception):
            raise ValueError(f"'{exc_class.__name__}' is not a subclass of Exception. Handlers can only be registered for Exception classes or HTTP error codes.")
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _endpoint_from_view_func(view_func: Callable[..., Any]) -> str:
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__
