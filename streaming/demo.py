"""Demo data for live pitches: the demo's first pitch is live-able now (starts in a few
minutes), and every pitch gets its publisher key so the studio shows a token at once; and
meeting rooms in every state (``seed_rooms``)."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.agenda.models import PitchSession
from expo.fair.models import ProjectTeam
from expo.meetings import Meeting
from streaming import tokens
from streaming.models import MeetingOutcome, MeetingRoom, PitchKey, RoomMessage, RoomPresence


async def seed(session: AsyncSession, now: datetime) -> None:
    del now  # the core already placed the pitches around "now"
    for pitch in (await session.scalars(select(PitchSession).order_by(PitchSession.id))).all():
        pitch.public = True
        session.add(PitchKey(pitch_id=pitch.id, nonce=tokens.new_nonce()))
    await session.flush()


async def seed_rooms(session: AsyncSession, now: datetime) -> None:
    """Meeting rooms in every state: the demo investor and the demo team member meet *now*
    (the room is open: sign in as either and open /meetings/{id}/room), a meeting held
    yesterday with both sides' outcomes and one relayed participant, and a no-show. Runs after
    the matchmaking seed (its slot grid starts tomorrow; these slots are off the grid)."""
    from expo.meetings.models import Claim, Slot  # the demo composes; the room code uses expo.meetings' exports

    investor = await session.scalar(select(User).where(User.email == "investor@expo.example"))
    member = await session.scalar(select(User).where(User.email == "team@expo.example"))
    others = (await session.scalars(select(User).where(User.role == "investor").order_by(User.id))).all()
    teams = (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.id))).all()
    if investor is None or member is None or member.team_id is None or len(others) < 3 or len(teams) < 3:
        return
    team = await session.get(ProjectTeam, member.team_id)
    other_teams = [t for t in teams if t.id != member.team_id]
    start_now = now.replace(second=0, microsecond=0) - timedelta(minutes=2)
    yesterday = start_now - timedelta(days=1, hours=2)
    plan = [
        ("now", investor, team, start_now),
        ("held", others[1], other_teams[0], yesterday),
        ("no_show", others[2], other_teams[1], yesterday + timedelta(minutes=45)),
    ]
    meetings: dict[str, Meeting] = {}
    for key, person, met, start in plan:
        assert met is not None
        slot = Slot(starts_at=start, ends_at=start + timedelta(minutes=30), active=False)
        session.add(slot)
        await session.flush()
        meeting = Meeting(
            uid=f"room-demo-{key}-{uuid.uuid4().hex}@expo",
            investor_user_id=person.id,
            team_id=met.id,
            district_id=met.district_id,
            slot_id=slot.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status="booked",
            source="request",
            booked_by=person.id,
            created_at=now - timedelta(days=2),
            updated_at=now - timedelta(days=2),
        )
        session.add(meeting)
        await session.flush()
        session.add_all(
            [
                Claim(slot_id=slot.id, participant=f"user:{person.id}", meeting_id=meeting.id),
                Claim(slot_id=slot.id, participant=f"team:{met.id}", meeting_id=meeting.id),
            ]
        )
        meetings[key] = meeting
    session.add(
        RoomMessage(
            meeting_id=meetings["now"].id,
            user_id=member.id,
            author=member.name,
            side="team",
            text="Welcome! We will share the clinical data summary on screen.",
            created_at=now - timedelta(minutes=3),
        )
    )
    held = meetings["held"]
    team_member = await session.scalar(select(User).where(User.role == "team", User.team_id == held.team_id))
    session.add(
        MeetingRoom(meeting_id=held.id, opened_at=held.starts_at, held_at=held.starts_at + timedelta(minutes=1))
    )
    for person_id, side, connection in (
        (held.investor_user_id, "investor", "relayed"),
        (team_member.id if team_member else None, "team", "direct"),
    ):
        if person_id is None:
            continue
        session.add(
            RoomPresence(
                meeting_id=held.id,
                user_id=person_id,
                side=side,
                peer_id=f"demo{held.id}{side}",
                joined_at=held.starts_at,
                seen_at=held.ends_at,
                left_at=held.ends_at,
                connection=connection,
            )
        )
    await activity.record(
        session,
        "meeting.held",
        user_id=held.investor_user_id,
        district_id=held.district_id,
        team_id=held.team_id,
        subject_id=held.id,
        at=held.starts_at + timedelta(minutes=1),
    )
    answers = [(held, "investor", held.investor_user_id, True, 4, "site_visit")]
    if team_member is not None:
        answers.append((held, "team", team_member.id, True, 5, "send_documents"))
    no_show = meetings["no_show"]
    answers.append((no_show, "investor", no_show.investor_user_id, False, None, "none"))
    for meeting, side, user_id, took_place, rating, step in answers:
        at = meeting.ends_at + timedelta(minutes=5)
        session.add(
            MeetingOutcome(
                meeting_id=meeting.id,
                side=side,
                user_id=user_id,
                held=took_place,
                rating=rating,
                next_step=step,
                created_at=at,
                updated_at=at,
            )
        )
        await activity.record(
            session,
            "meeting.outcome",
            user_id=meeting.investor_user_id,
            district_id=meeting.district_id,
            team_id=meeting.team_id,
            subject_id=meeting.id,
            data={"held": took_place, "rating": rating, "next_step": step, "side": side, "reported_by": user_id},
            at=at,
        )
    await session.flush()
