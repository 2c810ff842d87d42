"""Server-side sessions in Redis, for apps that run as many processes or on many machines.

>>> from stein import Stein
>>> from stein.ext.redis_sessions import RedisSessions
>>> app = Stein(__name__)
>>> app.config["SESSION_REDIS_URL"] = "redis://127.0.0.1:6379/0"
>>> RedisSessions(app)  # doctest: +ELLIPSIS
<stein.ext.redis_sessions.RedisSessions ...>

The cookie holds only a random session id (256 bits); the data lives in Redis under
``SESSION_REDIS_PREFIX + id`` with a TTL of ``PERMANENT_SESSION_LIFETIME``. An id that Redis
does not know is never adopted: the client gets a fresh one, so an attacker cannot plant a
session id. ``session.regenerate()`` moves the data to a new id (``login_user`` calls it).

When Redis is down, a request that touches the session gets a 503 saying so; requests that
do not use the session are served as usual.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING, Any, NoReturn

from ..ctx import request
from ..exceptions import ServiceUnavailable
from ..sessions import SecureCookieSession, SessionInterface, SessionMixin, _TaggedJSON

if TYPE_CHECKING:
    from ..app import Stein
    from ..wrappers import Request, Response

__all__ = ["RedisSession", "RedisSessionInterface", "RedisSessions", "SessionStoreUnavailable"]

log = logging.getLogger("stein.ext.redis_sessions")
_SID = re.compile(r"[A-Za-z0-9_-]{43}")
UNAVAILABLE_MESSAGE = "The session store is unavailable; try again shortly."


def _new_sid() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


class SessionStoreUnavailable(ServiceUnavailable):
    """503: the session could not be read or written because Redis did not answer."""

    description = UNAVAILABLE_MESSAGE


class RedisSession(SecureCookieSession):
    """A session whose data lives in Redis under ``sid``."""

    def __init__(self, initial: Any = None, sid: str | None = None, new: bool = False) -> None:
        super().__init__(initial)
        self.sid = sid or _new_sid()
        self.new = new
        self.old_sid: str | None = None

    def regenerate(self) -> None:
        """Move this session to a new id (the old one is deleted when the session is saved)."""
        if self.old_sid is None and not self.new:
            self.old_sid = self.sid
        self.sid = _new_sid()
        self.modified = True


class UnavailableSession(RedisSession):
    """Stands in when Redis is down: any use raises :class:`SessionStoreUnavailable` (503),
    but a request that never uses it is unaffected."""

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise SessionStoreUnavailable()

    __getitem__ = __setitem__ = __delitem__ = __contains__ = __iter__ = __len__ = _fail  # type: ignore[assignment]
    get = setdefault = pop = popitem = update = clear = keys = values = items = _fail  # type: ignore[assignment]
    regenerate = _fail  # type: ignore[assignment]
    del _fail

    @property
    def permanent(self) -> bool:
        # Asked when a cookie refresh is considered; "no" keeps the request serving.
        return False

    @permanent.setter
    def permanent(self, value: bool) -> None:
        raise SessionStoreUnavailable()


class RedisSessionInterface(SessionInterface):
    """The :class:`~stein.sessions.SessionInterface` storing sessions in Redis."""

    session_class = RedisSession

    def __init__(self, client: Any, prefix: str = "session:") -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, sid: str) -> str:
        return self.prefix + sid

    def open_session(self, app: Stein, request: Request) -> RedisSession:
        from redis.exceptions import RedisError

        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or not _SID.fullmatch(sid):
            return self.session_class(new=True)
        try:
            raw = self.client.get(self._key(sid))
        except RedisError as e:
            log.error("Session store unavailable while reading: %s", e)
            return UnavailableSession(new=True)
        if raw is None:
            return self.session_class(new=True)  # expired or unknown: never adopt the id
        try:
            data = _TaggedJSON.loads(raw)
        except (ValueError, TypeError):
            return self.session_class(new=True)
        if not isinstance(data, dict):
            return self.session_class(new=True)
        return self.session_class(data, sid=sid)

    def save_session(self, app: Stein, session: SessionMixin, response: Response) -> None:
        if isinstance(session, UnavailableSession) or not isinstance(session, RedisSession):
            return
        from redis.exceptions import RedisError

        name = self.get_cookie_name(app)
        cookie: dict[str, Any] = {"domain": self.get_cookie_domain(app), "path": self.get_cookie_path(app),
                  "secure": self.get_cookie_secure(app), "samesite": self.get_cookie_samesite(app),
                  "httponly": self.get_cookie_httponly(app),
                  "partitioned": self.get_cookie_partitioned(app)}
        if session.accessed:
            response.add_vary("Cookie")
        ttl = max(1, int(app.permanent_session_lifetime.total_seconds()))
        try:
            if not session:
                if session.modified:
                    stale = [self._key(s) for s in (session.sid, session.old_sid) if s]
                    self.client.delete(*stale)
                    if name in _request_cookies():
                        response.delete_cookie(name, **cookie)
                return
            if session.modified or session.old_sid:
                pipe = self.client.pipeline()
                if session.old_sid:
                    pipe.delete(self._key(session.old_sid))
                pipe.set(self._key(session.sid), _TaggedJSON.dumps(dict(session)), ex=ttl)
                pipe.execute()
            elif self.should_set_cookie(app, session):
                self.client.expire(self._key(session.sid), ttl)
            else:
                return
        except RedisError as e:
            log.error("Session store unavailable while saving: %s", e)
            # The view ran but its session changes are lost: say so rather than pretend.
            response.status_code = 503
            response.set_data(UNAVAILABLE_MESSAGE)
            response.mimetype = "text/plain"
            return
        response.set_cookie(name, session.sid, expires=self.get_expiration_time(app, session),
                            **cookie)


def _request_cookies() -> Any:
    return request.cookies


class RedisSessions:
    """Switch an app to Redis sessions: ``RedisSessions(app)`` or ``init_app(app)``.

    Config: ``SESSION_REDIS_URL`` (``redis://127.0.0.1:6379/0``), ``SESSION_REDIS_PREFIX``
    (``session:``), ``SESSION_REDIS_TIMEOUT`` (seconds to wait for Redis, 2). Or pass your
    own ``redis.Redis`` as ``client``.
    """

    def __init__(self, app: Stein | None = None, client: Any = None) -> None:
        self.client = client
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Stein) -> None:
        app.config.setdefault("SESSION_REDIS_URL", "redis://127.0.0.1:6379/0")
        app.config.setdefault("SESSION_REDIS_PREFIX", "session:")
        app.config.setdefault("SESSION_REDIS_TIMEOUT", 2.0)
        client = self.client
        if client is None:
            import redis

            timeout = app.config["SESSION_REDIS_TIMEOUT"]
            client = redis.Redis.from_url(app.config["SESSION_REDIS_URL"], socket_timeout=timeout,
                                          socket_connect_timeout=timeout)
        app.session_interface = RedisSessionInterface(client, app.config["SESSION_REDIS_PREFIX"])
        app.extensions["redis_sessions"] = self
