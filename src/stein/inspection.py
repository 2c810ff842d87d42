"""What runs for a URL, and what an app is made of: the data behind ``stein inspect``.

:func:`explain_url` matches a method and path the way a request would (a test request
context, so the real router, subdomains and redirects decide) and lists, in the order the
app runs them, the URL value preprocessors, ``before_request`` hooks, the view's
decorators and the view, the templates it renders, the context processors, the
``after_request`` and teardown hooks, and the error handler that would answer each error
the app has a handler for; each with its file and ``def`` line (:mod:`stein.sourceinfo`).
The order is the one :meth:`Stein.preprocess_request <stein.Stein.preprocess_request>`,
:meth:`~stein.Stein.process_response` and the teardown methods use: the app's hooks, then
the blueprints' from the outermost in, and the reverse for ``after_request`` and teardown.

:func:`describe_app` lists the blueprints (nesting, URL prefix, subdomain, where each is
defined), ``app.extensions``, the signals' receivers, the app's CLI commands, and every
config key with where its value came from (:meth:`stein.config.Config.source_of`).

Both return dataclasses; ``dataclasses.asdict`` gives the ``--json`` output.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from .exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    default_exceptions,
)
from .helpers import env_name
from .sourceinfo import (
    blueprint_definition,
    definition,
    display_name,
    enclosing_function,
    innermost,
    templates_rendered,
)

__all__ = ["Step", "TemplateUse", "ErrorRoute", "URLReport", "BlueprintInfo", "ConfigEntry",
           "AppReport", "explain_url", "describe_app", "error_handler_for", "show_value"]


@dataclass
class Step:
    """One function the app runs (or holds), where it is defined, and for whom: ``scope``
    is ``"app"`` or ``"blueprint <name>"``.

    >>> def hook(): ...
    >>> step = Step.of(hook, "app")
    >>> step.name, step.scope
    ('hook', 'app')
    """

    name: str
    file: str | None
    line: int | None
    scope: str = "app"
    note: str = ""

    @classmethod
    def of(cls, func: Any, scope: str = "app", note: str = "", name: str | None = None) -> Step:
        """The step for ``func``, named after it unless ``name`` is given."""
        file, line = definition(func)
        return cls(name or display_name(innermost(func)), file, line, scope, note)


@dataclass
class TemplateUse:
    """A template a view renders (``via`` is the template that extends, includes or
    imports it, for the templates found through another); ``file`` is ``None`` when no
    loader finds it."""

    name: str
    file: str | None
    via: str | None = None


@dataclass
class ErrorRoute:
    """An error (``"404 Not Found"``, ``"ValueError"``) and the handler that would answer
    it for this URL (``None``: Stein's default error page, or a 500 for other exceptions)."""

    error: str
    handler: Step | None


@dataclass
class URLReport:
    """What runs for one request, in order. ``outcome`` is ``"view"``, or the routing
    error the request ends with (``"404 Not Found"``, ``"308 redirect to /x/"``)."""

    method: str
    path: str
    outcome: str
    endpoint: str | None = None
    rule: str | None = None
    view_args: dict[str, Any] = field(default_factory=dict)
    blueprints: list[str] = field(default_factory=list)
    url_value_preprocessors: list[Step] = field(default_factory=list)
    before_request: list[Step] = field(default_factory=list)
    decorators: list[Step] = field(default_factory=list)
    view: Step | None = None
    templates: list[TemplateUse] = field(default_factory=list)
    context_processors: list[Step] = field(default_factory=list)
    after_request: list[Step] = field(default_factory=list)
    teardown: list[Step] = field(default_factory=list)
    error_handlers: list[ErrorRoute] = field(default_factory=list)


_STATUS_CODES = frozenset(s.value for s in HTTPStatus)


def _scope(name: str | None) -> str:
    return "app" if name is None else f"blueprint {name}"


def _steps(funcs_by_name: dict[Any, list[Callable[..., Any]]], names: Iterable[str | None],
           reverse: bool = False) -> list[Step]:
    out = []
    for name in names:
        funcs = funcs_by_name.get(name, ())
        for func in (reversed(funcs) if reverse else funcs):
            out.append(Step.of(func, _scope(name)))
    return out


def error_handler_for(app: Any, exc_class: type[BaseException],
                      blueprints: tuple[str, ...]) -> tuple[str | None, Callable[..., Any]] | None:
    """``(blueprint name or None, handler)`` of the handler that would answer an
    ``exc_class`` raised under ``blueprints`` (innermost first), as the app's own lookup
    finds it; ``None`` when no handler would.

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> @app.errorhandler(404)
    ... def not_found(e):
    ...     return "no", 404
    >>> error_handler_for(app, NotFound, ())[1] is not_found
    True
    """
    code = getattr(exc_class, "code", None) if issubclass(exc_class, HTTPException) else None
    for c in (code, None) if code is not None else (None,):
        for name in (*blueprints, None):
            handlers = app.error_handler_spec.get(name, {}).get(c)
            if not handlers:
                continue
            for cls in exc_class.__mro__:
                handler = handlers.get(cls)
                if handler is not None:
                    return name, handler
    return None


def _error_label(exc_class: type[BaseException]) -> str:
    if issubclass(exc_class, HTTPException) and exc_class.code is not None:
        code = exc_class.code
        label = f"{code} {HTTPStatus(code).phrase}" if code in _STATUS_CODES else str(code)
        if default_exceptions.get(code) is not exc_class:
            label += f" ({exc_class.__name__})"
        return label
    if exc_class is HTTPException:
        return "HTTPException (any HTTP error)"
    return exc_class.__name__


def _error_routes(app: Any, blueprints: tuple[str, ...],
                  first: type[BaseException] | None) -> list[ErrorRoute]:
    classes: list[type[BaseException]] = [first] if first is not None else []
    for name in (*blueprints, None):
        for handlers in app.error_handler_spec.get(name, {}).values():
            for cls in handlers:
                if cls not in classes:
                    classes.append(cls)
    rest = sorted(classes[1 if first else 0:],
                  key=lambda c: (getattr(c, "code", None) is None, getattr(c, "code", 0) or 0,
                                 c.__name__))
    routes = []
    for cls in ([first] if first else []) + rest:
        found = error_handler_for(app, cls, blueprints)
        routes.append(ErrorRoute(_error_label(cls), None if found is None
                                 else Step.of(found[1], _scope(found[0]))))
    return routes


def _decorator_name(wrapper: Any) -> str:
    """``login_required`` for the ``wrapped_view`` closure that ``@login_required`` made
    (``functools.wraps`` copied the view's names onto it; the code object keeps its own)."""
    code = getattr(innermost(wrapper), "__code__", None)
    if code is None:
        return type(wrapper).__qualname__
    qualname = getattr(code, "co_qualname", None)  # Python 3.11+
    if qualname is None:
        return enclosing_function(code.co_filename, code.co_firstlineno) or code.co_name
    return qualname.split(".<locals>.")[0]


def _view_steps(view: Any, method: str) -> tuple[list[Step], Step, Any]:
    """The decorators (outermost first) visible through ``__wrapped__``, the view's own
    step, and the function whose source holds the view's code."""
    decorators = []
    view_class = getattr(view, "view_class", None)
    func = view
    while hasattr(func, "__wrapped__"):
        decorators.append(Step.of(func, note="decorator", name=f"@{_decorator_name(func)}"))
        func = func.__wrapped__
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        if handler is None or not callable(handler):
            handler = view_class.dispatch_request
        return decorators, Step.of(handler, note=f"class {view_class.__qualname__}"), handler
    return decorators, Step.of(func), func


def _templates(app: Any, names: list[str]) -> list[TemplateUse]:
    """The templates ``names`` with their files, followed by the ones they extend, include
    or import (found with :func:`jinja2.meta.find_referenced_templates`)."""
    if not names:
        return []
    from jinja2 import TemplateNotFound, meta

    env = app.jinja_env
    if env.loader is None:
        return [TemplateUse(n, None) for n in names]
    out: list[TemplateUse] = []
    seen: set[str] = set()
    todo: list[tuple[str, str | None]] = [(n, None) for n in names]
    while todo:
        name, via = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        try:
            source, filename, _ = env.loader.get_source(env, name)
        except TemplateNotFound:
            out.append(TemplateUse(name, None, via))
            continue
        out.append(TemplateUse(name, os.path.abspath(filename) if filename else None, via))
        try:
            refs = meta.find_referenced_templates(env.parse(source))
        except Exception:
            continue
        todo.extend((ref, name) for ref in refs if isinstance(ref, str))
    return out


def explain_url(app: Any, method: str, path: str, host: str | None = None) -> URLReport:
    """What the app runs for a ``method`` request to ``path`` (which may carry a query
    string), in order, with where each function is defined. ``host`` sets the request's
    host, for subdomain and host matching.

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> @app.get("/posts/<int:id>")
    ... def post(id):
    ...     return f"post {id}"
    >>> report = explain_url(app, "GET", "/posts/3")
    >>> report.endpoint, report.view_args, report.view.name
    ('post', {'id': 3}, 'post')
    """
    method = method.upper()
    base_url = f"http://{host}/" if host else None
    # Built and matched, never pushed: no hook runs (teardowns run when a context pops).
    request = app.test_request_context(path, method=method, base_url=base_url).request
    exc = request.routing_exception
    rule = request.url_rule
    blueprints: tuple[str, ...] = request.blueprints if exc is None else ()
    names: tuple[str | None, ...] = (None, *reversed(blueprints))
    report = URLReport(method, path, "view", blueprints=list(blueprints))
    if exc is not None:
        if isinstance(exc, RequestRedirect):
            report.outcome = f"{exc.code} redirect to {exc.new_url}"
        else:
            report.outcome = f"{exc.code} {exc.name}"
    if rule is not None:
        report.endpoint = rule.endpoint
        report.rule = rule.rule
        report.view_args = dict(request.view_args or {})
    report.url_value_preprocessors = _steps(app.url_value_preprocessors, names)
    report.before_request = _steps(app.before_request_funcs, names)
    if exc is None and rule is not None:
        view = app.view_functions.get(rule.endpoint)
        if getattr(rule, "provide_automatic_options", False) and method == "OPTIONS":
            report.outcome = "automatic OPTIONS response"
        elif view is None:
            report.outcome = f"500 Internal Server Error: no view function for {rule.endpoint}"
        else:
            report.decorators, report.view, source = _view_steps(view, method)
            for step in (*report.decorators, report.view):
                step.scope = _scope(blueprints[0] if blueprints else None)
            if rule.endpoint.rpartition(".")[2] == "static":
                report.view.note = "static files"
            report.templates = _templates(app, templates_rendered(source))
    if report.templates:
        report.context_processors = _steps(app.template_context_processors, names)
    after_names = (*blueprints, None)
    report.after_request = _steps(app.after_request_funcs, after_names, reverse=True)
    report.teardown = _steps(app.teardown_request_funcs, after_names, reverse=True)
    report.teardown += [Step.of(f, note="app context") for f in
                        reversed(app.teardown_appcontext_funcs)]
    first = None
    if isinstance(exc, (NotFound, MethodNotAllowed)):
        first = type(exc)
    report.error_handlers = _error_routes(app, blueprints, first)
    return report


# -- the app as a whole ---------------------------------------------------------------------


@dataclass
class BlueprintInfo:
    """A registered blueprint: its dotted name (``parent.child``), the blueprint's own
    name, effective URL prefix and subdomain, and where the ``Blueprint(...)`` call is."""

    name: str
    blueprint: str
    url_prefix: str | None
    subdomain: str | None
    file: str | None
    line: int | None
    routes: int = 0


@dataclass
class ConfigEntry:
    """A config key, its value as shown (secrets hidden) and where it came from: ``how``
    (``default``, ``set``, ``from_pyfile``, ...), ``detail`` (the file, object or
    variable) and the file and line of the call."""

    key: str
    value: str
    how: str
    detail: str | None = None
    file: str | None = None
    line: int | None = None


@dataclass
class AppReport:
    """What an app is made of (see :func:`describe_app`)."""

    name: str
    root_path: str
    instance_path: str
    routes: int
    blueprints: list[BlueprintInfo] = field(default_factory=list)
    extensions: list[Step] = field(default_factory=list)
    signals: dict[str, list[Step]] = field(default_factory=dict)
    commands: list[Step] = field(default_factory=list)
    config: list[ConfigEntry] = field(default_factory=list)


_SECRET = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|(?:^|_)KEY$|API_KEY")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)")


def show_value(key: str, value: Any, width: int = 70) -> str:
    """``repr(value)`` shortened to ``width``; ``'***'`` for keys that look secret
    (``SECRET_KEY``, ``*_PASSWORD``, ``*_TOKEN``, ...) and passwords in URLs hidden.

    >>> show_value("SECRET_KEY", "hunter2")
    "'***'"
    >>> show_value("DATABASE_URL", "postgresql://ada:pw@db/app")
    "'postgresql://ada:***@db/app'"
    """
    if value is not None and value != "" and _SECRET.search(key):
        return "'***'"
    text = _URL_PASSWORD.sub(r"\1***\2", repr(value))
    return text if len(text) <= width else text[:width - 3] + "..."


def _commands(group: Any, prefix: str = "") -> list[Step]:
    out = []
    for name in sorted(getattr(group, "commands", {})):
        cmd = group.commands[name]
        full = f"{prefix}{name}"
        if getattr(cmd, "commands", None) is not None:
            out.extend(_commands(cmd, f"{full} "))
        elif cmd.callback is not None:
            func = cmd.callback
            while hasattr(func, "__wrapped__"):
                func = func.__wrapped__
            help_text = (cmd.short_help or cmd.help or "").strip()
            out.append(Step.of(func, name=full, note=help_text.splitlines()[0] if help_text
                               else ""))
    return out


def _signals(app: Any) -> dict[str, list[Step]]:
    module = sys.modules.get("stein.signals")
    if module is None:
        return {}
    from blinker import Signal

    out: dict[str, list[Step]] = {}
    for attr, sig in sorted(vars(module).items()):
        if attr.startswith("_") or not isinstance(sig, Signal):
            continue
        receivers = [Step.of(receiver) for receiver in sig.receivers_for(app)]
        if receivers:
            out[attr] = receivers
    return out


def describe_app(app: Any, debug_from_env: bool = False) -> AppReport:
    """The blueprints, extensions, signal receivers, CLI commands and config (with where
    each value came from) of ``app``. ``debug_from_env``: the ``stein`` command set
    ``DEBUG`` from ``STEIN_DEBUG``/``--debug`` after the factory ran (it does).

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> app.config.from_mapping(GREETING="hi")
    True
    >>> [c.how for c in describe_app(app).config if c.key == "GREETING"]
    ['from_mapping']
    """
    rules = list(app.url_map.iter_rules())
    report = AppReport(app.name, app.root_path, app.instance_path, len(rules))
    mounts = getattr(app, "blueprint_mounts", {})
    for name, bp in app.blueprints.items():
        url_prefix, subdomain = mounts.get(name, (bp.url_prefix, bp.subdomain))
        file, line = blueprint_definition(bp)
        count = sum(1 for r in rules if r.endpoint.rpartition(".")[0] == name)
        report.blueprints.append(BlueprintInfo(name, bp.name, url_prefix, subdomain, file,
                                               line, count))
    for key, ext in app.extensions.items():
        report.extensions.append(Step.of(type(ext), name=key,
                                         note=f"{type(ext).__module__}.{type(ext).__qualname__}"))
    report.signals = _signals(app)
    report.commands = _commands(app.cli)
    debug_var = env_name("DEBUG")
    for key in sorted(app.config, key=str):
        source = app.config.source_of(key)
        entry = ConfigEntry(str(key), show_value(str(key), app.config[key]),
                            *(source or ("set",)))
        if key == "DEBUG" and debug_from_env:
            value = os.environ.get(debug_var)
            setting = f"{debug_var}={value}" if value else f"{debug_var} not set"
            entry.how, entry.detail, entry.file, entry.line = "environment", (
                f"{setting} (--debug sets it; read after the factory ran)"), None, None
        report.config.append(entry)
    return report
