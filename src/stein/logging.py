"""The app's logger: a standard ``logging`` logger named after the app.

``app.logger`` is ``logging.getLogger(app.name)``. When nothing in its chain would handle
its records, :data:`default_handler` is added: it writes to :data:`wsgi_errors_stream`,
which is the server's error stream (``environ["wsgi.errors"]``) during a request and
``sys.stderr`` outside one, so errors land in the server's log. Configure ``logging``
before the app logs anything and the default handler stays out of the way:

>>> import logging
>>> logging.basicConfig(level=logging.INFO)   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import sys
from typing import IO, TYPE_CHECKING, Any

from .ctx import LocalProxy, _cv_request

if TYPE_CHECKING:
    from .app import Stein

__all__ = ["wsgi_errors_stream", "default_handler", "has_level_handler", "create_logger"]


def _errors_stream() -> IO[str]:
    ctx = _cv_request.get(None)
    if ctx is not None:
        stream = ctx.request.environ.get("wsgi.errors")
        if stream is not None:
            return stream  # type: ignore[no-any-return]
    return sys.stderr


#: The request's ``wsgi.errors`` stream inside a request, else ``sys.stderr`` (looked up
#: at each write, so a handler made once serves every request).
#:
#: >>> wsgi_errors_stream._get_current_object() is sys.stderr
#: True
wsgi_errors_stream: Any = LocalProxy(_errors_stream)

#: The handler :func:`create_logger` adds when no other one would take the app's records;
#: remove it with ``app.logger.removeHandler(default_handler)``.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s"))


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler in the logger's chain (itself, then its parents while records
    propagate) takes records at the logger's effective level.

    >>> import logging
    >>> log = logging.getLogger("stein.doctest.quiet"); log.propagate = False
    >>> has_level_handler(log)
    False
    """
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Stein) -> logging.Logger:
    """The logger for ``app``: DEBUG level in debug mode (unless a level is set), and
    :data:`default_handler` when no handler would take its records.

    >>> from stein import Stein
    >>> create_logger(Stein("shop")).name
    'shop'
    """
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
