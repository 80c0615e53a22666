"""A speaker with a booked 1:1 meeting (expo.meetings) at the time of their session: the
draft timetable flags it; a cancelled meeting does not count."""

from datetime import timedelta

from sqlalchemy import select

from expo.accounts.models import User
from expo.agenda import programme
from expo.agenda.conflicts import Conflict, person_key
from expo.agenda.models import PitchPerson
from expo.db import Database
from expo.meetings import Meeting
from expo.settings import Settings
from tests.expo.agenda.conftest import add_session, add_stage
from tests.helpers import run


async def _setup_and_read(url: str) -> tuple[int, int, int, list[Conflict]]:
    db = Database(url)
    try:
        async with db.session() as session:
            booked = await session.scalar(select(Meeting).where(Meeting.status == "booked").order_by(Meeting.id))
            cancelled = await session.scalar(select(Meeting).where(Meeting.status == "cancelled").order_by(Meeting.id))
            assert booked is not None and cancelled is not None  # the demo books one and cancels one
            investor = await session.get(User, booked.investor_user_id)
            assert investor is not None
        stage = add_stage(url)
        clash = add_session(url, stage, booked.starts_at - timedelta(minutes=10), title="Clash")
        free = add_session(url, stage, cancelled.starts_at, title="Free")
        async with db.session() as session:
            for pitch_id in (clash, free):
                session.add(PitchPerson(session_id=pitch_id, role="speaker", name=investor.name, user_id=investor.id))
            await session.commit()
        async with db.session() as session:
            draft = await programme.draft(session, "Asia/Shanghai")
        return clash, free, investor.id, draft.conflicts
    finally:
        await db.close()


def test_a_booked_meeting_of_a_speaker_is_a_conflict_and_a_cancelled_one_is_not(app_settings: Settings) -> None:
    clash, free, investor_id, found = run(_setup_and_read(app_settings.database_url))
    mine = [c for c in found if set(c.session_ids) & {clash, free}]
    assert Conflict("meeting_overlap", (clash,), person_key(investor_id, "")) in mine
    assert not [c for c in mine if c.kind == "meeting_overlap" and free in c.session_ids]
