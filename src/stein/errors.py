"""What the app does with an exception: find the handler registered for it, or turn it
into an error response.

One lookup serves HTTP errors and other exceptions alike: handlers are stored by
blueprint name (``None`` for the app), then by status code (``None`` for "any"), then by
exception class; the current blueprint chain is searched before the app, a code before
"any", and the exception's MRO from the most specific class up. Nothing here runs for a
request that raises nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import ctx as _ctx
from .ctx import _cv_request
from .debughelpers import DebugFilesKeyError
from .exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    RequestRedirect,
)

if TYPE_CHECKING:
    from .config import Config
    from .response import Response
    from .scaffold import ErrorHandlerSpec


class ErrorHandlingMixin:
    """The error-handling steps of :class:`~stein.Stein` (each one a method a subclass
    may override, as in Flask).

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> @app.errorhandler(404)
    ... def not_found(e):
    ...     return "nothing here", 404
    >>> app.test_client().get("/nope").text
    'nothing here'
    """

    config: Config
    error_handler_spec: ErrorHandlerSpec
    debug: bool
    testing: bool
    logger: Any
    ensure_sync: Callable[[Callable[..., Any]], Callable[..., Any]]
    finalize_request: Callable[..., Response]

    def _find_error_handler(self, e: Exception, blueprints: tuple[str, ...]) -> Callable[..., Any] | None:
        if not self.error_handler_spec:
            return None
        exc_class = type(e)
        code = e.code if isinstance(e, HTTPException) else None
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP error should propagate like any exception (for debugging):
        ``TRAP_HTTP_EXCEPTIONS``, or ``TRAP_BAD_REQUEST_ERRORS`` for 400s (which, unset,
        means "a missing form or query key, in debug mode")."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def handle_http_exception(self, e: HTTPException) -> Any:
        """Find a handler for an HTTP error, or let it become its own response."""
        if e.code is None or isinstance(e, RequestRedirect):
            return e
        handler = self._find_error_handler(e, _cv_request.get().request.blueprints)
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def handle_user_exception(self, e: Exception) -> Any:
        """Handle an exception raised in a view or hook with its registered handler."""
        if isinstance(e, BadRequestKeyError) and (
                self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]):
            # Name the missing key in the page, for the developer only.
            e.show_exception = True
            if self.debug:
                e = _explain_missing_file(e)
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e, _cv_request.get().request.blueprints)
        if handler is None:
            raise e
        return self.ensure_sync(handler)(e)

    def handle_exception(self, e: Exception) -> Response:
        """An exception no handler took: a 500 (or re-raised with ``PROPAGATE_EXCEPTIONS``,
        which testing and debug mode turn on)."""
        exc_info = sys.exc_info()
        signals = _ctx.signals
        if signals is not None and signals.got_request_exception.receivers:
            signals.got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        if self._propagates_exceptions():
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: Any = InternalServerError(original_exception=e)
        ctx = _cv_request.get(None)
        handler = self._find_error_handler(server_error, ctx.request.blueprints if ctx else ())
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: Any) -> None:
        """Log an unhandled exception with the request's path and method."""
        self.logger.error(f"Exception on {_where()}", exc_info=exc_info)

    def _propagates_exceptions(self) -> bool:
        # PROPAGATE_EXCEPTIONS, or testing/debug when it is unset: the test client and the
        # debugger want the exception itself, not a 500 page.
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        return bool(propagate)

    def _handling_failed(self, e: BaseException) -> Response:
        """The last answer, when handling an error raised again (a 500 handler that fails,
        an error page that cannot be built or sent, a handler that reads a malformed
        ``request.path``): one log line and a bare 500 built without handlers, hooks or the
        app's response class, so nothing escapes the WSGI or ASGI callable. Re-raises
        ``e`` when exceptions propagate (testing, debug mode).

        >>> from stein import Stein
        >>> Stein("x")._handling_failed(RuntimeError("again")).status_code
        500
        """
        if self._propagates_exceptions():
            raise e
        self.logger.error(f"Error while handling an error on {_where()}",
                          exc_info=(type(e), e, e.__traceback__))
        return InternalServerError().get_response()

    def _log_teardown_failure(self, e: BaseException) -> None:
        """A teardown function raised after the response was made: log it (the response
        still goes out), or re-raise when exceptions propagate."""
        if self._propagates_exceptions():
            raise e
        self.logger.error(f"Teardown failed on {_where()}", exc_info=(type(e), e, e.__traceback__))

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions get ``None`` instead of ``error`` (override to hide
        an expected error from them; never, by default)."""
        return False


def _where() -> str:
    # "path [METHOD]" for a log line. request.path can itself raise (a path that is not
    # UTF-8 is a 400): fall back to the raw WSGI value, which always exists.
    ctx = _cv_request.get(None)
    if ctx is None:
        return "?"
    environ = ctx.request.environ
    try:
        path = ctx.request.path
    except Exception:
        path = repr(environ.get("PATH_INFO", ""))
    return f"{path} [{environ.get('REQUEST_METHOD', '?')}]"


def _explain_missing_file(e: BadRequestKeyError) -> Exception:
    """In debug mode: ``request.files[key]`` failed while ``key`` came as a form field of
    a request that is not ``multipart/form-data``, so the form lacks its ``enctype``. Say
    that (:class:`~stein.debughelpers.DebugFilesKeyError`) instead of a bare 400."""
    ctx = _cv_request.get(None)
    key = e.args[0] if e.args else None
    if ctx is None or not isinstance(key, str):
        return e
    request = ctx.request
    if (request.mimetype == "multipart/form-data" or key not in request.form
            or key in request.files or not _raised_by(e, request.files)):
        return e
    explained = DebugFilesKeyError(request, key)
    explained.__cause__ = e
    return explained


def _raised_by(e: BaseException, obj: object) -> bool:
    # The lookup that failed is a method of ``obj`` (not request.args[key], say).
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_locals.get("self") is obj:
            return True
        tb = tb.tb_next
    return False
