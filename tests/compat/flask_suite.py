"""Flask's own test suite, run against Stein: the measure of "a Flask app ports".

The suite comes from Flask's sdist on the package index (never committed) and is run in
one of two modes:

- ``renamed``: every file rewritten by :mod:`stein.compat.port` (what a user porting an
  app does), so it imports ``stein`` only;
- ``compat``: the files unchanged, with :func:`stein.compat.install` run first, so
  ``import flask`` gives Stein.

``python tests/compat/flask_suite.py compat [pytest args]`` prints passes per file;
``tests/compat/test_flask_suite.py`` holds both modes to their thresholds in ``make test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

FLASK_VERSION = "3.1.3"
ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("STEIN_COMPAT_CACHE", ROOT / ".cache" / "compat"))
HERE = Path(__file__).resolve().parent
# Node ids that pass on real Flask FLASK_VERSION (recorded once, by --reference).
REFERENCE = HERE / f"flask-{FLASK_VERSION}.passing.txt"

# Flask 3.1.3's suite reads ``_pytest.monkeypatch.notset``, which pytest 9 no longer has;
# the same shim runs for Flask's reference run, and it is the only change to the suite.
_PYTEST9_SHIM = """\
import _pytest.compat, _pytest.monkeypatch
_pytest.monkeypatch.notset = _pytest.compat.NOTSET
"""

_COMPAT_CONFTEST = """\
# Answer `import flask` from Stein.
import stein.compat
stein.compat.install()
"""


def sdist(name: str, version: str) -> Path:
    """Download and unpack ``name==version``'s sdist into the cache; return its root."""
    dest = CACHE / f"{name}-{version}"
    if (dest / ".complete").exists():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    dl = CACHE / "downloads"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                    "--no-deps", "-d", str(dl), f"{name}=={version}"], check=True)
    archive = next(p for p in dl.iterdir()
                   if p.name.lower().replace("_", "-").startswith(f"{name}-{version}".lower())
                   and p.name.endswith(".tar.gz"))
    tmp = CACHE / f".{name}-{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(archive) as tf:
        tf.extractall(tmp, filter="data")
    shutil.rmtree(dest, ignore_errors=True)
    next(tmp.iterdir()).rename(dest)
    tmp.rmdir()
    (dest / ".complete").touch()
    return dest


def prepare(mode: str, work: Path | None = None) -> Path:
    """A fresh copy of Flask's tests for ``mode`` (``renamed``, ``compat`` or ``flask``)."""
    src = sdist("flask", FLASK_VERSION) / "tests"
    # One directory per process: several runs at once must not share a tree.
    work = work or CACHE / f"flask-tests-{mode}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work / "tests")
    conftest = _PYTEST9_SHIM
    if mode == "renamed":
        from stein.compat.port import port_tree

        port_tree(work / "tests")
    elif mode == "compat":
        conftest += _COMPAT_CONFTEST
    (work / "conftest.py").write_text(conftest)
    # No pyproject/ini: the copied suite must not pick up Stein's own pytest settings.
    (work / "pytest.ini").write_text("[pytest]\n")
    return work


def run(mode: str, args: list[str] = (), python: str | None = None) -> dict[str, str]:  # type: ignore[assignment]
    """Run the suite in ``mode``; return ``{node id: outcome}`` (passed/failed/skipped)."""
    work = prepare(mode)
    report = work / "report.xml"
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("FLASK_", "STEIN_")) and key != "STEIN_NO_SPEEDUPS":
            del env[key]
    subprocess.run([python or sys.executable, "-m", "pytest", "tests", "-q", "-p",
                    "no:cacheprovider", "--continue-on-collection-errors", f"--junitxml={report}", "-o", "junit_family=xunit1",
                    *args], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=900)
    try:
        return outcomes(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def outcomes(report: Path) -> dict[str, str]:
    """``{node id: outcome}`` from a JUnit XML report."""
    result: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        node = f"{file}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        if outcome == "failed" or node not in result:
            result[node] = outcome
    return result


def reference() -> set[str]:
    """The node ids that pass on real Flask."""
    return set(REFERENCE.read_text().splitlines())


def summary(results: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Per file: (tests passing on Stein that pass on Flask, tests passing on Flask)."""
    ref = reference()
    table: dict[str, list[int]] = {}
    for node in ref:
        row = table.setdefault(node.split("::")[0], [0, 0])
        row[1] += 1
        if results.get(node) == "passed":
            row[0] += 1
    return {k: (v[0], v[1]) for k, v in sorted(table.items())}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--reference":
        # python flask_suite.py --reference /path/to/venv-with-flask/bin/python
        results = run("flask", python=argv[1])
        REFERENCE.write_text("".join(f"{n}\n" for n, o in sorted(results.items()) if o == "passed"))
        print(f"{sum(o == 'passed' for o in results.values())}/{len(results)} pass on Flask")
        return 0
    if argv and argv[0] == "prepare":
        # python flask_suite.py prepare compat /tmp/dir; then run pytest inside that dir
        print(prepare(argv[1], Path(argv[2]) if len(argv) > 2 else None))
        return 0
    mode = argv[0] if argv else "compat"
    verbose = "-v" in argv[1:]
    results = run(mode, [a for a in argv[1:] if a != "-v"])
    table = summary(results)
    for file, (ok, total) in table.items():
        print(f"{file:45} {ok:4}/{total:<4}")
    ok = sum(v[0] for v in table.values())
    total = sum(v[1] for v in table.values())
    print(f"{'total':45} {ok:4}/{total:<4} ({100 * ok / total:.1f}%)")
    if verbose:
        ref = reference()
        for node in sorted(n for n in ref if results.get(n) != "passed"):
            print("not passing:", node)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
