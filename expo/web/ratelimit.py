"""Rate limits that belong to a person (or an address), not to a socket or a process.

``limiter.take(key, burst, per_second)`` is a token bucket kept as one number per key (the
generic cell rate algorithm: the "theoretical arrival time" of the next allowed action):
``burst`` actions at once, then ``per_second`` on average. ``peek`` tells whether ``take``
would pass without spending anything; ``forget`` drops a key (e.g. after a good login).

Two implementations behind one interface, chosen like the bus: ``LocalLimiter`` (in this
process; check-and-spend happen without an ``await`` in between, so concurrent sockets of
one user cannot all pass) and ``RedisLimiter`` when ``EXPO_REDIS_URL`` is set (one Lua
script per call, atomic in Redis, so every server process shares the same budget). Keys
name what they limit: ``chat:<user id>``, ``qa:<pitch id>:<user id>``,
``login:<address>:<account>``.

Besides buckets, a limiter counts live things per key: ``hold(key, member, limit, seconds)``
admits ``member`` (or refreshes it) unless ``limit`` other members are held, atomically;
a member lapses ``seconds`` after its last hold unless ``release``d first (so a crashed
process's holds end by themselves). The WHEP cap of anonymous viewers per address uses it.
"""

import time
from typing import Any, Protocol


class Limiter(Protocol):
    async def take(self, key: str, burst: int, per_second: float) -> bool: ...

    async def peek(self, key: str, burst: int, per_second: float) -> bool: ...

    async def forget(self, key: str) -> None: ...

    async def hold(self, key: str, member: str, limit: int, seconds: float) -> bool: ...

    async def release(self, key: str, member: str) -> None: ...

    async def close(self) -> None: ...


def _next(tat: float, now: float, burst: int, per_second: float) -> tuple[bool, float]:
    """(allowed?, the new arrival time): the bucket holds ``burst`` actions."""
    interval = 1.0 / per_second
    start = max(tat, now)
    allowed = start + interval - now <= burst * interval + 1e-9
    return allowed, start + interval


class LocalLimiter:
    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._held: dict[str, dict[str, float]] = {}  # key → member → expiry (monotonic)

    async def hold(self, key: str, member: str, limit: int, seconds: float) -> bool:
        now = time.monotonic()
        members = {m: until for m, until in self._held.get(key, {}).items() if until > now}
        if member not in members and len(members) >= limit:
            self._held[key] = members
            return False
        members[member] = now + seconds
        self._held[key] = members
        return True

    async def release(self, key: str, member: str) -> None:
        members = self._held.get(key)
        if members is not None:
            members.pop(member, None)
            if not members:
                del self._held[key]

    async def take(self, key: str, burst: int, per_second: float) -> bool:
        now = time.monotonic()
        allowed, tat = _next(self._tat.get(key, now), now, burst, per_second)
        if allowed:
            self._tat[key] = tat
            if len(self._tat) > self.MAX_KEYS:  # forget keys whose bucket is full again
                for stale in [k for k, v in self._tat.items() if v <= now]:
                    del self._tat[stale]
        return allowed

    async def peek(self, key: str, burst: int, per_second: float) -> bool:
        now = time.monotonic()
        return _next(self._tat.get(key, now), now, burst, per_second)[0]

    async def forget(self, key: str) -> None:
        self._tat.pop(key, None)

    async def close(self) -> None:
        return None


# KEYS[1] the key; ARGV: burst, interval (s), spend (1 = take, 0 = peek). Redis' own clock.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local burst, interval, spend = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + interval
if new - now > burst * interval + 1e-9 then return 0 end
if spend == 1 then
  redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil((new - now) * 1000) + 1000)
end
return 1
"""


# KEYS[1] the key (a sorted set: member → expiry); ARGV: limit, seconds, member.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, seconds, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], member) and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + seconds, member)
redis.call('PEXPIRE', KEYS[1], math.ceil(seconds * 1000) + 1000)
return 1
"""


class RedisLimiter:
    PREFIX = "expo:rate:"

    def __init__(self, url: str) -> None:
        from redis import asyncio as aioredis

        self._redis: Any = aioredis.from_url(url, decode_responses=True)
        self._script = self._redis.register_script(_SCRIPT)
        self._hold = self._redis.register_script(_HOLD)

    async def _run(self, key: str, burst: int, per_second: float, spend: int) -> bool:
        return bool(await self._script(keys=[self.PREFIX + key], args=[burst, 1.0 / per_second, spend]))

    async def take(self, key: str, burst: int, per_second: float) -> bool:
        return await self._run(key, burst, per_second, 1)

    async def peek(self, key: str, burst: int, per_second: float) -> bool:
        return await self._run(key, burst, per_second, 0)

    async def forget(self, key: str) -> None:
        await self._redis.delete(self.PREFIX + key)

    async def hold(self, key: str, member: str, limit: int, seconds: float) -> bool:
        return bool(await self._hold(keys=[self.PREFIX + "held:" + key], args=[limit, seconds, member]))

    async def release(self, key: str, member: str) -> None:
        await self._redis.zrem(self.PREFIX + "held:" + key, member)

    async def close(self) -> None:
        await self._redis.aclose()


def make_limiter(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()
