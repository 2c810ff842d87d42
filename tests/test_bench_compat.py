"""bench/compat (make compat): reading JUnit reports and writing the table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.compat.report import write_report  # noqa: E402
from bench.compat.run import outcomes  # noqa: E402
from bench.compat.suites import SUITES, Suite  # noqa: E402

_XML = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a.TestX" name="test_ok" file="tests/test_a.py"/>
<testcase classname="tests.test_a" name="test_fn[p1]" file="tests/test_a.py">
  <failure message="AssertionError: assert 1 == 2">long text</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py">
  <skipped message="no redis"/></testcase>
<testcase classname="tests.test_a" name="test_teardown" file="tests/test_a.py"/>
<testcase classname="tests.test_a" name="test_teardown" file="tests/test_a.py">
  <error message="failed on teardown with &quot;x&quot;">tb
E   RuntimeError: teardown broke
more</error></testcase>
<testcase classname="" name="tests.test_b" file="tests/test_b.py">
  <error message="collection failure">Traceback
E   ImportError: cannot import name 'X' from 'stein.y'</error></testcase>
<testcase classname=".cache.compat.work.m-stein.tests.test_c.T" name="test_cd"
  file=".cache/compat/work/m-stein/tests/test_c.py"/>
</testsuite></testsuites>
"""


def test_outcomes_node_ids_and_causes(tmp_path: Path) -> None:
    work = tmp_path / "m-stein"
    work.mkdir()
    report = work / "report.xml"
    report.write_text(_XML)
    got = outcomes(report)
    assert got["tests/test_a.py::TestX::test_ok"] == {"outcome": "passed", "message": ""}
    assert got["tests/test_a.py::test_fn[p1]"] == {
        "outcome": "failed", "message": "AssertionError: assert 1 == 2"}
    assert got["tests/test_a.py::test_skip"]["outcome"] == "skipped"
    # A teardown error wins over the pass before it, with the cause from the E line.
    assert got["tests/test_a.py::test_teardown"] == {
        "outcome": "failed", "message": "RuntimeError: teardown broke"}
    assert got["tests/test_b.py::<collection>"]["message"] == \
        "ImportError: cannot import name 'X' from 'stein.y'"
    # A suite that changed directory: the path is cut back to the work tree.
    assert got["tests/test_c.py::T::test_cd"]["outcome"] == "passed"


def test_report_counts_tests_passing_on_both(tmp_path: Path) -> None:
    suite = Suite("Demo-Ext", "1.0")
    ref = tmp_path / "ref.txt"
    ref.write_text("tests/t.py::a\ntests/t.py::b\ntests/u.py::c\n")
    results = tmp_path / "res.json"
    results.write_text(json.dumps({
        "tests/t.py::a": {"outcome": "passed", "message": ""},
        "tests/t.py::b": {"outcome": "failed", "message": "KeyError: 'x'"},
        "tests/u.py::<collection>": {"outcome": "failed", "message": "ImportError: y"},
        "tests/t.py::extra": {"outcome": "passed", "message": ""},
    }))
    out = tmp_path / "compat.md"
    write_report([suite], lambda s: ref, lambda s, side: results, out, "3.11")
    text = out.read_text()
    assert "| Demo-Ext | 1.0 | sdist | 3 | 1 | 33.3% |" in text
    assert "`tests/t.py::b`: KeyError: 'x'" in text
    assert "`tests/u.py::c`: not collected: ImportError: y" in text
    assert "1 test(s) pass on Stein and not on Flask" in text


def test_every_suite_is_pinned() -> None:
    names = [s.key for s in SUITES]
    assert len(names) == len(set(names)) == 12
    for suite in SUITES:
        assert suite.version[0].isdigit()
        assert suite.repo is None or suite.repo[1]
