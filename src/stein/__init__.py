"""Stein: a small, fast web microframework with Flask's programming model.

>>> from stein import Stein
>>> app = Stein(__name__)
>>> @app.get("/")
... def index():
...     return {"hello": "world"}

The modules are layered, every import pointing down (``tests/test_layers.py`` checks it;
``docs/guides/architecture.md`` explains it): HTTP primitives (``http``, ``datastructures``,
``exceptions``), routing, the request and response, the contexts (``ctx``), the servers
(``asgi``, ``serving``), the app's building blocks (``sessions``, ``templating``,
``helpers``, ``blueprints``, ``testing``), the app, then the command line, ``compat`` and
``ext`` around it. This module, which re-exports the public names, is on top.
"""

from __future__ import annotations

from typing import Any

from .app import Stein as Stein
from .blueprints import Blueprint as Blueprint
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import current_app as current_app
from .ctx import g as g
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .ctx import request as request
from .ctx import session as session
from .ctx import stream_with_context as stream_with_context
from .exceptions import abort as abort
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import get_template_attribute as get_template_attribute
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import send_file as send_file
from .helpers import send_from_directory as send_from_directory
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .templating import render_template as render_template
from .templating import render_template_string as render_template_string
from .templating import stream_template as stream_template
from .templating import stream_template_string as stream_template_string
from .wrappers import Request as Request
from .wrappers import Response as Response

__version__ = "0.1.0"

_SIGNALS = frozenset((
    "template_rendered", "before_render_template", "request_started", "request_finished",
    "request_tearing_down", "got_request_exception", "appcontext_tearing_down",
    "appcontext_pushed", "appcontext_popped", "message_flashed",
))


def __getattr__(name: str) -> Any:
    # Signals import blinker; only apps that use them pay for it.
    if name in _SIGNALS:
        from . import signals  # deferred: imports blinker

        return getattr(signals, name)
    raise AttributeError(f"module 'stein' has no attribute {name!r}")
