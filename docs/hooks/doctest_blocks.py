"""MkDocs hook: doctest examples in docstrings render as code in the API reference.

Stein's docstrings show examples as doctest sessions (``>>> app = Stein(__name__)``), which
tests/test_docstrings.py runs. Markdown reads a line that starts with ``>`` as a quotation
and ``__name__`` as bold, so mkdocstrings printed them as nested block quotes. This hook adds
a Markdown preprocessor that wraps each run of doctest lines (a ``>>>`` line, its ``...``
continuations and the expected output, up to a blank line) in a ``pycon`` code fence before
any other extension sees it; lines inside an existing fence are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority

_FENCE = re.compile(r"^(\s*)(```|~~~)")
_PROMPT = re.compile(r"^(\s*)>>>( |$)")


class DoctestFences(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fence: str | None = None
        i = 0
        while i < len(lines):
            line = lines[i]
            m = _FENCE.match(line)
            if fence is not None:
                out.append(line)
                if m and m.group(2) == fence:
                    fence = None
                i += 1
                continue
            if m:
                fence = m.group(2)
                out.append(line)
                i += 1
                continue
            p = _PROMPT.match(line)
            if p is None:
                out.append(line)
                i += 1
                continue
            indent = p.group(1)
            block: list[str] = []
            while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                block.append(lines[i][len(indent):])
                i += 1
            if out and out[-1].strip():
                out.append("")  # a fence needs a blank line before it inside a paragraph
            out.append(f"{indent}```pycon")
            out.extend(indent + ln for ln in block)
            out.append(f"{indent}```")
            out.append("")
        return out


class DoctestFencesExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Markdown's API
        # Above superfences (priority 32 and below), so that it sees a fence it can render.
        md.preprocessors.register(DoctestFences(md), "stein_doctest_fences", 40)


@event_priority(100)  # before mkdocstrings reads the Markdown extensions from the config
def on_config(config: Any) -> Any:
    config.markdown_extensions.append(DoctestFencesExtension())
    return config
