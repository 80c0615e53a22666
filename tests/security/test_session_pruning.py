"""Dead ``user_sessions`` rows are deleted (issue #12): revoked a day ago or idle longer than
the cookie lives; live ones, and ones signed out a moment ago, stay. Bounded batches; the
app's lifespan runs it. SQLite and PostgreSQL."""

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from starlette.testclient import TestClient

from expo.accounts import service, sessions
from expo.accounts.models import UserSession
from expo.accounts.roles import Role
from expo.app import create_app
from expo.db import Database, utcnow
from tests.conftest import make_settings
from tests.helpers import run

AGE = timedelta(days=14)


async def _arrange(url: str, dead: int) -> dict[str, int]:
    """A user with one row of each kind (name → row id) and ``dead`` more revoked rows."""
    db = Database(url)
    now = utcnow()
    kinds = {
        "live": {"seen_at": now},
        "idle_10_days": {"seen_at": now - timedelta(days=10)},
        "idle_15_days": {"seen_at": now - timedelta(days=15)},
        "signed_out_just_now": {"seen_at": now, "revoked_at": now - timedelta(minutes=1)},
        "signed_out_2_days_ago": {"seen_at": now - timedelta(days=2), "revoked_at": now - timedelta(days=2)},
    }
    try:
        async with db.session() as session:
            user = await service.create_user(
                session, email="prune@expo.example", password="a-long-password-1", name="P", role=Role.INVESTOR
            )
            ids = {}
            for name, values in kinds.items():
                row = UserSession(secret=f"s-{name}", user_id=user.id, **values)
                session.add(row)
                await session.flush()
                ids[name] = row.id
            if dead:
                old = now - timedelta(days=3)
                await session.execute(
                    insert(UserSession),
                    [
                        {"secret": f"dead-{n}", "user_id": user.id, "seen_at": old, "revoked_at": old}
                        for n in range(dead)
                    ],
                )
            await session.commit()
        return ids
    finally:
        await db.close()


async def _left(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.session() as session:
            return set((await session.scalars(select(UserSession.secret))).all())
    finally:
        await db.close()


async def _prune(url: str, batches: int) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return await sessions.prune(session, max_age=AGE, batches=batches)
    finally:
        await db.close()


def test_prune_deletes_dead_rows_in_bounded_batches_and_keeps_the_rest(database_url: str) -> None:
    run(_arrange(database_url, dead=2 * sessions.PRUNE_BATCH + 500))
    first = run(_prune(database_url, batches=2))  # bounded: two batches, the rest next time
    second = run(_prune(database_url, batches=20))
    assert (first, second) == (2 * sessions.PRUNE_BATCH, 500 + 2)  # + idle 15 days, signed out 2 days ago
    assert run(_left(database_url)) == {"s-live", "s-idle_10_days", "s-signed_out_just_now"}


async def _count(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(UserSession)) or 0)
    finally:
        await db.close()


def test_the_app_prunes_when_it_starts(database_url: str, tmp_path: Path) -> None:
    run(_arrange(database_url, dead=10))
    with TestClient(create_app(make_settings(database_url, tmp_path / "var"))):
        deadline = time.monotonic() + 10
        while run(_count(database_url)) > 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert run(_left(database_url)) == {"s-live", "s-idle_10_days", "s-signed_out_just_now"}
