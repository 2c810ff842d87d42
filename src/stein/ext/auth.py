"""User sessions: log users in and out, guard views, remember users across browser restarts.

>>> from stein import Stein
>>> from stein.ext.auth import LoginManager, UserMixin, login_required, current_user
>>> app = Stein(__name__)
>>> login = LoginManager(app)
>>> login.login_view = "login"

The user's id lives in the session (``_user_id``). Logging in clears the session and, when
the session store supports it (``session.regenerate()``, as the Redis sessions do), gives it a
new id, so a session planted before login (fixation) is useless after it; the CSRF token goes
with the old session too.

The remember-me cookie is signed with ``SECRET_KEY`` and carries a digest of the user's
``get_remember_token()``: change that value (e.g. a per-user random string stored with the
user, or a counter) and every remember cookie issued before stops working.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..ctx import _cv_app, _cv_request, _Proxy, g, request, session
from ..exceptions import Unauthorized
from ..helpers import flash, redirect, url_for

if TYPE_CHECKING:
    from ..app import Stein
    from ..wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "AnonymousUser", "LoginManager", "UserMixin", "current_user", "fresh_login_required",
    "get_redirect_target", "is_safe_redirect", "login_required", "login_user", "logout_user",
]

_USER_KEY = "_user_id"
_FRESH_KEY = "_fresh"
_REMEMBER_SALT = "stein.auth.remember"
_UNSET = object()
_g: Any = g  # attributes of our own on g, untyped


class UserMixin:
    """Defaults for a user class: authenticated, active, ``get_id()`` from ``self.id``."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """The value stored in the session and passed back to the ``user_loader``."""
        try:
            return str(self.id)  # type: ignore[attr-defined]
        except AttributeError:
            raise NotImplementedError("UserMixin needs an `id` attribute or a get_id() method") from None

    def get_remember_token(self) -> str:
        """A per-user secret whose change revokes remember cookies (``remember_token`` attr)."""
        return str(getattr(self, "remember_token", "") or "")


class AnonymousUser:
    """``current_user`` when nobody is logged in."""

    is_authenticated = False
    is_active = False
    is_anonymous = True

    def get_id(self) -> None:
        return None

    def __repr__(self) -> str:
        return "<AnonymousUser>"


def is_safe_redirect(target: str | None) -> bool:
    """Whether ``target`` is a same-site relative path that is safe to redirect to.

    Only paths starting with one ``/`` pass. Rejected: absolute and scheme-relative URLs
    (``http://x``, ``//x``), backslashes (browsers read ``/\\x`` as ``//x``), any scheme
    (``javascript:``), and control characters such as CR/LF (header injection).
    """
    if not target or not isinstance(target, str) or len(target) > 2048:
        return False
    if target[0] != "/" or target.startswith("//"):
        return False
    if "\\" in target:
        return False
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return False
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def get_redirect_target(default: str = "/", param: str = "next") -> str:
    """``request.args[param]`` when it is a safe redirect target, else ``default``."""
    target = request.args.get(param)
    return target if is_safe_redirect(target) else default


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _wants_json() -> bool:
    req = request
    if req.is_json:
        return True
    accept = req.accept_mimetypes
    best = accept.best_match(("text/html", "application/json"))
    return best == "application/json" and accept.quality("application/json") > accept.quality("text/html")


class LoginManager:
    """Holds the login settings of an app: ``LoginManager(app)`` or ``init_app`` later.

    Config: ``REMEMBER_COOKIE_NAME`` (``remember_token``), ``REMEMBER_COOKIE_DURATION``
    (365 days), ``REMEMBER_COOKIE_SECURE``, ``REMEMBER_COOKIE_HTTPONLY`` (on),
    ``REMEMBER_COOKIE_SAMESITE`` (``Lax``), ``REMEMBER_COOKIE_PATH``, ``REMEMBER_COOKIE_DOMAIN``.
    """

    def __init__(self, app: Stein | None = None) -> None:
        self.login_view: str | None = None
        self.refresh_view: str | None = None
        self.login_message: str | None = "Please log in to access this page."
        self.login_message_category = "message"
        self.needs_refresh_message: str | None = "Please log in again to access this page."
        self.anonymous_user: Callable[[], Any] = AnonymousUser
        self._user_callback: Callable[[str], Any] | None = None
        self._unauthorized_callback: Callable[[], Any] | None = None
        self._needs_refresh_callback: Callable[[], Any] | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Stein) -> None:
        app.extensions["login_manager"] = self
        for key, value in (
            ("REMEMBER_COOKIE_NAME", "remember_token"),
            ("REMEMBER_COOKIE_DURATION", timedelta(days=365)),
            ("REMEMBER_COOKIE_SECURE", False),
            ("REMEMBER_COOKIE_HTTPONLY", True),
            ("REMEMBER_COOKIE_SAMESITE", "Lax"),
            ("REMEMBER_COOKIE_PATH", "/"),
            ("REMEMBER_COOKIE_DOMAIN", None),
        ):
            app.config.setdefault(key, value)
        app.after_request(_update_remember_cookie)
        # The proxy, not the user: a template that never mentions it loads nothing.
        app.context_processor(lambda: {"current_user": current_user})

    # -- callbacks -----------------------------------------------------------------------

    def user_loader(self, callback: F) -> F:
        """Register ``callback(user_id: str) -> user | None``."""
        self._user_callback = callback
        return callback

    def unauthorized_handler(self, callback: F) -> F:
        """Replace the default answer to an anonymous request for a protected view."""
        self._unauthorized_callback = callback
        return callback

    def needs_refresh_handler(self, callback: F) -> F:
        """Replace the default answer when a fresh login is required."""
        self._needs_refresh_callback = callback
        return callback

    # -- answers -------------------------------------------------------------------------

    def unauthorized(self) -> Any:
        """401 JSON for JSON clients, else a redirect to ``login_view`` with ``next``."""
        if self._unauthorized_callback is not None:
            return self._unauthorized_callback()
        return self._deny(self.login_view, self.login_message, "unauthorized",
                          "Authentication is required to access this resource.")

    def needs_refresh(self) -> Any:
        """The answer when the login is not fresh: redirect to ``refresh_view`` (or 401)."""
        if self._needs_refresh_callback is not None:
            return self._needs_refresh_callback()
        return self._deny(self.refresh_view, self.needs_refresh_message, "fresh_login_required",
                          "A fresh login is required to access this resource.")

    def _deny(self, view: str | None, message: str | None, code: str, text: str) -> Any:
        app = _cv_app.get().app
        if view is None or _wants_json():
            return app.json.response({"error": code, "message": text}), 401
        if message:
            flash(message, self.login_message_category)
        target = request.full_path
        if target.endswith("?"):
            target = target[:-1]
        if not is_safe_redirect(target):
            raise Unauthorized(text)
        return redirect(url_for(view, next=target))

    # -- loading -------------------------------------------------------------------------

    def _load_user(self) -> Any:
        user_id = session.get(_USER_KEY)
        if user_id is not None and self._user_callback is not None:
            user = self._user_callback(user_id)
            if user is not None:
                return user
            session.pop(_USER_KEY, None)
            session.pop(_FRESH_KEY, None)
        app = _cv_app.get().app
        cookie = request.cookies.get(app.config["REMEMBER_COOKIE_NAME"])
        if cookie and self._user_callback is not None:
            user = self._load_from_cookie(app, cookie)
            if user is not None:
                return user
            # A bad or revoked cookie is removed so the browser stops sending it.
            _g._stein_remember = "clear"
        return self.anonymous_user()

    def _load_from_cookie(self, app: Stein, cookie: str) -> Any:
        if len(cookie) > 4096:
            return None
        from itsdangerous import BadData

        try:
            data = _remember_serializer(app).loads(
                cookie, max_age=int(_duration(app).total_seconds()))
        except (BadData, ValueError, TypeError):
            return None
        if not (isinstance(data, list) and len(data) == 2 and all(isinstance(x, str) for x in data)):
            return None
        user_id, digest = data
        assert self._user_callback is not None
        user = self._user_callback(user_id)
        if user is None or not getattr(user, "is_active", True):
            return None
        if not hmac.compare_digest(digest, _digest(_remember_token(user))):
            return None  # revoked: the user's remember token changed
        session[_USER_KEY] = user_id
        session[_FRESH_KEY] = False
        return user


def _remember_token(user: Any) -> str:
    getter = getattr(user, "get_remember_token", None)
    return str(getter()) if getter is not None else ""


def _remember_serializer(app: Stein) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    if not app.secret_key:
        raise RuntimeError("stein.ext.auth needs SECRET_KEY for sessions and remember cookies.")
    return URLSafeTimedSerializer(app.secret_key, salt=_REMEMBER_SALT)


def _duration(app: Stein, override: timedelta | int | None = None) -> timedelta:
    d = override if override is not None else app.config["REMEMBER_COOKIE_DURATION"]
    return d if isinstance(d, timedelta) else timedelta(seconds=int(d))


def _manager() -> LoginManager:
    try:
        return cast(LoginManager, _cv_app.get().app.extensions["login_manager"])
    except KeyError:
        raise RuntimeError("No LoginManager is set up on this app: call LoginManager(app).") from None


def _get_user() -> Any:
    if _cv_request.get(None) is None:
        return AnonymousUser()
    user = g.get("_stein_user", _UNSET)
    if user is _UNSET:
        user = _manager()._load_user()
        _g._stein_user = user
    return user


current_user: Any = _Proxy(_get_user, "current_user")
"""The logged-in user, or an :class:`AnonymousUser`; also ``current_user`` in templates."""


def _rotate_session() -> None:
    session.clear()
    regenerate = getattr(session, "regenerate", None)
    if regenerate is not None:
        regenerate()


def login_user(user: Any, remember: bool = False, duration: timedelta | int | None = None,
               force: bool = False, fresh: bool = True) -> bool:
    """Log ``user`` in; False (and nothing changes) when the user is inactive and not ``force``.

    The session is cleared and rotated first (against session fixation). ``remember`` sets the
    remember-me cookie for ``duration`` (default ``REMEMBER_COOKIE_DURATION``).
    """
    if not force and not getattr(user, "is_active", True):
        return False
    user_id = user.get_id()
    if user_id is None:
        raise ValueError("login_user() got a user whose get_id() is None")
    _rotate_session()
    session[_USER_KEY] = str(user_id)
    session[_FRESH_KEY] = bool(fresh)
    _g._stein_user = user
    _g._stein_remember = ("set", user, duration) if remember else "clear"
    return True


def logout_user() -> bool:
    """Log the current user out: the session is cleared and rotated, the remember cookie dropped."""
    _rotate_session()
    _g._stein_user = _manager().anonymous_user()
    _g._stein_remember = "clear"
    return True


def _update_remember_cookie(response: Response) -> Response:
    op = g.get("_stein_remember")
    if op is None:
        return response
    app = _cv_app.get().app
    cfg = app.config
    name = cfg["REMEMBER_COOKIE_NAME"]
    if op == "clear":
        if name in request.cookies:
            response.delete_cookie(name, path=cfg["REMEMBER_COOKIE_PATH"],
                                   domain=cfg["REMEMBER_COOKIE_DOMAIN"])
        return response
    _, user, duration = op
    d = _duration(app, duration)
    value = _remember_serializer(app).dumps([str(user.get_id()), _digest(_remember_token(user))])
    response.set_cookie(name, value, max_age=int(d.total_seconds()),
                        path=cfg["REMEMBER_COOKIE_PATH"], domain=cfg["REMEMBER_COOKIE_DOMAIN"],
                        secure=cfg["REMEMBER_COOKIE_SECURE"],
                        httponly=cfg["REMEMBER_COOKIE_HTTPONLY"],
                        samesite=cfg["REMEMBER_COOKIE_SAMESITE"])
    return response


def _guard(check: Callable[[], Any], view: F) -> F:
    if inspect.iscoroutinefunction(view):
        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method != "OPTIONS":
                denied = check()
                if denied is not None:
                    return denied
            return await view(*args, **kwargs)

        return cast(F, async_wrapper)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method != "OPTIONS":
            denied = check()
            if denied is not None:
                return denied
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _check_login() -> Any:
    if not _get_user().is_authenticated:
        return _manager().unauthorized()
    return None


def _check_fresh() -> Any:
    if not _get_user().is_authenticated:
        return _manager().unauthorized()
    if not session.get(_FRESH_KEY, False):
        return _manager().needs_refresh()
    return None


def login_required(view: F) -> F:
    """Let only logged-in users reach ``view``; others get :meth:`LoginManager.unauthorized`."""
    return _guard(_check_login, view)


def fresh_login_required(view: F) -> F:
    """Like :func:`login_required`, and the login must be fresh (not restored from a cookie)."""
    return _guard(_check_fresh, view)
