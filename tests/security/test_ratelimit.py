"""The per-person rate limiter: a token bucket, in-process or shared through Redis."""

import asyncio
import uuid

import pytest

from expo.web.ratelimit import LocalLimiter, RedisLimiter, make_limiter
from tests.conftest import REDIS_URL

KINDS = ["local"] + (["redis"] if REDIS_URL else [])


def limiter_of(kind: str):  # type: ignore[no-untyped-def]
    return LocalLimiter() if kind == "local" else RedisLimiter(REDIS_URL)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
def test_a_burst_then_refusals_then_refill_and_forget(kind: str) -> None:
    async def go() -> list[bool]:
        limiter = limiter_of(kind)
        key = f"test:{uuid.uuid4().hex}"
        try:
            burst = [await limiter.take(key, 3, 20.0) for _ in range(4)]
            peeked = await limiter.peek(key, 3, 20.0)
            await asyncio.sleep(0.12)  # 20/s: more than one token back
            refilled = await limiter.take(key, 3, 20.0)
            await limiter.forget(key)
            fresh = [await limiter.take(key, 3, 20.0) for _ in range(3)]
            return [*burst, peeked, refilled, *fresh]
        finally:
            await limiter.close()

    assert asyncio.run(go()) == [True, True, True, False, False, True, True, True, True]


@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_takes_never_pass_more_than_the_burst(kind: str) -> None:
    async def go() -> int:
        limiter = limiter_of(kind)
        key = f"test:{uuid.uuid4().hex}"
        try:
            results = await asyncio.gather(*(limiter.take(key, 3, 0.05) for _ in range(20)))
            return sum(results)
        finally:
            await limiter.close()

    assert asyncio.run(go()) == 3


def test_make_limiter_picks_redis_only_when_configured() -> None:
    assert isinstance(make_limiter(None), LocalLimiter)


@pytest.mark.parametrize("kind", KINDS)
def test_holds_admit_up_to_the_limit_refresh_release_and_lapse(kind: str) -> None:
    async def go() -> list[bool]:
        limiter, other = limiter_of(kind), limiter_of(kind)  # two processes when on Redis
        key = f"test-hold:{uuid.uuid4().hex}"
        try:
            admitted = [await limiter.hold(key, f"m{n}", 2, 30) for n in range(3)]
            refreshed = await limiter.hold(key, "m0", 2, 30)  # a member already in passes
            shared = await other.hold(key, "x", 2, 30) if kind == "redis" else False
            await limiter.release(key, "m1")
            freed = await limiter.hold(key, "m3", 2, 0.1)
            await asyncio.sleep(0.25)  # m3 lapses (only m0 is still held)
            lapsed = await limiter.hold(key, "m4", 2, 30)
            return [*admitted, refreshed, shared, freed, lapsed]
        finally:
            await limiter.close()
            await other.close()

    assert asyncio.run(go()) == [True, True, False, True, False, True, True]
