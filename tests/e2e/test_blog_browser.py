"""A real browser uses the example blog: register, log in, write a post, log out.

Headless Chromium from Debian (``make chromium``) driven by Playwright's Python package;
Playwright's own browser downloads are not used. Under CI a missing browser fails the run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from headless import chromium_context
from liveserver import BIN, ROOT, Running, free_port, serve

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts")


@pytest.fixture(scope="module")
def blog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    env = {"STEIN_DATABASE": str(tmp_path_factory.mktemp("blog") / "blog.sqlite"),
           "STEIN_SECRET_KEY": "browser-test"}
    blog_dir = os.path.join(ROOT, "examples", "blog")
    init = subprocess.run([os.path.join(BIN, "stein"), "--app", "blog", "init-db"],
                          cwd=blog_dir, env=dict(os.environ, **env), capture_output=True,
                          text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    port = free_port()
    cmd = [os.path.join(BIN, "stein"), "--app", "blog", "run", "--port", str(port),
           "--no-reload", "--no-debug"]
    with serve(cmd, port, cwd=blog_dir, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_context() as context:
        yield context


def test_register_login_post_logout(browser: Any, blog_server: Running) -> None:
    base = blog_server.url
    page = browser.new_page()
    page.set_default_timeout(15_000)
    seen: list[str] = []

    page.goto(base + "/")
    assert page.title() == "Posts - Stein Blog"
    assert "No posts yet." in page.inner_text("main")
    seen.append(f"{page.url} -> {page.title()}")

    page.click("text=Register")
    assert page.url == base + "/auth/register"
    page.fill("#username", "ada")
    page.fill("#password", "analytical engine")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/auth/login")
    assert "Account created. Please log in." in page.inner_text(".flash")
    seen.append(f"{page.url} -> {page.inner_text('.flash')}")

    page.fill("#username", "ada")
    page.fill("#password", "wrong")
    page.click("input[type=submit]")
    assert "Incorrect password." in page.inner_text(".flash")

    page.fill("#username", "ada")
    page.fill("#password", "analytical engine")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/")
    assert "Welcome back, ada." in page.inner_text(".flash")
    assert page.inner_text("nav .user") == "ada"
    seen.append(f"{page.url} -> {page.inner_text('.flash')}")

    page.click("text=New")
    page.wait_for_url(base + "/create")
    page.fill("#title", "Notes on the Engine")
    page.fill("#body", "It weaves algebraic patterns\njust as the loom weaves flowers.")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/")
    assert "Post published." in page.inner_text(".flash")
    post = page.locator("article.post").first
    assert post.locator("h1").inner_text() == "Notes on the Engine"
    assert "by ada on" in post.locator(".about").inner_text()
    assert "just as the loom weaves flowers." in post.locator(".body").inner_text()
    # The stylesheet loaded and applied: the nav bar has the accent colour.
    assert page.eval_on_selector("nav", "e => getComputedStyle(e).backgroundColor") == \
        "rgb(47, 93, 98)"
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "blog-index-after-post.png")
    page.screenshot(path=shot, full_page=True)
    assert os.path.getsize(shot) > 5000
    seen.append(f"{page.url} -> post {post.locator('h1').inner_text()!r} listed")

    page.click("text=Log Out")
    page.wait_for_url(base + "/")
    assert "You have been logged out." in page.inner_text(".flash")
    assert page.locator("text=Log In").count() == 1
    assert page.locator("a.action", has_text="Edit").count() == 0
    # The post stays public after logout.
    assert "Notes on the Engine" in page.inner_text("main")
    seen.append(f"{page.url} -> {page.inner_text('.flash')}")
    with open(os.path.join(ARTIFACTS, "seen.txt"), "w") as f:
        f.write("\n".join(seen) + "\n")
    page.close()
