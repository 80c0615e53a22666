"""The organizer's figures of the meeting rooms: per district, how many booked meetings are
in progress now, were held, had a no-show; the average usefulness rating; and how the
participants' media flowed (direct or relayed through TURN), as their browsers reported it."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.db import utcnow
from expo.fair.models import District
from expo.meetings import Meeting
from streaming import rooms
from streaming.models import MeetingOutcome, MeetingRoom, RoomPresence


@dataclass
class Line:
    """One district's figures (or the total: ``district`` None)."""

    district: District | None
    booked: int = 0
    in_progress: int = 0
    held: int = 0
    no_shows: int = 0
    ratings: list[int] = field(default_factory=list)
    direct: int = 0
    relayed: int = 0

    @property
    def average_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


@dataclass
class Overview:
    lines: list[Line]
    total: Line
    live: list[tuple[Meeting, int]]  # rooms with someone in them now: meeting, people


async def overview(session: AsyncSession, now: datetime | None = None) -> Overview:
    now = now or utcnow()
    meetings = {m.id: m for m in (await session.scalars(select(Meeting).where(Meeting.status == "booked"))).all()}
    districts = {d.id: d for d in (await session.scalars(select(District))).all()}
    held = set((await session.scalars(select(MeetingRoom.meeting_id).where(MeetingRoom.held_at.is_not(None)))).all())
    outcomes = (await session.scalars(select(MeetingOutcome))).all()
    connections: dict[int, set[str]] = defaultdict(set)
    for meeting_id, kind in (
        await session.execute(
            select(RoomPresence.meeting_id, RoomPresence.connection).where(RoomPresence.connection != "")
        )
    ).all():
        connections[meeting_id].add(kind)
    live = await rooms.live_counts(session, now)

    lines: dict[int, Line] = {}
    total = Line(None)

    def line_of(meeting: Meeting) -> Line:
        if meeting.district_id not in lines:
            lines[meeting.district_id] = Line(districts.get(meeting.district_id))
        return lines[meeting.district_id]

    for meeting in meetings.values():
        line = line_of(meeting)
        kinds = connections.get(meeting.id, set())
        for target in (line, total):
            target.booked += 1
            target.in_progress += meeting.id in live
            target.held += meeting.id in held
            target.relayed += "relayed" in kinds
            target.direct += bool(kinds) and "relayed" not in kinds
    no_show_meetings = {o.meeting_id for o in outcomes if not o.held and o.meeting_id in meetings}
    for meeting_id in no_show_meetings:
        line_of(meetings[meeting_id]).no_shows += 1
        total.no_shows += 1
    for outcome in outcomes:
        if outcome.rating is not None and outcome.meeting_id in meetings:
            line_of(meetings[outcome.meeting_id]).ratings.append(outcome.rating)
            total.ratings.append(outcome.rating)
    ordered = sorted(lines.values(), key=lambda line: line.district.slug if line.district else "")
    in_rooms = [(meetings[i], n) for i, n in sorted(live.items()) if i in meetings]
    return Overview(ordered, total, in_rooms)
