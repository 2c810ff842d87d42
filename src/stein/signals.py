"""Signals (blinker), sent only when a receiver is connected.

Importing this module turns signal sending on in the app's request path; an app that never
imports it (directly or through ``from stein import request_started`` etc.) pays nothing.
"""

from __future__ import annotations

from blinker import Namespace

from . import ctx as _ctx

_signals = Namespace()

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _signals.signal("request-started")
request_finished = _signals.signal("request-finished")
request_tearing_down = _signals.signal("request-tearing-down")
got_request_exception = _signals.signal("got-request-exception")
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
appcontext_pushed = _signals.signal("appcontext-pushed")
appcontext_popped = _signals.signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")

import sys as _sys  # noqa: E402

_ctx._signals_loaded(_sys.modules[__name__])
