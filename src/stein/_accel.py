"""The optional C speedups, ``stein._speedups``, or ``None`` when they are not built.

Set ``STEIN_NO_SPEEDUPS=1`` in the environment to run the pure-Python code paths even
when the extension is there (the tests run both).
"""

from __future__ import annotations

import os
from types import ModuleType

speedups: ModuleType | None = None
if not os.environ.get("STEIN_NO_SPEEDUPS"):
    try:
        from . import _speedups as speedups
    except ImportError:  # no C compiler at install time: the Python paths serve
        speedups = None
