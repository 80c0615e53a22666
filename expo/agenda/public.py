"""The public programme (what the latest published version shows), filtered and grouped by
day (in the viewer's zone) and stage, and visitors' agendas ("add to my agenda")."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo.agenda.models import AgendaEntry, PitchSession, ProgrammeNotice, ProgrammeVersion
from expo.db import utcnow

Entry = dict[str, Any]


@dataclass(frozen=True)
class Filters:
    sector: str = ""
    district: int | None = None
    language: str = ""

    def keep(self, item: Entry) -> bool:
        return (
            (not self.sector or item["sector"] == self.sector)
            and (self.district is None or item["district_id"] == self.district)
            and (not self.language or item["language"] == self.language or self.language in item["interpreting"])
        )


@dataclass
class Listed:
    entry: Entry
    starts_at: datetime
    ends_at: datetime


@dataclass
class Day:
    day: date
    stages: list[tuple[str, dict[str, str], list[Listed]]]


def by_day(entries: Iterable[Entry], zone: ZoneInfo, filters: Filters) -> list[Day]:
    """Listed entries kept by ``filters``, grouped by the viewer's day, then by stage."""
    days: dict[date, dict[str, tuple[dict[str, str], list[Listed]]]] = {}
    for item in entries:
        if item["status"] != "listed" or not filters.keep(item):
            continue
        start = datetime.fromisoformat(item["starts_at"])
        listed = Listed(item, start, datetime.fromisoformat(item["ends_at"]))
        stage = days.setdefault(start.astimezone(zone).date(), {}).setdefault(
            item["stage_slug"], (item["stage_name"], [])
        )
        stage[1].append(listed)
    result = []
    for day in sorted(days):
        stages = [(slug, name, sorted(items, key=lambda i: i.starts_at)) for slug, (name, items) in days[day].items()]
        result.append(Day(day, sorted(stages, key=lambda s: s[0])))
    return result


async def published(session: AsyncSession) -> ProgrammeVersion | None:
    return await session.scalar(select(ProgrammeVersion).order_by(ProgrammeVersion.number.desc()).limit(1))


def find(version: ProgrammeVersion | None, session_id: int) -> Entry | None:
    if version is None:
        return None
    return next((e for e in version.snapshot if e["id"] == session_id), None)


# ---- agendas -----------------------------------------------------------------------------
async def add(session: AsyncSession, user_id: int, session_id: int) -> bool:
    """Adds a published session to a visitor's agenda; False when it is not published."""
    if find(await published(session), session_id) is None or await session.get(PitchSession, session_id) is None:
        return False
    exists = await session.scalar(
        select(AgendaEntry.id).where(AgendaEntry.user_id == user_id, AgendaEntry.session_id == session_id)
    )
    if exists is None:
        session.add(AgendaEntry(user_id=user_id, session_id=session_id))
        try:
            await session.flush()
        except IntegrityError:  # added twice at the same moment: it is there
            await session.rollback()
    return True


async def remove(session: AsyncSession, user_id: int, session_id: int) -> None:
    await session.execute(
        delete(AgendaEntry).where(AgendaEntry.user_id == user_id, AgendaEntry.session_id == session_id)
    )


async def added_ids(session: AsyncSession, user_id: int) -> set[int]:
    rows = await session.scalars(select(AgendaEntry.session_id).where(AgendaEntry.user_id == user_id))
    return set(rows.all())


@dataclass(frozen=True)
class AgendaItem:
    """A session in a visitor's agenda, as the published programme shows it."""

    session_id: int
    guid: str
    title: dict[str, str]
    stage_name: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    language: str
    cancelled: bool
    url: str


async def sessions_added_by(session: AsyncSession, user_id: int) -> list[AgendaItem]:
    """The published sessions a visitor added to their agenda, by start time (cancelled ones
    included, marked), for "My agenda" pages and calendar feeds of other packages."""
    version = await published(session)
    ids = await added_ids(session, user_id)
    if version is None or not ids:
        return []
    items = [
        AgendaItem(
            e["id"],
            e["guid"],
            e["title"],
            e["stage_name"],
            datetime.fromisoformat(e["starts_at"]),
            datetime.fromisoformat(e["ends_at"]),
            e["language"],
            e["status"] == "cancelled",
            f"/pitches/{e['id']}",
        )
        for e in version.snapshot
        if e["id"] in ids
    ]
    return sorted(items, key=lambda i: (i.starts_at, i.session_id))


# ---- in-app notices ----------------------------------------------------------------------
async def notices(session: AsyncSession, user_id: int, limit: int = 10) -> list[ProgrammeNotice]:
    rows = await session.scalars(
        select(ProgrammeNotice)
        .where(ProgrammeNotice.user_id == user_id, ProgrammeNotice.read_at.is_(None))
        .order_by(ProgrammeNotice.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def dismiss(session: AsyncSession, user_id: int, notice_id: int) -> None:
    notice = await session.get(ProgrammeNotice, notice_id)
    if notice is not None and notice.user_id == user_id and notice.read_at is None:
        notice.read_at = utcnow()
