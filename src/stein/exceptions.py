"""HTTP errors as exceptions: one class per status, and :func:`abort`.

Raising any of these from a view (or calling :func:`abort`) ends the request with that
status. The body is a small HTML page, or JSON when the client prefers JSON.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from .headersyntax import http_date
from .headervalues import MIMEAccept, parse_accept_header

if TYPE_CHECKING:
    from .wrappers import Response

# The reason phrase of each status code (``http.HTTP_STATUS_CODES`` as in Werkzeug).
HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non Authoritative Information",
    204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi Status",
    208: "Already Reported", 226: "IM Used",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed", 413: "Request Entity Too Large",
    414: "Request URI Too Long", 415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a teapot",
    421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
    428: "Precondition Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
    510: "Not Extended", 511: "Network Authentication Failed",
}


# -- the seam to the layers above -----------------------------------------------------------
# An error renders into a Response, a RequestRedirect into a redirect, and abort() prefers
# the active app's aborter. Those live above this module (which knows no app or context),
# so they register here when they are imported: stein.response calls use_responses() (and
# stein.helpers again, with the redirect that asks the active app), stein.ctx calls
# use_app_aborter(). ``import stein`` imports all three.


class _Seam:
    response_class: Any = None
    redirect: Callable[[str, int], Any]
    current_aborter: Callable[[], Callable[..., Any] | None] = staticmethod(lambda: None)


_responses = _Seam()


def use_responses(response_class: type[Response], redirect: Callable[[str, int], Response]) -> None:
    """Set the class error responses are made of, and the function making a redirect."""
    _responses.response_class = response_class
    _responses.redirect = redirect  # type: ignore[method-assign]


def use_app_aborter(lookup: Callable[[], Callable[..., Any] | None]) -> None:
    """Set how :func:`abort` finds the active app's aborter (``None`` outside an app)."""
    _responses.current_aborter = lookup  # type: ignore[method-assign]



class HTTPException(Exception):
    """Base of every HTTP error. ``code`` is the status, ``description`` the message."""

    code: int | None = None
    description: str | None = None

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status's reason phrase, e.g. ``"Not Found"``."""
        return HTTP_STATUS_CODES.get(self.code or 500, "Unknown Error")

    def get_description(self, environ: Any = None, scope: Any = None) -> str:
        return html.escape(self.description or "")

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        """The HTML page sent for this error."""
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {html.escape(self.name)}</title>\n"
            f"<h1>{html.escape(self.name)}</h1>\n"
            f"<p>{self.get_description(environ)}</p>\n"
        )

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_json(self) -> dict[str, Any]:
        """The JSON body sent to clients that prefer JSON."""
        return {"code": self.code, "name": self.name, "description": self.description or ""}

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        """A response for this error; JSON when the request's ``Accept`` prefers it."""
        if self.response is not None:
            return self.response
        accept = ""
        if environ is not None and not isinstance(environ, dict):
            environ = getattr(environ, "environ", None)  # a Request, as Werkzeug allows
        if environ is not None:
            accept = environ.get("HTTP_ACCEPT", "")
        if accept and _prefers_json(accept):
            # Keep the error's own headers (Allow, WWW-Authenticate, Retry-After...).
            extra = [h for h in self.get_headers(environ) if h[0].lower() != "content-type"]
            rv = _responses.response_class(json.dumps(self.get_json()), self.code, extra,
                                           mimetype="application/json")
        else:
            rv = _responses.response_class(self.get_body(environ), self.code,
                                           self.get_headers(environ))
        return rv

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.get_response(environ)(environ, start_response)

    def __str__(self) -> str:
        return f"{self.code or '???'} {self.name}: {self.description or ''}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.code}: {self.name}'>"


def _retry_after_value(value: datetime | int) -> str:
    # Retry-After is a number of seconds or an HTTP date (RFC 9110 10.2.3).
    if isinstance(value, datetime):
        return http_date(value)
    return str(int(value))


def _prefers_json(accept: str) -> bool:
    acc = parse_accept_header(accept, MIMEAccept)
    return acc.best_match(["text/html", "application/json"]) == "application/json"


class BadRequest(HTTPException):
    """400: the request could not be understood."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class BadRequestKeyError(BadRequest, KeyError):
    """A missing key in ``args``/``form``/``files``/``values``: both a ``KeyError`` and a 400."""

    #: Name the missing key in the page. Off by default: the field names a view reads are
    #: nobody's business but the developer's. The app turns it on in debug mode.
    show_exception = False
    _description: str | None = None

    def __init__(self, arg: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.args = (arg,) if arg is not None else ()

    @property  # type: ignore[override]
    def description(self) -> str | None:
        base = self._description or BadRequest.description
        if self.show_exception and self.args:
            return f"{base} KeyError: {self.args[0]!r}"
        return base

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value

    def __str__(self) -> str:
        return f"{self.code} {self.name}: {self.description}"


class ClientDisconnected(BadRequest):
    """400: the client went away before sending the whole body."""


class SecurityError(BadRequest):
    """400: a request that looked like an attack (e.g. path traversal)."""


class BadHost(BadRequest):
    """400: the ``Host`` header is not one of the trusted hosts."""


class Unauthorized(HTTPException):
    """401: credentials are needed."""

    code = 401
    description = "The server could not verify that you are authorized to access the URL requested."

    def __init__(
        self, description: str | None = None, response: Response | None = None,
        www_authenticate: Any = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is None:
            www_authenticate = []
        elif not isinstance(www_authenticate, (list, tuple)):
            www_authenticate = [www_authenticate]  # one challenge: a str or WWWAuthenticate
        self.www_authenticate = list(www_authenticate)

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        h = super().get_headers(environ)
        h.extend(("WWW-Authenticate", str(v)) for v in self.www_authenticate)
        return h


class Forbidden(HTTPException):
    """403: not allowed."""

    code = 403
    description = "You don't have the permission to access the requested resource."


class NotFound(HTTPException):
    """404: no such resource."""

    code = 404
    description = "The requested URL was not found on the server."


class MethodNotAllowed(HTTPException):
    """405: the URL exists but not for this method; ``Allow`` lists those it has."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self, valid_methods: Any = None, description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = valid_methods

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        h = super().get_headers(environ)
        if self.valid_methods:
            h.append(("Allow", ", ".join(self.valid_methods)))
        return h

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        rv = super().get_response(environ)
        if self.valid_methods and "Allow" not in rv.headers:
            rv.headers["Allow"] = ", ".join(self.valid_methods)
        return rv


class NotAcceptable(HTTPException):
    """*406 Not Acceptable*: raise it, or ``abort(406)``, to send that status."""

    code = 406
    description = "The resource cannot answer in a form the request's Accept headers allow."


class RequestTimeout(HTTPException):
    """*408 Request Timeout*: raise it, or ``abort(408)``, to send that status."""

    code = 408
    description = "The server closed the connection because the request took too long."


class Conflict(HTTPException):
    """*409 Conflict*: raise it, or ``abort(409)``, to send that status."""

    code = 409
    description = "The request conflicts with the current state of the resource."


class Gone(HTTPException):
    """*410 Gone*: raise it, or ``abort(410)``, to send that status."""

    code = 410
    description = "The requested URL is no longer available on this server."


class LengthRequired(HTTPException):
    """*411 Length Required*: raise it, or ``abort(411)``, to send that status."""

    code = 411
    description = "A request with this method requires a valid Content-Length header."


class PreconditionFailed(HTTPException):
    """*412 Precondition Failed*: raise it, or ``abort(412)``, to send that status."""

    code = 412
    description = "The precondition on the request for the URL failed."


class RequestEntityTooLarge(HTTPException):
    """413: the body is larger than the app allows (``MAX_CONTENT_LENGTH`` and friends)."""

    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    """*414 Request-URI Too Long*: raise it, or ``abort(414)``, to send that status."""

    code = 414
    description = "The length of the requested URL exceeds the capacity limit for this server."


class UnsupportedMediaType(HTTPException):
    """*415 Unsupported Media Type*: raise it, or ``abort(415)``, to send that status."""

    code = 415
    description = "The server does not support the media type transmitted in the request."


class RequestedRangeNotSatisfiable(HTTPException):
    """416: the ``Range`` asked for lies outside the resource."""

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self, length: int | None = None, units: str = "bytes", description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        h = super().get_headers(environ)
        if self.length is not None:
            h.append(("Content-Range", f"{self.units} */{self.length}"))
        return h


class ExpectationFailed(HTTPException):
    """*417 Expectation Failed*: raise it, or ``abort(417)``, to send that status."""

    code = 417
    description = "The server could not meet the requirements of the Expect header."


class ImATeapot(HTTPException):
    """*418 I'm a Teapot*: raise it, or ``abort(418)``, to send that status."""

    code = 418
    description = "This server is a teapot, not a coffee machine."


class MisdirectedRequest(HTTPException):
    """*421 Misdirected Request*: raise it, or ``abort(421)``, to send that status."""

    code = 421
    description = "The server is not able to produce a response for this request."


class UnprocessableEntity(HTTPException):
    """*422 Unprocessable Entity*: raise it, or ``abort(422)``, to send that status."""

    code = 422
    description = "The request was well-formed but could not be processed."


class Locked(HTTPException):
    """*423 Locked*: raise it, or ``abort(423)``, to send that status."""

    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    """*424 Failed Dependency*: raise it, or ``abort(424)``, to send that status."""

    code = 424
    description = "The method could not be performed because a request it depended on failed."


class PreconditionRequired(HTTPException):
    """*428 Precondition Required*: raise it, or ``abort(428)``, to send that status."""

    code = 428
    description = "This request is required to be conditional."


class TooManyRequests(HTTPException):
    """*429 Too Many Requests*: raise it, or ``abort(429)``, to send that status."""

    code = 429
    description = "This user has exceeded an allotted request count."

    def __init__(
        self, description: str | None = None, response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        h = super().get_headers(environ)
        if self.retry_after is not None:
            h.append(("Retry-After", _retry_after_value(self.retry_after)))
        return h


class RequestHeaderFieldsTooLarge(HTTPException):
    """*431 Request Header Fields Too Large*: raise it, or ``abort(431)``, to send that status."""

    code = 431
    description = "One or more header fields exceed the maximum size."


class UnavailableForLegalReasons(HTTPException):
    """*451 Unavailable For Legal Reasons*: raise it, or ``abort(451)``, to send that status."""

    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """500: the app failed. ``original_exception`` holds the cause when there was one."""

    code = 500
    description = (
        "The server encountered an internal error and was unable to complete your request."
    )

    def __init__(
        self, description: str | None = None, response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        self.original_exception = original_exception


class NotImplemented(HTTPException):  # noqa: A001 - the status's name
    """*501 Not Implemented*: raise it, or ``abort(501)``, to send that status."""

    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    """*502 Bad Gateway*: raise it, or ``abort(502)``, to send that status."""

    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(HTTPException):
    """*503 Service Unavailable*: raise it, or ``abort(503)``, to send that status."""

    code = 503
    description = "The server is temporarily unable to service your request."

    def __init__(
        self, description: str | None = None, response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        h = super().get_headers(environ)
        if self.retry_after is not None:
            h.append(("Retry-After", _retry_after_value(self.retry_after)))
        return h


class GatewayTimeout(HTTPException):
    """*504 Gateway Timeout*: raise it, or ``abort(504)``, to send that status."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """*505 HTTP Version Not Supported*: raise it, or ``abort(505)``, to send that status."""

    code = 505
    description = "The server does not support the HTTP protocol version used in the request."


class RequestRedirect(HTTPException, Exception):
    """Raised by routing to redirect, e.g. ``/x`` to ``/x/`` (308, method and body kept)."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return _responses.redirect(self.new_url, self.code)


default_exceptions: dict[int, type[HTTPException]] = {}
for _cls in list(globals().values()):
    if (
        isinstance(_cls, type) and issubclass(_cls, HTTPException)
        and _cls.code and _cls.code >= 400 and _cls.code not in default_exceptions
        and _cls.__name__ not in ("BadRequestKeyError",)
    ):
        default_exceptions[_cls.code] = _cls
default_exceptions[400] = BadRequest


class Aborter:
    """Turns a status code into the matching exception and raises it."""

    def __init__(self, mapping: dict[int, type[HTTPException]] | None = None,
                 extra: dict[int, type[HTTPException]] | None = None) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
        if not isinstance(code, int):
            raise HTTPException(response=code)
        if code not in self.mapping:
            raise LookupError(f"no exception for {code!r}")
        raise self.mapping[code](*args, **kwargs)


_aborter = Aborter()


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the HTTP error for ``code`` (or end the request with a ready ``Response``).

    Uses the current app's aborter when an app context is active.
    """
    app_aborter = _responses.current_aborter()
    if app_aborter is not None:
        app_aborter(code, *args, **kwargs)
    _aborter(code, *args, **kwargs)
