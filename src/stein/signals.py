"""Signals (blinker), sent only when a receiver is connected.

Importing this module turns signal sending on in the app's request path; an app that never
imports it (directly or through ``from stein import request_started`` etc.) pays nothing.
It hands itself to :func:`stein.ctx.on_signals_loaded` listeners, so the modules that send
signals need not import it (nor blinker) themselves.

>>> from stein import Stein
>>> from stein.signals import request_finished
>>> app = Stein(__name__)
>>> app.route("/")(lambda: "hi")  # doctest: +ELLIPSIS
<function <lambda> at ...>
>>> seen = []
>>> with request_finished.connected_to(lambda sender, response: seen.append(response.status)):
...     _ = app.test_client().get("/")
>>> seen
['200 OK']
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
