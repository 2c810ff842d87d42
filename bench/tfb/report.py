"""``bench/tfb.md``: one table per server (test type x connections down, frameworks across,
ratios at the right), the RSS per worker, the blog's pages, and every failure by name."""

from __future__ import annotations

from .runner import BARE, CONTROL, PEER, SERVER_NOTES, SERVERS, WORKERS, Cell, ServerRun


def _fmt(c: Cell | None) -> str:
    if c is None:
        return "not run"
    if c.rps is None:
        return "FAILED"
    p50 = f"{c.p50_ms:.1f}" if c.p50_ms is not None else "?"
    p99 = f"{c.p99_ms:.1f}" if c.p99_ms is not None else "?"
    return f"{c.rps:,.0f} ({p50} / {p99})" + (" !" if c.note else "")


def _ratio(a: Cell | None, b: Cell | None) -> str:
    if a is None or b is None or not a.rps or not b.rps:
        return "-"
    return f"{a.rps / b.rps:.2f}"


def server_table(run: ServerRun, tests: list[str], connections: list[int]) -> str:
    kind = SERVERS[run.server]
    fws = run.frameworks
    others = [f for f in fws if f != "stein"]
    head = ["test", "conns", *(f"{f} req/s (p50 / p99 ms)" for f in fws),
            *(f"stein/{f}" for f in others)]
    lines = [f"### {run.server} ({kind.upper()}: `{SERVER_NOTES[run.server]}`)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in tests:
        for c in connections:
            cells = {f: run.cells.get((f, t, c)) for f in fws}
            row = [t, str(c), *(_fmt(cells[f]) for f in fws),
                   *(_ratio(cells["stein"], cells[f]) for f in others)]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "RSS per worker after the run (MB): "
              + ", ".join(f"{f} {run.rss_mb[f]:.0f}" for f in fws if f in run.rss_mb), ""]
    notes = [f"- {run.server} / {key}: {problem}" for key, problem in run.invalid.items()]
    notes += [f"- {run.server} / {f} / {t} / c={c}: {cell.note}"
              for (f, t, c), cell in run.cells.items()
              if cell.note and f"{f}/{t}" not in run.invalid]
    if notes:
        lines += ["Failures:", "", *notes, ""]
    return "\n".join(lines)


def _ratios(run: ServerRun, peer: str, test: str, connections: list[int],
            over: str = "stein") -> list[float]:
    return [s.rps / p.rps for c in connections
            if (s := run.cells.get((over, test, c))) and s.rps
            and (p := run.cells.get((peer, test, c))) and p.rps]


def summary(runs: list[ServerRun], tests: list[str], connections: list[int]) -> str:
    """The target ratios per test type and server: the worst over the connection counts;
    under them, per server, the lowest and highest ratio of Stein to a second copy of
    itself (the control), the spread the run's noise alone produces; and the same worst
    ratio for the bare callable over Flask, the most any framework could reach there."""
    lines = ["### Targets (worst ratio over the connection counts)", "",
             f"The `stein/{CONTROL}` rows compare Stein with a second server running the "
             "same app: the lowest and highest ratio over the connection counts. A peer "
             "ratio inside that range is a tie this run cannot tell apart. The "
             f"`{BARE}/flask` rows are the server's ceiling for `stein/flask`: a bare "
             "callable with no framework, over Flask.", "",
             "| server | peer | " + " | ".join(tests) + " |", "|" + "---|" * (len(tests) + 2)]
    for run in runs:
        for peer in dict.fromkeys([PEER[SERVERS[run.server]], "flask"]):
            if peer not in run.frameworks:
                continue
            row = [run.server, f"stein/{peer}"]
            for t in tests:
                ratios = _ratios(run, peer, t, connections)
                row.append(f"{min(ratios):.2f}" if ratios else "-")
            lines.append("| " + " | ".join(row) + " |")
        if CONTROL in run.frameworks:
            row = [run.server, f"stein/{CONTROL} (control)"]
            for t in tests:
                ratios = _ratios(run, CONTROL, t, connections)
                row.append(f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "-")
            lines.append("| " + " | ".join(row) + " |")
        if BARE in run.frameworks and "flask" in run.frameworks:
            row = [run.server, f"{BARE}/flask (ceiling)"]
            for t in tests:
                ratios = _ratios(run, "flask", t, connections, over=BARE)
                row.append(f"{min(ratios):.2f}" if ratios else "-")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def render(runs: list[ServerRun], tests: list[str], connections: list[int], seconds: int,
           rounds: int, header: str, blog: str) -> str:
    parts = [
        "# TechEmpower test types against PostgreSQL (`make bench-tfb`)", "",
        header, "",
        f"Each cell: the best of {rounds} runs of `wrk -t1 -c<conns> -d{seconds}s --latency` "
        "after a 1 s warm-up per test type, req/s (p50 / p99 latency in ms); "
        f"{WORKERS} workers per server on 127.0.0.1, the frameworks taking turns. `!` marks a cell with errors (listed under its table); "
        "FAILED a row whose answers were wrong. Ratio > 1: Stein serves more.", "",
        summary(runs, tests, connections),
        *(server_table(r, tests, connections) for r in runs),
        blog,
    ]
    return "\n".join(parts)


def results_section(runs: list[ServerRun], tests: list[str], connections: list[int],
                    header: str, blog: str) -> str:
    """The part of ``bench/results.md`` this benchmark writes: the targets and the blog."""
    parts = ["### TechEmpower test types and the example blog (`make bench-tfb`)", "",
             header + " Every cell, with latencies and RSS: `bench/tfb.md`.", "",
             summary(runs, tests, connections).replace("### Targets", "#### Targets", 1)]
    if blog:
        parts.append(blog.replace("## The example blog", "#### The example blog", 1))
    return "\n".join(parts)
