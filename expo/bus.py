"""The message bus: ``publish(channel, message)`` and ``subscribe(channel)``.

Two implementations with one interface: ``LocalBus`` (in-process, the default) and
``RedisBus`` (Redis pub/sub, when ``EXPO_REDIS_URL`` is set) so that several server processes
share chat, Q&A, presence and announcements. Messages are JSON-able dicts.

The bus is for delivery, not storage: a message that must not be lost is written to the
database first, then published; a client that reconnects asks the database for what it
missed since its last id.

``publish_acked(channel, message, wait)`` is for messages that invalidate a per-process cache
(signed-in users, an investor's booth state): it returns once every process that receives
the message has handled it and called ``ack(message)`` (or after ``wait`` seconds), so that
the next request anywhere sees the change. With Redis: PUBLISH tells how many processes
receive the message; each pushes onto the message's ``_ack`` key, and the publisher pops that
many (BLPOP). In one process it is ``publish``: the publisher updates its own cache itself.

Each process holds one Redis subscription connection, whatever the number of local
subscribers: a reader task receives a channel's message once and hands it to every local
subscriber's queue. A subscriber that does not keep up loses the oldest messages of its own
queue (bounded), never slowing the others.
"""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger("expo.bus")
QUEUE_SIZE = 1000


class Subscription:
    """Messages of one channel for one subscriber: ``async for message in subscription``."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.dropped = 0

    def deliver(self, message: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self.queue.get()


class Bus(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    async def publish_acked(self, channel: str, message: dict[str, Any], wait: float) -> int: ...

    async def ack(self, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    async def ping(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class _Fanout:
    """Local subscribers by channel; shared by both implementations."""

    def __init__(self) -> None:
        self.subscribers: dict[str, set[Subscription]] = defaultdict(set)

    def add(self, subscription: Subscription) -> bool:
        """Adds; returns whether this is the channel's first local subscriber."""
        first = not self.subscribers[subscription.channel]
        self.subscribers[subscription.channel].add(subscription)
        return first

    def remove(self, subscription: Subscription) -> bool:
        """Removes; returns whether the channel has no local subscriber left."""
        channel = self.subscribers.get(subscription.channel)
        if channel is None:
            return True
        channel.discard(subscription)
        if not channel:
            del self.subscribers[subscription.channel]
            return True
        return False

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        for subscription in tuple(self.subscribers.get(channel, ())):
            subscription.deliver(message)


class LocalBus:
    """In-process bus: one server process."""

    def __init__(self) -> None:
        self._fanout = _Fanout()

    async def start(self) -> None:
        return None

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        # Round-trip through JSON so that local and Redis delivery behave alike.
        self._fanout.deliver(channel, json.loads(json.dumps(message)))

    async def publish_acked(self, channel: str, message: dict[str, Any], wait: float) -> int:
        await self.publish(channel, message)
        return 0

    async def ack(self, message: dict[str, Any]) -> None:
        return None

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(channel)
        self._fanout.add(subscription)
        try:
            yield subscription
        finally:
            self._fanout.remove(subscription)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._fanout.subscribers.clear()


class RedisBus:
    """Redis pub/sub bus: every process that shares the Redis database shares the channels.

    Redis pub/sub ignores the database number, so the channels carry it (``expo:<db>:``): two
    expos on one Redis server with different database numbers (``redis://host/1``,
    ``redis://host/2``) don't hear each other, as their keys don't mix either."""

    def __init__(self, url: str) -> None:
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(url, decode_responses=True, health_check_interval=30)
        self.PREFIX = f"expo:{self._redis.connection_pool.connection_kwargs.get('db', 0)}:"
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._fanout = _Fanout()
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        # A placeholder subscription puts the connection in subscribed mode so that the
        # reader can always listen; redis-py re-subscribes everything on reconnect. The
        # server starts even when Redis is down (health says so): the reader retries.
        try:
            await self._pubsub.subscribe(self.PREFIX + "_keepalive")
        except Exception as exc:  # noqa: BLE001 - any connection failure
            log.warning("bus: Redis is unreachable at start (%s); retrying in the background", exc)
        self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await self._pubsub.subscribe(self.PREFIX + "_keepalive")
                async for raw in self._pubsub.listen():
                    if raw.get("type") != "message":
                        continue
                    channel = raw["channel"].removeprefix(self.PREFIX)
                    try:
                        message = json.loads(raw["data"])
                    except (TypeError, ValueError):
                        log.warning("bus: dropped a non-JSON message on %s", channel)
                        continue
                    self._fanout.deliver(channel, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect on any connection failure
                log.warning("bus: Redis reader failed (%s); reconnecting in 1 s", exc)
                await asyncio.sleep(1)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(self.PREFIX + channel, json.dumps(message))

    ACK_PREFIX = "expo:ack:"

    async def publish_acked(self, channel: str, message: dict[str, Any], wait: float) -> int:
        """Returns how many receiving processes acknowledged within ``wait`` seconds."""
        key = self.ACK_PREFIX + uuid.uuid4().hex
        receivers = await self._redis.publish(self.PREFIX + channel, json.dumps({**message, "_ack": key}))
        deadline = time.monotonic() + wait
        acknowledged = 0
        try:
            while acknowledged < receivers:
                left = deadline - time.monotonic()
                if left <= 0 or await self._redis.blpop([key], timeout=max(left, 0.01)) is None:
                    break
                acknowledged += 1
        finally:
            await self._redis.delete(key)
        if acknowledged < receivers:
            log.warning("bus: %d of %d processes acknowledged %s within %s s", acknowledged, receivers, channel, wait)
        return acknowledged

    async def ack(self, message: dict[str, Any]) -> None:
        key = message.get("_ack")
        if not isinstance(key, str) or not key.startswith(self.ACK_PREFIX):
            return
        try:
            await self._redis.rpush(key, "1")
            await self._redis.expire(key, 10)
        except Exception as exc:  # noqa: BLE001 - the publisher stops waiting by itself
            log.warning("bus: could not acknowledge on %s (%s)", key, exc)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(channel)
        async with self._lock:
            if self._fanout.add(subscription):
                await self._pubsub.subscribe(self.PREFIX + channel)
        try:
            yield subscription
        finally:
            async with self._lock:
                if self._fanout.remove(subscription):
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(self.PREFIX + channel)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._pubsub.aclose()
        await self._redis.aclose()


def make_bus(redis_url: str | None) -> LocalBus | RedisBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
