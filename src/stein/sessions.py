"""Sessions: the interface, and the default signed-cookie implementation.

The default signs the session with HMAC-SHA256 (itsdangerous). Flask's default is
HMAC-SHA1, which is still unbroken as a MAC but SHA-256 costs the same here and leaves
no question to answer in a security review, so Stein cookies are not interchangeable
with Flask's. The signing key is derived from ``SECRET_KEY`` with HMAC and the salt
``"cookie-session"``; the payload is compact JSON with a timestamp, so expiry
(``PERMANENT_SESSION_LIFETIME``) is checked on the server, not trusted to the browser.
The cookie is signed, not encrypted: the user can read what is in it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import MutableMapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Stein
    from .wrappers import Request, Response


class SessionMixin(MutableMapping):  # type: ignore[type-arg]
    """What every session object offers besides the dict interface."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    new = False
    modified = True
    accessed = True


class SecureCookieSession(dict, SessionMixin):  # type: ignore[type-arg]
    """A dict that records whether it was read (``accessed``) or changed (``modified``).

    Changes inside nested mutable values are not seen: set ``session.modified = True``.
    """

    modified = False
    accessed = False

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial or ())

    def _changed(self) -> None:
        self.modified = True
        self.accessed = True

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        if key not in self:
            self._changed()
        return super().setdefault(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._changed()
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
        self._changed()
        return super().pop(key, *default)

    def popitem(self) -> Any:
        self._changed()
        return super().popitem()

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._changed()
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self._changed()
        super().clear()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class NullSession(SecureCookieSession):
    """The session when none can be made (no ``SECRET_KEY``): reads work, writes explain."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set app.secret_key"
            " (SECRET_KEY in the config) to a long random string to use sessions."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]
    del _fail


class SessionInterface:
    """Plug point for session storage. Implement :meth:`open_session` and
    :meth:`save_session`, then set ``app.session_interface``."""

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: Stein) -> NullSession:
        """The stand-in session used when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is the stand-in (it is never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Stein) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Stein) -> str | None:
        """``SESSION_COOKIE_DOMAIN`` (``None``: the cookie is for the request host only)."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Stein) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Stein) -> bool:
        """``SESSION_COOKIE_HTTPONLY`` (on by default: scripts cannot read the cookie)."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Stein) -> bool:
        """``SESSION_COOKIE_SECURE`` (send over HTTPS only)."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Stein) -> str | None:
        """``SESSION_COOKIE_SAMESITE`` (``"Lax"`` by default)."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Stein) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (CHIPS; implies ``Secure``)."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Stein, session: SessionMixin) -> datetime | None:
        """When the cookie expires: now + ``PERMANENT_SESSION_LIFETIME`` for a permanent
        session, ``None`` (end of the browser session) otherwise."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Stein, session: SessionMixin) -> bool:
        """Write the cookie when changed, or on every request for permanent sessions when
        ``SESSION_REFRESH_EACH_REQUEST`` is on."""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: Stein, request: Request) -> SessionMixin | None:
        """Load the session for ``request``; ``None`` means sessions are unavailable."""
        raise NotImplementedError

    def save_session(self, app: Stein, session: SessionMixin, response: Response) -> None:
        """Store ``session`` (e.g. set a cookie on ``response``) at the end of the request."""
        raise NotImplementedError


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a cookie, signed (not encrypted) with ``SECRET_KEY``.

    ``SECRET_KEY_FALLBACKS`` lists old keys still accepted for reading, for rotation.
    A tampered, expired, unreadable or oversize cookie gives an empty session.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha256)
    key_derivation = "hmac"
    session_class = SecureCookieSession
    # A cookie value longer than this is not even looked at (browsers keep ~4 KB).
    max_cookie_length = 8192

    def get_signing_serializer(self, app: Stein) -> Any:
        """The itsdangerous serializer for the app's current keys, or ``None`` without
        ``SECRET_KEY``.

        Built once per key set and reused: a request pays one dict lookup here, and a
        change of ``SECRET_KEY``/``SECRET_KEY_FALLBACKS`` picks up a new serializer.
        """
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS")
        cache_key = (secret_key, tuple(fallbacks) if fallbacks else (), self.salt,
                     self.key_derivation, self.digest_method)
        cache = self.__dict__.get("_serializers")
        if cache is None:
            cache = self.__dict__["_serializers"] = {}
        s = cache.get(cache_key)
        if s is None:
            from itsdangerous import URLSafeTimedSerializer

            # itsdangerous verifies with every key and signs with the last one.
            keys: list[Any] = [*cache_key[1], secret_key]
            s = URLSafeTimedSerializer(
                keys, salt=self.salt, serializer=_TaggedJSON,
                signer_kwargs={"key_derivation": self.key_derivation,
                               "digest_method": self.digest_method},
            )
            if len(cache) >= 8:  # keys rotate rarely; keep the cache from growing
                cache.clear()
            cache[cache_key] = s
        return s

    def open_session(self, app: Stein, request: Request) -> SecureCookieSession | None:
        """The session from the signed cookie; empty when it is missing, tampered with,
        expired, oversize or unreadable. ``None`` without ``SECRET_KEY``."""
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val or len(val) > self.max_cookie_length:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        from itsdangerous import BadData

        try:
            data = s.loads(val, max_age=max_age)
        # BadData covers BadSignature and BadPayload (a signed but unreadable payload).
        except (BadData, ValueError, TypeError, UnicodeError, RecursionError):
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Stein, session: SessionMixin, response: Response) -> None:
        """Store ``session`` (e.g. set a cookie on ``response``) at the end of the request."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.add_vary("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(name, domain=domain, path=path, secure=secure,
                                       partitioned=partitioned, samesite=samesite,
                                       httponly=httponly)
                response.add_vary("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        expires = self.get_expiration_time(app, session)
        val = self.get_signing_serializer(app).dumps(dict(session))
        response.set_cookie(name, val, expires=expires, httponly=httponly, domain=domain,
                            path=path, secure=secure, partitioned=partitioned, samesite=samesite)
        response.add_vary("Cookie")


def _tag(o: Any) -> Any:
    if isinstance(o, bytes):
        return {" b": base64.b64encode(o).decode("ascii")}
    from .json import _default

    return _default(o)


class _TaggedJSON:
    """Compact JSON for the cookie payload; ``bytes`` values survive the round trip."""

    @staticmethod
    def dumps(obj: Any) -> str:
        return json.dumps(obj, default=_tag, separators=(",", ":"))

    @staticmethod
    def loads(s: str | bytes) -> Any:
        return json.loads(s, object_hook=_untag)


def _untag(d: dict[str, Any]) -> Any:
    if len(d) == 1 and " b" in d:
        return base64.b64decode(d[" b"])
    return d


def total_seconds(td: timedelta) -> int:
    return int(td.total_seconds())
