"""Route scaling: Stein's ``Map.match`` time with 1, 10, 100 and 1000 rules."""

from __future__ import annotations

import statistics
import time

from .report import Cell, Section

SIZES = (1, 10, 100, 1000)


def _match_us(url_map: object, path: str, n: int = 20_000, repeats: int = 7) -> float:
    match = url_map.match  # type: ignore[attr-defined]
    match(path, "GET")
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            match(path, "GET")
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(runs)


def run() -> Section:
    """Match the last-added rule of maps of growing size, static and parametrised."""
    from stein.routing import Map, Rule

    section = Section("Route scaling (Stein Map.match, last rule added)",
                      [f"{n} rules" for n in SIZES], base=f"{SIZES[0]} rules",
                      unit="µs/match (median)")
    for kind in ("static", "parametrised"):
        cells = {}
        for n in SIZES:
            m = Map()
            for i in range(n):
                if kind == "static":
                    m.add(Rule(f"/api/res{i}/items", endpoint=f"e{i}", methods=["GET"]))
                else:
                    m.add(Rule(f"/api/res{i}/<int:item_id>", endpoint=f"e{i}", methods=["GET"]))
            path = f"/api/res{n - 1}/items" if kind == "static" else f"/api/res{n - 1}/7"
            rule, _ = m.match(path, "GET")
            assert rule.endpoint == f"e{n - 1}", rule
            cells[f"{n} rules"] = Cell(_match_us(m, path))
        section.add(kind, cells)
    section.notes.append("Ratio columns: time with N rules / time with 1 rule (flat is ~1).")
    return section
