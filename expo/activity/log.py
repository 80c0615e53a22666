"""Writing and reading the activity log.

Writers call :func:`record` inside the transaction of what they record (so an event exists
exactly when the thing happened); its rollup counts (``expo.activity.rollups``) are updated
in the same transaction. Readers (the organizer's figures, the deal pipeline's
timelines, matchmaking's suggestions) use :func:`timeline` and :func:`counts`, or query
:class:`Event` directly for their own aggregates.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.activity import rollups
from expo.activity.kinds import KINDS
from expo.activity.models import Event
from expo.db import utcnow


async def record(
    session: AsyncSession,
    kind: str,
    *,
    user_id: int | None = None,
    district_id: int | None = None,
    team_id: int | None = None,
    subject_id: int | None = None,
    country: str = "",
    sector: str = "",
    data: dict[str, object] | None = None,
    at: datetime | None = None,
) -> Event:
    """Adds one event to the caller's transaction (flushed with it, committed with it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}: add it to expo.activity.kinds")
    event = Event(
        kind=kind,
        at=at or utcnow(),
        user_id=user_id,
        district_id=district_id,
        team_id=team_id,
        subject_id=subject_id,
        country=country or "",
        sector=sector or "",
        data=data or {},
    )
    session.add(event)
    await rollups.bump(session, event)  # its hourly/daily counts, in the same transaction
    return event


async def timeline(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    district_id: int | None = None,
    team_id: int | None = None,
    kinds: Sequence[str] | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[Event]:
    """Events matching every given filter, newest first."""
    statement = select(Event).order_by(Event.at.desc(), Event.id.desc()).limit(limit)
    if user_id is not None:
        statement = statement.where(Event.user_id == user_id)
    if district_id is not None:
        statement = statement.where(Event.district_id == district_id)
    if team_id is not None:
        statement = statement.where(Event.team_id == team_id)
    if kinds:
        statement = statement.where(Event.kind.in_(list(kinds)))
    if since is not None:
        statement = statement.where(Event.at >= since)
    return list((await session.scalars(statement)).all())


async def counts(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    by: str = "kind",
    district_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[object, int]:
    """How many events of ``kinds`` per value of column ``by`` (kind, district_id, team_id,
    user_id, country, sector)."""
    if by not in ("kind", "district_id", "team_id", "user_id", "country", "sector"):
        raise ValueError(by)
    column = getattr(Event, by)
    statement = select(column, func.count()).where(Event.kind.in_(list(kinds))).group_by(column)
    if district_id is not None:
        statement = statement.where(Event.district_id == district_id)
    if since is not None:
        statement = statement.where(Event.at >= since)
    if until is not None:
        statement = statement.where(Event.at < until)
    return {key: n for key, n in (await session.execute(statement)).all()}
