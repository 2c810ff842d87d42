"""From what a view returns to the response that is sent: ``make_response``, the
after-request hooks and the session save (``finalize_request``), and the automatic
``OPTIONS`` answer.

``make_response`` tests the exact types views return most (``str``, ``dict``, ``Response``)
before the ``isinstance`` checks that cover the rest, so the common answers cost a type
comparison. The app's own fast path (``Stein._dispatch_plain``) builds a ``str`` or
``dict`` answer without these steps when nothing could observe them; tests in
``tests/test_dispatch_fastpath.py`` hold the two to the same output.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import ctx as _ctx
from .ctx import RequestContext, _cv_request
from .exceptions import HTTPException
from .wrappers import Response

if TYPE_CHECKING:
    from .config import Config
    from .json import JSONProvider
    from .routing import Map
    from .sessions import SessionInterface
    from .wrappers import Request


class ViewResultMixin:
    """The response-making steps of :class:`~stein.Stein`, each a method a subclass may
    override (as in Flask).

    >>> from stein import Stein
    >>> app = Stein(__name__)
    >>> with app.test_request_context():
    ...     r = app.make_response(("created", 201, {"X-Id": "7"}))
    >>> r.status_code, r.headers["X-Id"], r.get_data(as_text=True)
    (201, '7', 'created')
    """

    config: Config
    json: JSONProvider
    url_map: Map
    response_class: type[Response]
    session_interface: SessionInterface
    after_request_funcs: dict[Any, list[Callable[..., Any]]]
    logger: Any
    ensure_sync: Callable[[Callable[..., Any]], Callable[..., Any]]
    _domain_for: Callable[[Request], str]

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: 200 with ``Allow``."""
        request = _cv_request.get().request
        domain = self._domain_for(request) if self.url_map._plain is None else ""
        methods = self.url_map.allowed_methods(request.path, domain)
        rv = self.response_class()
        rv.headers.set("Allow", ", ".join(methods))
        return rv

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """Make a response from ``rv`` and run the after-request processing."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            signals = _ctx.signals
            if signals is not None and signals.request_finished.receivers:
                signals.request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def process_response(self, response: Response) -> Response:
        """``after_this_request`` callbacks, ``after_request`` hooks, then the session save."""
        ctx = _cv_request.get()
        if ctx._after_request_functions:
            for func in ctx._after_request_functions:
                response = self.ensure_sync(func)(response)
        if self.after_request_funcs:
            for name in (*ctx.request.blueprints, None):
                for func in reversed(self.after_request_funcs.get(name, ())):
                    response = self.ensure_sync(func)(response)
        if ctx._session is not None or "HTTP_COOKIE" in ctx.request.environ:
            self._save_session(ctx, response)
        return response

    def _save_session(self, ctx: RequestContext, response: Response) -> None:
        session = ctx._session
        if session is None:
            # Refresh a permanent session's cookie even when the view did not touch it.
            cookie = ctx.request.environ.get("HTTP_COOKIE")
            if cookie and self.config["SESSION_REFRESH_EACH_REQUEST"] and \
                    self.config["SESSION_COOKIE_NAME"] + "=" in cookie:
                session = ctx.session
                if not session.permanent:
                    session = None
        if session is not None and not self.session_interface.is_null_session(session):
            self.session_interface.save_session(self, session, response)  # type: ignore[arg-type]

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a response.

        ``str``/``bytes`` -> body; ``dict``/``list`` -> JSON; a generator -> streamed body;
        a ``Response`` or WSGI app as is; ``(body, status)``, ``(body, headers)`` or
        ``(body, status, headers)`` tuples.
        """
        cls = rv.__class__
        if cls is str or cls is bytes:
            return self.response_class(rv)
        if isinstance(rv, Response):
            return rv
        status = headers = None
        if cls is tuple:
            n = len(rv)
            if n == 3:
                rv, status, headers = rv
            elif n == 2:
                if isinstance(rv[1], (dict, tuple, list)) or hasattr(rv[1], "items") or \
                        rv[1].__class__.__name__ == "Headers":
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple must"
                    " have the form (body, status, headers), (body, status), or (body, headers)."
                )
        if rv is None:
            endpoint = _cv_request.get().request.endpoint
            raise TypeError(
                f"The view function for {endpoint!r} did not return a valid response. The"
                " function either returned None or ended without a return statement."
            )
        if not isinstance(rv, Response):
            if rv.__class__ is dict or rv.__class__ is list:
                # Exact types first: the ABC check below is slow and never true for them.
                rv = self.json.response(rv)
            elif isinstance(rv, (str, bytes, bytearray, Iterator, AsyncIterator)):
                rv = self.response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException):
                rv = rv.get_response(_cv_request.get().request.environ)
            elif callable(rv):
                try:
                    rv = self.response_class.force_type(rv, _cv_request.get().request.environ)
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid response. The return type"
                        f" must be a string, dict, list, tuple with headers or status, Response"
                        f" instance, or WSGI callable, but it was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type must be"
                    " a string, dict, list, tuple with headers or status, Response instance, or"
                    f" WSGI callable, but it was a {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes)):
                rv.status = status.decode() if isinstance(status, bytes) else status
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv

