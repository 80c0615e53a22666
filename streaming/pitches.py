"""Pitch rules: who hosts a pitch, its publisher and interpreter tokens, its state changes,
what investors see listed. No HTTP here."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo import agenda
from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.agenda.models import PitchSession, Stage
from expo.db import utcnow
from expo.fair.models import District, ProjectTeam
from streaming import tokens
from streaming.models import InterpreterGrant, PitchKey, Recording

STATES = ("scheduled", "live", "ended")


def can_host(user: User | None, pitch: PitchSession) -> bool:
    """Organizers host every pitch; a district host their district's own pitches, a team
    member their team's. A team's pitch is the team's even when it sits in a district: its
    district host may not open its studio or tokens, the same rule as booths (a district host
    edits the district's booth, not its teams' booths; docs/streaming.md)."""
    if user is None:
        return False
    if user.role == Role.ORGANIZER:
        return True
    if user.role == Role.HOST:
        return pitch.team_id is None and user.district_id is not None and user.district_id == pitch.district_id
    if user.role == Role.TEAM:
        return user.team_id is not None and user.team_id == pitch.team_id
    return False


def can_watch(user: User | None, pitch: PitchSession) -> bool:
    return pitch.public or user is not None


async def _nonce(session: AsyncSession, pitch_id: int) -> str:
    key = await session.get(PitchKey, pitch_id)
    if key is None:
        key = PitchKey(pitch_id=pitch_id, nonce=tokens.new_nonce())
        session.add(key)
        await session.commit()
    return key.nonce


async def publisher_token(session: AsyncSession, secret: str, pitch_id: int) -> str:
    return tokens.publisher_token(secret, pitch_id, await _nonce(session, pitch_id))


async def viewer_token(session: AsyncSession, secret: str, pitch_id: int) -> str:
    return tokens.viewer_token(secret, pitch_id, await _nonce(session, pitch_id))


async def valid_viewer_token(session: AsyncSession, secret: str, pitch_id: int, raw: str) -> bool:
    key = await session.get(PitchKey, pitch_id)
    return key is not None and tokens.valid_viewer(secret, pitch_id, key.nonce, raw)


async def rotate_token(session: AsyncSession, secret: str, pitch_id: int) -> str:
    key = await session.get(PitchKey, pitch_id)
    if key is None:
        key = PitchKey(pitch_id=pitch_id, nonce=tokens.new_nonce())
        session.add(key)
    else:
        key.nonce = tokens.new_nonce()
    await session.commit()
    return tokens.publisher_token(secret, pitch_id, key.nonce)


async def check_token(session: AsyncSession, secret: str, raw: str) -> tokens.Claim | None:
    """The claim of a token whose MAC is right (for whatever pitch it names), else None."""
    claim = tokens.parse(raw)
    if claim is None:
        return None
    if claim.language:
        grant = await session.scalar(
            select(InterpreterGrant).where(
                InterpreterGrant.pitch_id == claim.pitch_id,
                InterpreterGrant.language == claim.language,
            )
        )
        nonce = grant.nonce if grant else None
    else:
        key = await session.get(PitchKey, claim.pitch_id)
        nonce = key.nonce if key else None
    if nonce is None or not tokens.valid(secret, claim, nonce):
        return None
    return claim


async def grant_interpreter(session: AsyncSession, pitch_id: int, user_id: int, language: str) -> InterpreterGrant:
    grant = await session.scalar(
        select(InterpreterGrant).where(InterpreterGrant.pitch_id == pitch_id, InterpreterGrant.language == language)
    )
    if grant is None:
        grant = InterpreterGrant(pitch_id=pitch_id, language=language, user_id=user_id, nonce=tokens.new_nonce())
        session.add(grant)
    else:
        grant.user_id = user_id
        grant.nonce = tokens.new_nonce()
    await session.commit()
    return grant


async def grants(session: AsyncSession, pitch_id: int) -> list[tuple[InterpreterGrant, User]]:
    rows = await session.execute(
        select(InterpreterGrant, User)
        .join(User, InterpreterGrant.user_id == User.id)
        .where(InterpreterGrant.pitch_id == pitch_id)
        .order_by(InterpreterGrant.language)
    )
    return [(g, u) for g, u in rows.all()]


async def set_state(session: AsyncSession, pitch_id: int, state: str) -> None:
    assert state in STATES
    pitch = await session.get(PitchSession, pitch_id)
    if pitch is not None and pitch.state != state:
        pitch.state = state
        await session.commit()


@dataclass
class Listed:
    pitch: PitchSession
    stage: Stage
    district: District | None
    team: ProjectTeam | None
    recording: Recording | None


async def listing(session: AsyncSession, *, now: datetime | None = None, limit: int = 100) -> list[Listed]:
    """Live pitches first, then upcoming by start time, then ended ones (newest first)."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(PitchSession, Stage, District, ProjectTeam)
            .join(Stage, PitchSession.stage_id == Stage.id)
            .outerjoin(District, PitchSession.district_id == District.id)
            .outerjoin(ProjectTeam, PitchSession.team_id == ProjectTeam.id)
            .where(agenda.listed())
            .order_by(PitchSession.starts_at)
            .limit(limit)
        )
    ).all()
    recordings = {
        r.pitch_id: r
        for r in (
            await session.scalars(select(Recording).where(Recording.ended_at.is_not(None)).order_by(Recording.id))
        ).all()
    }
    items = [Listed(p, s, d, t, recordings.get(p.id)) for p, s, d, t in rows]
    order = {"live": 0, "scheduled": 1, "ended": 2}
    items.sort(
        key=lambda i: (
            order.get(i.pitch.state, 1),
            i.pitch.starts_at.timestamp() * (-1 if i.pitch.state == "ended" else 1),
        )
    )
    return items


async def load(session: AsyncSession, pitch_id: int) -> Listed | None:
    row = (
        await session.execute(
            select(PitchSession, Stage, District, ProjectTeam)
            .join(Stage, PitchSession.stage_id == Stage.id)
            .outerjoin(District, PitchSession.district_id == District.id)
            .outerjoin(ProjectTeam, PitchSession.team_id == ProjectTeam.id)
            .where(PitchSession.id == pitch_id, PitchSession.status.in_(("accepted", "cancelled")))
        )
    ).first()
    if row is None:
        return None
    recording = await session.scalar(
        select(Recording)
        .where(Recording.pitch_id == pitch_id, Recording.ended_at.is_not(None))
        .order_by(Recording.id.desc())
        .limit(1)
    )
    return Listed(row[0], row[1], row[2], row[3], recording)


async def with_replay(session: AsyncSession, pitch_ids: list[int]) -> set[int]:
    """Which of these pitches have a finished recording to replay."""
    if not pitch_ids:
        return set()
    rows = await session.scalars(
        select(Recording.pitch_id).where(Recording.pitch_id.in_(pitch_ids), Recording.ended_at.is_not(None))
    )
    return set(rows.all())
