"""Demo data of the programme: stage hours, the demo's pitch sessions as a published
version, then a draft with a proposal, a declined one, a move and a cancellation waiting
for the next publish, one session that ended and one in its live window."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.agenda import programme, publishing, versions
from expo.agenda.models import AgendaEntry, PitchPerson, PitchSession, ProgrammeVersion, Stage

HOME_TZ = "Asia/Shanghai"
SPEAKERS = ("Chen Jing", "Wang Lei", "Zhou Min", "Li Na", "Sun Hao", "Zhao Yan", "Huang Wei", "Lin Xiu", "Xu Tao")


async def seed(session: AsyncSession, now: datetime) -> None:
    expo = await programme.the_expo(session)
    hours = {"main": (8 * 60 + 30, 18 * 60), "sector": (9 * 60, 22 * 60)}
    for index, stage in enumerate((await session.scalars(select(Stage).order_by(Stage.id))).all()):
        stage.opens_minute, stage.closes_minute = hours.get(stage.slug, (9 * 60, 18 * 60))
        stage.position = index
    host = await session.scalar(select(User).where(User.role == Role.HOST).order_by(User.id).limit(1))
    team_user = await session.scalar(select(User).where(User.role == Role.TEAM).order_by(User.id).limit(1))
    investor = await session.scalar(select(User).where(User.email == "investor@expo.example"))
    pitches = list((await session.scalars(select(PitchSession).order_by(PitchSession.starts_at))).all())
    for pitch in pitches:
        assert pitch.starts_at is not None and pitch.ends_at is not None
        pitch.status = "accepted"
        pitch.length_minutes = int((pitch.ends_at - pitch.starts_at).total_seconds() // 60)
        if expo is not None and pitch.starts_at >= expo.ends_at:  # a slot already past: it took place
            pitch.starts_at -= timedelta(days=3)
            pitch.ends_at -= timedelta(days=3)
            pitch.state, pitch.ended_at = "ended", pitch.ends_at
        name = SPEAKERS[pitch.id % len(SPEAKERS)]
        session.add(PitchPerson(session_id=pitch.id, role="speaker", name=name))
        if host is not None and pitch.district_id == host.district_id:
            pitch.proposed_by_id = host.id
    upcoming = [p for p in pitches if p.state == "scheduled" and p.starts_at and p.starts_at > now]
    # the demo team's pitch starts in a few minutes: team@expo.example may go live now
    demo_team = await session.scalar(select(User).where(User.email == "team@expo.example"))
    theirs = [p for p in pitches if demo_team is not None and p.team_id == demo_team.team_id]
    if theirs or upcoming:
        soon = (theirs or upcoming)[0]
        soon.state, soon.ended_at = "scheduled", None
        if soon in upcoming:
            upcoming.remove(soon)
        upcoming.insert(0, soon)
        start = now.replace(second=0, microsecond=0) + timedelta(minutes=10 - now.minute % 5)
        soon.starts_at, soon.ends_at = start, start + timedelta(minutes=soon.length_minutes)
    await session.flush()
    # version 1: the programme as it was first published
    draft = await programme.draft(session, HOME_TZ)
    snapshot, changes = versions.diff_and_snapshot([], publishing.current_entries(draft))
    session.add(
        ProgrammeVersion(
            number=1,
            published_at=now - timedelta(days=1),
            snapshot=snapshot,
            changes=changes,
            open_conflicts=len(draft.conflicts),
        )
    )
    if investor is not None:
        for pitch in pitches[:4]:
            session.add(AgendaEntry(user_id=investor.id, session_id=pitch.id))
    # the draft since: one session moved by an hour, one cancelled, two proposals
    later = [p for p in upcoming[1:] if p.starts_at]
    if len(later) >= 2:
        moved, cancelled = later[0], later[1]
        assert moved.starts_at is not None and moved.ends_at is not None
        moved.starts_at += timedelta(hours=1)
        moved.ends_at += timedelta(hours=1)
        moved.revision += 1
        cancelled.status, cancelled.revision = "cancelled", cancelled.revision + 1
    proposer = team_user or host
    if proposer is not None:
        for title, status in (
            ({"en": "Proposal: a harbour logistics park", "zh_Hans": "提案：港口物流园"}, "proposed"),
            ({"en": "Proposal: a second opening talk", "zh_Hans": "提案：第二场开幕演讲"}, "declined"),
        ):
            pitch = PitchSession(
                status=status,
                title=title,
                description={"en": "Thirty minutes with questions.", "zh_Hans": "三十分钟，含问答。"},
                language="en",
                length_minutes=30,
                interpreting=["zh_Hans", "ja"],
                team_id=proposer.team_id,
                district_id=proposer.district_id if proposer.role == Role.HOST else None,
                proposed_by_id=proposer.id,
            )
            session.add(pitch)
            await session.flush()
            session.add(PitchPerson(session_id=pitch.id, role="speaker", name=proposer.name, user_id=proposer.id))
    await session.flush()
