"""Build the optional C speedups; everything else is in pyproject.toml.

``optional=True``: a machine without a C compiler still installs Stein, which then runs
its pure-Python code paths (the same behaviour, somewhat slower; see docs/performance.md).
"""

import os

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

# The start-up hook (src/stein/compat/stein-compat.pth) goes to the root of site-packages:
# every Python start-up in the environment runs its one line, which imports nothing unless
# STEIN_COMPAT is set, so that `STEIN_COMPAT=1 gunicorn app:app` serves a Flask app on Stein.
PTH = os.path.join("src", "stein", "compat", "stein-compat.pth")


class BuildPyWithPth(build_py):
    """Also writes the start-up hook beside the package, at the root of site-packages."""

    def run(self) -> None:
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, os.path.basename(PTH)))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, os.path.basename(PTH))]


setup(
    cmdclass={"build_py": BuildPyWithPth},
    ext_modules=[
        Extension("stein._speedups", ["src/stein/_speedups.c"], optional=True),
    ],
)
