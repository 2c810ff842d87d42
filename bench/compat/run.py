"""Run Flask extensions' own test suites on real Flask and on ``stein.compat``.

``python -m bench.compat.run [SUITE ...] [--reference] [--report] [-v]`` (``make compat``):

1. fetches each suite's tests (the sdist from the package index, or the repository at the
   release tag for the three sdists without tests, see :mod:`bench.compat.suites`);
2. on first use, builds ``.cache/compat/venvs/<ext>-flask`` (the extension, its test
   requirements, real Flask), runs the suite there and commits what passes to
   ``bench/compat/<ext>-<version>.passing.txt`` with the exact versions it used
   (``<ext>-<version>.constraints.txt``); a later run reads both instead of rebuilding;
3. builds ``.cache/compat/venvs/<ext>-stein`` from the same versions plus Stein (editable),
   where Flask and Werkzeug are installed as dependencies and ``stein.compat`` must win over
   them: a root ``conftest.py`` calls :func:`stein.compat.install` and the STEIN_COMPAT=1
   start-up hook answers the subprocesses some suites start (``flask db init``);
4. writes ``bench/compat.md``: per suite, the Flask-passing tests that pass on Stein, and
   for each one that does not, the first line of its failure.

Venvs are built one at a time and share pip's cache (the machine is small and shared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from .report import _uncollected, write_report
from .suites import FLASK, PYTEST, SUITES, WERKZEUG, Suite

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("STEIN_COMPAT_CACHE", ROOT / ".cache" / "compat"))
# Where repositories fetched for the suites whose sdists lack tests are looked for
# (``<owner>+<name>/repo`` git directories); absent in CI, which then skips those suites.
MIRROR = Path(os.environ.get("STEIN_COMPAT_MIRROR", "/work/.mirror"))
TIMEOUT = 1500

_CONFTEST_STEIN = """\
# Answer `import flask` / `import werkzeug` from Stein, before the suite imports anything.
import stein.compat

stein.compat.install()
"""


def log(msg: str) -> None:
    print(f"[compat {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- sources

def sdist(suite: Suite) -> Path:
    """Download and unpack the suite's sdist (cached); return its root directory."""
    dest = CACHE / "src" / f"{suite.key}-{suite.version}"
    if (dest / ".complete").exists():
        return dest
    dl = CACHE / "downloads"
    dl.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                    "--no-deps", "-d", str(dl), f"{suite.name}=={suite.version}"], check=True)
    stem = f"{suite.name}-{suite.version}".lower().replace("_", "-")
    archive = next(p for p in dl.iterdir() if p.name.endswith(".tar.gz")
                   and p.name.lower().replace("_", "-").startswith(stem))
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(archive) as tf:
        tf.extractall(tmp, filter="data")
    shutil.rmtree(dest, ignore_errors=True)
    next(tmp.iterdir()).rename(dest)
    tmp.rmdir()
    (dest / ".complete").touch()
    return dest


def repo_tree(suite: Suite) -> Path | None:
    """The repository at the release tag, from a local copy; None where there is none."""
    repo, tag = suite.repo  # type: ignore[misc]
    dest = CACHE / "src" / f"{suite.key}-{suite.version}-repo"
    if (dest / ".complete").exists():
        return dest
    gitdir = MIRROR / repo.replace("/", "+") / "repo"
    if not gitdir.is_dir():
        return None
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", f"--git-dir={gitdir}", "archive", "--format=tar", tag],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "xf", "-", "-C", str(dest)], input=archive, check=True)
    (dest / ".complete").touch()
    return dest


def source(suite: Suite) -> Path | None:
    return repo_tree(suite) if suite.repo else sdist(suite)


# ---------------------------------------------------------------- venvs

def _pip(venv: Path, *args: str) -> None:
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", *args], check=True)


def _requirements(suite: Suite) -> list[str]:
    return [f"{suite.name}=={suite.version}", PYTEST, *suite.deps]


def reference_file(suite: Suite) -> Path:
    return HERE / f"{suite.key}-{suite.version}.passing.txt"


def constraints_file(suite: Suite) -> Path:
    return HERE / f"{suite.key}-{suite.version}.constraints.txt"


def build_venv(suite: Suite, side: str) -> Path:
    """The suite's venv for ``side`` (``flask`` or ``stein``), built once."""
    venv = CACHE / "venvs" / f"{suite.key}-{side}"
    wanted = json.dumps([side, _requirements(suite), FLASK, WERKZEUG])
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    log(f"building {venv.name}")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if side == "flask":
        _pip(venv, FLASK, WERKZEUG, *_requirements(suite))
        freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze",
                                 "--disable-pip-version-check"],
                                check=True, capture_output=True, text=True).stdout
        # The Stein venv installs the very same versions (Flask and Werkzeug included:
        # they come in as the extension's dependencies, and compat must win over them).
        constraints_file(suite).write_text(freeze)
    else:
        constraints = constraints_file(suite)
        extra = ["-c", str(constraints)] if constraints.exists() else []
        _pip(venv, *extra, *_requirements(suite))
        _pip(venv, "-e", str(ROOT))
        # Stein's start-up hook (setup.py puts it in site-packages for a regular install;
        # an editable one does not): STEIN_COMPAT=1 then installs compat in subprocesses.
        site = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        shutil.copy(ROOT / "src" / "stein" / "compat" / "stein-compat.pth", site)
    stamp.write_text(wanted)
    return venv


# ---------------------------------------------------------------- running

_CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini")


def prepare(suite: Suite, src: Path, side: str) -> Path:
    """A fresh work tree: the suite's test paths and pytest config, no package source.

    The package itself comes from the venv, never from the unpacked sources (a flat
    layout would otherwise shadow the installed copy through the rootdir on sys.path).
    """
    work = CACHE / "work" / f"{suite.key}-{side}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in (*suite.paths, *_CONFIG_FILES):
        path = src / name
        if path.is_dir():
            shutil.copytree(path, work / name)
        elif path.is_file():
            shutil.copy(path, work / name)
    if side == "stein":
        (work / "conftest.py").write_text(_CONFTEST_STEIN)
    return work


def run_suite(suite: Suite, src: Path, side: str, venv: Path,
              stein_src: Path | None = None) -> dict[str, dict[str, str]]:
    """Run the suite in ``venv``; ``{node id: {"outcome": ..., "message": ...}}``.

    ``stein_src`` (a ``src`` directory) is put first on the path instead of the editable
    Stein of the venv: to measure a snapshot of the tree while others edit it.
    """
    work = prepare(suite, src, side)
    report = work / "report.xml"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "STEIN_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env.update(suite.env)
    if side == "stein":
        env["STEIN_COMPAT"] = "1"
        if stein_src is not None:
            env["PYTHONPATH"] = str(stein_src)
    # The cache plugin stays on (pytest-xprocess keeps its server state there); it writes
    # inside the fresh work tree. addopts is cleared: coverage options need pytest-cov.
    cmd = [str(venv / "bin" / "python"), "-m", "pytest", *suite.paths, "-q",
           "-o", "addopts=", f"--junitxml={report}",
           "-o", "junit_family=xunit1", *suite.pytest_args]
    log(f"running {suite.name} {suite.version} on {side}")
    with open(work / "pytest.log", "w") as out:
        try:
            subprocess.run(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"{suite.name} on {side}: timed out after {TIMEOUT} s")
    if not report.exists():
        return {}
    return outcomes(report)


def outcomes(report: Path) -> dict[str, dict[str, str]]:
    """Node ids and outcomes (passed/failed/skipped) from a JUnit XML (xunit1) report."""
    result: dict[str, dict[str, str]] = {}
    for case in ET.parse(report).iter("testcase"):
        file = case.get("file") or ""
        classname = case.get("classname", "")
        # pytest writes paths relative to the cwd at the end of the run, which a suite
        # may have changed (Flask-Migrate's chdir): keep the part inside the work tree.
        marker = f"{report.parent.name}/"
        if marker in file:
            file = file.split(marker, 1)[1]
            dotted = marker.replace("/", ".")
            if dotted in classname:
                classname = classname.split(dotted, 1)[1]
        module = file[:-3].replace("/", ".") if file.endswith(".py") else ""
        cls = classname[len(module) + 1:] if module and classname.startswith(module + ".") else ""
        if not file:
            file = classname.replace(".", "/") + ".py"
        node = "::".join(p for p in (file, cls, case.get("name", "")) if p)
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                message = _cause(child.get("message") or "", child.text or "")
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
        if not cls and case.get("name", "") == module:
            # A module that failed to import: its tests are not collected at all.
            node = f"{file}::<collection>"
        # A test whose teardown errors has two entries: the failing one wins.
        if node not in result or outcome == "failed":
            result[node] = {"outcome": outcome, "message": message}
    return result


def _cause(message: str, text: str) -> str:
    """One line that says why: pytest's message, or the first ``E`` line of the report
    where the message is only "collection failure" / "failed on setup with ..."."""
    generic = not message or message.startswith(("collection failure", "failed on "))
    if generic:
        lines = [ln.strip() for ln in text.splitlines()]
        found = next((ln[1:].strip() for ln in lines if ln.startswith("E ")), "")
        message = found or message or next((ln for ln in lines if ln), "")
    return message.strip().splitlines()[0][:300] if message.strip() else ""


# ---------------------------------------------------------------- main

def results_file(suite: Suite, side: str) -> Path:
    return CACHE / "results" / f"{suite.key}-{suite.version}-{side}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compat.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="*", help="suite names (default: all)")
    parser.add_argument("--reference", action="store_true",
                        help="rebuild the Flask reference even where one is committed")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite bench/compat.md from the last results")
    parser.add_argument("--stein-src", type=Path, default=None,
                        help="a Stein src/ directory to test instead of this tree's")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the Flask-passing tests that do not pass on Stein")
    args = parser.parse_args(argv)
    wanted = {s.lower() for s in args.suites}
    unknown = wanted - {s.key for s in SUITES}
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}")
    for suite in SUITES:
        if wanted and suite.key not in wanted:
            continue
        if not args.report:
            run_one(suite, args.reference, args.stein_src)
        if args.verbose:
            print_differences(suite)
    path = write_report(SUITES, reference_file, results_file, ROOT / "bench" / "compat.md",
                        sysconfig.get_python_version())
    log(f"wrote {path.relative_to(ROOT)}")
    return 0


def run_one(suite: Suite, rebuild_reference: bool, stein_src: Path | None = None) -> None:
    src = source(suite)
    if src is None:
        log(f"{suite.name}: no tests here (the sdist has none; needs {suite.source[5:]})")
        results_file(suite, "stein").unlink(missing_ok=True)
        return
    ref = reference_file(suite)
    if rebuild_reference or not ref.exists():
        venv = build_venv(suite, "flask")
        results = run_suite(suite, src, "flask", venv)
        _save(suite, "flask", results)
        if not any(r["outcome"] == "passed" for r in results.values()):
            # A broken reference run (no report, an import error) must not become the
            # reference: every Stein result would then count as "nothing to compare".
            raise SystemExit(f"{suite.name}: nothing passed on Flask; see "
                             f"{CACHE / 'work' / (suite.key + '-flask') / 'pytest.log'}")
        ref.write_text("".join(f"{n}\n" for n, r in sorted(results.items())
                               if r["outcome"] == "passed"))
    venv = build_venv(suite, "stein")
    _save(suite, "stein", run_suite(suite, src, "stein", venv, stein_src))


def _save(suite: Suite, side: str, results: dict[str, dict[str, str]]) -> None:
    path = results_file(suite, side)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=True))
    passed = sum(r["outcome"] == "passed" for r in results.values())
    log(f"{suite.name} on {side}: {passed}/{len(results)} passed")


def print_differences(suite: Suite) -> None:
    path = results_file(suite, "stein")
    if not path.exists() or not reference_file(suite).exists():
        return
    results = json.loads(path.read_text())
    for node in sorted(reference_file(suite).read_text().splitlines()):
        r = results.get(node) or _uncollected(results, node)
        if r["outcome"] != "passed":
            print(f"{suite.name}: {node}: {r['message']}")


if __name__ == "__main__":
    raise SystemExit(main())
