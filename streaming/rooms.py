"""The rules of a 1:1 meeting room (no HTTP): who may enter, when it is open, who is in it,
the chat, the guests each side may bring, and the outcome each side reports.

A room belongs to a meeting of the matchmaking package (``expo.meetings``: its ``room_access``
tells who the parties are). Each side (the investor; the project team's members) may bring
one guest (a colleague or an interpreter), and at most two people of a side are in the room
at once, so a room holds at most four: a mesh of peer connections between browsers.

The room opens ``OPENS_BEFORE`` the slot and closes ``CLOSES_AFTER`` its end, unless someone
is still in it (then late joiners may come back until the last one leaves). Presence rows are
the truth shared by every server process; a row whose socket stopped sending heartbeats for
``LIVE_FOR`` is no longer counted (a crashed process cannot keep a room full).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.db import utcnow
from expo.meetings import Meeting, RoomAccess, room_access
from i18n import N_
from streaming.models import (
    CONNECTION_TYPES,
    NEXT_STEPS,
    MeetingOutcome,
    MeetingRoom,
    RoomGuest,
    RoomMessage,
    RoomPresence,
)

OPENS_BEFORE = timedelta(minutes=5)
CLOSES_AFTER = timedelta(minutes=15)
LIVE_FOR = timedelta(seconds=45)
MAX_PEOPLE = 4
PER_SIDE = 2
MAX_CHAT = 1000


class RoomError(Exception):
    """A refusal: ``code`` for programs, ``message`` (marked for translation) for people,
    ``status`` the HTTP status (and, plus 4000, the WebSocket close code)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    timezone: str
    side: str
    guest: bool = False


@dataclass(frozen=True)
class Room:
    """A meeting's room as one user sees it (``me``: that user, a party or a guest)."""

    access: RoomAccess
    me: Member
    guests: tuple[Member, ...]

    @property
    def meeting_id(self) -> int:
        return self.access.meeting_id

    @property
    def opens_at(self) -> datetime:
        return self.access.starts_at - OPENS_BEFORE

    @property
    def closes_at(self) -> datetime:
        return self.access.ends_at + CLOSES_AFTER

    @property
    def members(self) -> tuple[Member, ...]:
        parties = tuple(Member(p.user_id, p.name, p.timezone, p.side) for p in self.access.parties)
        return parties + self.guests

    def other_side(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.side != self.me.side)

    def window(self, now: datetime, occupied: bool = False) -> str:
        """``cancelled``, ``early`` (before it opens), ``open`` or ``closed``."""
        if self.access.status != "booked":
            return "cancelled"
        if now < self.opens_at:
            return "early"
        if now <= self.closes_at or occupied:
            return "open"
        return "closed"


async def load(session: AsyncSession, meeting_id: int, user: User | None) -> Room:
    """The room of ``meeting_id`` for ``user``; RoomError 404 (no such meeting) or 403 (not a
    party nor a guest of it; organizers watch the figures, not the rooms)."""
    if user is None:
        raise RoomError("sign_in", N_("Please sign in first."), 401)
    if await session.get(Meeting, meeting_id) is None:
        raise RoomError("not_found", N_("There is no such meeting."), 404)
    access = await room_access(session, meeting_id, user)
    guest_rows = (await session.scalars(select(RoomGuest).where(RoomGuest.meeting_id == meeting_id))).all()
    me: Member | None = None
    party = access.party(user.id) if access is not None else None
    if party is not None:
        me = Member(party.user_id, party.name, party.timezone, party.side)
    else:
        mine = next((g for g in guest_rows if g.user_id == user.id), None)
        inviter = await session.get(User, mine.invited_by) if mine is not None else None
        access = await room_access(session, meeting_id, inviter) if inviter is not None else None
        if mine is not None and access is not None:
            me = Member(user.id, user.name, user.timezone, mine.side, guest=True)
    if me is None or access is None:
        raise RoomError("forbidden", N_("Only the people of this meeting can enter its room."), 403)
    guests = []
    for row in guest_rows:
        person = await session.get(User, row.user_id)
        if person is not None:
            guests.append(Member(person.id, person.name, person.timezone, row.side, guest=True))
    return Room(access, me, tuple(guests))


def _live(meeting_id: int, now: datetime):  # type: ignore[no-untyped-def]
    return select(RoomPresence).where(
        RoomPresence.meeting_id == meeting_id,
        RoomPresence.left_at.is_(None),
        RoomPresence.seen_at >= now - LIVE_FOR,
    )


async def present(session: AsyncSession, meeting_id: int, now: datetime | None = None) -> list[RoomPresence]:
    """Who is in the room now (one row per connected participant), oldest first."""
    statement = _live(meeting_id, now or utcnow()).order_by(RoomPresence.id)
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class Joined:
    presence: RoomPresence
    others: list[RoomPresence]
    replaced: list[str]  # peer ids of the same user's earlier connections, now closed
    held_now: bool  # this join made it the first time both sides were in the room


async def join(session: AsyncSession, room: Room, peer_id: str, now: datetime | None = None) -> Joined:
    """Enters ``room`` as a new participant ``peer_id`` (commits). The same user's earlier
    connection (another tab, a dropped socket) is replaced. Refuses outside the window, a
    fifth person, and a third person of one side."""
    now = now or utcnow()
    live = await present(session, room.meeting_id, now)
    window = room.window(now, occupied=bool(live))
    if window == "cancelled":
        raise RoomError("cancelled", N_("This meeting was cancelled."), 409)
    if window == "early":
        raise RoomError("early", N_("The room is not open yet."), 409)
    if window == "closed":
        raise RoomError("closed", N_("This meeting's room has closed."), 409)
    mine = [p for p in live if p.user_id == room.me.user_id]
    others = [p for p in live if p.user_id != room.me.user_id]
    if len({p.user_id for p in others}) >= MAX_PEOPLE:
        raise RoomError("full", N_("The room is full: four people are in it already."), 429)
    if len({p.user_id for p in others if p.side == room.me.side}) >= PER_SIDE:
        raise RoomError("side_full", N_("Two people of your side are in the room already."), 429)
    for old in mine:
        old.left_at = now
    presence = RoomPresence(
        meeting_id=room.meeting_id,
        user_id=room.me.user_id,
        side=room.me.side,
        peer_id=peer_id,
        joined_at=now,
        seen_at=now,
    )
    session.add(presence)
    if await session.get(MeetingRoom, room.meeting_id) is None:
        try:
            async with session.begin_nested():
                session.add(MeetingRoom(meeting_id=room.meeting_id, opened_at=now))
        except IntegrityError:  # opened at the same moment by the other side's process
            pass
    held_now = False
    if {p.side for p in others} | {room.me.side} == {"investor", "team"}:
        result = await session.execute(
            update(MeetingRoom)
            .where(MeetingRoom.meeting_id == room.meeting_id, MeetingRoom.held_at.is_(None))
            .values(held_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            held_now = True
            await activity.record(
                session,
                "meeting.held",
                user_id=room.access.investor_user_id,
                district_id=room.access.district_id,
                team_id=room.access.team_id,
                subject_id=room.meeting_id,
                at=now,
            )
    await session.commit()
    return Joined(presence, others, [p.peer_id for p in mine], held_now)


async def heartbeat(session: AsyncSession, peer_ids: Collection[str], now: datetime | None = None) -> None:
    """Keeps the participants ``peer_ids`` (this process's sockets) counted as present, in
    one statement per 500 (one beat per process, not one per socket)."""
    ids = sorted(peer_ids)
    for start in range(0, len(ids), 500):
        await session.execute(
            update(RoomPresence)
            .where(RoomPresence.peer_id.in_(ids[start : start + 500]), RoomPresence.left_at.is_(None))
            .values(seen_at=now or utcnow())
        )
    await session.commit()


async def leave(session: AsyncSession, peer_id: str, now: datetime | None = None) -> None:
    await session.execute(
        update(RoomPresence)
        .where(RoomPresence.peer_id == peer_id, RoomPresence.left_at.is_(None))
        .values(left_at=now or utcnow())
    )
    await session.commit()


async def report_connection(session: AsyncSession, peer_id: str, kind: object) -> None:
    """What a participant's browser reported about its media path (``direct``/``relayed``)."""
    if kind not in CONNECTION_TYPES:
        raise RoomError("bad_frame", N_("The server did not understand this message."))
    # "relayed" wins: once a participant needed TURN, the room needed it.
    await session.execute(
        update(RoomPresence)
        .where(RoomPresence.peer_id == peer_id, RoomPresence.connection != "relayed")
        .values(connection=kind)
    )
    await session.commit()


# Chat


async def post(session: AsyncSession, room: Room, text: object) -> RoomMessage:
    """Stores a chat message (commits); the caller publishes it after."""
    body = text.strip() if isinstance(text, str) else ""
    if not body:
        raise RoomError("empty", N_("Write a message first."))
    if len(body) > MAX_CHAT:
        raise RoomError("too_long", N_("This message is too long."))
    message = RoomMessage(
        meeting_id=room.meeting_id, user_id=room.me.user_id, author=room.me.name, side=room.me.side, text=body
    )
    session.add(message)
    await session.commit()
    return message


async def messages(session: AsyncSession, meeting_id: int, after_id: int = 0, limit: int = 200) -> list[RoomMessage]:
    statement = (
        select(RoomMessage)
        .where(RoomMessage.meeting_id == meeting_id, RoomMessage.id > after_id)
        .order_by(RoomMessage.id.desc())
        .limit(limit)
    )
    return list(reversed((await session.scalars(statement)).all()))


def as_message(message: RoomMessage) -> dict[str, object]:
    return {
        "type": "chat",
        "id": message.id,
        "user_id": message.user_id,
        "author": message.author,
        "side": message.side,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


# Guests


async def invite(session: AsyncSession, room: Room, email: str) -> RoomGuest:
    """A party brings a colleague or interpreter (an existing account) to its side."""
    if room.me.guest:
        raise RoomError("forbidden", N_("Only the people of this meeting can invite someone."), 403)
    person = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if person is None:
        raise RoomError("no_account", N_("No account has this e-mail address."))
    if any(m.user_id == person.id for m in room.members):
        raise RoomError("already", N_("This person is already part of the meeting."))
    if any(g.side == room.me.side for g in room.guests):
        raise RoomError("guest_taken", N_("Your side has already invited someone."), 409)
    guest = RoomGuest(meeting_id=room.meeting_id, side=room.me.side, user_id=person.id, invited_by=room.me.user_id)
    session.add(guest)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise RoomError("guest_taken", N_("Your side has already invited someone."), 409) from None
    return guest


# Outcome


@dataclass(frozen=True)
class OutcomeForm:
    held: bool
    rating: int | None
    next_step: str


def read_outcome(form: Mapping[str, str]) -> tuple[OutcomeForm | None, dict[str, str]]:
    """Reads the after-meeting form; returns every problem at once (field → message)."""
    errors: dict[str, str] = {}
    held_raw = form.get("held", "")
    if held_raw not in ("yes", "no"):
        errors["held"] = N_("Say whether the meeting took place.")
    held = held_raw == "yes"
    rating: int | None = None
    raw_rating = form.get("rating", "")
    if held and raw_rating not in ("1", "2", "3", "4", "5"):
        errors["rating"] = N_("Choose how useful it was, from 1 to 5.")
    elif held:
        rating = int(raw_rating)
    next_step = form.get("next_step", "none") if held else "none"
    if next_step not in NEXT_STEPS:
        errors["next_step"] = N_("Choose a next step.")
    if errors:
        return None, errors
    return OutcomeForm(held, rating, next_step), {}


async def record_outcome(
    session: AsyncSession, room: Room, answer: OutcomeForm, now: datetime | None = None
) -> MeetingOutcome:
    """Stores one side's answer (replacing that side's earlier one) and records the
    ``meeting.outcome`` activity event the deal pipeline reads (commits)."""
    now = now or utcnow()
    if room.window(now) in ("early", "cancelled"):
        raise RoomError("too_early", N_("You can say how the meeting went once it has started."), 409)
    row = await session.scalar(
        select(MeetingOutcome).where(MeetingOutcome.meeting_id == room.meeting_id, MeetingOutcome.side == room.me.side)
    )
    if row is None:
        row = MeetingOutcome(meeting_id=room.meeting_id, side=room.me.side, created_at=now)
        session.add(row)
    row.user_id = room.me.user_id
    row.held, row.rating, row.next_step, row.updated_at = answer.held, answer.rating, answer.next_step, now
    await activity.record(
        session,
        "meeting.outcome",
        # Like every meeting.* event: about the meeting's investor (the pipeline matches deals
        # by investor and district); who answered is in data.
        user_id=room.access.investor_user_id,
        district_id=room.access.district_id,
        team_id=room.access.team_id,
        subject_id=room.meeting_id,
        data={
            "held": answer.held,
            "rating": answer.rating,
            "next_step": answer.next_step,
            "side": room.me.side,
            "reported_by": room.me.user_id,
        },
        at=now,
    )
    await session.commit()
    return row


async def outcome_of(session: AsyncSession, meeting_id: int, side: str) -> MeetingOutcome | None:
    return await session.scalar(
        select(MeetingOutcome).where(MeetingOutcome.meeting_id == meeting_id, MeetingOutcome.side == side)
    )


async def live_counts(session: AsyncSession, now: datetime | None = None) -> dict[int, int]:
    """meeting id → people in its room now, for every room with someone in it."""
    now = now or utcnow()
    statement = (
        select(RoomPresence.meeting_id, func.count(func.distinct(RoomPresence.user_id)))
        .where(RoomPresence.left_at.is_(None), RoomPresence.seen_at >= now - LIVE_FOR)
        .group_by(RoomPresence.meeting_id)
    )
    return {meeting_id: n for meeting_id, n in (await session.execute(statement)).all()}
