"""Demo history for the figures: four days of activity (visits, downloads, chats, bookmarks,
meeting requests, meetings, pitch views) spread over the demo's districts, sectors and
investors, denser in each day's working hours, so the dashboard is alive on first start.
Written in one bulk insert (a few thousand rows: one ``activity.record`` each, with its
rollup upserts, took seconds of every test that seeds the demo), then the rollups are
rebuilt from the whole log in SQL, so they hold these events and every earlier one."""

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts import Role, User
from expo.fair.models import ProjectTeam

DAYS = 4
# kind → relative weight
MIX = {
    "booth.visit": 60,
    "booth.download": 12,
    "booth.chat": 8,
    "booth.bookmark": 6,
    "booth.meeting_request": 3,
    "meeting.booked": 2,
    "pitch.watched": 15,
}


async def seed(session: AsyncSession, now: datetime) -> None:
    investors = (await session.scalars(select(User).where(User.role == Role.INVESTOR).order_by(User.id))).all()
    teams = (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.id))).all()
    if not investors or not teams:
        return
    rng = random.Random(2026)
    kinds, weights = list(MIX), list(MIX.values())
    start = now - timedelta(days=DAYS)
    rows: list[dict[str, object]] = []

    def add(kind: str, investor: User, team: ProjectTeam, at: datetime) -> None:
        assert kind in activity.KINDS, kind
        rows.append(
            {
                "kind": kind,
                "at": at,
                "user_id": investor.id,
                "district_id": team.district_id,
                "team_id": team.id,
                "subject_id": None,
                "country": investor.country or "",
                "sector": team.sector or "",
                "data": {},
            }
        )

    at = start
    while at < now - timedelta(minutes=10):
        hour = at.hour  # UTC; the demo city is UTC+8: its working day is 01:00-10:00 UTC
        busy = 1 <= hour <= 10
        at += timedelta(minutes=rng.expovariate(1 / (4 if busy else 25)))
        if at >= now:
            break
        investor = rng.choice(investors)
        team = rng.choice(teams)
        add(rng.choices(kinds, weights)[0], investor, team, at)
    # A few people active right now ("visitors now").
    for minutes, investor in zip((1, 2, 3), investors, strict=False):
        add("booth.visit", investor, rng.choice(teams), now - timedelta(minutes=minutes))
    await session.flush()  # events recorded by the packages seeded before this one
    await session.execute(insert(activity.Event), rows)
    await activity.rollups.rebuild(session)
