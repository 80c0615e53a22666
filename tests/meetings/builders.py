"""Rows for matchmaking tests that need more than the demo: an expo with a district, teams,
investors, slots and availability, written straight to the database."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from expo.accounts.models import User
from expo.db import Database
from expo.fair.models import District, Expo, ProjectTeam
from expo.meetings.models import Availability, Grid, Slot


@dataclass
class World:
    district_id: int = 0
    investors: list[int] = field(default_factory=list)
    teams: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)


async def build_world(
    url: str, *, investors: int = 1, teams: int = 1, slots: int = 4, tables: int | None = None, free: bool = True
) -> World:
    db = Database(url)
    world = World()
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
    try:
        async with db.session() as session:
            session.add(Expo(slug="t", title={"en": "T"}, starts_at=start, ends_at=start + timedelta(days=1)))
            district = District(slug="d", kind="district", name={"en": "D"})
            session.add(district)
            await session.flush()
            world.district_id = district.id
            for k in range(teams):
                team = ProjectTeam(
                    slug=f"t{k}", district_id=district.id, sector="biomedicine", name={"en": f"Team {k}"}
                )
                session.add(team)
                await session.flush()
                world.teams.append(team.id)
                member = User(
                    email=f"m{k}@t.example",
                    password_hash="x",
                    name=f"Member {k}",
                    role="team",
                    team_id=team.id,
                    timezone="Asia/Shanghai",
                )
                session.add(member)
                await session.flush()
                world.members.append(member.id)
            for k in range(investors):
                user = User(
                    email=f"i{k}@t.example",
                    password_hash="x",
                    name=f"Investor {k}",
                    role="investor",
                    timezone="Asia/Seoul",
                    shares_profile=True,
                )
                session.add(user)
                await session.flush()
                world.investors.append(user.id)
            session.add(Grid(id=1, days=[start.date().isoformat()], tables=tables, weights={}))
            for k in range(slots):
                slot = Slot(
                    starts_at=start + timedelta(minutes=30 * k), ends_at=start + timedelta(minutes=30 * (k + 1))
                )
                session.add(slot)
                await session.flush()
                world.slots.append(slot.id)
            if free:
                for slot_id in world.slots:
                    for i in world.investors:
                        session.add(Availability(participant=f"user:{i}", slot_id=slot_id))
                    for t in world.teams:
                        session.add(Availability(participant=f"team:{t}", slot_id=slot_id))
            await session.commit()
    finally:
        await db.close()
    return world
