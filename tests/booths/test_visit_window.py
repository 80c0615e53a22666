"""Booth state shared by server processes (through Redis): an investor reading a booth on one
process and then on another is one visit on the lead; a bookmark made on one process shows
on the other's next page at once (its per-process cache of the investor's state dropped)."""

import os
import re
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select

from booths.models import Lead
from expo.accounts.models import User
from expo.db import Database
from tests.conftest import REDIS_URL, ServerProcess, seeded_env
from tests.helpers import DEMO_USERS, run

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PRESSED = re.compile(r'/bookmark">.*?aria-pressed="(true|false)"', re.S)


async def _visits(url: str, booth_id: int) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            investor = await session.scalar(select(User.id).where(User.email == DEMO_USERS["investor"]))
            visits = await session.scalar(
                select(Lead.visits).where(Lead.booth_id == booth_id, Lead.investor_id == investor)
            )
    finally:
        await db.close()
    return visits or 0


@pytest.mark.skipif(not REDIS_URL, reason="needs EXPO_TEST_REDIS_URL (two processes share the window through Redis)")
def test_views_on_two_processes_within_the_window_are_one_visit(tmp_path: Path) -> None:
    kind = "postgres" if os.environ.get("EXPO_TEST_DATABASE_URL") else "sqlite"
    env = seeded_env(kind, tmp_path, REDIS_URL)
    client = redis.Redis.from_url(REDIS_URL or "")
    for key in client.scan_iter("expo:rate:visit:*"):  # windows of earlier runs (user ids repeat)
        client.delete(key)
    client.close()
    a = ServerProcess(env, tmp_path / "a.log")
    b = ServerProcess(env, tmp_path / "b.log")
    try:
        with httpx.Client(base_url=a.url) as on_a:
            token = CSRF.search(on_a.get("/login").text).group(1)  # type: ignore[union-attr]
            on_a.post(
                "/login", data={"email": DEMO_USERS["investor"], "password": "expo-demo-2026", "csrf_token": token}
            )
            booth = re.search(r'href="/booths/(\d+)"', on_a.get("/booths").text).group(1)  # type: ignore[union-attr]
            before = run(_visits(env["EXPO_DATABASE_URL"], int(booth)))
            with httpx.Client(base_url=b.url, cookies=on_a.cookies) as on_b:
                statuses = [c.get(f"/booths/{booth}").status_code for c in (on_a, on_b, on_a, on_b)]
                pressed_before = PRESSED.search(on_b.get(f"/booths/{booth}").text).group(1)  # type: ignore[union-attr]
                token = CSRF.search(on_a.get(f"/booths/{booth}").text).group(1)  # type: ignore[union-attr]
                done = on_a.post(f"/booths/{booth}/bookmark", data={"on": "1", "csrf_token": token})
                assert done.status_code in (200, 303)
                pressed_after = PRESSED.search(on_b.get(f"/booths/{booth}").text).group(1)  # type: ignore[union-attr]
        after = run(_visits(env["EXPO_DATABASE_URL"], int(booth)))
    finally:
        a.stop()
        b.stop()
    assert statuses == [200, 200, 200, 200]
    assert after - before == 1
    assert (pressed_before, pressed_after) == ("false", "true")
