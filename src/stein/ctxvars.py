"""The two context variables that hold the active app context and request context.

This is the seam through which the wrappers below :mod:`stein.ctx` reach the active app
without importing it: :class:`~stein.request.Request` reads the body limits and the JSON
provider from the app's config, :class:`~stein.response.Response` its ``MAX_COOKIE_SIZE``.
Each holds a context object from :mod:`stein.ctx` (``.app`` is the app); ``get(None)`` is
``None`` outside one. :mod:`stein.ctx` pushes and pops them and re-exports both
(``flask.globals._cv_app`` is ``stein.ctx._cv_app``).

>>> _cv_app.get(None) is None
True
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext

_cv_app: ContextVar[AppContext] = ContextVar("stein.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("stein.request_ctx")
