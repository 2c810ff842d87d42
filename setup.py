"""Build the optional C speedups; everything else is in pyproject.toml.

``optional=True``: a machine without a C compiler still installs Stein, which then runs
its pure-Python code paths (the same behaviour, somewhat slower; see docs/performance.md).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("stein._speedups", ["src/stein/_speedups.c"], optional=True),
    ],
)
