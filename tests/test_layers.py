"""Stein's modules form layers, and every import points down them.

The test parses ``src/stein`` with :mod:`ast` (nothing is imported), builds the graph of
imports between Stein's modules, imports inside functions included (only names under
``if TYPE_CHECKING:`` are left out: they never run), and fails on

* a module that is in no layer (a new module is placed on purpose, below),
* an import of a module in a higher layer, and
* a cycle, also inside one layer.

The same order, with what each layer is for, is in ``docs/guides/architecture.md``. Where
a lower layer needs something from a higher one it is handed it (a parameter) or finds it
through a named seam the higher layer fills when it is imported (``stein.ctxvars`` for the
active app, ``exceptions.use_responses`` for the response class, ``ctx.on_signals_loaded``
for the signals module, ``asgi.use_websocket_handler``).

``python tests/test_layers.py`` prints the layers, the deferred imports (imports inside a
function body) and any upward import or cycle.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "stein"

# Bottom to top. A module may import modules of its own layer (without a cycle) and of the
# layers below it, never of a layer above. ``compat.*`` and ``ext.*`` mean every module of
# those packages.
LAYERS: list[tuple[str, list[str]]] = [
    ("HTTP primitives", [
        "_accel", "_speedups", "loops", "instance", "security", "typing",
        "headersyntax", "structures", "authheaders", "headervalues", "exceptions",
        "datastructures", "http", "conditional", "bodies", "multipart", "forms", "wsgi",
    ]),
    ("routing", [
        "converters", "rule_factories", "matching", "routing_adapter", "routing",
    ]),
    ("wrappers and WSGI plumbing", [
        "ctxvars", "asgi_body", "environ", "request", "response", "wrappers",
        "middleware", "shared_data", "dispatcher",
    ]),
    ("contexts", [
        "ctx", "local", "signals", "logging", "debughelpers",
    ]),
    ("servers (each is handed the app it serves)", [
        "asgi", "websocket", "http1", "wsproto", "devws", "reloader", "tracebacks", "debugger",
        "debugpage", "serving",
    ]),
    ("app building blocks", [
        "config", "json", "json_tag", "sessions", "jinja_fast", "scaffold", "templating",
        "files", "helpers", "urls", "utils", "views", "errors", "viewresults",
        "discovery", "commands", "testing", "blueprints",
    ]),
    ("the app", [
        "app",
    ]),
    ("around it: the command line, Flask compatibility, batteries, the package", [
        "cli", "inspect_cli", "inspection", "sourceinfo", "newproject", "compat.*", "ext.*",
        "__main__", "",  # "" is the package, stein/__init__.py
    ]),
]

# Compiled modules with no Python source of their own (they import nothing of Stein's).
EXTENSIONS = {"_speedups"}


def module_files() -> dict[str, Path]:
    """``{"ctx": .../ctx.py, "compat._names": ..., "": .../__init__.py}``."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def layer_of(name: str) -> int | None:
    for i, (_, names) in enumerate(LAYERS):
        for n in names:
            if n == name or (n.endswith(".*") and (name == n[:-2] or name.startswith(n[:-1]))):
                return i
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


class Import:
    __slots__ = ("source", "target", "line", "deferred", "text")

    def __init__(self, source: str, target: str, line: int, deferred: bool, text: str) -> None:
        self.source, self.target, self.line = source, target, line
        self.deferred, self.text = deferred, text

    def __repr__(self) -> str:
        where = "in a function" if self.deferred else "at module level"
        return f"stein.{self.source or '__init__'}:{self.line} {self.text!r} ({where})"


def _targets(name: str, is_package: bool, node: ast.Import | ast.ImportFrom,
             modules: set[str]) -> list[str]:
    """The Stein modules an import statement loads (empty for other packages)."""
    if isinstance(node, ast.Import):
        found = [a.name for a in node.names]
    else:
        if node.level:
            base = name.split(".") if name else []
            if not is_package:
                base = base[:-1]
            if node.level > 1:
                base = base[: len(base) - (node.level - 1)]
            full = ".".join(["stein", *base] + ([node.module] if node.module else []))
        else:
            full = node.module or ""
        found = [f"{full}.{a.name}" if f"{full}.{a.name}"[6:] in modules | EXTENSIONS
                 else full for a in node.names]
    out = []
    for f in found:
        if f != "stein" and not f.startswith("stein."):
            continue
        mod = f[6:]
        while mod and mod not in modules and mod not in EXTENSIONS:
            mod = mod.rpartition(".")[0]
        if mod != name:
            out.append(mod)
    return out


def _walk(name: str, is_package: bool, tree: ast.AST, modules: set[str],
          edges: list[Import], deferred: list[Import]) -> None:
    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:
                    walk_one(sub, in_function)
                continue
            walk_one(child, in_function)

    def walk_one(child: ast.AST, in_function: bool) -> None:
        in_function = in_function or isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            text = ast.unparse(child)
            if in_function:
                deferred.append(Import(name, "", child.lineno, True, text))
            for target in _targets(name, is_package, child, modules):
                edges.append(Import(name, target, child.lineno, in_function, text))
        walk(child, in_function)

    walk(tree, False)


def imports() -> tuple[dict[str, Path], list[Import], list[Import]]:
    """The modules, the imports between them, and every import inside a function."""
    files = module_files()
    edges: list[Import] = []
    deferred: list[Import] = []
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        _walk(name, path.name == "__init__.py", tree, set(files), edges, deferred)
    return files, edges, deferred


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward(edges: list[Import]) -> list[Import]:
    out = []
    for e in edges:
        src, dst = layer_of(e.source), layer_of(e.target)
        if src is not None and dst is not None and dst > src:
            out.append(e)
    return out


def test_every_module_has_a_layer() -> None:
    files, _, _ = imports()
    missing = sorted(n for n in files if layer_of(n) is None)
    assert not missing, (
        f"modules in no layer: {missing}; add each to LAYERS in tests/test_layers.py (and to "
        "docs/guides/architecture.md) at the lowest layer that holds everything it imports")


def test_no_import_points_up() -> None:
    _, edges, _ = imports()
    bad = upward(edges)
    assert not bad, "imports of a higher layer:\n" + "\n".join(
        f"  {e!r} -> stein.{e.target} ({LAYERS[layer_of(e.target) or 0][0]})" for e in bad)


def test_no_import_cycle() -> None:
    _, edges, _ = imports()
    found = cycles(edges)
    assert not found, f"import cycles: {found}"


def test_the_order_is_the_documented_one() -> None:
    # The architecture page lists the same layers with the same modules, in this order.
    doc = (SRC.parent.parent / "docs" / "guides" / "architecture.md").read_text(encoding="utf-8")
    pos = -1
    for title, names in LAYERS:
        pos = doc.find(f"**{title}**", pos + 1)
        assert pos >= 0, f"layer {title!r} missing (or out of order) in architecture.md"
        end = doc.find("\n\n", pos)
        para = doc[pos:end if end >= 0 else None]
        for n in names:
            shown = "stein" if n == "" else n.removesuffix(".*")
            assert f"`{shown}" in para, f"{shown!r} not listed under {title!r} in architecture.md"


def test_a_lower_module_imported_in_a_function_says_why() -> None:
    # Importing one of Stein's own modules inside a function is for keeping ``import stein``
    # small (the module, or what it imports, loads on first use); a comment says so.
    files, edges, _ = imports()
    silent = []
    for e in edges:
        if not e.deferred:
            continue
        lines = files[e.source].read_text(encoding="utf-8").splitlines()
        here, above = lines[e.line - 1], lines[e.line - 2] if e.line >= 2 else ""
        if "#" not in here and not above.strip().startswith("#"):
            silent.append(e)
    assert not silent, "deferred imports of Stein modules without a comment:\n" + "\n".join(
        f"  {e!r}" for e in silent)


if __name__ == "__main__":
    files, edges, deferred = imports()
    sizes = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in files.items()}
    for i, (title, _) in enumerate(LAYERS):
        members = sorted(n for n in files if layer_of(n) == i)
        print(f"{i + 1}. {title}: " + ", ".join(f"{n or 'stein'} ({sizes[n]})" for n in members))
    internal = {(e.source, e.line) for e in edges if e.deferred}
    print(f"\nmodules: {len(files)}; deferred imports: {len(deferred)} "
          f"({len(internal)} of Stein's own modules)")
    for d in deferred:
        print(f"  {'*' if (d.source, d.line) in internal else ' '} {d!r}")
    print("\nupward:", *upward(edges), sep="\n  ")
    print("\ncycles:", *cycles(edges), sep="\n  ")
    print("\nunplaced:", sorted(n for n in files if layer_of(n) is None))
