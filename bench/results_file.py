"""``bench/results.md`` in sections, each written by its own benchmark: the in-process
tables (``python -m bench``), then after ``<!-- http -->`` the servers (``make bench-http``),
then after ``<!-- tfb -->`` the TechEmpower summary (``make bench-tfb``). A writer replaces
its own section and keeps the others as they are.

>>> split("top\\n<!-- tfb -->\\nT\\n")
{'': 'top', '<!-- http -->': '', '<!-- tfb -->': 'T'}
"""

from __future__ import annotations

import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")
HEAD = "# Stein benchmark results"
# The sections in file order; "" is the in-process part at the top.
MARKERS = ["", "<!-- http -->", "<!-- tfb -->"]


def split(text: str) -> dict[str, str]:
    """Each section's text (without its marker), by marker."""
    current = ""
    parts: dict[str, list[str]] = {m: [] for m in MARKERS}
    for line in text.splitlines():
        if line.strip() in MARKERS[1:]:
            current = line.strip()
            continue
        parts[current].append(line)
    return {m: "\n".join(parts[m]).strip("\n") for m in MARKERS}


def write_section(marker: str, text: str, path: str = PATH) -> None:
    """Replace the section after ``marker`` ("" for the top) with ``text``."""
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    sections = split(old)
    sections[marker] = text.strip("\n")
    if not sections[""]:
        sections[""] = HEAD
    chunks = [sections[""]]
    for m in MARKERS[1:]:
        if sections[m]:
            chunks.append(f"{m}\n{sections[m]}")
    with open(path, "w") as f:
        f.write("\n\n".join(chunks) + "\n")
