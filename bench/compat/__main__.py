"""``python -m bench.compat``: the same as ``python -m bench.compat.run``."""

from .run import main

raise SystemExit(main())
