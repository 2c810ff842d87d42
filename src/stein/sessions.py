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
import binascii
import hashlib
import hmac
import json
import re
import time
import zlib
from collections.abc import Callable, MutableMapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NoReturn
from uuid import UUID

from . import json as _json_mod
from .config import ConfigAttribute
from .ctx import _cv_app
from .datastructures import Headers
from .http import _unquote_cookie, dump_cookie, http_date
from .json import DefaultJSONProvider
from .json_tag import TaggedJSONSerializer
from .wrappers import Request, Response

if TYPE_CHECKING:
    from .app import Stein

#: The serializer of the default session interface (``session_interface.serializer``);
#: a tag registered on it applies to every app's session cookie.
session_json_serializer = TaggedJSONSerializer()


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

    # The hot methods call dict's directly (no super() object per call): a session
    # request opens one, reads and writes it.
    def __init__(self, initial: Any = None) -> None:
        dict.__init__(self, initial or ())

    def _changed(self) -> None:
        self.modified = True
        self.accessed = True

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return dict.__contains__(self, key)

    # Every other way of reading marks it too: a page that branches on ``if session:`` or
    # lists the keys depends on the cookie as much as one that reads a value.
    def __len__(self) -> int:
        self.accessed = True
        return dict.__len__(self)

    def __iter__(self) -> Any:
        self.accessed = True
        return dict.__iter__(self)

    def __reversed__(self) -> Any:
        self.accessed = True
        return dict.__reversed__(self)

    def keys(self) -> Any:
        self.accessed = True
        return dict.keys(self)

    def items(self) -> Any:
        self.accessed = True
        return dict.items(self)

    def values(self) -> Any:
        self.accessed = True
        return dict.values(self)

    def copy(self) -> dict[str, Any]:
        self.accessed = True
        return dict.copy(self)

    def __eq__(self, other: object) -> bool:
        self.accessed = True
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self.accessed = True
        return dict.__ne__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __or__(self, other: Any) -> Any:
        self.accessed = True
        return dict.__or__(self, other)

    def __ror__(self, other: Any) -> Any:
        self.accessed = True
        return dict.__ror__(self, other)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        if not dict.__contains__(self, key):
            self._changed()
        return super().setdefault(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.modified = self.accessed = True
        dict.__setitem__(self, key, value)

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
        self.accessed = True
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
    #: Writes and reads the session dict as tagged JSON (see :mod:`stein.json_tag`).
    serializer = session_json_serializer
    digest_method = staticmethod(hashlib.sha256)
    key_derivation = "hmac"
    session_class = SecureCookieSession
    # A cookie value longer than this is not even looked at (browsers keep ~4 KB).
    max_cookie_length = 8192

    def get_signing_serializer(self, app: Stein) -> Any:
        """The serializer for the app's current keys (``dumps(obj)``/``loads(s, max_age)``),
        or ``None`` without ``SECRET_KEY``.

        Built once per key set and reused: a request pays one dict lookup here, and a
        change of ``SECRET_KEY``/``SECRET_KEY_FALLBACKS`` picks up a new serializer. With
        the default HMAC key derivation it is a :class:`CookieSerializer`; otherwise an
        itsdangerous ``URLSafeTimedSerializer``.
        """
        config = app.config
        # Fastest: the same config, unwritten since the last call, and the same
        # serializer; a list of fallbacks could change in place, so it never gets here.
        snap = self.__dict__.get("_snapshot")
        if snap is not None and snap[0] is config and snap[1] == getattr(config, "writes", None) \
                and snap[2] is self.serializer:
            return snap[3]
        # ``app.secret_key`` reads SECRET_KEY, unless an app subclass set ``secret_key`` as
        # a class attribute (as Flask allows); the config is the fast first look.
        secret_key = config["SECRET_KEY"] or app.secret_key
        if not secret_key:
            return None
        if app.__dict__.get("_checked_secret_key") is not secret_key:
            # Once per app and key (the interface and its cache are shared by all apps): a
            # guessable key lets anyone forge sessions. 16 bytes is the floor.
            app.__dict__["_checked_secret_key"] = secret_key
            if len(secret_key) < 16 and not config.get("TESTING") and not app.debug:
                # A log line, not warnings.warn: suites run with -W error (Flask-Login's)
                # must not turn a request into a 500 over it; the message still shows.
                app.logger.warning(
                    "SECRET_KEY is only %d characters: session cookies signed with it can be"
                    " forged by guessing it. Set it to a long random value, e.g. python -c"
                    " 'import secrets; print(secrets.token_hex(32))'.", len(secret_key))
        fallbacks = config.get("SECRET_KEY_FALLBACKS")
        last = self.__dict__.get("_last")
        # Fast path: the same key objects as last time (identity, no hashing of keys). A
        # list of fallbacks could change in place, so it always goes through the cache key.
        if last is not None and last[0] is secret_key and last[1] is fallbacks and \
                last[3] is self.serializer and not isinstance(fallbacks, list):
            return last[2]
        serializer = self.serializer
        cache_key = (secret_key, tuple(fallbacks) if fallbacks else (), self.salt,
                     self.key_derivation, self.digest_method, id(serializer))
        cache = self.__dict__.get("_serializers")
        if cache is None:
            cache = self.__dict__["_serializers"] = {}
        s = cache.get(cache_key)
        if s is None:
            # Verified with every key, signed with the last one (the current key).
            keys: list[Any] = [*cache_key[1], secret_key]
            if self.key_derivation == "hmac":
                s = CookieSerializer(keys, self.salt, self.digest_method().name, serializer)
            else:
                from itsdangerous import URLSafeTimedSerializer

                s = URLSafeTimedSerializer(
                    keys, salt=self.salt, serializer=serializer,
                    signer_kwargs={"key_derivation": self.key_derivation,
                                   "digest_method": self.digest_method},
                )
            if len(cache) >= 8:  # keys rotate rarely; keep the cache from growing
                cache.clear()
            cache[cache_key] = s
        self.__dict__["_last"] = (secret_key, fallbacks, s, serializer)
        writes = getattr(config, "writes", None)
        # Only a key read from the config itself: a ``secret_key`` property on an app
        # subclass is not covered by the write counter.
        self.__dict__["_snapshot"] = None if writes is None or isinstance(fallbacks, list) \
            or config["SECRET_KEY"] is not secret_key else (config, writes, serializer, s)
        return s

    def open_session(self, app: Stein, request: Request) -> SecureCookieSession | None:
        """The session from the signed cookie; empty when it is missing, tampered with,
        expired, oversize or unreadable. ``None`` without ``SECRET_KEY``."""
        config = app.config
        snap = self.__dict__.get("_snapshot")
        # The serializer, cookie name and max age as the last request found them, while
        # the config is unwritten (see get_signing_serializer); else read them afresh.
        if snap is not None and len(snap) == 6 and snap[0] is config and \
                snap[1] == getattr(config, "writes", None) and snap[2] is self.serializer:
            s, name, max_age = snap[3], snap[4], snap[5]
        else:
            s = self.get_signing_serializer(app)
            if s is None:
                return None
            name = self.get_cookie_name(app)
            max_age = int(app.permanent_session_lifetime.total_seconds())
            snap = self.__dict__.get("_snapshot")
            if snap is not None and snap[0] is config and snap[3] is s and \
                    _stock_open(type(self), type(app)):
                self.__dict__["_snapshot"] = (*snap[:4], name, max_age)
        val = _session_cookie_value(request, name)
        if not val or len(val) > self.max_cookie_length:
            return self.session_class()
        try:
            data = s.loads(val, max_age=max_age)
        except Exception:
            # Whatever is wrong with a cookie (bad signature, expired, a signed payload that
            # is not JSON, nesting too deep...), the answer is an empty session, never a 500.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Stein, session: SessionMixin, response: Response) -> None:
        """Store ``session`` (e.g. set a cookie on ``response``) at the end of the request."""
        # Read what the view did before this method's own reads mark the session accessed;
        # dict's own methods below read without marking.
        accessed = session.accessed
        filled = dict.__len__(session) if isinstance(session, dict) else len(session)
        write = session.modified if not filled else self.should_set_cookie(app, session)
        if write:
            cookie = self._cookie_template(app) if filled else None
            if cookie is None:
                self._write_cookie(app, session, response)
            else:
                val = self.get_signing_serializer(app).dumps(_as_dict(session))
                expires = self.get_expiration_time(app, session)
                header = cookie.header(val, expires)
                if header is None or not _plain_response(app, response, header):
                    # A Response subclass with its own set_cookie, or a cookie over the
                    # size limit (set_cookie warns): the general path.
                    response.set_cookie(cookie.name, val, expires=expires,
                                        httponly=cookie.httponly, domain=cookie.domain,
                                        path=cookie.path, secure=cookie.secure,
                                        partitioned=cookie.partitioned,
                                        samesite=cookie.samesite)
                else:
                    response.headers._list.append(("Set-Cookie", header))
        if write or accessed:
            # The response depends on the cookie: shared caches must key on it.
            _add_vary_cookie(response)

    def _write_cookie(self, app: Stein, session: SessionMixin, response: Response) -> None:
        """Set or delete the cookie through the overridable ``get_cookie_*`` methods and
        ``response.set_cookie`` (the path for subclasses and for deleting)."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if not session:
            # Emptied: remove the cookie from the browser.
            response.delete_cookie(name, domain=domain, path=path, secure=secure,
                                   partitioned=partitioned, samesite=samesite,
                                   httponly=httponly)
        else:
            val = self.get_signing_serializer(app).dumps(_as_dict(session))
            response.set_cookie(name, val, expires=self.get_expiration_time(app, session),
                                httponly=httponly, domain=domain, path=path, secure=secure,
                                partitioned=partitioned, samesite=samesite)

    def _cookie_template(self, app: Stein) -> _CookieTemplate | None:
        """The ``Set-Cookie`` text around the value for the app's current cookie settings,
        or ``None`` when a subclass overrides how the settings are read.

        Built on first use and kept on the app with the config's write counter; when the
        config was written since, the values are compared again, so a change between
        requests is picked up.
        """
        cls = type(self)
        plain = _plain_interfaces.get(cls)
        if plain is None:
            plain = _plain_interfaces[cls] = all(
                getattr(cls, n) is getattr(SecureCookieSessionInterface, n)
                for n in _COOKIE_METHODS)
        if not plain:
            return None
        c = app.config
        cached = app.__dict__.get("_session_cookie_template")
        writes = getattr(c, "writes", None)
        if cached is not None and cached[2] is c and cached[3] == writes and \
                writes is not None:
            return cached[1]  # type: ignore[no-any-return]
        key = (c["SESSION_COOKIE_NAME"], c["SESSION_COOKIE_DOMAIN"], c["SESSION_COOKIE_PATH"],
               c["APPLICATION_ROOT"], c["SESSION_COOKIE_HTTPONLY"], c["SESSION_COOKIE_SECURE"],
               c["SESSION_COOKIE_SAMESITE"], c["SESSION_COOKIE_PARTITIONED"])
        if cached is not None and cached[0] == key:
            app.__dict__["_session_cookie_template"] = (key, cached[1], c, writes)
            return cached[1]  # type: ignore[no-any-return]
        t = _CookieTemplate(self.get_cookie_name(app), self.get_cookie_domain(app),
                            self.get_cookie_path(app), self.get_cookie_httponly(app),
                            self.get_cookie_secure(app), self.get_cookie_samesite(app),
                            self.get_cookie_partitioned(app))
        app.__dict__["_session_cookie_template"] = (key, t, c, writes)
        return t


def _stock_open(cls: type, app_cls: type) -> bool:
    """Whether ``open_session`` may keep what it read with the config's write counter:
    the interface reads the serializer and cookie name with the stock methods, and the
    app's ``permanent_session_lifetime`` is a config attribute (it reads the config and
    nothing else)."""
    key = (cls, app_cls)
    stock = _stock_opens.get(key)
    if stock is None:
        def owner_value(c: type, name: str) -> Any:
            return next((k.__dict__[name] for k in c.__mro__ if name in k.__dict__), None)

        stock = _stock_opens[key] = (
            owner_value(cls, "get_signing_serializer")
            is SecureCookieSessionInterface.get_signing_serializer
            and owner_value(cls, "get_cookie_name") is SessionInterface.get_cookie_name
            and isinstance(owner_value(app_cls, "permanent_session_lifetime"), ConfigAttribute))
    return stock


_stock_opens: dict[tuple[type, type], bool] = {}


# What _cookie_template reads; a subclass overriding any of them takes the general path.
_COOKIE_METHODS = ("get_cookie_name", "get_cookie_domain", "get_cookie_path",
                   "get_cookie_httponly", "get_cookie_secure", "get_cookie_samesite",
                   "get_cookie_partitioned")
_plain_interfaces: dict[type, bool] = {}


class _CookieTemplate:
    """A session ``Set-Cookie`` header for fixed settings, split around the parts that vary
    per request (the value and ``Expires``), so a save is two string joins.

    The pieces come from ``dump_cookie`` itself with an empty value and a marker for
    ``Expires``, so the joined header is the same text ``dump_cookie`` gives; invalid
    settings raise its ``ValueError`` here, as they would on every save.
    """

    __slots__ = ("name", "domain", "path", "httponly", "secure", "samesite", "partitioned",
                 "_head", "_session_tail", "_before_expires", "_after_expires")

    _MARK = "\x01"

    def __init__(self, name: str, domain: str | None, path: str, httponly: bool, secure: bool,
                 samesite: str | None, partitioned: bool) -> None:
        self.name, self.domain, self.path = name, domain, path
        self.httponly, self.secure = httponly, secure
        self.samesite, self.partitioned = samesite, partitioned
        plain = dump_cookie(name, "", None, None, path, domain, secure, httponly, samesite,
                            partitioned)
        timed = dump_cookie(name, "", None, self._MARK, path, domain, secure, httponly,
                            samesite, partitioned)
        self._head = name + "="
        # dump_cookie(name, "") starts with "name=": what follows is the attributes.
        self._session_tail = plain[len(self._head):]
        parts = timed[len(self._head):].split(self._MARK)
        self._before_expires: str | None = parts[0] if len(parts) == 2 else None
        self._after_expires: str = parts[-1]

    def header(self, value: str, expires: Any) -> str | None:
        """``dump_cookie(name, value, expires=expires, <settings>)``, or ``None`` when the
        value needs quoting (never for a signed session value) or the marker was ambiguous."""
        if not _cookie_safe_value(value):
            return None
        if expires is None:
            return self._head + value + self._session_tail
        if self._before_expires is None:
            return None
        if not isinstance(expires, str):  # as dump_cookie treats it
            expires = http_date(expires)
        return self._head + value + self._before_expires + expires + self._after_expires


# The signed value is base64url and dots; dump_cookie leaves such a value unquoted.
_cookie_safe_value = re.compile(r"[A-Za-z0-9_.\-]*").fullmatch


def _plain_response(app: Stein, response: Response, header: str) -> bool:
    """Whether appending ``header`` is all ``response.set_cookie`` would do: the stock
    method, and a header within the cookie size limit (over it, set_cookie warns)."""
    cls = type(response)
    if cls.set_cookie is not Response.set_cookie:
        return False
    stock = _stock_limit.get(cls)
    if stock is None:
        stock = _stock_limit[cls] = next(
            k.__dict__["max_cookie_size"] for k in cls.__mro__
            if "max_cookie_size" in k.__dict__) is _STOCK_LIMIT
    if stock:
        # The stock descriptor, read without it: the instance's own value, else the app's
        # MAX_COOKIE_SIZE (as set_cookie reads it).
        limit = response._own_max_cookie_size
        if limit is None:
            limit = app.config.get("MAX_COOKIE_SIZE", _STOCK_LIMIT.default)
    else:
        limit = response.max_cookie_size
    return not limit or len(header) <= limit


_STOCK_LIMIT = next(k.__dict__["max_cookie_size"] for k in Response.__mro__
                    if "max_cookie_size" in k.__dict__)
# Response class -> whether its max_cookie_size is the stock descriptor.
_stock_limit: dict[type, bool] = {}


def _as_dict(session: SessionMixin) -> dict[str, Any]:
    """The session's data as a plain dict, without marking a :class:`dict`-based session
    accessed (the save is not a read by the view)."""
    # dict.items reads the storage directly; dict(session) and dict.copy would go through
    # the overridden keys()/__getitem__ (three times slower).
    return dict(dict.items(session)) if isinstance(session, dict) else dict(session)


def _add_vary_cookie(response: Response) -> None:
    """``response.add_vary("Cookie")``; when the stock method would just append the header
    (no ``Vary`` yet), append it here without its two scans of the headers."""
    headers = response.headers
    if type(response).add_vary is Response.add_vary and type(headers) is Headers:
        for k, _ in headers._list:
            if k.lower() == "vary":
                break
        else:
            headers._list.append(("Vary", "Cookie"))
            return
    response.add_vary("Cookie")


# Request classes whose ``cookies`` is the stock parse (a subclass may read them otherwise).
_plain_request_types: dict[type, bool] = {}


def _session_cookie_value(request: Request, name: str) -> str | None:
    """``request.cookies.get(name)`` without parsing every cookie into a dict, when the
    cookies were not parsed yet and the header is ASCII (the same first-wins rules)."""
    cookies = request.__dict__.get("cookies")
    if cookies is None:
        header = request.environ.get("HTTP_COOKIE")
        cls = type(request)
        plain = _plain_request_types.get(cls)
        if plain is None:
            plain = _plain_request_types[cls] = cls.cookies is Request.cookies
        if plain and (not header or header.isascii()):
            if not header:
                return None
            for part in header.split(";"):
                k, sep, v = part.partition("=")
                if sep and k.strip() == name:
                    v = v.strip()
                    return _unquote_cookie(v) if v[:1] == '"' else v
            return None
        cookies = request.cookies
    return cookies.get(name)  # type: ignore[no-any-return]


# base64url through binascii directly: what base64.urlsafe_b64encode/-decode do, without
# their argument checks and wrappers (a session request does six of these).
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64encode(b: bytes) -> bytes:
    return binascii.b2a_base64(b, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64decode(b: bytes) -> bytes:
    return binascii.a2b_base64(b.translate(_FROM_URLSAFE) + b"=" * (-len(b) % 4))


_PAD_INNER = bytes(x ^ 0x36 for x in range(256))
_PAD_OUTER = bytes(x ^ 0x5C for x in range(256))


def _HMAC(key: bytes, digest: str) -> Callable[[bytes], bytes]:
    """``hmac.digest(key, msg, digest)`` for one fixed key, as a function of ``msg``: the
    key's padded inner and outer blocks are hashed once here (RFC 2104), and a call copies
    two hash states instead of setting up the key again, about half the time of
    ``hmac.digest``. A closure, not an object with ``__call__``: the interpreter calls a
    Python function without the slot dispatch an instance call goes through.

    >>> import hmac
    >>> _HMAC(b"k", "sha256")(b"msg") == hmac.digest(b"k", b"msg", "sha256")
    True
    """
    block = hashlib.new(digest).block_size
    if len(key) > block:
        key = hashlib.new(digest, key).digest()
    key = key.ljust(block, b"\0")
    inner_copy = hashlib.new(digest, key.translate(_PAD_INNER)).copy
    outer_copy = hashlib.new(digest, key.translate(_PAD_OUTER)).copy

    def mac(msg: bytes) -> bytes:
        inner = inner_copy()
        inner.update(msg)
        outer = outer_copy()
        outer.update(inner.digest())
        return outer.digest()

    return mac


class CookieSerializer:
    """Signs and reads session payloads, in the format of itsdangerous'
    ``URLSafeTimedSerializer`` with HMAC key derivation (cookies made by one are read by
    the other), without its per-call overhead.

    ``payload.timestamp.signature``: the payload is base64url JSON (zlib-compressed and
    prefixed with ``.`` when that is shorter), the timestamp base64url of the big-endian
    seconds, and the signature ``HMAC(derived_key, payload.timestamp)`` where
    ``derived_key = HMAC(secret_key, salt)``. The derived keys, and the HMAC state for
    each, are computed once, here.
    Errors are itsdangerous' ``BadSignature``/``SignatureExpired``/``BadPayload``.
    """

    #: Payloads shorter than this are not worth trying to compress.
    compress_threshold = 128

    def __init__(self, secret_keys: list[str | bytes], salt: str | bytes,
                 digest: str = "sha256", serializer: TaggedJSONSerializer | None = None) -> None:
        self.serializer = session_json_serializer if serializer is None else serializer
        salt_b = salt.encode() if isinstance(salt, str) else salt
        derived = [
            hmac.digest(k.encode() if isinstance(k, str) else k, salt_b, digest)
            for k in secret_keys
        ]
        self._sign_key = derived[-1]
        self._sign = _HMAC(derived[-1], digest)
        # Newest first: the usual match is the first.
        self._verifiers = [_HMAC(k, digest) for k in reversed(derived)]
        self._digest = digest
        # (seconds, their base64url): the timestamp part changes once a second.
        self._stamp: tuple[int, bytes] = (-1, b"")

    def dumps(self, obj: Any) -> str:
        """Serialize, timestamp and sign ``obj``."""
        data = _dumps_json(obj, self.serializer).encode("utf-8")
        prefix = b""
        if len(data) >= self.compress_threshold:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                data, prefix = compressed, b"."
        ts = int(time.time())
        stamp = self._stamp
        if stamp[0] != ts:
            stamp = self._stamp = (
                ts, _b64encode(ts.to_bytes((ts.bit_length() + 7) // 8 or 1, "big")))
        value = b"%s%s.%s" % (prefix, _b64encode(data), stamp[1])
        return (value + b"." + _b64encode(self._sign(value))).decode("ascii")

    def loads(self, s: str | bytes, max_age: int | None = None) -> Any:
        """Verify ``s`` (signature, then age when ``max_age`` is given) and return the object."""
        raw = s.encode("ascii") if isinstance(s, str) else s
        value, sep, sig = raw.rpartition(b".")
        if not sep:
            _raise("BadSignature", "No '.' found in value")
        try:
            sig_bytes = _b64decode(sig)
        except (ValueError, TypeError):
            sig_bytes = b""
        for mac in self._verifiers:
            if hmac.compare_digest(mac(value), sig_bytes):
                break
        else:
            _raise("BadSignature", "Signature does not match")
        payload, _, ts_b = value.rpartition(b".")
        ts = int.from_bytes(_b64decode(ts_b), "big")
        if max_age is not None:
            age = time.time() - ts
            if age > max_age or age < 0:
                _raise("SignatureExpired", f"Signature age {age:.0f} > {max_age} seconds")
        compressed = payload[:1] == b"."
        data = _b64decode(payload[1:] if compressed else payload)
        if compressed:
            # Bounded decompression: a cookie cannot expand past a few hundred KB.
            d = zlib.decompressobj()
            data = d.decompress(data, 1 << 20)
            if d.unconsumed_tail:
                _raise("BadPayload", "Compressed payload is too large")
        return _loads_json(data, self.serializer)


def _raise(name: str, message: str) -> NoReturn:
    import itsdangerous

    raise getattr(itsdangerous, name)(message)


# What the fast path writes by itself: types the C encoder writes natively exactly as
# TaggedJSONSerializer.tag leaves them, and types its default hook tags exactly as the
# standard tags do. Anything else (a tuple, Markup, a subclass, a date ...) is the
# general serializer's to write.
_NATIVE = frozenset((str, int, float, bool, type(None), bytes, datetime, UUID))
_TAG_KEYS = frozenset(session_json_serializer.tags)


def _tag(o: Any) -> Any:
    """The C encoder's hook: the standard tags for the types in ``_NATIVE`` it cannot
    write itself, as ``TagBytes``/``TagDateTime``/``TagUUID`` write them."""
    t = type(o)
    if t is bytes:
        return {" b": base64.b64encode(o).decode("ascii")}
    if t is datetime:
        return {" d": http_date(o)}
    if t is UUID:
        return {" u": o.hex}
    raise TypeError(f"Object of type {t.__name__} is not JSON serializable")


def _fast_ok(obj: Any) -> bool:
    """Whether ``obj`` holds only what the fast encoder writes as the tags would: plain
    JSON containers (no one-key dict whose key is a tag) of ``_NATIVE`` values."""
    t = type(obj)
    if t is dict:
        if len(obj) == 1 and next(iter(obj)) in _TAG_KEYS:
            return False
        for v in obj.values():
            if type(v) not in _NATIVE and not _fast_ok(v):
                return False
        return True
    if t is list:
        for v in obj:
            if type(v) not in _NATIVE and not _fast_ok(v):
                return False
        return True
    return t in _NATIVE


class _TaggedJSON:
    """The general path of the session payload: :data:`session_json_serializer`."""

    @staticmethod
    def dumps(obj: Any) -> str:
        return session_json_serializer.dumps(obj)

    @staticmethod
    def loads(s: str | bytes) -> Any:
        return session_json_serializer.loads(s)


def _untag(d: dict[str, Any]) -> Any:
    """``session_json_serializer.untag`` for the standard tags, as an object hook."""
    if len(d) == 1:
        for key in d:
            tag = _STANDARD_TAGS.get(key)
            if tag is not None:
                return tag.to_python(d[key])
    return d


_STANDARD_TAGS = dict(TaggedJSONSerializer().tags)

# The C encoder and scanner that json.dumps/json.loads build on every call with these
# arguments, built once: one per (sort_keys, ensure_ascii), the settings of the JSON
# provider that TaggedJSONSerializer writes through. The encoders get no
# circular-reference markers (a dict shared across threads would give false alarms);
# whatever they fail on, the general path redoes and so gives its own answer or error.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_ENCODERS: dict[tuple[bool, bool], Any] = {} if _c_make_encoder is None else {
    (sort_keys, ensure_ascii): _c_make_encoder(
        None, _tag,
        json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring,
        None, ":", ",", sort_keys, False, True)
    for sort_keys in (False, True) for ensure_ascii in (False, True)
}
# What stein.json.dumps writes with outside an app: the stdlib defaults.
_OUTSIDE_APP = _ENCODERS.get((False, True))
# The stock provider's settings (sort_keys, ensure_ascii).
_STOCK_ENCODER = _ENCODERS.get((True, True))
_scan = json.JSONDecoder(object_hook=_untag).scan_once  # type: ignore[attr-defined]


def _dumps_json(obj: Any, serializer: TaggedJSONSerializer | None = None) -> str:
    """``serializer.dumps(obj)`` (default :data:`session_json_serializer`), the same
    text: through a prebuilt C encoder when the serializer has only the standard tags,
    the JSON is written with the stock provider's settings (``sort_keys``,
    ``ensure_ascii``) or outside an app, and ``obj`` holds nothing the encoder would
    write differently from the tags (:func:`_fast_ok`)."""
    if serializer is None:
        serializer = session_json_serializer
    if not serializer._changed:
        actx = _cv_app.get(None)
        if actx is None:
            enc = _OUTSIDE_APP
        else:
            provider: Any = actx.app.json
            enc = None
            if type(provider).dumps is _STOCK_DUMPS:
                # The stock settings by identity first: a tuple key costs more than both.
                if provider.sort_keys is True and provider.ensure_ascii is True:
                    enc = _STOCK_ENCODER
                else:
                    enc = _ENCODERS.get((provider.sort_keys, provider.ensure_ascii))
                if enc is None and _ENCODERS:  # truthy settings that are not bools
                    enc = _ENCODERS[(bool(provider.sort_keys), bool(provider.ensure_ascii))]
        if enc is not None:
            try:
                # The usual session, a flat dict of plain values, checked here without a
                # call; anything nested or unusual goes through _fast_ok.
                if type(obj) is dict:
                    for v in obj.values():
                        if type(v) not in _NATIVE:
                            break
                    else:
                        if len(obj) != 1 or next(iter(obj)) not in _TAG_KEYS:
                            return "".join(enc(obj, 0))
                if _fast_ok(obj):
                    return "".join(enc(obj, 0))
            except Exception:
                pass  # the general path gives its own answer or error
    return serializer.dumps(obj)


_STOCK_DUMPS = DefaultJSONProvider.dumps


def _loads_json(data: bytes, serializer: TaggedJSONSerializer | None = None) -> Any:
    """``serializer.loads(data)`` for a payload: a JSON object scanned directly when the
    serializer has the standard tags and the text is exactly one object (all a session
    cookie holds), else the serializer's own path."""
    if serializer is None:
        serializer = session_json_serializer
    actx = _cv_app.get(None)
    # The scanner reads JSON as stein.json.loads does: outside an app, or with the stock
    # provider and no orjson.
    if data[:1] == b"{" and not serializer._changed and (actx is None or (
            _json_mod._orjson is None and type(actx.app.json).loads is _STOCK_LOADS)):
        try:
            text = data.decode("utf-8")
            obj, end = _scan(text, 0)
        except Exception:
            pass
        else:
            if end == len(text):
                return obj
    return serializer.loads(data)


_STOCK_LOADS = DefaultJSONProvider.loads


def total_seconds(td: timedelta) -> int:
    """``td`` in whole seconds (for cookie ``Max-Age``)."""
    return int(td.total_seconds())
