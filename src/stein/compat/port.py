"""Rewrite Flask source to import Stein instead: the "renaming imports" of porting, done
by the same table that :mod:`stein.compat` answers imports from.

Code is rewritten, comments never: ``flask.globals.request_ctx`` becomes
``stein.ctx.request_ctx``, ``from werkzeug.test import Client`` becomes ``from
stein.testing import Client``, ``FlaskClient`` becomes ``SteinClient`` and ``Flask``
becomes ``Stein``. In strings only environment names change (``"FLASK_APP"`` becomes
``"STEIN_APP"``, ``".flaskenv"`` becomes ``".steinenv"``), and a directory's ``.flaskenv``
files are renamed to match. Third-party modules (``flask_login``, ``alchemical.flask``) are left
alone: they keep importing ``flask``, which is what :mod:`stein.compat` is for.

>>> print(port_source("from flask import Flask, request\\napp = Flask(__name__)\\n"), end="")
from stein import Stein, request
app = Stein(__name__)

From the shell: ``python -m stein.compat.port .`` rewrites every ``.py`` file under the
current directory in place (``--diff`` prints a diff instead and changes nothing).
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import sys
import tokenize
from pathlib import Path

from ._names import MODULES

# Inside string literals: Flask's environment variable names and its dotenv file.
_ENV_NAME = re.compile(r"(?<![A-Za-z0-9_])FLASK_(?=[A-Za-z_])")
_DOTENV = re.compile(r"\.flaskenv\b")

# Flask's names for classes Stein names after itself; only these exact names, so that a
# third-party ``FlaskAppBuilder`` keeps its own.
_CLASS_NAMES = re.compile(r"^Flask(|Client|CliRunner|Group)$")


def _module_for(dotted: str) -> tuple[str, int] | None:
    """The Stein module for the longest known prefix of ``dotted``, and its part count."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        target = MODULES.get(".".join(parts[:n]))
        if target is not None:
            return target, n
    return None


def _rename_chain(names: list[str]) -> list[str]:
    found = _module_for(".".join(names))
    if found is None:
        return names
    target, n = found
    return target.split(".") + [_CLASS_NAMES.sub(r"Stein\1", name) for name in names[n:]]


# Before Python 3.12 an f-string is one STRING token: its replacement fields are code, so
# the dotted chains inside them are renamed too.
_FIELD = re.compile(r"(?<!\{)\{[^{}]+\}")
_CHAIN = re.compile(r"(?<![\w.])(?:flask|werkzeug)(?:\.\w+)*")


def _is_fstring(literal: str) -> bool:
    prefix = literal[:len(literal) - len(literal.lstrip("rRbBuUfF"))]
    return "f" in prefix.lower()


def _rename_match(m: re.Match[str]) -> str:
    return ".".join(_rename_chain(m[0].split(".")))


def port_source(source: str) -> str:
    """``source`` with its Flask and Werkzeug imports and names rewritten for Stein."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        return line_starts[pos[0] - 1] + pos[1]

    edits: list[tuple[int, int, str]] = []
    i = 0
    prev = ""
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == tokenize.NAME and tok.string in ("flask", "werkzeug") and prev != ".":
            # A dotted chain that starts at ``flask``/``werkzeug``; ``x.flask`` stays.
            j = i
            names = [tok.string]
            while (j + 2 < len(tokens) and tokens[j + 1].string == "."
                   and tokens[j + 2].type == tokenize.NAME):
                names.append(tokens[j + 2].string)
                j += 2
            renamed = _rename_chain(names)
            if renamed != names:
                edits.append((offset(tok.start), offset(tokens[j].end), ".".join(renamed)))
            prev = tokens[j].string
            i = j + 1
            continue
        if tok.type == tokenize.NAME:
            new = _CLASS_NAMES.sub(r"Stein\1", tok.string)
            if new != tok.string:
                edits.append((offset(tok.start), offset(tok.end), new))
        elif tok.type == tokenize.STRING:
            new = _DOTENV.sub(".steinenv", _ENV_NAME.sub("STEIN_", tok.string))
            if _is_fstring(new):
                new = _FIELD.sub(lambda m: _CHAIN.sub(_rename_match, m[0]), new)
            if new != tok.string:
                edits.append((offset(tok.start), offset(tok.end), new))
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            prev = tok.string
        i += 1
    for begin, stop, text in reversed(edits):
        source = source[:begin] + text + source[stop:]
    return source


def _port_file(path: Path, *, diff: bool = False) -> bool:
    """Port one file in place (or print its diff); whether it had anything to port."""
    old = path.read_text(encoding="utf-8")
    new = port_source(old)
    if new == old:
        return False
    if diff:
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), str(path), str(path)))
    else:
        path.write_text(new, encoding="utf-8")
    return True


def _rename_dotenv(root: Path) -> list[Path]:
    """``.flaskenv`` becomes ``.steinenv``, its ``FLASK_*`` names ``STEIN_*`` (``stein``
    reads ``STEIN_APP`` from it, not ``FLASK_APP``)."""
    renamed = []
    for path in sorted(root.rglob(".flaskenv")):
        target = path.with_name(".steinenv")
        target.write_text(_ENV_NAME.sub("STEIN_", path.read_text(encoding="utf-8")),
                          encoding="utf-8")
        path.unlink()
        renamed.append(target)
    return renamed


def port_tree(root: Path) -> list[Path]:
    """Port every ``.py`` file under ``root`` in place and rename its ``.flaskenv`` files;
    return the paths changed."""
    changed = [path for path in sorted(root.rglob("*.py")) if _port_file(path)]
    return changed + _rename_dotenv(root)


def main(argv: list[str] | None = None) -> int:
    """Rewrite the given files and directories in place, or print a diff with ``--diff``."""
    parser = argparse.ArgumentParser(prog="python -m stein.compat.port",
                                     description="Rewrite Flask imports for Stein.")
    parser.add_argument("paths", nargs="+", type=Path, help="files or directories")
    parser.add_argument("--diff", action="store_true", help="print a diff, change nothing")
    args = parser.parse_args(argv)
    for given in args.paths:
        if given.is_dir() and not args.diff:
            changed = port_tree(given)
        else:
            files = sorted(given.rglob("*.py")) if given.is_dir() else [given]
            changed = [path for path in files if _port_file(path, diff=args.diff)]
        if not args.diff:
            for path in changed:
                print(f"ported {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
