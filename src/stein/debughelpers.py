"""Errors that explain a mistake instead of only reporting it, raised in debug mode.

A browser that posts a form without ``enctype="multipart/form-data"`` sends file *names*
and no file contents; a POST redirected with 301/302 loses its body. Both look like an
empty ``request.files`` or a missing field later on. In debug mode Stein raises these
errors at the point of the mistake, with the fix in the message (``flask.debughelpers``
under :mod:`stein.compat`).

>>> from stein.debughelpers import DebugFilesKeyError
>>> issubclass(DebugFilesKeyError, KeyError)   # code that catches KeyError still does
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .ctx import _cv_request
from .exceptions import RequestRedirect

if TYPE_CHECKING:
    from .request import Request

__all__ = ["UnexpectedUnicodeError", "DebugFilesKeyError", "FormDataRoutingRedirect",
           "attach_enctype_error_multidict", "explain_template_loading_attempts"]


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Text was given where bytes were expected (or the reverse), in debug mode."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` on a request that was not sent as ``multipart/form-data``
    while ``key`` is a form field: the form lacks its ``enctype``.

    >>> from stein import Request
    >>> from stein.testing import EnvironBuilder
    >>> req = Request(EnvironBuilder(method="POST", data={"photo": "cat.jpg"}).get_environ())
    >>> print(DebugFilesKeyError(req, "photo"))  # doctest: +ELLIPSIS
    No file 'photo' in request.files: ... This was submitted: 'cat.jpg'
    """

    def __init__(self, request: Request, key: str) -> None:
        names = request.form.getlist(key)
        msg = (f"No file {key!r} in request.files: the request was sent as "
               f"{request.mimetype!r}, not 'multipart/form-data', so no file contents were "
               f"transmitted. Add enctype=\"multipart/form-data\" to the <form> tag.")
        if names:
            msg += (" The browser sent only the file name instead. This was submitted: "
                    + ", ".join(repr(name) for name in names))
        super().__init__(msg)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """Routing would answer a request that has a body (not GET, HEAD or OPTIONS) with a
    redirect that browsers follow as GET, dropping the form data. Raised in debug mode
    only; fix the URL the form posts to, or redirect with 307/308.
    """

    def __init__(self, request: Request) -> None:
        exc = request.routing_exception
        if not isinstance(exc, RequestRedirect):
            raise TypeError("FormDataRoutingRedirect needs a request with a routing redirect.")
        new_url = exc.new_url
        if new_url.startswith("/"):
            new_url = request.host_url.rstrip("/") + new_url
        msg = (f"The {request.method} request to {request.url!r} was redirected by routing "
               f"to the canonical URL {new_url!r}.")
        target = new_url.partition("?")[0]
        if target == f"{request.base_url}/":
            msg += (" Its rule ends with a slash, and the URL was requested without one, so "
                    "Stein redirects to the URL with the slash.")
        msg += (" Browsers repeat such a redirect as GET and drop the form data: send the "
                "request to the canonical URL, or use 307 or 308 for routing redirects. "
                "(This check runs in debug mode only.)")
        super().__init__(msg)


def attach_enctype_error_multidict(request: Request) -> None:
    """Make ``request.files[key]`` raise :class:`DebugFilesKeyError` (not a bare
    ``KeyError``) when ``key`` was sent as a form field instead of a file.

    Only that one request's ``files`` object is changed; ``get()``, ``in`` and the
    other lookups behave as before.
    """
    files = request.files
    base = type(files)

    class _ExplainingFiles(base):  # type: ignore[valid-type, misc]
        def __getitem__(self, key: str) -> Any:
            try:
                return super().__getitem__(key)
            except KeyError as e:
                if key not in request.form:
                    raise
                raise DebugFilesKeyError(request, key).with_traceback(e.__traceback__) from None

    _ExplainingFiles.__name__ = base.__name__
    _ExplainingFiles.__qualname__ = base.__qualname__
    _ExplainingFiles.__module__ = base.__module__
    files.__class__ = _ExplainingFiles


def _describe_loader(loader: Any) -> Iterator[str]:
    yield f"class: {type(loader).__module__}.{type(loader).__name__}"
    for key, value in sorted(vars(loader).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, (tuple, list)) and all(isinstance(x, str) for x in value):
            yield f"{key}:"
            yield from (f"  - {item}" for item in value)
        elif isinstance(value, (str, int, float, bool)):
            yield f"{key}: {value!r}"


def _describe_owner(owner: Any) -> str:
    if hasattr(owner, "url_map"):  # the app
        return f"application {owner.import_name!r}"
    if hasattr(owner, "import_name"):
        return f"blueprint {owner.name!r} ({owner.import_name})"
    return repr(owner)


def explain_template_loading_attempts(app: Any, template: str,
                                      attempts: Iterable[tuple[Any, Any, Any]]) -> None:
    """Log, on ``app.logger`` at INFO, where ``template`` was looked for: one entry per
    ``(loader, owner, result)`` attempt, ``owner`` being the app or a blueprint and
    ``result`` what the loader's ``get_source`` returned (None: not found there).
    Called for each template lookup while ``EXPLAIN_TEMPLATE_LOADING`` is on.
    """
    lines = [f"Locating template {template!r}:"]
    found = 0
    for number, (loader, owner, result) in enumerate(attempts, 1):
        lines.append(f"{number:5}: trying loader of {_describe_owner(owner)}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if result is None:
            lines.append("       -> no match")
        else:
            found += 1
            lines.append(f"       -> found ({result[1] or '<string>'!r})")
    suspicious = found != 1
    if found == 0:
        lines.append("Error: the template could not be found.")
    elif found > 1:
        lines.append("Warning: several loaders found the template; the first one wins.")
    ctx = _cv_request.get(None)
    blueprint = ctx.request.blueprint if ctx is not None else None
    if suspicious and blueprint is not None:
        lines.append(f"  The template was looked up from an endpoint that belongs to the "
                     f"blueprint {blueprint!r}: is the template in that blueprint's "
                     f"template folder, or the app's?")
        lines.append("  See https://flask.palletsprojects.com/blueprints/#templates (Stein's "
                     "blueprints find templates the same way).")
    app.logger.info("\n".join(lines))
