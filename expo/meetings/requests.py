"""Meeting requests: send, accept, decline, propose other times (up to three), pick a
proposed time, withdraw, expire. Either side may send; the other side answers.

Rules that are settings: how long a pending request waits before it expires, and how many
open outgoing requests one person (an investor, or a team) may have."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.db import utcnow
from expo.fair.models import ProjectTeam
from i18n import N_

from . import booking
from .errors import MeetingError
from .models import OPEN_REQUEST_STATES, Availability, Claim, Request, Slot, TeamProfile
from .notify import Notifier, notify
from .parties import investor_key, is_party, side_of, team_key
from .vocab import MAX_MESSAGE, MAX_PROPOSALS


@dataclass(frozen=True)
class Limits:
    expiry: timedelta = timedelta(days=14)
    open_cap: int = 20


def open_key(investor_user_id: int, team_id: int) -> str:
    return f"{investor_user_id}:{team_id}"


def receiving_side(request: Request) -> str:
    return "team" if request.from_side == "investor" else "investor"


async def _pair(session: AsyncSession, request: Request) -> tuple[User, ProjectTeam]:
    investor = await session.get(User, request.investor_user_id)
    team = await session.get(ProjectTeam, request.team_id)
    assert investor is not None and team is not None
    return investor, team


async def _record(session: AsyncSession, kind: str, request: Request, investor: User, team: ProjectTeam) -> None:
    await activity.record(
        session,
        kind,
        user_id=investor.id,
        district_id=team.district_id,
        team_id=team.id,
        subject_id=request.id,
        country=investor.country,
        sector=team.sector,
        data={"from_side": request.from_side},
    )


async def open_outgoing(session: AsyncSession, sender: User) -> int:
    statement = select(func.count()).select_from(Request).where(Request.status.in_(OPEN_REQUEST_STATES))
    if sender.role == "investor":
        statement = statement.where(Request.from_side == "investor", Request.investor_user_id == sender.id)
    else:
        statement = statement.where(Request.from_side == "team", Request.team_id == sender.team_id)
    return int(await session.scalar(statement) or 0)


async def send(
    session: AsyncSession,
    notifier: Notifier,
    limits: Limits,
    sender: User,
    *,
    team_id: int | None = None,
    investor_user_id: int | None = None,
    message: str = "",
) -> Request:
    """Sends a request from ``sender`` (an investor to a team, or a team member to an
    investor who shares their profile). Commits; MeetingError says what is wrong."""
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        raise MeetingError(N_("The message is too long (at most 2000 characters)."))
    side = side_of(sender)
    if side == "investor":
        if investor_user_id not in (None, sender.id):
            raise MeetingError(N_("Investors request meetings with project teams."))
        if team_id is None:
            raise MeetingError(N_("Choose a project team."))
        investor, team = sender, await session.get(ProjectTeam, team_id)
        if team is None:
            raise MeetingError(N_("This project team does not exist."), 404)
    elif side == "team":
        if investor_user_id is None:
            raise MeetingError(N_("Choose an investor."))
        if investor_user_id == sender.id:
            raise MeetingError(N_("You cannot request a meeting with yourself."))
        if team_id not in (None, sender.team_id):
            raise MeetingError(N_("You can only request meetings for your own team."), 403)
        investor = await session.get(User, investor_user_id)
        team = await session.get(ProjectTeam, sender.team_id)
        if investor is None or investor.role != "investor" or not investor.shares_profile or team is None:
            raise MeetingError(N_("This investor does not exist or does not share their profile."), 404)
    else:
        raise MeetingError(N_("Only investors and project teams request meetings."), 403)
    if investor.id == sender.id and side == "team":
        raise MeetingError(N_("You cannot request a meeting with yourself."))
    profile = await session.get(TeamProfile, team.id)
    if profile is not None and profile.hidden:
        raise MeetingError(N_("This project team does not take meeting requests."), 409)
    key = open_key(investor.id, team.id)
    existing = await session.scalar(select(Request).where(Request.open_key == key))
    if existing is not None:
        raise MeetingError(
            N_("There is already an open meeting request between you; answer or withdraw it first."), 409
        )
    if await open_outgoing(session, sender) >= limits.open_cap:
        raise MeetingError(
            N_("You have reached the most open requests allowed (%(cap)d); wait for answers or withdraw one."),
            409,
            cap=limits.open_cap,
        )
    now = utcnow()
    request = Request(
        investor_user_id=investor.id,
        team_id=team.id,
        district_id=team.district_id,
        from_side=side,
        sender_user_id=sender.id,
        message=message,
        status="pending",
        open_key=key,
        proposed_slots=[],
        created_at=now,
        expires_at=now + limits.expiry,
    )
    session.add(request)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise MeetingError(
            N_("There is already an open meeting request between you; answer or withdraw it first."), 409
        ) from None
    await _record(session, "meeting.requested", request, investor, team)
    await notify(session, notifier, "request_received", receiving_side(request), investor, team, request=request)
    await session.commit()
    return request


def _close(request: Request, status: str, by: User | None) -> None:
    request.status = status
    request.open_key = None
    request.answered_at = utcnow()
    request.answered_by = by.id if by else None


def can_answer(user: User, request: Request) -> bool:
    return is_party(user, request.investor_user_id, request.team_id) and side_of(user) == receiving_side(request)


async def load_for(session: AsyncSession, request_id: int, user: User) -> Request:
    """The request when ``user`` is one of its parties (or an organizer); 404 otherwise."""
    request = await session.get(Request, request_id)
    if request is None or not (user.role == "organizer" or is_party(user, request.investor_user_id, request.team_id)):
        raise MeetingError(N_("This meeting request does not exist."), 404)
    return request


async def accept(session: AsyncSession, notifier: Notifier, user: User, request: Request) -> None:
    if not can_answer(user, request):
        raise MeetingError(N_("Only the side that received this request can answer it."), 403)
    if request.status != "pending":
        raise MeetingError(N_("This request is not waiting for an answer."), 409)
    investor, team = await _pair(session, request)
    request.status = "accepted"
    request.answered_at, request.answered_by = utcnow(), user.id
    await _record(session, "meeting.accepted", request, investor, team)
    await notify(session, notifier, "request_accepted", request.from_side, investor, team, request=request)
    await session.commit()


async def decline(session: AsyncSession, notifier: Notifier, user: User, request: Request) -> None:
    """Declines (no reason asked): a pending request by its receiver, or proposed times by
    the sender who does not want any of them."""
    proposed_back = request.status == "proposed" and is_party(user, request.investor_user_id, request.team_id)
    if not (can_answer(user, request) and request.status == "pending") and not proposed_back:
        raise MeetingError(N_("This request is not waiting for your answer."), 409)
    investor, team = await _pair(session, request)
    _close(request, "declined", user)
    await _record(session, "meeting.declined", request, investor, team)
    other = "investor" if side_of(user) == "team" else "team"
    await notify(session, notifier, "request_declined", other, investor, team, request=request)
    await session.commit()


async def propose(session: AsyncSession, notifier: Notifier, user: User, request: Request, slot_ids: list[int]) -> None:
    """The receiver offers one to three other times; they become the receiver's
    availability, and the sender picks one (which books it) or declines."""
    if not can_answer(user, request):
        raise MeetingError(N_("Only the side that received this request can answer it."), 403)
    if request.status != "pending":
        raise MeetingError(N_("This request is not waiting for an answer."), 409)
    chosen = sorted(set(slot_ids))
    if not 1 <= len(chosen) <= MAX_PROPOSALS:
        raise MeetingError(N_("Propose one to three times."))
    slots = (await session.scalars(select(Slot).where(Slot.id.in_(chosen), Slot.active))).all()
    if len(slots) != len(chosen) or any(s.starts_at <= utcnow() for s in slots):
        raise MeetingError(N_("Propose times among the expo's future meeting slots."))
    mine = team_key(request.team_id) if side_of(user) == "team" else investor_key(request.investor_user_id)
    busy = set(
        (await session.scalars(select(Claim.slot_id).where(Claim.participant == mine, Claim.slot_id.in_(chosen)))).all()
    )
    if busy:
        raise MeetingError(N_("You already have a meeting at one of these times."), 409)
    have = set(
        (
            await session.scalars(
                select(Availability.slot_id).where(Availability.participant == mine, Availability.slot_id.in_(chosen))
            )
        ).all()
    )
    for slot_id in chosen:
        if slot_id not in have:
            session.add(Availability(participant=mine, slot_id=slot_id))
    investor, team = await _pair(session, request)
    request.status = "proposed"
    request.proposed_slots = chosen
    request.answered_at, request.answered_by = utcnow(), user.id
    await notify(session, notifier, "time_proposed", request.from_side, investor, team, request=request)
    await session.commit()


async def book_request(
    session: AsyncSession, notifier: Notifier, user: User, request: Request, slot_id: int
) -> booking.Booked:
    """Books an accepted request in a slot free for both, or a proposed time picked by
    the sender (the pick is also the sender's availability in that slot). Commits."""
    if not is_party(user, request.investor_user_id, request.team_id):
        raise MeetingError(N_("This meeting request does not exist."), 404)
    if request.status == "booked":  # a retry whose answer was lost: the same meeting again
        found = await booking.already_booked(session, request.investor_user_id, request.team_id, slot_id or 0)
        if found is not None and found.meeting.request_id == request.id:
            return found
        raise MeetingError(N_("Only an accepted request can be booked."), 409)
    if request.status == "proposed":
        if side_of(user) != request.from_side:
            raise MeetingError(N_("The other side picks one of the times you proposed."), 403)
        if slot_id not in request.proposed_slots:
            raise MeetingError(N_("Pick one of the proposed times."))
        mine = investor_key(request.investor_user_id) if request.from_side == "investor" else team_key(request.team_id)
        if (
            await session.scalar(
                select(Availability.id).where(Availability.participant == mine, Availability.slot_id == slot_id)
            )
            is None
        ):
            session.add(Availability(participant=mine, slot_id=slot_id))
            await session.commit()
    elif request.status != "accepted":
        raise MeetingError(N_("Only an accepted request can be booked."), 409)
    return await booking.book(
        session,
        notifier,
        investor_user_id=request.investor_user_id,
        team_id=request.team_id,
        slot_id=slot_id,
        by=user,
        source="request",
        request_id=request.id,
    )


async def withdraw(session: AsyncSession, user: User, request: Request) -> None:
    if not is_party(user, request.investor_user_id, request.team_id) or side_of(user) != request.from_side:
        raise MeetingError(N_("Only the sender can withdraw a request."), 403)
    if request.status not in OPEN_REQUEST_STATES:
        raise MeetingError(N_("This request is no longer open."), 409)
    _close(request, "withdrawn", user)
    await session.commit()


async def expire_due(session: AsyncSession, notifier: Notifier, now: datetime | None = None) -> int:
    """Expires pending and proposed requests past their time; returns how many. Commits."""
    now = now or utcnow()
    due = (
        await session.scalars(
            select(Request).where(Request.status.in_(("pending", "proposed")), Request.expires_at <= now).limit(500)
        )
    ).all()
    for request in due:
        investor, team = await _pair(session, request)
        _close(request, "expired", None)
        await _record(session, "meeting.expired", request, investor, team)
        await notify(session, notifier, "request_expired", request.from_side, investor, team, request=request)
    if due:
        await session.commit()
    return len(due)
