"""Broadcast channels across processes and hosts, for WebSocket handlers: publish in one
worker, every subscriber in every worker gets it.

>>> from stein import Stein
>>> from stein.ext.broadcast import Broadcast
>>> app = Stein(__name__)
>>> app.config["BROADCAST_REDIS_URL"] = "redis://127.0.0.1:6379/0"
>>> broadcast = Broadcast(app)  # connects on first use, not here

A WebSocket handler (under an ASGI server) relays a channel to its client; a view in any
process, WSGI or ASGI, publishes to it::

    @app.websocket("/feed")
    async def feed(ws):
        await ws.accept()
        async with broadcast.subscribe("room", since=request.args.get("since")) as sub:
            async for message in sub:
                await ws.send(message.data)

    @app.post("/say")
    def say():
        broadcast.publish_sync("room", request.form["text"])   # await broadcast.publish() in async views
        return "", 204

Each channel is a Redis stream (``XADD``, trimmed to ``BROADCAST_MAXLEN`` entries), not
pub/sub, for three reasons. Every message gets an id in one total order, so a client that
reconnects (its worker was killed, restarted, or the network dropped) says the last id it saw
(``since=``) and gets what it missed, then the live messages, with no gap and no repeat. A
process's reader resumes from the last id it read when Redis comes back, so a Redis restart
loses nothing that Redis kept (run it with ``appendonly yes``). And a reader that falls
behind reads on from where it was instead of losing what was sent meanwhile.

One reader task per channel and process (started by the first subscriber, stopped after
the last) fans the messages out to the subscribers' queues. A queue holds
``BROADCAST_QUEUE_SIZE`` messages; a subscriber that lets it fill (a slow client) is dropped:
its iteration raises :class:`SlowSubscriber` instead of the process buffering without end.
The handler closes the socket; the client reconnects with ``since=`` and catches up.
Lost connections to Redis are retried with exponential backoff (0.05 s doubling to 5 s),
for readers forever and for publishers up to ``BROADCAST_TIMEOUT`` seconds, after which
:class:`BroadcastUnavailable` is raised. A publish that is retried after Redis took it but
before it answered is delivered twice (at least once): give messages your own ids when that
matters.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app import Stein

__all__ = ["Broadcast", "BroadcastUnavailable", "Message", "SlowSubscriber", "Subscription"]

log = logging.getLogger("stein.ext.broadcast")
_FIELD = "d"
_BACKOFF_MIN, _BACKOFF_MAX = 0.05, 5.0


class BroadcastUnavailable(Exception):
    """Redis did not take a publish within ``BROADCAST_TIMEOUT`` seconds."""


class SlowSubscriber(Exception):
    """Raised by a subscription whose queue filled up: it was dropped from its channel."""


@dataclass(frozen=True)
class Message:
    """One message of a channel: ``id`` is its stream id (``"1712345678901-0"``), ``data``
    the text published."""

    channel: str
    id: str
    data: str


def _order(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def _connection_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, OSError)


class _Backoff:
    """Exponential backoff with jitter: 0.05 s, 0.1 s, ... up to 5 s; ``reset`` on success."""

    def __init__(self) -> None:
        self.delay = _BACKOFF_MIN

    def next(self) -> float:
        delay = self.delay * random.uniform(0.5, 1.0)
        self.delay = min(self.delay * 2, _BACKOFF_MAX)
        return delay

    def reset(self) -> None:
        self.delay = _BACKOFF_MIN


_DROPPED = object()


class Subscription:
    """A subscriber's view of one channel: an async context manager and async iterator of
    :class:`Message`. Made by :meth:`Broadcast.subscribe`."""

    def __init__(self, hub: _Hub, channel: str, since: str | None) -> None:
        self.channel = channel
        self.since = since
        self._hub = hub
        self._queue: asyncio.Queue[Any] = asyncio.Queue(hub.owner.queue_size)
        self._backlog: deque[Message] | None = None if since is None else deque()
        self._last = _order(since) if since else (-1, -1)
        self.dropped = False
        self._joined = False

    async def __aenter__(self) -> Subscription:
        self._joined = True
        # Once the channel's reader knows where it starts, everything published from now on
        # reaches this subscriber (and the catch-up read covers everything before).
        await self._hub.join(self).wait()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._joined = False
        self._hub.leave(self)

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        if not self._joined:
            raise RuntimeError("iterate a subscription inside 'async with broadcast.subscribe(...)'")
        if self._backlog is not None and not self._backlog and self.since is not None:
            await self._fill_backlog()
            self.since = None
        while True:
            if self._backlog:
                msg = self._backlog.popleft()
            else:
                item = await self._queue.get()
                if item is _DROPPED:
                    raise SlowSubscriber(f"subscriber of {self.channel!r} dropped: its queue of"
                                         f" {self._hub.owner.queue_size} messages was full")
                msg = item
            order = _order(msg.id)
            if order > self._last:  # skips what the backlog already gave
                self._last = order
                return msg

    async def _fill_backlog(self) -> None:
        """What was published after ``since``: read once, after joining the channel, so the
        live queue holds everything from then on and nothing falls between the two."""
        assert self._backlog is not None and self.since is not None
        start, backoff = "(" + self.since, _Backoff()
        key = self._hub.owner.key(self.channel)
        while True:
            try:
                entries = await self._hub.client.xrange(key, min=start, max="+", count=1000)
            except _connection_errors() as e:
                log.warning("broadcast: catching up %r failed (%s); retrying", self.channel, e)
                await asyncio.sleep(backoff.next())
                continue
            for sid, fields in entries:
                self._backlog.append(Message(self.channel, sid, fields.get(_FIELD, "")))
            if len(entries) < 1000:
                return
            start = "(" + entries[-1][0]

    def _offer(self, msg: Message) -> bool:
        """Queue ``msg``; on a full queue drop this subscriber (returns False)."""
        try:
            self._queue.put_nowait(msg)
            return True
        except asyncio.QueueFull:
            self.dropped = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(_DROPPED)
            log.warning("broadcast: dropped a slow subscriber of %r", self.channel)
            return False


class _Hub:
    """The state of one Broadcast on one event loop: its Redis clients and channel readers."""

    def __init__(self, owner: Broadcast) -> None:
        import redis.asyncio as aioredis

        self.owner = owner
        self.client: Any = aioredis.Redis.from_url(owner.url, decode_responses=True,
                                              socket_timeout=owner.timeout,
                                              socket_connect_timeout=owner.timeout)
        # A blocked XREAD waits up to block_ms; its socket timeout must be longer.
        self.reader: Any = aioredis.Redis.from_url(owner.url, decode_responses=True,
                                              socket_timeout=owner.block_ms / 1000 + owner.timeout,
                                              socket_connect_timeout=owner.timeout)
        self.subscribers: dict[str, set[Subscription]] = {}
        self.readers: dict[str, asyncio.Task[None]] = {}
        self.positioned: dict[str, asyncio.Event] = {}

    def join(self, sub: Subscription) -> asyncio.Event:
        """Add ``sub`` to its channel; the event is set once the reader has its position."""
        self.subscribers.setdefault(sub.channel, set()).add(sub)
        if sub.channel not in self.readers:
            self.positioned[sub.channel] = asyncio.Event()
            self.readers[sub.channel] = asyncio.get_running_loop().create_task(
                self._read(sub.channel), name=f"broadcast reader {sub.channel}")
        return self.positioned[sub.channel]

    def leave(self, sub: Subscription) -> None:
        subs = self.subscribers.get(sub.channel)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.channel]
                self.positioned.pop(sub.channel, None)
                task = self.readers.pop(sub.channel, None)
                if task is not None:
                    task.cancel()

    async def _read(self, channel: str) -> None:
        key, backoff = self.owner.key(channel), _Backoff()
        last: str | None = None
        errors = _connection_errors()
        while True:
            try:
                if last is None:  # start after the newest message
                    newest = await self.reader.xrevrange(key, count=1)
                    last = newest[0][0] if newest else "0-0"
                    self.positioned[channel].set()
                reply = await self.reader.xread({key: last}, count=500, block=self.owner.block_ms)
                backoff.reset()
            except errors as e:
                delay = backoff.next()
                log.warning("broadcast: reading %r failed (%s); reconnecting in %.2f s",
                            channel, e, delay)
                await asyncio.sleep(delay)
                continue
            for _stream, entries in reply or ():
                for sid, fields in entries:
                    last = sid
                    msg = Message(channel, sid, fields.get(_FIELD, ""))
                    for sub in [s for s in self.subscribers.get(channel, ()) if not s._offer(msg)]:
                        self.leave(sub)

    async def aclose(self) -> None:
        for task in self.readers.values():
            task.cancel()
        await asyncio.gather(*self.readers.values(), return_exceptions=True)
        self.readers.clear()
        await self.client.aclose()
        await self.reader.aclose()


class Broadcast:
    """Channels on one Redis: ``Broadcast(app)``, ``Broadcast(url=...)`` or ``init_app(app)``.

    Config (or keyword arguments): ``BROADCAST_REDIS_URL`` (else ``SESSION_REDIS_URL``, else
    ``redis://127.0.0.1:6379/0``), ``BROADCAST_PREFIX`` (``broadcast:``), ``BROADCAST_QUEUE_SIZE``
    (messages a subscriber may have waiting, 256), ``BROADCAST_MAXLEN`` (messages a channel
    keeps for catching up, 10000), ``BROADCAST_TIMEOUT`` (seconds a publish retries, 10).

    >>> Broadcast(url="redis://127.0.0.1:6379/0").key("room")
    'broadcast:room'
    """

    def __init__(self, app: Stein | None = None, *, url: str | None = None,
                 prefix: str = "broadcast:", queue_size: int = 256, maxlen: int = 10_000,
                 timeout: float = 10.0, block_ms: int = 5000) -> None:
        self.url = url or "redis://127.0.0.1:6379/0"
        self.prefix, self.queue_size, self.maxlen = prefix, queue_size, maxlen
        self.timeout, self.block_ms = timeout, block_ms
        self._hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Hub] = \
            weakref.WeakKeyDictionary()
        self._sync: Any = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Stein) -> None:
        """Read this broadcast's settings from ``app.config``."""
        cfg = app.config
        self.url = cfg.get("BROADCAST_REDIS_URL") or cfg.get("SESSION_REDIS_URL") or self.url
        self.prefix = cfg.get("BROADCAST_PREFIX", self.prefix)
        self.queue_size = int(cfg.get("BROADCAST_QUEUE_SIZE", self.queue_size))
        self.maxlen = int(cfg.get("BROADCAST_MAXLEN", self.maxlen))
        self.timeout = float(cfg.get("BROADCAST_TIMEOUT", self.timeout))
        app.extensions["broadcast"] = self

    def key(self, channel: str) -> str:
        """The Redis key of ``channel``'s stream."""
        if not isinstance(channel, str) or not channel:
            raise ValueError("a channel name is a non-empty string")
        return self.prefix + channel

    def _hub(self) -> _Hub:
        loop = asyncio.get_running_loop()
        hub = self._hubs.get(loop)
        if hub is None:
            hub = self._hubs[loop] = _Hub(self)
        return hub

    def subscribe(self, channel: str, since: str | None = None) -> Subscription:
        """Messages of ``channel`` published from now on, or after the message ``since``
        (a :attr:`Message.id`) when given: ``async with broadcast.subscribe(ch) as sub``."""
        self.key(channel)
        if since is not None:
            try:
                _order(since)
            except ValueError:
                raise ValueError(f"since={since!r} is not a message id") from None
        return Subscription(self._hub(), channel, since)

    async def publish(self, channel: str, data: str) -> str:
        """Send ``data`` to every subscriber of ``channel`` in every process; returns its id.

        Retries while Redis is unreachable, then raises :class:`BroadcastUnavailable`.
        """
        client, key = self._hub().client, self.key(channel)
        deadline, backoff = time.monotonic() + self.timeout, _Backoff()
        while True:
            try:
                return str(await client.xadd(key, {_FIELD: data}, maxlen=self.maxlen))
            except _connection_errors() as e:
                delay = backoff.next()
                if time.monotonic() + delay > deadline:
                    raise BroadcastUnavailable(f"could not publish to {channel!r}: {e}") from e
                await asyncio.sleep(delay)

    def publish_sync(self, channel: str, data: str) -> str:
        """:meth:`publish` for sync (WSGI) views: blocks until Redis took it."""
        if self._sync is None:
            import redis

            self._sync = redis.Redis.from_url(self.url, decode_responses=True,
                                              socket_timeout=self.timeout,
                                              socket_connect_timeout=self.timeout)
        key = self.key(channel)
        deadline, backoff = time.monotonic() + self.timeout, _Backoff()
        while True:
            try:
                return str(self._sync.xadd(key, {_FIELD: data}, maxlen=self.maxlen))
            except _connection_errors() as e:
                delay = backoff.next()
                if time.monotonic() + delay > deadline:
                    raise BroadcastUnavailable(f"could not publish to {channel!r}: {e}") from e
                time.sleep(delay)

    def subscribers(self, channel: str) -> int:
        """How many subscribers ``channel`` has in this process, on the running event loop."""
        return len(self._hub().subscribers.get(channel, ()))

    async def aclose(self) -> None:
        """Stop this event loop's readers and close its connections (e.g. at shutdown)."""
        hub = self._hubs.pop(asyncio.get_running_loop(), None)
        if hub is not None:
            await hub.aclose()
