"""Jinja2 templates: the app's environment, loaders, and the render functions.

Jinja2 is imported when the first template is rendered, not at ``import stein``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from . import ctx as _ctx
from .ctx import _cv_app, _cv_request, g, request, session, stream_with_context
from .debughelpers import explain_template_loading_attempts
from .helpers import get_flashed_messages, url_for
from .scaffold import setupmethod

if TYPE_CHECKING:
    from .app import Stein

F = TypeVar("F", bound=Callable[..., Any])


def __getattr__(name: str) -> Any:
    # ``stein.templating.Environment`` (Flask's ``flask.templating.Environment``) is the
    # Jinja environment class; importing it here at module load would import Jinja2.
    if name == "Environment":
        from .jinja_fast import Environment  # deferred: imports Jinja2

        return Environment
    if name == "DispatchingJinjaLoader":
        return DispatchingLoader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _default_template_ctx_processor() -> dict[str, Any]:
    """``g``, ``request`` and ``session`` of the current contexts.

    Templates see these names through the environment's globals already (as proxies that
    resolve at use, so a template that never touches ``session`` never opens it); this
    function is kept for code that builds a context by hand.
    """
    rv: dict[str, Any] = {}
    if _cv_app.get(None) is not None:
        rv["g"] = g
    if _cv_request.get(None) is not None:
        rv["request"] = request
        rv["session"] = session
    return rv


def create_environment(app: Stein) -> Any:
    """Build the app's Jinja environment.

    The loader looks in the app's template folder, then in each blueprint's. Autoescaping
    follows :meth:`Stein.select_jinja_autoescape`. Templates are reloaded when changed if
    ``TEMPLATES_AUTO_RELOAD`` is true, or when it is ``None`` and the app is in debug mode.
    Globals: ``url_for``, ``get_flashed_messages``, ``config``, ``request``, ``session``,
    ``g`` and whatever ``template_global`` registered.

    The class is ``app.jinja_environment`` when set (a Jinja environment class), else
    :class:`stein.jinja_fast.Environment`, which renders what stock Jinja renders, faster.
    """
    from .jinja_fast import environment_class  # deferred: imports Jinja2

    options = dict(app.jinja_options)
    options.setdefault("autoescape", app.select_jinja_autoescape)
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else auto_reload
    env_class: Any = environment_class(getattr(app, "jinja_environment", None))
    env = env_class(app, **options)
    # The context-local proxies resolve when a template uses them, per render.
    env.globals.update(url_for=url_for, get_flashed_messages=get_flashed_messages,
                       config=app.config, request=request, session=session, g=g)
    env.policies["json.dumps_function"] = app.json.dumps
    env.filters.update(app._template_filters)
    env.globals.update(app._template_globals)
    env.tests.update(app._template_tests)
    return env


def DispatchingLoader(app: Stein) -> Any:  # noqa: N802 - reads like the class it builds
    """A loader that looks in the app's template folder, then each blueprint's."""
    from jinja2 import BaseLoader, TemplateNotFound

    class _DispatchingLoader(BaseLoader):
        def __init__(self, app: Stein) -> None:
            self.app = app

        def _loaders(self) -> Iterator[tuple[Any, Any]]:
            """``(owner, loader)``: the app's, then each blueprint's."""
            loader = self.app.jinja_loader
            if loader is not None:
                yield self.app, loader
            for bp in self.app.iter_blueprints():
                loader = bp.jinja_loader
                if loader is not None:
                    yield bp, loader

        def get_source(self, environment: Any, template: str) -> Any:
            if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
                return self._explained_source(environment, template)
            for _owner, loader in self._loaders():
                try:
                    return loader.get_source(environment, template)
                except TemplateNotFound:
                    continue
            raise TemplateNotFound(template)

        def _explained_source(self, environment: Any, template: str) -> Any:
            # Ask every loader (not only up to the first match) and log what each said.
            attempts = []
            found = None
            for owner, loader in self._loaders():
                try:
                    rv = loader.get_source(environment, template)
                except TemplateNotFound:
                    rv = None
                attempts.append((loader, owner, rv))
                if found is None:
                    found = rv
            explain_template_loading_attempts(self.app, template, attempts)
            if found is None:
                raise TemplateNotFound(template)
            return found

        def list_templates(self) -> list[str]:
            result: set[str] = set()
            for _owner, loader in self._loaders():
                result.update(loader.list_templates())
            return sorted(result)

    return _DispatchingLoader(app)


def _context(actx: Any, context: dict[str, Any]) -> dict[str, Any]:
    app = actx.app
    # Context processors run only when some are registered (the common fast path: none).
    if app.template_context_processors:
        app.update_template_context(context)
    # ``g`` and ``request`` as the objects themselves, as Flask's default context processor
    # passes them: each ``g.user`` in a loop would otherwise be resolved through the proxy.
    # Only objects that exist already (a template that never uses ``g`` creates none), and
    # never over a name the caller or a context processor set. ``session`` stays a proxy,
    # so a template that does not touch it does not load it.
    real_g = actx._g
    if real_g is not None and "g" not in context:
        context["g"] = real_g
    rctx = _cv_request.get(None)
    if rctx is not None and "request" not in context:
        context["request"] = rctx.request
    return context


def _render(app: Stein, template: Any, context: dict[str, Any]) -> str:
    sig = _ctx.signals
    if sig is not None and sig.before_render_template.receivers:
        sig.before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    rv = template.render(context)
    if sig is not None and sig.template_rendered.receivers:
        sig.template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    return rv  # type: ignore[no-any-return]


def _app_ctx() -> Any:
    actx = _cv_app.get(None)
    if actx is None:
        raise RuntimeError("Rendering a template needs an application context.")
    return actx


def render_template(template_name_or_list: Any, **context: Any) -> str:
    """Render a template from the template folders with ``context``.

    ``request``, ``session``, ``g``, ``config``, ``url_for`` and ``get_flashed_messages``
    are always available in the template.
    """
    actx = _app_ctx()
    app = actx.app
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, _context(actx, context))


def render_template_string(source: str, **context: Any) -> str:
    """Render a template from a string (autoescaped)."""
    actx = _app_ctx()
    app = actx.app
    template = app.jinja_env.from_string(source)
    return _render(app, template, _context(actx, context))


def _stream(app: Stein, template: Any, context: dict[str, Any]) -> Iterator[str]:
    sig = _ctx.signals
    if sig is not None and sig.before_render_template.receivers:
        sig.before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        if sig is not None and sig.template_rendered.receivers:
            sig.template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)

    rv = generate()
    if _cv_request.get(None) is not None:
        rv = stream_with_context(rv)
    return rv  # type: ignore[no-any-return]


def stream_template(template_name_or_list: Any, **context: Any) -> Iterator[str]:
    """Render a template piece by piece, for a streamed response."""
    actx = _app_ctx()
    app = actx.app
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, _context(actx, context))


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """Render a template string piece by piece, for a streamed response."""
    actx = _app_ctx()
    app = actx.app
    template = app.jinja_env.from_string(source)
    return _stream(app, template, _context(actx, context))


class TemplatingMixin:
    """The app's template side: filter, test and global registration and the Jinja
    environment (Jinja2 itself is imported on the first render, not here)."""

    if TYPE_CHECKING:  # what the mixin uses of the app (Stein sets these up)
        _jinja_env: Any
        _template_filters: dict[str, Callable[..., Any]]
        _template_tests: dict[str, Callable[..., bool]]
        _template_globals: dict[str, Any]
        template_context_processors: dict[Any, list[Callable[..., Any]]]

        def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]: ...

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a Jinja filter."""

        def decorator(f: F) -> F:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja filter (what ``@app.template_filter()`` does)."""
        self._template_filters[name or f.__name__] = f
        if self._jinja_env is not None:
            self._jinja_env.filters[name or f.__name__] = f

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a Jinja test."""

        def decorator(f: F) -> F:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as a Jinja test (what ``@app.template_test()`` does)."""
        self._template_tests[name or f.__name__] = f
        if self._jinja_env is not None:
            self._jinja_env.tests[name or f.__name__] = f

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a Jinja global."""

        def decorator(f: F) -> F:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Make ``f`` callable from every template (what ``@app.template_global()`` does)."""
        self._template_globals[name or f.__name__] = f
        if self._jinja_env is not None:
            self._jinja_env.globals[name or f.__name__] = f

    @property
    def jinja_env(self) -> Any:
        """The Jinja environment, created on first use."""
        env = self._jinja_env
        if env is None:
            env = self._jinja_env = self.create_jinja_environment()
        return env

    def create_jinja_environment(self) -> Any:
        """Build the Jinja environment behind :attr:`jinja_env`; override to customise it."""
        return create_environment(self)  # type: ignore[arg-type]  # self is the Stein app

    def create_global_jinja_loader(self) -> Any:
        """The loader of :attr:`jinja_env`: the app's template folder, then each
        blueprint's. Override to load templates from elsewhere.

        >>> from jinja2 import DictLoader
        >>> from stein import Stein, render_template
        >>> class MyApp(Stein):
        ...     def create_global_jinja_loader(self):
        ...         return DictLoader({"index.html": "Hello {{ name }}"})
        >>> with MyApp(__name__).app_context():
        ...     render_template("index.html", name="ada")
        'Hello ada'
        """
        return DispatchingLoader(self)  # type: ignore[arg-type]  # self is the Stein app

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape ``.html``, ``.htm``, ``.xml``, ``.xhtml``, ``.svg`` and string templates."""
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' values (app's and current blueprints') to ``context``."""
        names: Iterable[str | None] = (None,)
        ctx = _cv_request.get(None)
        if ctx is not None:
            names = (None, *reversed(ctx.request.blueprints))
        orig = context.copy()
        for name in names:
            for func in self.template_context_processors.get(name, ()):
                context.update(self.ensure_sync(func)())
        context.update(orig)
