"""``python -m stein.compat SERVER [ARGS...]``: run a server with stein.compat installed.

For a Flask app (one that does ``import flask``) served on Stein without editing it:

    python -m stein.compat gunicorn 'app:app'
    python -m stein.compat uvicorn app:app

The layer is installed in this process, then the server's own command-line entry point
runs here, so workers forked from it (gunicorn) inherit it. ``STEIN_COMPAT=1`` is set for
child processes too: an installed (non-editable) Stein ships a start-up hook,
``stein-compat.pth``, that installs the layer in any Python process that sees it, which
covers servers that spawn fresh interpreters (uvicorn ``--workers``/``--reload``, granian).
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points

from . import install


def main(argv: list[str]) -> int:
    """Install the layer, then hand over to the console script named by ``argv[0]``."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    name, args = argv[0], argv[1:]
    os.environ["STEIN_COMPAT"] = "1"
    install()
    matches = [ep for ep in entry_points(group="console_scripts") if ep.name == name]
    if not matches:
        print(f"python -m stein.compat: no console script named {name!r} is installed",
              file=sys.stderr)
        return 2
    sys.argv = [name, *args]
    result = matches[0].load()()
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
