"""The clients of the scale-out run that are not wrk: WebSocket listeners that reconnect with
``since=`` when they lose their node, and a prober that keeps making new sessions."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Listener:
    """What one WebSocket client saw."""

    name: str
    events: list[str] = field(default_factory=list)    # stream ids, in arrival order
    rows: list[int] = field(default_factory=list)      # chat_message ids
    connects: int = 0
    closes: list[tuple[float, str]] = field(default_factory=list)  # when, why


async def listen(ws_url: str, state: Listener, stop: asyncio.Event) -> None:
    import websockets

    since = ""
    while not stop.is_set():
        url = ws_url + (f"?since={since}" if since else "")
        try:
            async with websockets.connect(url, open_timeout=5, max_queue=None) as ws:
                state.connects += 1
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 0.5)
                    except asyncio.TimeoutError:
                        continue
                    data = json.loads(raw)
                    since = data["event"]
                    state.events.append(since)
                    state.rows.append(int(data["message"]["id"]))
        except Exception as e:  # the node went away, or could not be reached yet
            state.closes.append((time.time(), f"{type(e).__name__}: {e}"[:120]))
            await asyncio.sleep(0.2)


def login_cookie(base: str, name: str, attempts: int = 10) -> str:
    """Log ``name`` in through the load balancer; the session cookie's value."""
    import httpx

    for i in range(attempts):
        try:
            r = httpx.post(base + "/login", json={"name": name, "password": "pw"}, timeout=10)
            if r.status_code == 200:
                return r.cookies["session"]
        except httpx.HTTPError:
            pass
        time.sleep(0.2 * (i + 1))
    raise RuntimeError(f"could not log {name} in")


def whoami(base: str, cookie: str) -> tuple[int, Any]:
    import httpx

    r = httpx.get(base + "/api/me", cookies={"session": cookie}, timeout=10)
    return r.status_code, (r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text)


class Background:
    """An event loop in a thread running the listeners and the session prober."""

    def __init__(self, base: str, n_listeners: int) -> None:
        self.base = base
        self.ws_url = base.replace("http://", "ws://") + "/ws"
        self.listeners = [Listener(f"ws{i}") for i in range(n_listeners)]
        self.sessions: dict[str, str] = {}  # user -> cookie, made while the run goes on
        self.prober_errors: list[tuple[float, str]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self._tasks: list[Any] = []

    def start(self) -> None:
        self.thread.start()

        async def begin() -> None:
            self._stop = asyncio.Event()
            for state in self.listeners:
                self._tasks.append(asyncio.ensure_future(listen(self.ws_url, state, self._stop)))

        asyncio.run_coroutine_threadsafe(begin(), self.loop).result(10)

    def probe_forever(self, stop: threading.Event, every: float = 1.0) -> threading.Thread:
        """A thread logging in a new user every ``every`` s (sessions made mid-run)."""

        def run() -> None:
            k = 0
            while not stop.wait(every):
                name = f"probe{k}"
                try:
                    self.sessions[name] = login_cookie(self.base, name, attempts=3)
                except Exception as e:
                    self.prober_errors.append((time.time(), str(e)))
                k += 1

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def stop(self) -> None:
        async def end() -> None:
            assert self._stop is not None
            self._stop.set()
            await asyncio.wait(self._tasks, timeout=10)

        asyncio.run_coroutine_threadsafe(end(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
