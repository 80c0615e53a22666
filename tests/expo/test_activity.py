"""The activity log: events are written in the caller's transaction, read back by filters
and counted; booth leads write their events to it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from expo import activity
from expo.accounts.models import User
from expo.db import Database
from expo.fair.models import District
from tests.helpers import run, seed_demo


def test_record_timeline_and_counts(database_url: str) -> None:
    seed_demo(database_url)
    t0 = datetime(2031, 6, 1, 9, 0, tzinfo=UTC)  # after every seeded event

    async def scenario() -> tuple[list[str], list[str], dict[object, int], dict[object, int]]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                investor = await session.scalar(select(User).where(User.email == "investor@expo.example"))
                districts = (await session.scalars(select(District).order_by(District.id).limit(2))).all()
                for minutes, kind, district in [
                    (0, "booth.visit", districts[0]),
                    (1, "booth.download", districts[0]),
                    (2, "booth.visit", districts[1]),
                    (3, "meeting.requested", districts[1]),
                ]:
                    await activity.record(
                        session,
                        kind,
                        user_id=investor.id,
                        district_id=district.id,
                        country=investor.country,
                        at=t0 + timedelta(minutes=minutes),
                    )
                await session.commit()
            async with db.session() as session:
                mine = await activity.timeline(session, user_id=investor.id, since=t0)
                in_first = await activity.timeline(session, district_id=districts[0].id, since=t0)
                visits = await activity.counts(session, kinds=["booth.visit"], by="district_id", since=t0)
                by_country = await activity.counts(
                    session, kinds=["booth.visit", "booth.download"], by="country", since=t0
                )
                return (
                    [e.kind for e in mine],
                    [e.kind for e in in_first],
                    visits,
                    by_country,
                )
        finally:
            await db.close()

    mine, in_first, visits, by_country = run(scenario())
    assert mine == ["meeting.requested", "booth.visit", "booth.download", "booth.visit"]  # newest first
    assert in_first == ["booth.download", "booth.visit"]
    assert sorted(visits.values()) == [1, 1]
    assert by_country == {"JP": 3}


def test_unknown_kind_is_refused(database_url: str) -> None:
    async def scenario() -> None:
        db = Database(database_url)
        try:
            async with db.session() as session:
                await activity.record(session, "booth.teleported")
        finally:
            await db.close()

    with pytest.raises(ValueError, match="booth.teleported"):
        run(scenario())
