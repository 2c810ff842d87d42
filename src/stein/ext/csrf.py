"""Cross-site request forgery protection for forms and JS clients.

>>> from stein import Stein
>>> from stein.ext.csrf import CSRFProtect
>>> app = Stein(__name__)
>>> csrf = CSRFProtect(app)

Every POST/PUT/PATCH/DELETE must carry the token: in the ``csrf_token`` form field (put
``{{ csrf_token() }}`` in a hidden input) or in the ``X-CSRF-Token`` header (JS clients read it
from a meta tag). The session holds a random secret; the token handed out is that secret
signed with a timestamp, so tokens expire (``CSRF_TIME_LIMIT``, seconds, default 3600) and
cannot be forged without ``SECRET_KEY``. Over HTTPS the ``Origin`` (or, without it, the
``Referer``) must also be this host or one in ``CSRF_TRUSTED_ORIGINS``.

A failure is a 400 whose description says what was missing or wrong.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ..blueprints import Blueprint
from ..ctx import _cv_app, g, request, session
from ..exceptions import BadRequest

if TYPE_CHECKING:
    from ..app import Stein

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["CSRFError", "CSRFProtect", "generate_csrf", "validate_csrf"]

_SESSION_KEY = "_csrf_token"
_SALT = "stein.csrf"
_g: Any = g


class CSRFError(BadRequest):
    """A request failed the CSRF check (400); ``description`` says why."""

    description = "The CSRF check failed."


def _serializer(app: Stein) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    if not app.secret_key:
        raise RuntimeError("CSRF protection needs SECRET_KEY to sign its tokens.")
    return URLSafeTimedSerializer(app.secret_key, salt=_SALT)


def generate_csrf() -> str:
    """The signed token for this session (made once per request; the secret once per session)."""
    token = _g.get("_stein_csrf")
    if token is not None:
        return token  # type: ignore[no-any-return]
    raw = session.get(_SESSION_KEY)
    if not isinstance(raw, str):
        raw = secrets.token_hex(32)
        session[_SESSION_KEY] = raw
    token = _serializer(_cv_app.get().app).dumps(raw)
    _g._stein_csrf = token
    return token  # type: ignore[no-any-return]


def validate_csrf(token: str | None, max_age: int | None = None) -> None:
    """Raise :class:`CSRFError` unless ``token`` is a valid, unexpired token of this session."""
    from itsdangerous import BadData, SignatureExpired

    app = _cv_app.get().app
    if not token:
        raise CSRFError("The CSRF token is missing.")
    raw = session.get(_SESSION_KEY)
    if not isinstance(raw, str):
        raise CSRFError("The CSRF session token is missing (the session expired or cookies are off).")
    if max_age is None:
        max_age = app.config["CSRF_TIME_LIMIT"]
    try:
        value = _serializer(app).loads(token, max_age=max_age)
    except SignatureExpired:
        raise CSRFError("The CSRF token has expired.")
    except (BadData, ValueError, TypeError):
        raise CSRFError("The CSRF token is invalid (bad signature).")
    if not isinstance(value, str) or not hmac.compare_digest(value, raw):
        raise CSRFError("The CSRF tokens do not match.")


class CSRFProtect:
    """CSRF checks for every unsafe request of an app: ``CSRFProtect(app)`` or ``init_app``.

    Config: ``CSRF_ENABLED`` (on), ``CSRF_CHECK_DEFAULT`` (on; off = only :meth:`protect`),
    ``CSRF_METHODS``, ``CSRF_FIELD_NAME`` (``csrf_token``), ``CSRF_HEADERS``
    (``X-CSRF-Token``, ``X-CSRFToken``), ``CSRF_TIME_LIMIT`` (3600 s; None = no expiry),
    ``CSRF_SSL_STRICT`` (on), ``CSRF_TRUSTED_ORIGINS`` (e.g. ``["https://app.example"]``).
    """

    def __init__(self, app: Stein | None = None) -> None:
        self._exempt_views: set[str] = set()
        self._exempt_blueprints: set[str] = set()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Stein) -> None:
        app.extensions["csrf"] = self
        for key, value in (
            ("CSRF_ENABLED", True),
            ("CSRF_CHECK_DEFAULT", True),
            ("CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")),
            ("CSRF_FIELD_NAME", "csrf_token"),
            ("CSRF_HEADERS", ("X-CSRF-Token", "X-CSRFToken")),
            ("CSRF_TIME_LIMIT", 3600),
            ("CSRF_SSL_STRICT", True),
            ("CSRF_TRUSTED_ORIGINS", ()),
        ):
            app.config.setdefault(key, value)
        app.add_template_global(generate_csrf, "csrf_token")

        @app.before_request
        def _csrf_protect() -> None:
            cfg = app.config
            if not cfg["CSRF_ENABLED"] or not cfg["CSRF_CHECK_DEFAULT"]:
                return
            if request.method not in cfg["CSRF_METHODS"]:
                return
            if request.blueprint in self._exempt_blueprints:
                return
            endpoint = request.endpoint
            if endpoint is None:
                return  # 404/405 follow; nothing to protect
            view = app.view_functions.get(endpoint)
            if view is not None and _view_id(view) in self._exempt_views:
                return
            self.protect()

    def protect(self) -> None:
        """Check the current request now (raises :class:`CSRFError`)."""
        app = _cv_app.get().app
        cfg = app.config
        token = None
        for header in cfg["CSRF_HEADERS"]:
            token = request.headers.get(header)
            if token:
                break
        if not token and request.mimetype in ("application/x-www-form-urlencoded",
                                               "multipart/form-data"):
            token = request.form.get(cfg["CSRF_FIELD_NAME"])
        validate_csrf(token)
        if request.is_secure and cfg["CSRF_SSL_STRICT"]:
            self._check_origin(cfg["CSRF_TRUSTED_ORIGINS"])
        _g.csrf_valid = True

    def _check_origin(self, trusted: Iterable[str]) -> None:
        from urllib.parse import urlsplit

        here = f"https://{request.host}"
        allowed = {here, *(o.rstrip("/") for o in trusted)}
        origin = request.headers.get("Origin")
        if origin and origin != "null":
            if origin.rstrip("/") not in allowed:
                raise CSRFError(f"The Origin header {origin} does not match the host {here}.")
            return
        referrer = request.referrer
        if not referrer:
            raise CSRFError("The Referer header is missing on an HTTPS request.")
        parts = urlsplit(referrer)
        if f"{parts.scheme}://{parts.netloc}" not in allowed:
            raise CSRFError("The Referer header does not match the host.")

    def exempt(self, view: Any) -> Any:
        """Skip the check for a view (function, or ``"module.name"``) or a whole blueprint."""
        if isinstance(view, Blueprint):
            self._exempt_blueprints.add(view.name)
            return view
        if isinstance(view, str):
            self._exempt_views.add(view)
            return view
        self._exempt_views.add(_view_id(view))
        return view


def _view_id(view: Any) -> str:
    # Views are matched by module + name, so wrappers made with functools.wraps match too.
    return f"{view.__module__}.{view.__qualname__}"
