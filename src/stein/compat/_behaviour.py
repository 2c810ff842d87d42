"""What changes in Stein's behaviour while :mod:`stein.compat` is installed.

Only what Flask code can observe and Stein names differently: the ``FLASK_`` environment
prefix instead of ``STEIN_`` (``FLASK_APP``, ``FLASK_DEBUG``, ``FLASK_RUN_*``,
``FLASK_SKIP_DOTENV``, ``FLASK_ENV_FILE``, the ``.flaskenv`` file and
``from_prefixed_env()``). Each switch is a plain attribute of the Stein module that owns
the behaviour, so the path with compat off costs nothing.
"""

from __future__ import annotations

from .. import config, ctx, response
from ._names import WERKZEUG_VERSION


def enable() -> None:
    """Switch Stein's Flask-observable behaviour to Flask's."""
    # One switch: from_prefixed_env(), the CLI's variable names and the .flaskenv file
    # name (through helpers.env_prefix()) all read it.
    config.DEFAULT_ENV_PREFIX = "FLASK"
    ctx.G_REPR_PACKAGE = "flask"
    ctx.UNBOUND_PROXY_REPR = "<LocalProxy unbound>"
    # The test client's User-Agent is Werkzeug's; response.headers = {...} is allowed.
    from .. import testing  # deferred: imports click

    testing.DEFAULT_USER_AGENT = testing.werkzeug_user_agent(WERKZEUG_VERSION)
    response.allow_headers_assignment(True)


def disable() -> None:
    """Back to Stein's own behaviour."""
    config.DEFAULT_ENV_PREFIX = "STEIN"
    ctx.G_REPR_PACKAGE = "stein"
    ctx.UNBOUND_PROXY_REPR = "<unbound proxy {name}>"
    from .. import testing  # deferred: imports click

    testing.DEFAULT_USER_AGENT = testing.STEIN_USER_AGENT
    response.allow_headers_assignment(False)
