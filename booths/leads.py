"""Leads: each investor's visits, downloads, chats, bookmarks and meeting requests at a
booth, counted on one row per (booth, investor). Booth staff see their booth's leads with
the investor's profile (investors agree to this at sign-up); organizers see all."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, Lead
from expo import activity
from expo.accounts.models import User
from expo.db import utcnow

EVENTS = ("visits", "downloads", "chats", "meeting_requests")
# The same events in the expo-wide activity log.
ACTIVITY = {
    "visits": "booth.visit",
    "downloads": "booth.download",
    "chats": "booth.chat",
    "meeting_requests": "booth.meeting_request",
    "bookmark": "booth.bookmark",
}


async def record(
    session: AsyncSession,
    booth_id: int,
    investor_id: int,
    event: str,
    *,
    bookmarked: bool | None = None,
) -> None:
    """Counts one event (``visits``, ``downloads``, ``chats``, ``meeting_requests``, or
    ``bookmark`` with ``bookmarked``) in the caller's transaction: one upsert of the lead,
    and one entry in the expo's activity log."""
    now = utcnow()
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    values: dict[str, object] = {
        "booth_id": booth_id,
        "investor_id": investor_id,
        "first_at": now,
        "last_at": now,
        "visits": 0,
        "downloads": 0,
        "chats": 0,
        "meeting_requests": 0,
        "bookmarked": False,
    }
    update: dict[str, object] = {"last_at": now}
    if event in EVENTS:
        values[event] = 1
        update[event] = getattr(Lead, event) + 1
    elif event == "bookmark":
        values["bookmarked"] = bool(bookmarked)
        update["bookmarked"] = bool(bookmarked)
    else:
        raise ValueError(event)
    statement = insert(Lead).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["booth_id", "investor_id"], set_=update)
    await session.execute(statement)
    booth = await session.get(Booth, booth_id)
    investor = await session.get(User, investor_id)
    await activity.record(
        session,
        ACTIVITY[event],
        user_id=investor_id,
        district_id=booth.district_id if booth else None,
        team_id=booth.team_id if booth else None,
        subject_id=booth_id,
        country=investor.country if investor else "",
        sector=(booth.sector or "") if booth else "",
        data={"on": bool(bookmarked)} if event == "bookmark" else None,
        at=now,
    )


def score() -> ColumnElement[int]:
    """How warm a lead is: meetings weigh most, then chats, bookmarks, downloads, visits."""
    return (
        Lead.meeting_requests * 10
        + Lead.chats * 5
        + Lead.downloads * 3
        + Lead.visits
        + case((Lead.bookmarked, 4), else_=0)
    )


SORTS: dict[str, object] = {
    "score": lambda: score().desc(),
    "last": lambda: Lead.last_at.desc(),
    "visits": lambda: Lead.visits.desc(),
    "downloads": lambda: Lead.downloads.desc(),
    "chats": lambda: Lead.chats.desc(),
    "meetings": lambda: Lead.meeting_requests.desc(),
    "name": lambda: User.name.asc(),
    "country": lambda: User.country.asc(),
}


def query(booth_ids: Sequence[int] | None, sort: str) -> Select[tuple[Lead, User, Booth]]:
    """Leads of the given booths (None: every booth), sorted by ``sort`` (a SORTS key)."""
    order = SORTS.get(sort, SORTS["score"])()  # type: ignore[operator]
    statement = (
        select(Lead, User, Booth)
        .join(User, User.id == Lead.investor_id)
        .join(Booth, Booth.id == Lead.booth_id)
        .order_by(order, Lead.id)
    )
    if booth_ids is not None:
        statement = statement.where(Lead.booth_id.in_(booth_ids))
    return statement


def _cell(value: object) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    # A cell starting with = + - @ would be a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_HEADER = [
    "booth",
    "investor",
    "email",
    "organization",
    "country",
    "sectors",
    "ticket_min_usd",
    "ticket_max_usd",
    "visits",
    "downloads",
    "chats",
    "bookmarked",
    "meeting_requests",
    "first_at",
    "last_at",
]


def to_csv(rows: Iterable[tuple[Lead, User, Booth]], booth_name: object) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for lead, user, booth in rows:
        shared = user.shares_profile
        writer.writerow(
            [
                _cell(v)
                for v in (
                    booth_name(booth),
                    user.name,
                    user.email if shared else "",
                    user.organization if shared else "",
                    user.country if shared else "",
                    " ".join(user.sectors or []) if shared else "",
                    user.ticket_min_usd if shared else "",
                    user.ticket_max_usd if shared else "",
                    lead.visits,
                    lead.downloads,
                    lead.chats,
                    "yes" if lead.bookmarked else "no",
                    lead.meeting_requests,
                    lead.first_at,
                    lead.last_at,
                )
            ]
        )
    return out.getvalue()
