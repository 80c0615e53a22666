"""A client that retries a booking whose answer it lost (a killed server, a dropped
connection) gets the same meeting again, never a second one and never a refusal of its own
booking (issue #12, item 1). Through HTTP, on SQLite and PostgreSQL."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from expo.app import create_app
from expo.db import Database
from expo.fair.models import ProjectTeam
from expo.meetings.models import Meeting, Slot
from expo.settings import Settings
from tests.conftest import make_settings
from tests.helpers import login, run, seed_demo, session_csrf

SOPHIE = "sophie.martin@investor.example"  # the demo's Bluegene team marked her "would meet"


@pytest.fixture
def demo_settings(database_url: str, tmp_path: Path) -> Settings:
    seed_demo(database_url)
    return make_settings(database_url, tmp_path / "var")


@pytest.fixture
def demo_app(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings), base_url="http://127.0.0.1") as client:
        yield client


def post(client: TestClient, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": session_csrf(client)}, follow_redirects=False)


async def _ids(url: str) -> tuple[int, list[int]]:
    db = Database(url)
    try:
        async with db.session() as session:
            team = await session.scalar(select(ProjectTeam.id).where(ProjectTeam.slug == "bluegene-cro"))
            slots = list((await session.scalars(select(Slot.id).order_by(Slot.starts_at))).all())
        return int(team or 0), slots
    finally:
        await db.close()


async def _meetings(url: str, team_id: int) -> list[tuple[int, str]]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(Meeting.slot_id, Meeting.status).where(Meeting.team_id == team_id).order_by(Meeting.id)
            )
            return [(int(s), str(st)) for s, st in rows.all()]
    finally:
        await db.close()


def test_a_retried_booking_answers_the_same_meeting(demo_app: TestClient, demo_settings: object) -> None:
    url = demo_settings.database_url  # type: ignore[attr-defined]
    team, slots = run(_ids(url))
    login(demo_app, SOPHIE)
    first = post(demo_app, "/meetings/book", {"other_id": team, "slot_id": slots[6]})
    assert first.status_code == 303, first.text[:300]
    again = post(demo_app, "/meetings/book", {"other_id": team, "slot_id": slots[6]})
    assert (again.status_code, again.headers.get("location")) == (303, first.headers["location"])
    elsewhere = post(demo_app, "/meetings/book", {"other_id": team, "slot_id": slots[7]})
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] != first.headers["location"]
    booked = [(s, st) for s, st in run(_meetings(url, team)) if s in (slots[6], slots[7])]
    assert booked == [(slots[6], "booked"), (slots[7], "booked")]


def test_a_retried_request_booking_answers_the_same_meeting_and_another_slot_is_refused(
    demo_app: TestClient, demo_settings: object
) -> None:
    url = demo_settings.database_url  # type: ignore[attr-defined]
    _, slots = run(_ids(url))
    login(demo_app, SOPHIE)
    sent = post(demo_app, "/meetings/requests", {"other_id": 1, "message": "retry"})  # Nova, team 1
    request_id = int(re.search(r"/meetings/requests/(\d+)", sent.headers["location"]).group(1))
    demo_app.cookies.clear()
    login(demo_app, "team@expo.example")
    assert post(demo_app, f"/meetings/requests/{request_id}/accept", {}).status_code == 303
    demo_app.cookies.clear()
    login(demo_app, SOPHIE)
    path = f"/meetings/requests/{request_id}/book"
    first = post(demo_app, path, {"slot_id": slots[10]})
    assert first.status_code == 303, first.text[:300]
    again = post(demo_app, path, {"slot_id": slots[10]})
    assert (again.status_code, again.headers.get("location")) == (303, first.headers["location"])
    other = post(demo_app, path, {"slot_id": slots[11]})
    assert other.status_code == 409  # the request is booked; a second slot is a second meeting
    mine = [s for s, st in run(_meetings(url, 1)) if s in (slots[10], slots[11]) and st == "booked"]
    assert mine == [slots[10]]
    assert run(_count(url, request_id)) == 1


async def _count(url: str, request_id: int) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return int(
                await session.scalar(select(func.count()).select_from(Meeting).where(Meeting.request_id == request_id))
                or 0
            )
    finally:
        await db.close()
