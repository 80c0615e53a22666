"""The organizer's matchmaking figures: requests sent, accepted, declined, expired,
meetings booked, acceptance rate, per district and per sector; and every meeting as rows
for the CSV export."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.fair.models import District, ProjectTeam

from .models import Meeting, Request

ACCEPTED = ("accepted", "booked")
ANSWERED = ("accepted", "booked", "declined", "expired")


@dataclass
class Row:
    sent: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    open: int = 0
    booked: int = 0
    cancelled: int = 0

    @property
    def acceptance(self) -> float | None:
        answered = self.accepted + self.declined + self.expired
        return self.accepted / answered if answered else None


@dataclass
class Figures:
    total: Row = field(default_factory=Row)
    by_district: dict[int, Row] = field(default_factory=lambda: defaultdict(Row))
    by_sector: dict[str, Row] = field(default_factory=lambda: defaultdict(Row))


def _add(row: Row, status: str, n: int) -> None:
    row.sent += n
    if status in ACCEPTED:
        row.accepted += n
    elif status == "declined":
        row.declined += n
    elif status == "expired":
        row.expired += n
    elif status in ("pending", "proposed"):
        row.open += n


async def figures(session: AsyncSession) -> Figures:
    out = Figures()
    requests = await session.execute(
        select(Request.status, Request.district_id, ProjectTeam.sector, func.count())
        .join(ProjectTeam, ProjectTeam.id == Request.team_id)
        .group_by(Request.status, Request.district_id, ProjectTeam.sector)
    )
    for status, district_id, sector, n in requests.all():
        for row in (out.total, out.by_district[district_id], out.by_sector[sector]):
            _add(row, status, n)
    meetings = await session.execute(
        select(Meeting.status, Meeting.district_id, ProjectTeam.sector, func.count())
        .join(ProjectTeam, ProjectTeam.id == Meeting.team_id)
        .group_by(Meeting.status, Meeting.district_id, ProjectTeam.sector)
    )
    for status, district_id, sector, n in meetings.all():
        for row in (out.total, out.by_district[district_id], out.by_sector[sector]):
            if status == "booked":
                row.booked += n
            else:
                row.cancelled += n
    return out


CSV_HEADER = (
    "meeting_id",
    "uid",
    "status",
    "starts_at_utc",
    "ends_at_utc",
    "investor",
    "investor_email",
    "investor_organization",
    "team",
    "district",
    "sector",
    "source",
    "request_id",
    "sequence",
)


async def meeting_rows(session: AsyncSession) -> list[list[Any]]:
    districts = {d.id: d.slug for d in (await session.scalars(select(District))).all()}
    rows = await session.execute(
        select(Meeting, User, ProjectTeam)
        .join(User, User.id == Meeting.investor_user_id)
        .join(ProjectTeam, ProjectTeam.id == Meeting.team_id)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        [
            m.id,
            m.uid,
            m.status,
            m.starts_at.isoformat(),
            m.ends_at.isoformat(),
            u.name,
            u.email,
            u.organization,
            t.slug,
            districts.get(m.district_id, ""),
            t.sector,
            m.source,
            m.request_id or "",
            m.sequence,
        ]
        for m, u, t in rows.all()
    ]
