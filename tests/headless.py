"""Headless Chromium (Debian's package) for the browser tests, driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# Without the background-networking flags Chromium keeps dialling out, and this machine's
# closed network refuses it many times a second.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    """The chromium binary; a missing one fails the test under CI (which installs it) and
    skips it elsewhere."""
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (run `make chromium`, which apt-get installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextlib.contextmanager
def chromium_context() -> Iterator[Any]:
    """A Playwright browser context on a fresh, throwaway profile; closed and removed after."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: it is in the dev extra")
    profile = tempfile.mkdtemp(prefix="stein-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            timeout=60_000)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
