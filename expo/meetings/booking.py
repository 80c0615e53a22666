"""Availability per slot, the slots free for both sides, and booking, moving and cancelling
meetings without double-booking.

Booking writes the meeting row first (on SQLite that takes the write lock at once, so
concurrent bookings queue instead of failing on a stale snapshot), then checks the rules,
then inserts the claims; ``UNIQUE(slot_id, participant)`` on the claims is what decides a
race on both databases: the loser's commit fails and it gets a clear refusal."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.db import utcnow
from expo.fair.models import ProjectTeam
from i18n import N_

from .errors import MeetingError
from .grid import load_grid
from .models import Availability, Claim, Meeting, Request, Slot
from .notify import Notifier, notify
from .parties import investor_key, team_key

RETRIES = 5


async def available_slots(session: AsyncSession, participant: str) -> set[int]:
    return set(
        (await session.scalars(select(Availability.slot_id).where(Availability.participant == participant))).all()
    )


async def claimed_slots(session: AsyncSession, participant: str) -> dict[int, int]:
    """slot id → meeting id of the participant's booked meetings."""
    rows = (
        await session.execute(select(Claim.slot_id, Claim.meeting_id).where(Claim.participant == participant))
    ).all()
    return {slot_id: meeting_id for slot_id, meeting_id in rows}


async def set_availability(session: AsyncSession, participant: str, slot_ids: Iterable[int]) -> set[int]:
    """Replaces the participant's availability with ``slot_ids`` (active slots only).
    Refuses, naming the meeting, an edit that would leave a booked meeting outside it."""
    wanted = set(slot_ids)
    active = set((await session.scalars(select(Slot.id).where(Slot.active))).all())
    unknown = wanted - active
    if unknown:
        raise MeetingError(N_("One of the chosen slots is not a meeting slot of the expo."))
    booked = await claimed_slots(session, participant)
    stranded = [slot_id for slot_id in booked if slot_id not in wanted]
    if stranded:
        meeting = await session.get(Meeting, booked[stranded[0]])
        assert meeting is not None
        raise MeetingError(
            N_("You have a meeting booked at %(when)s: keep that slot free, or move or cancel the meeting first."),
            409,
            when=meeting.starts_at,
            meeting_id=meeting.id,
        )
    current = await available_slots(session, participant)
    removed = current - wanted
    if removed:
        await session.execute(
            delete(Availability).where(Availability.participant == participant, Availability.slot_id.in_(removed))
        )
    for slot_id in sorted(wanted - current):
        session.add(Availability(participant=participant, slot_id=slot_id))
    await session.flush()
    return wanted


async def free_for_both(session: AsyncSession, investor_user_id: int, team_id: int) -> list[Slot]:
    """Future active slots where both are available, neither is booked, and a table is free."""
    a, b = investor_key(investor_user_id), team_key(team_id)
    both = (await available_slots(session, a)) & (await available_slots(session, b))
    busy = set(await claimed_slots(session, a)) | set(await claimed_slots(session, b))
    candidates = both - busy
    if not candidates:
        return []
    slots = (
        await session.scalars(
            select(Slot).where(Slot.id.in_(candidates), Slot.active, Slot.starts_at > utcnow()).order_by(Slot.starts_at)
        )
    ).all()
    grid = await load_grid(session)
    if grid.tables is None:
        return list(slots)
    full = set(
        (
            await session.scalars(
                select(Claim.slot_id)
                .where(Claim.slot_id.in_([s.id for s in slots]), Claim.participant.like("table:%"))
                .group_by(Claim.slot_id)
                .having(func.count() >= grid.tables)
            )
        ).all()
    )
    return [s for s in slots if s.id not in full]


async def _check_slot(session: AsyncSession, slot_id: int, investor_user_id: int, team_id: int) -> Slot:
    slot = await session.get(Slot, slot_id)
    if slot is None or not slot.active:
        raise MeetingError(N_("This time is not one of the expo's meeting slots."))
    if slot.starts_at <= utcnow():
        raise MeetingError(N_("This slot has already started."))
    a, b = investor_key(investor_user_id), team_key(team_id)
    free = set(
        (
            await session.scalars(
                select(Availability.participant).where(
                    Availability.slot_id == slot_id, Availability.participant.in_((a, b))
                )
            )
        ).all()
    )
    if a not in free:
        raise MeetingError(N_("The investor is not available at this time."))
    if b not in free:
        raise MeetingError(N_("The team is not available at this time."))
    return slot


async def _claims(session: AsyncSession, meeting: Meeting, slot: Slot) -> None:
    taken = set(
        (
            await session.scalars(
                select(Claim.participant).where(
                    Claim.slot_id == slot.id,
                    Claim.participant.in_((investor_key(meeting.investor_user_id), team_key(meeting.team_id))),
                )
            )
        ).all()
    )
    if taken:
        raise MeetingError(N_("This slot was just booked by someone else; choose another one."), 409)
    session.add(Claim(slot_id=slot.id, participant=investor_key(meeting.investor_user_id), meeting_id=meeting.id))
    session.add(Claim(slot_id=slot.id, participant=team_key(meeting.team_id), meeting_id=meeting.id))
    grid = await load_grid(session)
    if grid.tables is not None:
        used = set(
            (
                await session.scalars(
                    select(Claim.participant).where(Claim.slot_id == slot.id, Claim.participant.like("table:%"))
                )
            ).all()
        )
        table = next((n for n in range(1, grid.tables + 1) if f"table:{n}" not in used), None)
        if table is None:
            raise MeetingError(N_("Every meeting table is taken in this slot; choose another one."), 409)
        session.add(Claim(slot_id=slot.id, participant=f"table:{table}", meeting_id=meeting.id))
    await session.flush()


@dataclass(frozen=True)
class Booked:
    meeting: Meeting
    investor: User
    team: ProjectTeam


async def _record(
    session: AsyncSession, kind: str, meeting: Meeting, investor: User, team: ProjectTeam, **data: object
) -> None:
    await activity.record(
        session,
        kind,
        user_id=investor.id,
        district_id=team.district_id,
        team_id=team.id,
        subject_id=meeting.id,
        country=investor.country,
        sector=team.sector,
        data=dict(data),
    )


async def book(
    session: AsyncSession,
    notifier: Notifier,
    *,
    investor_user_id: int,
    team_id: int,
    slot_id: int,
    by: User | None,
    source: str = "request",
    request_id: int | None = None,
    notify_sides: tuple[str, ...] = ("investor", "team"),
) -> Booked:
    """Books a meeting and commits; MeetingError (409) when the slot is taken meanwhile.
    The caller's session must have no pending work (this commits or rolls back).

    Idempotent: when this pair already has a booked meeting in this slot (a client retrying
    a booking whose answer it lost, or two identical requests racing), that meeting is the
    answer and nothing new is written."""
    for attempt in range(RETRIES):
        try:
            found = await already_booked(session, investor_user_id, team_id, slot_id)
            if found is not None:
                return found
            return await _book_once(
                session, notifier, investor_user_id, team_id, slot_id, by, source, request_id, notify_sides
            )
        except IntegrityError:
            await session.rollback()
            found = await already_booked(session, investor_user_id, team_id, slot_id)
            if found is not None:
                return found
            raise MeetingError(N_("This slot was just booked by someone else; choose another one."), 409) from None
        except OperationalError:  # SQLite: busy beyond the timeout; try again from the start
            await session.rollback()
            if attempt == RETRIES - 1:
                raise MeetingError(N_("The service is busy. Please try again shortly."), 503) from None
        except MeetingError as exc:
            await session.rollback()
            found = await already_booked(session, investor_user_id, team_id, slot_id) if exc.status == 409 else None
            if found is not None:
                return found
            raise
    raise AssertionError("unreachable")


async def already_booked(session: AsyncSession, investor_user_id: int, team_id: int, slot_id: int) -> Booked | None:
    """The pair's booked meeting in this slot, if there is one."""
    meeting = await session.scalar(
        select(Meeting).where(
            Meeting.investor_user_id == investor_user_id,
            Meeting.team_id == team_id,
            Meeting.slot_id == slot_id,
            Meeting.status == "booked",
        )
    )
    if meeting is None:
        return None
    investor = await session.get(User, investor_user_id)
    team = await session.get(ProjectTeam, team_id)
    if investor is None or team is None:
        return None
    return Booked(meeting, investor, team)


async def _book_once(
    session: AsyncSession,
    notifier: Notifier,
    investor_user_id: int,
    team_id: int,
    slot_id: int,
    by: User | None,
    source: str,
    request_id: int | None,
    notify_sides: tuple[str, ...],
) -> Booked:
    investor = await session.get(User, investor_user_id)
    team = await session.get(ProjectTeam, team_id)
    if investor is None or investor.role != "investor" or team is None:
        raise MeetingError(N_("This meeting has no investor or no team."), 404)
    if await session.get(Slot, slot_id) is None:
        raise MeetingError(N_("This time is not one of the expo's meeting slots."))
    meeting = Meeting(
        uid=f"meeting-{uuid.uuid4().hex}@expo",
        investor_user_id=investor.id,
        team_id=team.id,
        district_id=team.district_id,
        slot_id=slot_id,
        starts_at=utcnow(),
        ends_at=utcnow(),
        source=source,
        request_id=request_id,
        booked_by=by.id if by else None,
    )
    session.add(meeting)
    await session.flush()  # the write lock first (see the module's docstring)
    slot = await _check_slot(session, slot_id, investor.id, team.id)
    meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
    await _claims(session, meeting, slot)
    if request_id is not None:  # the request is answered by this booking, in its transaction
        request = await session.get(Request, request_id)
        if request is not None:
            request.status, request.open_key = "booked", None
            request.answered_at = request.answered_at or utcnow()
    await _record(session, "meeting.booked", meeting, investor, team, source=source)
    for side in notify_sides:
        await notify(session, notifier, "booked", side, investor, team, meeting=meeting)
    await session.commit()
    return Booked(meeting, investor, team)


async def cancel(session: AsyncSession, notifier: Notifier, meeting: Meeting, by: User) -> None:
    """Cancels a booked meeting (the slot is freed; SEQUENCE bumped for calendars) and
    notifies the other side. Commits."""
    if meeting.status != "booked":
        raise MeetingError(N_("This meeting is already cancelled."), 409)
    investor = await session.get(User, meeting.investor_user_id)
    team = await session.get(ProjectTeam, meeting.team_id)
    assert investor is not None and team is not None
    await session.execute(delete(Claim).where(Claim.meeting_id == meeting.id))
    meeting.status = "cancelled"
    meeting.sequence += 1
    meeting.cancelled_by = by.id
    meeting.updated_at = utcnow()
    await _record(session, "meeting.cancelled", meeting, investor, team, by=by.id)
    for side in _others(by, meeting):
        await notify(session, notifier, "cancelled", side, investor, team, meeting=meeting)
    await session.commit()


async def move(session: AsyncSession, notifier: Notifier, meeting: Meeting, slot_id: int, by: User) -> None:
    """Moves a booked meeting to another slot free for both, in one transaction: either it
    is in the new slot with new claims, or it stays where it was. Commits."""
    if meeting.status != "booked":
        raise MeetingError(N_("This meeting is cancelled; book a new one instead."), 409)
    if slot_id == meeting.slot_id:
        raise MeetingError(N_("The meeting is already at this time."))
    investor = await session.get(User, meeting.investor_user_id)
    team = await session.get(ProjectTeam, meeting.team_id)
    assert investor is not None and team is not None
    try:
        await session.execute(delete(Claim).where(Claim.meeting_id == meeting.id))
        slot = await _check_slot(session, slot_id, meeting.investor_user_id, meeting.team_id)
        await _claims(session, meeting, slot)
        old = meeting.starts_at
        meeting.slot_id, meeting.starts_at, meeting.ends_at = slot.id, slot.starts_at, slot.ends_at
        meeting.sequence += 1
        meeting.updated_at = utcnow()
        meeting.reminded_at = None
        await _record(session, "meeting.moved", meeting, investor, team, by=by.id, before=old.isoformat())
        for side in _others(by, meeting):
            await notify(session, notifier, "moved", side, investor, team, meeting=meeting)
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise MeetingError(N_("This slot was just booked by someone else; choose another one."), 409) from None
    except MeetingError:
        await session.rollback()
        raise


def _others(by: User, meeting: Meeting) -> tuple[str, ...]:
    """The sides to notify of a change made by ``by`` (both when an organizer made it)."""
    if by.role == "investor":
        return ("team",)
    if by.role == "team":
        return ("investor",)
    return ("investor", "team")
