"""Run every ```python block of the docs pages and README.md.

Blocks of one page run in order in one shared namespace (a page tells a story; later blocks
build on earlier ones), with the cwd in a fresh temp dir per page. A block is not run when
its fence has a ``title="..."`` (a file shown for reading) or its first line is
``# doc: skip`` (needs a server, a network or a missing optional dependency); those are
reported as skipped. A block that only includes a source file (``--8<-- "path"``) is checked
for the file's existence: that code is the example's own and runs in the example's tests.

A page may add repo-relative folders to ``sys.path`` with an HTML comment
``<!-- doc: path examples/blog -->`` (the tutorial imports the example blog that way).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.M | re.S,
)
_SNIPPET = re.compile(r'^\s*-{2}8<-{2}\s+"([^"]+)"\s*$', re.M)
_PATH_DIRECTIVE = re.compile(r"<!--\s*doc:\s*path\s+(\S+)\s*-->")


@dataclass
class Block:
    page: Path
    line: int
    index: int
    code: str
    skip: str | None  # reason, or None when the block runs
    includes: list[str]

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"


def _dedent(body: str, indent: str) -> str:
    lines = body.splitlines()
    out = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in lines]
    return "\n".join(out) + "\n"


def extract_blocks(page: Path) -> list[Block]:
    """The ```python blocks of ``page``, in order, with their line numbers and skip reasons."""
    text = page.read_text(encoding="utf-8")
    blocks: list[Block] = []
    for m in _FENCE.finditer(text):
        if m["lang"] not in ("python", "py"):
            continue
        code = _dedent(m["body"], m["indent"])
        line = text.count("\n", 0, m.start()) + 1
        includes = _SNIPPET.findall(code)
        skip: str | None = None
        first = code.lstrip().splitlines()[0] if code.strip() else ""
        if includes:
            skip = None
        elif "title=" in m["info"]:
            skip = "titled block (a file shown for reading)"
        elif first.startswith("# doc: skip"):
            skip = first[len("# doc: skip"):].strip(" :-") or "marked # doc: skip"
        blocks.append(Block(page, line, len(blocks), code, skip, includes))
    return blocks


def doc_pages() -> list[Path]:
    """Every Markdown page of the docs, plus README.md."""
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


ALL_BLOCKS = [b for page in doc_pages() for b in extract_blocks(page)]

# One namespace per page, filled as its blocks run in order.
_namespaces: dict[Path, dict[str, Any]] = {}
_failed_pages: set[Path] = set()
_modules_before: dict[Path, set[str]] = {}


def compile_block(code: str, name: str) -> Any:
    """Compile a docs block as a user's own module would be: ``dont_inherit`` keeps this
    test module's ``from __future__ import annotations`` out of it, so an example that needs
    real (evaluated) annotations, as pydantic models and validated views do, is tested that way."""
    return compile(code, name, "exec", dont_inherit=True)


@pytest.fixture(scope="module")
def page_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    return {}


def _page_paths(page: Path) -> list[str]:
    return [str(ROOT / p) for p in _PATH_DIRECTIVE.findall(page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[b.id for b in ALL_BLOCKS])
def test_doc_block(block: Block, page_dirs: dict[Path, Path],
                   tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    if block.includes:
        for inc in block.includes:
            path = ROOT / inc.split(":", 1)[0]
            assert path.is_file(), f"{block.id} includes missing file {inc}"
            assert path.read_text(encoding="utf-8").strip(), f"{block.id} includes empty file {inc}"
        return
    if block.skip:
        pytest.skip(f"{block.id}: {block.skip}")
    if block.page in _failed_pages:
        pytest.fail(f"an earlier block of {block.page.name} failed; this one builds on it")
    if block.page not in page_dirs:
        page_dirs[block.page] = tmp_path_factory.mktemp(block.page.stem)
    cwd = page_dirs[block.page]
    monkeypatch.chdir(cwd)
    extra = _page_paths(block.page)
    for p in reversed(extra):
        monkeypatch.syspath_prepend(p)
    ns = _namespaces.setdefault(block.page, {"__name__": f"docs_{block.page.stem}"})
    before = _modules_before.setdefault(block.page, set(sys.modules))
    last = block.index == max(b.index for b in ALL_BLOCKS if b.page == block.page)
    failed = True
    try:
        exec(compile_block(block.code, block.id), ns)  # noqa: S102 - running docs is the point
        failed = False
    finally:
        if failed:
            _failed_pages.add(block.page)
        if failed or last:
            # Forget modules imported from the page's extra paths or its temp dir, so the
            # next page (or a test module) imports them afresh.
            roots = tuple(extra) + (str(cwd),)
            for name in set(sys.modules) - before:
                f = getattr(sys.modules[name], "__file__", None) or ""
                if f.startswith(roots):
                    del sys.modules[name]


def test_blocks_were_found() -> None:
    """Guard against the extractor silently finding nothing (a regex or layout change)."""
    runnable = [b for b in ALL_BLOCKS if not b.skip and not b.includes]
    skipped = [b for b in ALL_BLOCKS if b.skip]
    pages = {b.page for b in ALL_BLOCKS}
    print(f"\ndocs examples: {len(runnable)} run, {len(skipped)} skipped, "
          f"{sum(1 for b in ALL_BLOCKS if b.includes)} included from source, {len(pages)} pages")
    assert len(runnable) >= 1
    assert len(skipped) <= max(3, len(ALL_BLOCKS) // 10), (
        "too many skipped doc blocks: " + ", ".join(b.id for b in skipped)
    )


def test_extractor_handles_fences(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "text\n```python\nx = 1\n```\n\n```sh\nls\n```\n"
        '!!! note\n    ```python title="app.py"\n    y = 2\n    ```\n'
        "```python\n# doc: skip - needs a server\nz = 3\n```\n",
        encoding="utf-8",
    )
    blocks = extract_blocks(page)
    assert [b.code for b in blocks] == ["x = 1\n", "y = 2\n", "# doc: skip - needs a server\nz = 3\n"]
    assert blocks[0].skip is None and blocks[0].line == 2
    assert blocks[1].skip == "titled block (a file shown for reading)"
    assert blocks[2].skip == "needs a server"


def test_blocks_do_not_inherit_this_modules_future_imports() -> None:
    ns: dict[str, Any] = {}
    exec(compile_block("def f(x: int) -> str: ...\nann = f.__annotations__\n", "probe"), ns)  # noqa: S102
    # Under an inherited ``from __future__ import annotations`` these would be the strings
    # "int" and "str".
    assert ns["ann"] == {"x": int, "return": str}
    ns = {}
    exec(compile_block("from __future__ import annotations\ndef f(x: int): ...\nann = f.__annotations__\n",
                       "probe"), ns)  # noqa: S102
    assert ns["ann"] == {"x": "int"}  # a block's own future import still counts
