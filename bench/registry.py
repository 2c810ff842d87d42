"""The sections ``python -m bench`` runs, in order.

Each entry names a module with ``run(target_s: float, only: list[str] | None) -> Section``
and ``versions() -> dict[str, str]``. A module that does not exist yet is skipped with a
note, so another mode (e.g. ``bench.asgi_inprocess``: Stein's ASGI app against Starlette)
plugs in by adding its module here.
"""

from __future__ import annotations

SECTION_MODULES = [
    "bench.wsgi_inprocess",
    "bench.asgi_inprocess",
]
