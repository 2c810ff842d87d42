"""What a developer sees when a view raises under ``stein run --debug``: headless Chromium
opens the debug page, and it shows the exception and the user's own frame, fits the window
(no sideways scroll) at desktop and phone widths, and is kept as a screenshot in
tests/e2e/artifacts/ (debug-page.png, debug-page-phone.png).

The page's design is another module's business (src/stein/debugpage.py); this test asserts
only what any design must show.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headless import chromium_context
from liveserver import BIN, Running, free_port, serve

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

SHOP = textwrap.dedent('''\
    from stein import Stein

    app = Stein(__name__)


    def total_price(items):
        return sum(item["price"] for item in items)


    @app.get("/cart")
    def cart():
        items = [{"price": 3}, {"cost": 4}]
        return f"Total: {total_price(items)}"
''')


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("shop")
    (folder / "shopapp.py").write_text(SHOP)
    port = free_port()
    cmd = [os.path.join(BIN, "stein"), "--app", "shopapp", "run", "--port", str(port),
           "--debug", "--no-reload"]
    env = {k: "" for k in ("STEIN_APP", "STEIN_DEBUG_PIN")}
    with serve(cmd, port, cwd=str(folder), env=env, ready_path="/nothing-here") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_context() as context:
        yield context


_VISIBLE_TEXT_JS = """(needle) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const hits = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.includes(needle)) continue;
    const el = n.parentElement;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && el.checkVisibility())
      hits.push(el.tagName);
  }
  return hits.length;
}"""


@pytest.mark.parametrize("width,height,name", [(1280, 900, "debug-page"),
                                               (390, 844, "debug-page-phone")])
def test_debug_page_shows_the_error_and_the_users_frame(browser: Any, debug_server: Running,
                                                        width: int, height: int,
                                                        name: str) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.set_default_timeout(15_000)
    try:
        response = page.goto(debug_server.url + "/cart")
        assert response is not None and response.status == 500
        assert "text/html" in response.headers.get("content-type", "")
        text = page.inner_text("body")
        # The exception: its type and its message, as the user would read them.
        assert "KeyError" in text and "'price'" in text
        assert "KeyError" in page.title()
        # The user's frames, with their source lines, visible without a click: the line that
        # raised (in total_price) and the view's call to it.
        for needle in ('return sum(item["price"] for item in items)',
                       'return f"Total: {total_price(items)}"', "shopapp.py"):
            assert page.evaluate(_VISIBLE_TEXT_JS, needle) > 0, f"{needle!r} is not visible"
        assert "total_price" in text and "cart" in text
        # Fits the window: the page never scrolls sideways (long lines scroll in their box).
        scroll = page.evaluate("() => document.documentElement.scrollWidth"
                               " - document.documentElement.clientWidth")
        assert scroll <= 0, f"the debug page scrolls sideways by {scroll}px at {width}px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 5000
    finally:
        page.close()
    assert "Traceback" in debug_server.log() or "KeyError" in debug_server.log()
