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
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from headless import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parent.parent


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
    chromium = chromium_path()
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


def test_every_page_is_in_the_navigation(site: tuple[Path, str]) -> None:
    # MkDocs lists a page that is built but reachable from no menu at INFO level only.
    _, log = site
    assert "not included in the \"nav\" configuration" not in log, log
    for page in ("async", "limits", "security"):
        assert (site[0] / page / "index.html").is_file()


ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"

# What a reader sees, measured in the page: the page itself never scrolls sideways, nothing
# in the article reaches past the window's right edge, and a code block wider than its box
# scrolls inside it (overflow-x auto/scroll) instead of spilling over.
_LAYOUT_JS = """() => {
  const art = document.querySelector('article');
  const width = window.innerWidth;
  const sticking = [];
  for (const el of art.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) {
      // Fine when an ancestor inside the window scrolls (or clips) it: a code block or a
      // table that scrolls sideways in its own box.
      let clipped = false;
      for (let a = el.parentElement; a && a !== art.parentElement; a = a.parentElement) {
        if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)
            && a.getBoundingClientRect().right <= width + 1) { clipped = true; break; }
      }
      if (!clipped) sticking.push(el.tagName + '.' + el.className + ': ' + el.textContent.slice(0, 50));
    }
  }
  const spilling = [];
  for (const code of art.querySelectorAll('pre > code')) {
    const ox = getComputedStyle(code).overflowX;
    if (code.scrollWidth > code.clientWidth + 1 && !['auto', 'scroll'].includes(ox))
      spilling.push(code.textContent.slice(0, 50));
  }
  return {pageScroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          sticking: sticking.slice(0, 5), spilling: spilling.slice(0, 5),
          blockquotes: art.querySelectorAll('blockquote').length,
          codeBlocks: Array.from(art.querySelectorAll('pre > code')).map(c => c.textContent)};
}"""

_READER_PAGES = {
    # path: (file name of the screenshot, heading)
    "quickstart/": ("docs-quickstart", "Quickstart"),
    "tutorial/factory/": ("docs-tutorial-step1", "1. The application factory"),
    "api/stein/": ("docs-api-stein", "stein"),
}


def test_what_a_reader_sees(server: str) -> None:
    chromium = chromium_path()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: dict[tuple[str, int], dict[str, object]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            for width, height, suffix in ((1280, 900, ""), (390, 844, "-phone")):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.set_default_timeout(20_000)
                for path, (name, heading) in _READER_PAGES.items():
                    page.goto(server + path, wait_until="load")
                    h1 = page.locator("article h1").first
                    assert h1.is_visible() and h1.inner_text().strip().rstrip("¶").strip() == heading
                    layout = page.evaluate(_LAYOUT_JS)
                    assert layout["pageScroll"] <= 0, f"{path} at {width}px scrolls sideways"
                    assert layout["sticking"] == [], f"{path} at {width}px: {layout['sticking']}"
                    assert layout["spilling"] == [], f"{path} at {width}px: {layout['spilling']}"
                    shot = ARTIFACTS / f"{name}{suffix}.png"
                    if path.startswith("api/"):
                        # The reference is long: the window around its first docstring example.
                        page.locator("article .doc-contents .highlight").first.evaluate(
                            "el => window.scrollTo(0, el.getBoundingClientRect().top"
                            " + window.scrollY - 160)")
                        page.screenshot(path=str(shot))
                    else:
                        page.screenshot(path=str(shot), full_page=not suffix)
                    assert shot.stat().st_size > 10_000
                    seen[(path, width)] = layout
                page.close()
        finally:
            browser.close()

    for width in (1280, 390):
        quick = seen[("quickstart/", width)]
        blocks = quick["codeBlocks"]
        assert isinstance(blocks, list)
        assert any("pip install path/to/stein/dist/stein-*.whl" in b for b in blocks)
        assert not any("pip install stein\n" in b for b in blocks)
        step1 = seen[("tutorial/factory/", width)]["codeBlocks"]
        assert isinstance(step1, list) and any("def create_app(" in b for b in step1)
        # Docstring examples are code blocks with their prompts, not nested quotations
        # with __name__ turned bold.
        api = seen[("api/stein/", width)]
        assert api["blockquotes"] == 0
        code = api["codeBlocks"]
        assert isinstance(code, list)
        assert any(">>> app = Stein(__name__)" in b for b in code), code[:3]
