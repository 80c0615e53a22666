"""Demo data for live pitches: the demo's first pitch is live-able now (starts in a few
minutes), and every pitch gets its publisher key so the studio shows a token at once."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.agenda.models import PitchSession
from streaming import tokens
from streaming.models import PitchKey


async def seed(session: AsyncSession, now: datetime) -> None:
    del now  # the core already placed the pitches around "now"
    for pitch in (await session.scalars(select(PitchSession).order_by(PitchSession.id))).all():
        pitch.public = True
        session.add(PitchKey(pitch_id=pitch.id, nonce=tokens.new_nonce()))
    await session.flush()
