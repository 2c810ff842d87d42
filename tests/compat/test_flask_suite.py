"""Flask 3.1's own test suite on Stein, in both modes, held to a threshold.

The suite is downloaded from the package index on first use (tests/compat/flask_suite.py)
and run in a subprocess; the comparison is against the tests that pass on real Flask,
recorded in flask-<version>.passing.txt.
"""

from __future__ import annotations

import pytest

from . import flask_suite

# Shares of the tests passing on real Flask that must pass on Stein (the issue asks 96%).
THRESHOLD = {"renamed": 0.96, "compat": 0.96}


@pytest.mark.parametrize("mode", ["renamed", "compat"])
def test_flask_suite(mode: str) -> None:
    results = flask_suite.run(mode)
    table = flask_suite.summary(results)
    passing = sum(ok for ok, _ in table.values())
    total = sum(n for _, n in table.values())
    missing = sorted(n for n in flask_suite.reference() if results.get(n) != "passed")
    print(f"{mode}: {passing}/{total}")
    assert passing / total >= THRESHOLD[mode], (
        f"{mode}: {passing}/{total} of Flask's passing tests pass on Stein; not passing:\n"
        + "\n".join(missing))
