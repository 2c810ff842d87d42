"""Build the docs site (strict) and walk it with headless Chromium: no 404s, pages render.

The site is served by a stdlib http.server on a free 127.0.0.1 port; Chromium starts from
the index, follows every internal link it finds (the whole site, tutorial included), and
records each response's status, each broken #anchor, each JavaScript error, and any request
that tries to leave loopback (aborted: the site must work offline).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
]


def build_site(dest: Path) -> str:
    """Run ``mkdocs build --strict`` into ``dest``; return its log (raises on failure)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    return log


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    dest = tmp_path_factory.mktemp("site")
    return dest, build_site(dest)


@pytest.fixture(scope="module")
def server(site: tuple[Path, str]) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site[0]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def test_build_is_warning_free(site: tuple[Path, str]) -> None:
    _, log = site
    bad = [ln for ln in log.splitlines() if ln.startswith(("WARNING", "ERROR"))]
    assert bad == []
    assert (site[0] / "index.html").is_file()
    assert (site[0] / "tutorial" / "index.html").is_file()
    assert (site[0] / "api" / "stein" / "index.html").is_file()


def test_site_renders_and_links_resolve(server: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make test` installs it with `make chromium`")
        pytest.skip("chromium not installed (make chromium installs it)")
    from playwright.sync_api import sync_playwright

    statuses: dict[str, int] = {}
    broken_anchors: list[str] = []
    js_errors: list[str] = []
    escaped: list[str] = []
    linked_from: dict[str, str] = {}
    ids: dict[str, set[str]] = {}
    anchors: set[tuple[str, str, str]] = set()  # (linking page, target page, fragment)
    base_host = urlsplit(server).netloc

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)

            def guard(route, request):  # type: ignore[no-untyped-def]
                if urlsplit(request.url).netloc == base_host or request.url.startswith("data:"):
                    route.continue_()
                else:
                    escaped.append(request.url)
                    route.abort()

            page.route("**/*", guard)
            page.on("pageerror", lambda exc: js_errors.append(f"{page.url}: {exc}"))
            page.on("response", lambda r: statuses.__setitem__(r.url, r.status))

            todo = [server]
            seen: set[str] = set()
            pages_rendered = 0
            while todo:
                url = todo.pop()
                if url in seen:
                    continue
                seen.add(url)
                resp = page.goto(url, wait_until="load")
                assert resp is not None
                if resp.status != 200:
                    continue  # recorded in statuses; reported below with the linking page
                if not resp.headers.get("content-type", "").startswith("text/html"):
                    continue
                pages_rendered += 1
                # Rendered: a visible heading and an article with text.
                h1 = page.locator("article h1").first
                assert h1.is_visible(), f"{url} has no visible heading"
                assert len(page.locator("article").inner_text().strip()) > 40, f"{url} is empty"
                hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
                ids[url] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
                for href in hrefs:
                    target, frag = urldefrag(href)
                    if urlsplit(target).netloc != base_host:
                        continue
                    if frag:
                        anchors.add((url, target, unquote(frag)))
                    if target not in seen:
                        linked_from.setdefault(target, url)
                        todo.append(target)
        finally:
            browser.close()

    for source, target, frag in sorted(anchors):
        if target in ids and frag not in ids[target]:
            broken_anchors.append(f"{target}#{frag} linked from {source}")
    broken = {u: s for u, s in statuses.items() if s >= 400}
    report = [f"{u} ({s}) linked from {linked_from.get(u, '?')}" for u, s in broken.items()]
    assert report == [], "broken links:\n" + "\n".join(report)
    assert broken_anchors == []
    assert js_errors == []
    assert escaped == [], "the site tried to leave loopback"
    # The index, the quickstart and every tutorial step were reached and rendered.
    must = ["", "quickstart/", "tutorial/"]
    for path in must:
        assert statuses.get(server + path) == 200, f"{path or 'index'} not reached"
    tutorial = [u for u in statuses if u.startswith(server + "tutorial/") and u.endswith("/")]
    assert len(tutorial) >= 5, tutorial
    assert pages_rendered >= 10
    print(f"\ndocs site: {pages_rendered} pages rendered, {len(statuses)} URLs fetched, "
          f"0 broken links")
