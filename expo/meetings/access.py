"""Who may enter a meeting's room: the read model that the 1:1 meeting rooms (streaming/)
use through ``expo.meetings.room_access``."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.meetings.models import Meeting


@dataclass(frozen=True)
class Party:
    """One person on one side of a meeting.

    ``user_id``: the account; ``name``: its display name; ``timezone``: its IANA zone (for
    showing times in that person's zone); ``side``: ``"investor"`` (the investor who meets)
    or ``"team"`` (a member account of the project team: role ``team`` with that ``team_id``).
    """

    user_id: int
    name: str
    timezone: str
    side: str


@dataclass(frozen=True)
class RoomAccess:
    """A meeting as its room sees it.

    ``meeting_id``: the meeting (``meetings.id``); ``starts_at``/``ends_at``: the booked
    slot, timezone-aware UTC datetimes; ``status``: ``"booked"`` or ``"cancelled"`` (a
    cancelled meeting keeps its row; the room decides to refuse it); ``investor_user_id``:
    the investor's account; ``team_id``: the project team met (``project_teams.id``);
    ``district_id``: the team's district (``districts.id``); ``parties``: every person who
    belongs to the meeting — the investor first, then the team's member accounts ordered by
    id (a team may have several members; each may join)."""

    meeting_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    investor_user_id: int
    team_id: int
    district_id: int
    parties: tuple[Party, ...]

    def party(self, user_id: int) -> Party | None:
        """The party of ``user_id``, or None (e.g. an organizer)."""
        return next((p for p in self.parties if p.user_id == user_id), None)


async def load_parties(session: AsyncSession, investor_user_id: int, team_id: int) -> tuple[Party, ...]:
    investor = await session.get(User, investor_user_id)
    members = (
        await session.scalars(select(User).where(User.role == "team", User.team_id == team_id).order_by(User.id))
    ).all()
    parties: list[Party] = []
    if investor is not None:
        parties.append(Party(investor.id, investor.name, investor.timezone, "investor"))
    parties.extend(Party(m.id, m.name, m.timezone, "team") for m in members)
    return tuple(parties)


async def room_access(session: AsyncSession, meeting_id: int, user: User | None) -> RoomAccess | None:
    """The meeting ``meeting_id`` for ``user``: None when the meeting does not exist or the
    user is neither its investor, nor a member of its team, nor an organizer. An organizer
    gets the meeting with no party of their own (``access.party(user.id)`` is None); what
    an organizer may do in a room is the room's decision."""
    if user is None:
        return None
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    is_party = (user.role == "investor" and user.id == meeting.investor_user_id) or (
        user.role == "team" and user.team_id == meeting.team_id
    )
    if not is_party and user.role != "organizer":
        return None
    return RoomAccess(
        meeting_id=meeting.id,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        status=meeting.status,
        investor_user_id=meeting.investor_user_id,
        team_id=meeting.team_id,
        district_id=meeting.district_id,
        parties=await load_parties(session, meeting.investor_user_id, meeting.team_id),
    )
