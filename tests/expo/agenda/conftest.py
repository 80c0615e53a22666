"""A demo expo with a stage of the tests' own, sessions added straight into the database,
and signed-in clients for organizers and visitors."""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from expo.agenda.models import PitchPerson, PitchSession, Stage
from expo.app import create_app
from expo.db import Database
from expo.fair.models import Expo
from expo.settings import Settings
from tests.helpers import login, login_as, run, seed_demo, session_csrf

REVISION = re.compile(r'name="revision" value="(\d+)"')


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    seed_demo(settings.database_url)
    return settings


@pytest.fixture
def organizer(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), base_url="http://127.0.0.1") as client:
        login_as(client, "organizer")
        yield client


def other_client(settings: Settings, role: str = "organizer", email: str | None = None) -> TestClient:
    client = TestClient(create_app(settings), base_url="http://127.0.0.1")
    client.__enter__()
    if email:
        login(client, email)
    else:
        login_as(client, role)
    return client


def post(client: TestClient, path: str, data: dict[str, str], *, english: bool = True):  # type: ignore[no-untyped-def]
    """A form post; ``english`` shows the answer in English (``?lang=en`` also becomes the
    account's language)."""
    if english:
        path += ("&" if "?" in path else "?") + "lang=en"
    return client.post(path, data={"csrf_token": session_csrf(client), **data}, follow_redirects=False)


def get(client: TestClient, path: str):  # type: ignore[no-untyped-def]
    return client.get(path + ("&" if "?" in path else "?") + "lang=en")


async def _expo_start(url: str) -> datetime:
    db = Database(url)
    try:
        async with db.session() as session:
            expo = await session.scalar(select(Expo))
            assert expo is not None
            return expo.starts_at
    finally:
        await db.close()


def expo_start(url: str) -> datetime:
    return run(_expo_start(url))


async def _add_stage(url: str, slug: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            stage = Stage(
                slug=slug, name={"en": f"Stage {slug}", "ja": f"ステージ {slug}"}, opens_minute=0, closes_minute=1439
            )
            session.add(stage)
            await session.commit()
            return stage.id
    finally:
        await db.close()


def add_stage(url: str, slug: str = "test-stage") -> int:
    return run(_add_stage(url, slug))


async def _add_session(
    url: str, stage_id: int | None, start: datetime | None, minutes: int, speakers: list[str], status: str, title: str
) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            pitch = PitchSession(
                stage_id=stage_id,
                title={"en": title, "ja": f"{title}（日本語）"},
                description={"en": f"About {title}."},
                language="en",
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes) if start else None,
                length_minutes=minutes,
                status=status,
            )
            session.add(pitch)
            await session.flush()
            for name in speakers:
                session.add(PitchPerson(session_id=pitch.id, role="speaker", name=name))
            await session.commit()
            return pitch.id
    finally:
        await db.close()


def add_session(
    url: str,
    stage_id: int | None,
    start: datetime | None,
    minutes: int = 30,
    speakers: tuple[str, ...] = (),
    status: str = "accepted",
    title: str = "Test session",
) -> int:
    return run(_add_session(url, stage_id, start, minutes, list(speakers), status, title))


def revision_on(client: TestClient, pitch_id: int) -> str:
    page = client.get(f"/organizer/programme/sessions/{pitch_id}")
    found = REVISION.search(page.text)
    assert found, page.text[:500]
    return found.group(1)
