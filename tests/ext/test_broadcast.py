"""stein.ext.broadcast against a real redis-server started by the test run (skipped, with the
reason, when there is none; `make redis` installs it)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from ext_servers import free_port

from stein import Stein
from stein.ext.broadcast import Broadcast, BroadcastUnavailable, Message, SlowSubscriber

redis = pytest.importorskip("redis")


@pytest.fixture
def bc(redis_server):
    return Broadcast(url=redis_server.url, prefix=f"t{uuid.uuid4().hex[:8]}:", timeout=5.0,
                     block_ms=500)


async def take(sub, n: int, timeout: float = 10.0) -> list[Message]:
    async def go() -> list[Message]:
        out = []
        async for msg in sub:
            out.append(msg)
            if len(out) == n:
                break
        return out

    return await asyncio.wait_for(go(), timeout)


def test_config_from_app(redis_server):
    app = Stein(__name__)
    app.config.update(BROADCAST_REDIS_URL=redis_server.url, BROADCAST_QUEUE_SIZE=3,
                      BROADCAST_PREFIX="p:", BROADCAST_MAXLEN=50)
    b = Broadcast(app)
    assert (b.url, b.queue_size, b.prefix, b.maxlen) == (redis_server.url, 3, "p:", 50)
    assert app.extensions["broadcast"] is b
    with pytest.raises(ValueError):
        b.key("")
    with pytest.raises(ValueError):
        b.subscribe("room", since="yesterday")


def test_publish_reaches_every_subscriber_in_order(bc):
    async def main():
        async with bc.subscribe("room") as a, bc.subscribe("room") as b:
            ids = [await bc.publish("room", f"m{i}") for i in range(5)]
            got_a, got_b = await take(a, 5), await take(b, 5)
            assert [m.data for m in got_a] == [m.data for m in got_b] == [f"m{i}" for i in range(5)]
            assert [m.id for m in got_a] == ids
            assert all(m.channel == "room" for m in got_a)
            assert bc.subscribers("room") == 2
        await asyncio.sleep(0)
        assert bc.subscribers("room") == 0
        assert bc._hub().readers == {}  # the reader stopped with its last subscriber
        await bc.aclose()

    asyncio.run(main())


def test_subscription_must_be_entered(bc):
    async def main():
        sub = bc.subscribe("room")
        with pytest.raises(RuntimeError, match="async with"):
            await sub.__anext__()
        await bc.aclose()

    asyncio.run(main())


def test_channels_are_separate(bc):
    async def main():
        async with bc.subscribe("a") as a:
            await bc.publish("b", "not for a")
            await bc.publish("a", "for a")
            assert [m.data for m in await take(a, 1)] == ["for a"]
        await bc.aclose()

    asyncio.run(main())


def test_publish_from_another_process_and_sync(bc, redis_server):
    """Another OS process publishes with publish_sync (as a gunicorn worker would)."""
    code = ("import sys; from stein.ext.broadcast import Broadcast;"
            "b = Broadcast(url=sys.argv[1], prefix=sys.argv[2]);"
            "print(b.publish_sync('room', 'from pid %d' % __import__('os').getpid()))")

    async def main():
        async with bc.subscribe("room") as sub:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, redis_server.url, bc.prefix,
                stdout=subprocess.PIPE, env={**os.environ})
            out, _ = await proc.communicate()
            assert proc.returncode == 0
            got = await take(sub, 1)
            assert got[0].id == out.decode().strip()
            assert got[0].data.startswith("from pid ") and str(os.getpid()) not in got[0].data
        await bc.aclose()

    asyncio.run(main())


def test_since_catches_up_without_gap_or_repeat(bc):
    """A client that reconnects with the last id it saw gets what it missed, then live ones."""

    async def main():
        first = [await bc.publish("room", f"old{i}") for i in range(3)]
        missed = [await bc.publish("room", f"missed{i}") for i in range(4)]
        async with bc.subscribe("room", since=first[-1]) as sub:
            got = await take(sub, 4)
            assert [m.id for m in got] == missed
            live = await bc.publish("room", "live")
            assert [m.id for m in await take(sub, 1)] == [live]
        async with bc.subscribe("room", since="0-0") as sub:
            assert len(await take(sub, 8)) == 8
        await bc.aclose()

    asyncio.run(main())


def test_slow_subscriber_is_dropped_fast_one_is_not(redis_server):
    bc = Broadcast(url=redis_server.url, prefix=f"t{uuid.uuid4().hex[:8]}:", queue_size=5,
                   block_ms=500)

    async def main():
        async with bc.subscribe("room") as slow, bc.subscribe("room") as fast:
            got: list[str] = []

            async def consume():
                async for msg in fast:
                    got.append(msg.data)
                    if len(got) == 20:
                        return

            consumer = asyncio.create_task(consume())
            for i in range(20):
                await bc.publish("room", str(i))
                await asyncio.sleep(0.01)  # the fast one keeps up; the slow one never reads
            await asyncio.wait_for(consumer, 10)
            assert got == [str(i) for i in range(20)]
            assert slow.dropped and bc.subscribers("room") == 1
            with pytest.raises(SlowSubscriber):
                await slow.__anext__()
            assert slow._queue.qsize() == 0  # nothing kept for it
        await bc.aclose()

    asyncio.run(main())


def test_reader_reconnects_after_redis_restart(bc, redis_server):
    """Redis stops and starts again: the reader reconnects with backoff and a publish made
    while Redis is down waits for it and is then delivered."""

    async def main():
        async with bc.subscribe("room") as sub:
            before = await bc.publish("room", "before")
            assert [m.id for m in await take(sub, 1)] == [before]
            await asyncio.to_thread(redis_server.stop)
            pending = asyncio.create_task(bc.publish("room", "during"))  # retries
            await asyncio.sleep(1.0)
            assert not pending.done()
            await asyncio.to_thread(redis_server.start)
            during = await asyncio.wait_for(pending, 10)
            after = await bc.publish("room", "after")
            got = await take(sub, 2, timeout=15)
            assert [(m.id, m.data) for m in got] == [(during, "during"), (after, "after")]
        await bc.aclose()

    asyncio.run(main())


def test_sync_publish_survives_redis_restart(bc, redis_server):
    bc.publish_sync("room", "warm")  # connect first
    redis_server.stop()
    try:
        import threading

        result: list[str] = []
        t = threading.Thread(target=lambda: result.append(bc.publish_sync("room", "x")))
        t.start()
        t.join(0.5)
        assert t.is_alive()  # waiting for Redis
    finally:
        redis_server.start()
    t.join(10)
    assert result and redis.Redis.from_url(redis_server.url).xlen(bc.key("room")) >= 1


def test_publish_gives_up_after_timeout():
    dead = Broadcast(url=f"redis://127.0.0.1:{free_port()}/0", timeout=0.3)
    with pytest.raises(BroadcastUnavailable):
        dead.publish_sync("room", "x")

    async def main():
        with pytest.raises(BroadcastUnavailable):
            await dead.publish("room", "x")
        await dead.aclose()

    asyncio.run(main())


def test_history_is_bounded(redis_server):
    bc = Broadcast(url=redis_server.url, prefix=f"t{uuid.uuid4().hex[:8]}:", maxlen=10)
    for i in range(500):
        bc.publish_sync("room", str(i))
    length = redis.Redis.from_url(redis_server.url).xlen(bc.key("room"))
    assert 10 <= length < 500  # approximate trimming (MAXLEN ~)
