"""Writes ``bench/compat.md`` from the committed references and the last Stein results."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from .suites import EXPLANATIONS, FLASK, WERKZEUG, Suite


def _normalise(message: str) -> str:
    """One failure cause per line, with the parts that vary per test (addresses) blanked."""
    message = re.sub(r"0x[0-9a-f]+", "0x…", message)
    return message[:160]


def _why(cause: str) -> str:
    return next((why for text, why in EXPLANATIONS if text in cause), "")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _uncollected(results: dict[str, dict[str, str]], node: str) -> dict[str, str]:
    """Why ``node`` has no result: its module's import error, where there is one."""
    error = results.get(node.split("::")[0] + "::<collection>")
    if error:
        return {"outcome": "failed", "message": f"not collected: {error['message']}"}
    return {"outcome": "missing", "message": "not collected"}


def write_report(suites: Iterable[Suite], reference_file: Callable[[Suite], Path],
                 results_file: Callable[[Suite, str], Path], out: Path, pyver: str) -> Path:
    rows: list[str] = []
    details: list[str] = []
    causes: Counter[str] = Counter()
    cause_suites: dict[str, set[str]] = {}
    total_ref = total_ok = 0
    for suite in suites:
        ref_path = reference_file(suite)
        ref = set(ref_path.read_text().splitlines()) if ref_path.exists() else set()
        origin = "sdist" if suite.repo is None else f"repo {suite.repo[1]}"
        res_path = results_file(suite, "stein")
        if not res_path.exists():
            rows.append(f"| {suite.name} | {suite.version} | {origin} | {len(ref)} | not run | – |")
            if suite.repo:
                details.append(f"### {suite.name} {suite.version}\n\nNot run here: the sdist ships "
                               f"no tests, and no copy of {suite.repo[0]} was found.\n")
            continue
        results: dict[str, dict[str, str]] = json.loads(res_path.read_text())
        stein_passing = {n for n, r in results.items() if r["outcome"] == "passed"}
        both = ref & stein_passing
        total_ref += len(ref)
        total_ok += len(both)
        ratio = f"{100 * len(both) / len(ref):.1f}%" if ref else "–"
        rows.append(f"| {suite.name} | {suite.version} | {origin} | {len(ref)} | "
                    f"{len(both)} | {ratio} |")
        missing = sorted(ref - stein_passing)
        extra = len(stein_passing - ref)
        lines = [f"### {suite.name} {suite.version}\n"]
        if suite.notes:
            lines.append(suite.notes + "\n")
        if missing:
            lines.append(f"{len(missing)} of the {len(ref)} tests that pass on Flask do not "
                         "pass on Stein:\n")
            for node in missing:
                r = results.get(node) or _uncollected(results, node)
                msg = r["message"] or r["outcome"]
                lines.append(f"- `{node}`: {msg}")
                key = _normalise(msg)
                causes[key] += 1
                cause_suites.setdefault(key, set()).add(suite.name)
            lines.append("")
        else:
            lines.append("Every test that passes on Flask passes on Stein.\n")
        if extra:
            lines.append(f"({extra} test(s) pass on Stein and not on Flask.)\n")
        details.append("\n".join(lines))
    overall = f"{100 * total_ok / total_ref:.1f}%" if total_ref else "–"
    text = [
        "# Flask extensions on stein.compat",
        "",
        "Each extension's own test suite, unchanged, run twice: on real Flask "
        f"({FLASK}, {WERKZEUG}) and on Stein with `stein.compat.install()` first "
        "(Flask and Werkzeug are installed beside Stein as the extension's dependencies; "
        "compat answers their imports). *Flask* counts the tests that pass on real Flask "
        "(the committed reference, `bench/compat/<ext>-<version>.passing.txt`); *Stein* the "
        "ones of those that also pass on Stein. Written by `make compat` "
        f"(`python -m bench.compat.run`), Python {pyver}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| Suite | Version | Tests from | Flask | Stein compat | Stein / Flask |",
        "| --- | --- | --- | ---: | ---: | ---: |",
        *rows,
        f"| **all run here** | | | {total_ref} | {total_ok} | {overall} |",
        "",
        "## Most common causes",
        "",
        "The first line of each failure on Stein, counted over all suites.",
        "",
        "| Tests | Suites | Cause | Why |",
        "| ---: | --- | --- | --- |",
        *(f"| {n} | {', '.join(sorted(cause_suites[c]))} | {_cell(c)} | {_cell(_why(c))} |"
          for c, n in causes.most_common(25)),
        "",
        "## Per suite",
        "",
        *details,
    ]
    out.write_text("\n".join(text).rstrip() + "\n")
    return out
