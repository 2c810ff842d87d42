"""Result tables: one ``Section`` per benchmark mode, rendered as Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One measurement in microseconds per request, or why there is none."""

    us: float | None = None
    note: str = ""


@dataclass
class Section:
    """A table: scenarios down, frameworks across, ``peer/base`` ratios at the right."""

    title: str
    frameworks: list[str]
    base: str = "stein"
    unit: str = "µs/request (median)"
    rows: list[tuple[str, dict[str, Cell]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, scenario: str, cells: dict[str, Cell]) -> None:
        self.rows.append((scenario, cells))

    def render(self) -> str:
        peers = [f for f in self.frameworks if f != self.base]
        head = ["scenario", *self.frameworks, *(f"{p}/{self.base}" for p in peers)]
        lines = [f"### {self.title}", "", f"Unit: {self.unit}; ratio > 1 means {self.base} is faster.",
                 "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        skips: list[str] = []
        for scenario, cells in self.rows:
            row = [scenario]
            for f in self.frameworks:
                c = cells.get(f, Cell(note="not run"))
                if c.us is None:
                    row.append("skip")
                    skips.append(f"- {f} / {scenario}: {c.note}")
                else:
                    row.append(f"{c.us:.2f}")
            base = cells.get(self.base, Cell())
            for p in peers:
                c = cells.get(p, Cell())
                if c.us is None or base.us is None:
                    row.append("-")
                else:
                    row.append(f"{c.us / base.us:.2f}")
            lines.append("| " + " | ".join(row) + " |")
        if skips or self.notes:
            lines += ["", *self.notes, *skips]
        return "\n".join(lines) + "\n"
