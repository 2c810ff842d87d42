"""Blueprints: a group of routes, hooks, templates and static files registered on an app
later, under a URL prefix and a name that prefixes its endpoints."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .scaffold import Scaffold, _endpoint_from_view_func, setupmethod

if TYPE_CHECKING:
    from .app import Stein

F = TypeVar("F", bound=Callable[..., Any])
DeferredSetupFunction = Callable[["BlueprintSetupState"], None]


class BlueprintSetupState:
    """One registration of a blueprint on an app, with its effective options."""

    def __init__(self, blueprint: Blueprint, app: Stein, options: dict[str, Any],
                 first_registration: bool) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        self.subdomain = subdomain
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        self.url_prefix = url_prefix
        self.name = options.get("name", blueprint.name)
        self.name_prefix = options.get("name_prefix", "")
        self.url_defaults = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(self, rule: str, endpoint: str | None = None,
                     view_func: Callable[..., Any] | None = None, **options: Any) -> None:
        """Add a rule to the app with the blueprint's prefix, subdomain and defaults."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule, self.endpoint_name(endpoint), view_func, defaults=dict(defaults), **options,
        )

    def endpoint_name(self, endpoint: str) -> str:
        """The app-wide name of the blueprint's ``endpoint`` (``"parent.child.endpoint"``)."""
        return f"{self.name_prefix}.{self.name}.{endpoint}".lstrip(".")


class Blueprint(Scaffold):
    """A reusable piece of an app.

    >>> from stein import Blueprint
    >>> bp = Blueprint("admin", __name__, url_prefix="/admin")
    >>> @bp.route("/")
    ... def index():
    ...     return "admin home"

    Endpoints are named ``"admin.index"``; ``url_for(".index")`` inside the blueprint.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = "<default>",  # the blueprint's name
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []
        self._cli: Any = None

    @property
    def cli(self) -> Any:  # type: ignore[override]
        """The blueprint's click group; its commands join ``app.cli`` on registration."""
        if self._cli is None:
            from .discovery import AppGroup  # deferred: click loads with the first command

            self._cli = AppGroup(self.name)
        return self._cli

    @cli.setter
    def cli(self, value: Any) -> None:
        self._cli = value

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once; changes will"
                " not be applied consistently. Make all changes before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Run ``func(state)`` at every registration of the blueprint."""
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredSetupFunction) -> None:
        """Run ``func(state)`` only at the blueprint's first registration on an app."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(self, app: Stein, options: dict[str, Any],
                         first_registration: bool = False) -> BlueprintSetupState:
        """The :class:`BlueprintSetupState` passed to deferred functions at registration."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest another blueprint inside this one (prefixes and names combine)."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Stein, options: dict[str, Any]) -> None:
        """Called by :meth:`Stein.register_blueprint`: add everything to ``app``."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {bp_desc} blueprint"
                f"{existing_at}. Use 'name=' to provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)
        app.blueprint_mounts[name] = (state.url_prefix, state.subdomain)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>", view_func=self.send_static_file,
                endpoint="static",
            )

        if first_bp_registration or first_name_registration:
            self._merge_into(app, name)

        for deferred in self.deferred_functions:
            deferred(state)

        if self._cli is not None and self._cli.commands:
            group = options.get("cli_group", self.cli_group)  # register_blueprint(cli_group=)
            if group is None:
                for cmd in self._cli.commands.values():
                    app.cli.add_command(cmd)
            else:
                self._cli.name = name if group == "<default>" else group
                app.cli.add_command(self._cli)

        for blueprint, bp_options in self._blueprints:
            bp_options = bp_options.copy()
            url_prefix = bp_options.get("url_prefix")
            if url_prefix is None:
                url_prefix = blueprint.url_prefix
            if state.url_prefix is not None and url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
            elif url_prefix is not None:
                bp_options["url_prefix"] = url_prefix
            elif state.url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix
            bp_subdomain = bp_options.get("subdomain", blueprint.subdomain)
            if state.subdomain is not None and bp_subdomain is not None:
                bp_options["subdomain"] = f"{bp_subdomain}.{state.subdomain}"
            elif bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain
            elif state.subdomain is not None:
                bp_options["subdomain"] = state.subdomain
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _merge_into(self, app: Stein, name: str) -> None:
        """Copy the blueprint's hooks and handlers into the app, keyed by ``name``."""

        def extend(bp_dict: dict[Any, list[Any]], parent_dict: dict[Any, list[Any]]) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict.setdefault(key, []).extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            app.error_handler_spec[key] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
        for endpoint, func in self.view_functions.items():
            # ``@bp.endpoint("x")``: Flask gives the app endpoint "x" itself; the blueprint's
            # own rules name "<bp>.x", so that name gets the function too.
            app.view_functions[endpoint] = func
            app.view_functions[f"{name}.{endpoint}"] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    # -- registration on the blueprint ------------------------------------------------

    @setupmethod
    def add_url_rule(self, rule: str, endpoint: str | None = None,
                     view_func: Callable[..., Any] | None = None,
                     provide_automatic_options: bool | None = None, **options: Any) -> None:
        """Record a rule to add, prefixed, when the blueprint is registered."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(lambda s: s.add_url_rule(
            rule, endpoint, view_func, provide_automatic_options=provide_automatic_options, **options
        ))

    def websocket(self, rule: str, endpoint: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register ``async def handler(ws, **view_args)`` for WebSocket connections to
        ``rule`` under the blueprint's URL prefix and subdomain, as ``@app.websocket`` does
        for the app (ASGI only; see ``stein.websocket``). The endpoint is ``"<bp>.<name>"``.

        >>> bp = Blueprint("chat", __name__)
        >>> @bp.websocket("/live")
        ... async def live(ws):
        ...     await ws.accept()
        ...     await ws.send("hello")
        """
        self._check_setup_finished("websocket")

        def decorator(f: F) -> F:
            # deferred: WebSocket apps only
            from .websocket import check_handler, register_on_blueprint

            check_handler(f)
            name = endpoint or f.__name__
            if "." in name:
                raise ValueError("'endpoint' may not contain a dot '.' character.")
            self.record(lambda s: register_on_blueprint(s, rule, name, f, options))
            return f

        return decorator

    # Jinja filters, tests and globals belong to the app's one environment, so the
    # blueprint forms register them for the whole app, like the app_* forms.
    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja filter (for every template of the app: Jinja has one environment)."""
        return self.app_template_filter(name)

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja test (for every template of the app)."""
        return self.app_template_test(name)

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja global (for every template of the app)."""
        return self.app_template_global(name)

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja filter for the whole app."""

        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a Jinja filter for the whole app, not only this blueprint's templates."""
        self.record_once(lambda s: s.app.add_template_filter(f, name=name))

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja test for the whole app."""

        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register a Jinja test for the whole app."""
        self.record_once(lambda s: s.app.add_template_test(f, name=name))

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja global for the whole app."""

        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Make ``f`` callable from every template of the app."""
        self.record_once(lambda s: s.app.add_template_global(f, name=name))

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """``before_request`` for every request of the app, not only this blueprint's."""
        self.record_once(lambda s: s.app.before_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """``after_request`` for every request of the app."""
        self.record_once(lambda s: s.app.after_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """``teardown_request`` for every request of the app."""
        self.record_once(lambda s: s.app.teardown_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """A context processor for every template of the app."""
        self.record_once(lambda s: s.app.template_context_processors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> Callable[[F], F]:
        """An error handler for the whole app."""

        def decorator(f: F) -> F:
            self.record_once(lambda s: s.app.register_error_handler(code, f))
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """A URL value preprocessor for every endpoint of the app."""
        self.record_once(lambda s: s.app.url_value_preprocessors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """A ``url_defaults`` function for every endpoint of the app."""
        self.record_once(lambda s: s.app.url_default_functions.setdefault(None, []).append(f))
        return f
