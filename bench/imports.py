"""Import cost of ``import stein``, and which heavy dependencies it must not pull in."""

from __future__ import annotations

import os
import re
import subprocess
import sys

# Loaded on first use only: importing stein must not import these.
LAZY = ("jinja2", "itsdangerous", "python_multipart", "multipart", "click", "blinker")


def import_time_ms(runs: int = 5, bytecode: bool = True) -> float:
    """Best-of-``runs`` cumulative import time of ``stein`` in a fresh interpreter (ms).

    ``bytecode=True`` measures an installed package as it runs (compiled ``.pyc`` files,
    kept in a temporary cache prefix, made by a first unmeasured import); ``False``
    compiles every module from source, as with ``PYTHONDONTWRITEBYTECODE=1``.
    """
    import tempfile

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    best = float("inf")
    with tempfile.TemporaryDirectory() as cache:
        if bytecode:
            env["PYTHONPYCACHEPREFIX"] = cache
            subprocess.run([sys.executable, "-c", "import stein"], env=env, check=True, timeout=60)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        for _ in range(runs):
            proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import stein"],
                                  capture_output=True, text=True, check=True, timeout=60, env=env)
            for line in proc.stderr.splitlines():
                m = re.match(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|\s?(\S.*)$", line)
                if m and m.group(2) == "stein":
                    best = min(best, int(m.group(1)) / 1000)
    return best


def heavy_modules_loaded() -> list[str]:
    """Which of ``LAZY`` are in ``sys.modules`` after ``import stein`` in a fresh interpreter."""
    code = f"import sys, stein; print(' '.join(m for m in {LAZY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    return proc.stdout.split()
