"""Helpers for views: ``url_for``, ``redirect``, ``make_response``, flashing, sending files;
and the two environment switches the app and the CLI read, ``<PREFIX>_DEBUG`` and
``<PREFIX>_SKIP_DOTENV``.

:func:`env_prefix` names those variables: ``STEIN`` (``STEIN_DEBUG``, ``STEIN_APP``, ...),
or ``FLASK`` while :mod:`stein.compat` is installed, so a Flask project's ``FLASK_DEBUG=1``
and ``.flaskenv`` keep their meaning. It is the prefix ``Config.from_prefixed_env`` uses
too (``config.DEFAULT_ENV_PREFIX``, the one switch), read when a variable is looked up.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from . import config as _config
from . import ctx as _ctx
from . import exceptions as _exceptions
from . import response as _response
from .ctx import _cv_app, _cv_request, current_app, session
from .ctx import stream_with_context as stream_with_context
from .exceptions import abort as abort
from .response import redirect_response
from .routing import ValidationError
from .scaffold import get_root_path as get_root_path
from .urls import URLBuildingMixin

if TYPE_CHECKING:
    from .wrappers import Response

def env_prefix() -> str:
    """The prefix of the environment variables Stein reads: ``STEIN``, or ``FLASK`` while
    :mod:`stein.compat` is installed.

    >>> env_prefix()
    'STEIN'
    """
    return _config.DEFAULT_ENV_PREFIX


def env_name(name: str) -> str:
    """The full name of one of Stein's environment variables.

    >>> env_name("DEBUG")
    'STEIN_DEBUG'
    """
    return f"{_config.DEFAULT_ENV_PREFIX}_{name}"


def get_debug_flag() -> bool:
    """Whether ``STEIN_DEBUG`` (``FLASK_DEBUG`` under :mod:`stein.compat`) asks for debug
    mode: anything but empty, ``0``, ``false`` or ``no`` (in any case) is on.

    >>> import os
    >>> os.environ["STEIN_DEBUG"] = "1"; get_debug_flag()
    True
    >>> os.environ["STEIN_DEBUG"] = "False"; get_debug_flag()
    False
    >>> del os.environ["STEIN_DEBUG"]
    """
    value = os.environ.get(env_name("DEBUG"), "")
    return bool(value) and value.lower() not in ("0", "false", "no")


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the CLI should load ``.env`` files: ``default``, unless ``STEIN_SKIP_DOTENV``
    (``FLASK_SKIP_DOTENV``) is set to something other than ``0``/``false``/``no``.

    >>> import os
    >>> os.environ["STEIN_SKIP_DOTENV"] = "1"; get_load_dotenv()
    False
    >>> del os.environ["STEIN_SKIP_DOTENV"]
    """
    value = os.environ.get(env_name("SKIP_DOTENV"))
    if not value:
        return default
    return value.lower() in ("0", "false", "no")


def url_for(endpoint: str, /, *, _anchor: str | None = None, _method: str | None = None,
            _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
    """Build the URL of ``endpoint`` (see :meth:`Stein.url_for`).

    >>> from stein import Stein
    >>> app = Stein("demo")
    >>> @app.route("/users/<int:id>")
    ... def user(id): return ""
    >>> with app.test_request_context():
    ...     url_for("user", id=3, tab="posts")
    '/users/3?tab=posts'
    """
    if _anchor is None and _method is None and _scheme is None and _external is None:
        # The usual call in a template or view, answered here without the app's url_for
        # (twin: tests/test_build_fastpath.py): in a request whose URL adapter exists, no
        # subdomain, no url_defaults functions, the endpoint's one plain rule given exactly
        # its variables. It is the path app.url_for would return; anything else goes there.
        actx = _cv_app.get(None)
        req_ctx = _cv_request.get(None)
        if actx is not None and req_ctx is not None:
            app = actx.app
            adapter = req_ctx.url_adapter
            if adapter is not None and app.__class__.url_for is _STOCK_URL_FOR and \
                    not adapter.subdomain and endpoint[:1] != "." and \
                    not any(app.url_default_functions.values()):
                plain = adapter.map._plain_build.get(endpoint)
                if plain is not None and values.keys() == plain.variables:
                    try:
                        path = plain.path(values)
                    except (ValidationError, ValueError, TypeError):
                        path = None  # app.url_for raises the BuildError or asks the handlers
                    if path is not None:
                        return adapter.script_name + path  # type: ignore[no-any-return]
    return current_app.url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                               _external=_external, **values)


_STOCK_URL_FOR = URLBuildingMixin.url_for


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A redirect response to ``location`` (302 by default; 301, 303, 307, 308 too).

    It sends the client wherever it is told: never pass it an unchecked URL taken from the
    request (see ``stein.security.is_safe_redirect`` and ``stein.ext.auth``).
    """
    if Response is None:
        actx = _cv_app.get(None)
        if actx is not None:
            return actx.app.redirect(location, code)
    return redirect_response(location, code, Response)


# A routing redirect (RequestRedirect, in stein.exceptions) goes through the app's redirect
# in an app context, as any redirect does.
_exceptions.use_responses(_response.Response, redirect)


def make_response(*args: Any) -> Response:
    """Turn view-style return values into a response to change before returning it.

    ``make_response()`` -> empty response; ``make_response(body, 404)``; etc.
    """
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


def flash(message: str, category: str = "message") -> None:
    """Store a message, under a ``category`` (``"message"`` by default; e.g. ``"error"``,
    ``"success"``), in the session for the next request to show (read it with
    :func:`get_flashed_messages`). Needs ``SECRET_KEY``, like any session write."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    signals = _ctx.signals
    if signals is not None and signals.message_flashed.receivers:
        signals.message_flashed.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                                          _async_wrapper=current_app.ensure_sync,
                                          message=message, category=category)


def get_flashed_messages(with_categories: bool = False,
                         category_filter: Any = ()) -> list[Any]:
    """The flashed messages, removed from the session (the same list for the rest of the
    request). ``with_categories`` gives ``(category, message)`` pairs; ``category_filter``
    (a list of category names) keeps only those categories.

    >>> # in a view:     flash("Saved.", "success")
    >>> # in a template: {% for cat, msg in get_flashed_messages(with_categories=true) %}
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        return []
    flashes = ctx.flashes
    if flashes is None:
        session = ctx.session
        flashes = ctx.flashes = [tuple(x) for x in session.pop("_flashes")] if "_flashes" in session else []
    if category_filter:
        if isinstance(category_filter, str):  # one name, not its characters
            category_filter = (category_filter,)
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return list(flashes)


def send_file(path_or_file: Any, mimetype: str | None = None, as_attachment: bool = False,
              download_name: str | None = None, conditional: bool = True,
              etag: bool | str = True, last_modified: Any = None,
              max_age: Any = None) -> Response:
    """Send a file's contents (see :mod:`stein.files`). Without ``max_age``, the app's
    :meth:`~stein.Stein.get_send_file_max_age` decides (``SEND_FILE_MAX_AGE_DEFAULT``).

    >>> # in a view:  return send_file("reports/latest.pdf", as_attachment=True)
    """
    from .files import send_file as _send_file  # deferred: files loads mimetypes

    if max_age is None:
        actx = _cv_app.get(None)
        if actx is not None:
            max_age = actx.app.get_send_file_max_age
    return _send_file(path_or_file, mimetype=mimetype, as_attachment=as_attachment,
                      download_name=download_name, conditional=conditional, etag=etag,
                      last_modified=last_modified, max_age=max_age)


def send_from_directory(directory: Any, path: Any, **kwargs: Any) -> Response:
    """Send ``path`` from inside ``directory``; anything escaping it is a 404. Takes the
    arguments of :func:`send_file`, with the same ``max_age`` default.

    >>> # in a view:  return send_from_directory(app.config["UPLOADS"], name)
    """
    from .files import send_from_directory as _send_from_directory  # deferred: mimetypes

    if kwargs.get("max_age") is None:
        actx = _cv_app.get(None)
        if actx is not None:
            kwargs["max_age"] = actx.app.get_send_file_max_age
    return _send_from_directory(directory, path, **kwargs)


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro or variable exported by a template."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)
