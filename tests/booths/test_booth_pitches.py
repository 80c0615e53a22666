"""A booth shows its team's (or district's) pitch sessions, and plays the replay of a
recorded one."""

from sqlalchemy import select
from starlette.testclient import TestClient

from expo.agenda.models import PitchSession
from expo.app import create_app
from expo.db import Database, utcnow
from expo.fair.models import ProjectTeam
from expo.settings import Settings
from streaming.models import Recording
from tests.helpers import run


async def _record_nova_pitch(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            team = await session.scalar(select(ProjectTeam).where(ProjectTeam.slug == "nova-antibody"))
            pitch = await session.scalar(select(PitchSession).where(PitchSession.team_id == team.id))
            pitch.state = "ended"
            session.add(Recording(pitch_id=pitch.id, filename="x.webm", ended_at=utcnow(), size_bytes=1))
            await session.commit()
            return pitch.id
    finally:
        await db.close()


def test_booth_lists_its_pitches_and_plays_a_recorded_one(
    app_client: TestClient, booths: dict[str, int], demo_settings: Settings
) -> None:
    nova = booths["team-nova-antibody"]
    before = app_client.get(f"/booths/{nova}?lang=en").text
    assert "Biomedicine: Jinshan&#39;s clinical fast track" in before
    assert "replay.webm" not in before
    pitch = run(_record_nova_pitch(demo_settings.database_url))
    with TestClient(create_app(demo_settings)) as fresh:  # booth pages are cached per process for 5 s
        after = fresh.get(f"/booths/{nova}?lang=ja").text
    assert f'src="/pitches/{pitch}/replay.webm"' in after
    other = app_client.get(f"/booths/{booths['district-harbour']}?lang=en").text
    assert f"/pitches/{pitch}" not in other
