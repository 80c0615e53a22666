"""The organizer's timetable over HTTP on a real database: placing and moving sessions,
conflicts flagged, two organizers editing at once (optimistic locking), deleted stages,
proposals by hosts and teams."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.testclient import TestClient

from expo.agenda.models import PitchPerson, PitchSession
from expo.db import Database
from expo.settings import Settings
from tests.expo.agenda.conftest import add_session, add_stage, expo_start, get, other_client, post, revision_on
from tests.helpers import run

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day_of(settings: Settings, offset: int = 1) -> str:
    return (expo_start(settings.database_url).astimezone(SHANGHAI) + timedelta(days=offset)).date().isoformat()


def place(client: TestClient, pitch_id: int, stage_id: int, day: str, time: str, revision: str, length: str = "30"):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/organizer/programme/sessions/{pitch_id}/place",
        {"stage": str(stage_id), "day": day, "time": time, "length": length, "revision": revision},
    )


def test_placing_two_overlapping_sessions_flags_the_conflict_until_one_moves(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    first = add_session(url, None, None, title="Harbour cranes")
    second = add_session(url, None, None, title="Wind farm")
    day = day_of(app_settings)
    assert place(organizer, first, stage, day, "10:00", revision_on(organizer, first)).status_code == 303
    assert place(organizer, second, stage, day, "10:15", revision_on(organizer, second)).status_code == 303

    page = get(organizer, f"/organizer/programme?day={day}")
    assert page.status_code == 200
    assert f'id="session-{first}" class="agenda-slot conflict' in page.text
    assert f'id="session-{second}" class="agenda-slot conflict' in page.text
    assert "Two sessions overlap on this stage" in page.text

    assert place(organizer, second, stage, day, "10:30", revision_on(organizer, second)).status_code == 303
    page = get(organizer, f"/organizer/programme?day={day}")
    assert f'id="session-{first}" class="agenda-slot state-scheduled' in page.text
    assert f'id="session-{second}" class="agenda-slot state-scheduled' in page.text


def test_the_second_of_two_organizers_saving_the_same_session_is_refused_with_what_changed(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    pitch_id = add_session(url, None, None, title="Cold chain")
    day = day_of(app_settings)
    other = other_client(app_settings)
    try:
        seen = revision_on(organizer, pitch_id)
        assert revision_on(other, pitch_id) == seen
        assert place(other, pitch_id, stage, day, "11:00", seen).status_code == 303
        refused = place(organizer, pitch_id, stage, day, "14:00", seen)
        assert refused.status_code == 409
        assert "Someone else changed this session since you opened it" in refused.text
        assert "Start" in refused.text and "Stage" in refused.text
    finally:
        other.__exit__(None, None, None)

    async def slot() -> tuple[object, int]:
        db = Database(url)
        try:
            async with db.session() as session:
                pitch = await session.get(PitchSession, pitch_id)
                assert pitch is not None and pitch.starts_at is not None
                return pitch.starts_at.astimezone(SHANGHAI).strftime("%H:%M"), pitch.revision
        finally:
            await db.close()

    assert run(slot()) == ("11:00", int(seen) + 1)  # the first save stands, nothing overwritten


def test_deleting_a_stage_unplaces_its_sessions_as_a_conflict_and_its_id_is_refused(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    spare = add_stage(url, "spare-stage")
    start = expo_start(url) + timedelta(days=1, hours=2)
    pitch_id = add_session(url, stage, start, title="On a doomed stage")
    seen = revision_on(organizer, pitch_id)
    assert post(organizer, f"/organizer/programme/stages/{stage}/delete", {}).status_code == 303

    page = get(organizer, "/organizer/programme")
    assert "Its stage was deleted" in page.text
    stale = place(organizer, pitch_id, stage, day_of(app_settings), "10:00", seen)
    assert stale.status_code == 409  # the delete changed the session: the old form is stale
    refused = place(organizer, pitch_id, stage, day_of(app_settings), "10:00", revision_on(organizer, pitch_id))
    assert refused.status_code == 422
    assert "This stage does not exist (any more)" in refused.text
    assert (
        place(organizer, pitch_id, spare, day_of(app_settings), "10:00", revision_on(organizer, pitch_id)).status_code
        == 303
    )


def test_stage_form_checks_hours_and_slug(organizer: TestClient) -> None:
    bad = post(organizer, "/organizer/programme/stages", {"slug": "Bad Slug", "opens": "18:00", "closes": "09:00"})
    assert bad.status_code == 422
    assert "Use lower-case letters, digits and dashes." in bad.text
    assert "It must close after it opens." in bad.text
    assert "Give a name in at least one language." in bad.text
    good = post(
        organizer,
        "/organizer/programme/stages",
        {"slug": "roof", "name_en": "Roof stage", "name_ja": "屋上ステージ", "opens": "10:00", "closes": "16:30"},
    )
    assert good.status_code == 303
    assert "Roof stage" in get(organizer, "/organizer/programme/stages").text
    again = post(
        organizer,
        "/organizer/programme/stages",
        {"slug": "roof", "name_en": "Roof", "opens": "10:00", "closes": "16:30"},
    )
    assert again.status_code == 422
    assert "Another stage already has this address." in again.text


def test_a_host_proposes_a_session_and_the_organizer_accepts_and_places_it(
    organizer: TestClient, app_settings: Settings
) -> None:
    host = other_client(app_settings, "host")
    try:
        bad = post(host, "/programme/propose", {"language": "xx", "length": "2", "speakers": ""})
        assert bad.status_code == 422
        assert "Give a title in at least one language." in bad.text
        sent = post(
            host,
            "/programme/propose",
            {
                "title_en": "Our free-trade zone",
                "title_zh_Hans": "我们的自贸区",
                "description_en": "Line one.\nLine two.",
                "language": "zh_Hans",
                "length": "40",
                "speakers": "Wang Lei\nhost@expo.example",
                "interpreting": "ja",
            },
        )
        assert sent.status_code == 303
        assert "Our free-trade zone" in get(host, "/programme/propose").text
    finally:
        host.__exit__(None, None, None)

    async def proposed() -> tuple[int, str, int, list[tuple[str, bool]]]:
        db = Database(app_settings.database_url)
        try:
            async with db.session() as session:
                pitch = await session.scalar(select(PitchSession).where(PitchSession.length_minutes == 40))
                assert pitch is not None
                people = (await session.scalars(select(PitchPerson).where(PitchPerson.session_id == pitch.id))).all()
                return pitch.id, pitch.status, pitch.revision, [(p.name, p.user_id is not None) for p in people]
        finally:
            await db.close()

    pitch_id, status, revision, people = run(proposed())
    assert status == "proposed"
    assert people[0] == ("Wang Lei", False) and people[1][1] is True  # the e-mail links the account
    assert "Our free-trade zone" in get(organizer, "/organizer/programme").text
    assert (
        post(
            organizer,
            f"/organizer/programme/sessions/{pitch_id}/decide",
            {"action": "accept", "revision": str(revision)},
        ).status_code
        == 303
    )
    stage = add_stage(app_settings.database_url)
    assert (
        place(
            organizer, pitch_id, stage, day_of(app_settings), "13:00", revision_on(organizer, pitch_id), "40"
        ).status_code
        == 303
    )
    assert run(proposed())[1] == "accepted"


def test_an_ended_session_is_rescheduled_only_through_reschedule(organizer: TestClient, app_settings: Settings) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    pitch_id = add_session(url, stage, expo_start(url) + timedelta(hours=3), title="Ended too soon")

    async def end() -> None:
        db = Database(url)
        try:
            async with db.session() as session:
                pitch = await session.get(PitchSession, pitch_id)
                assert pitch is not None
                pitch.state = "ended"
                await session.commit()
        finally:
            await db.close()

    run(end())
    page = get(organizer, f"/organizer/programme/sessions/{pitch_id}")
    assert 'name="reschedule" value="yes"' in page.text
    refused = place(organizer, pitch_id, stage, day_of(app_settings, 2), "10:00", revision_on(organizer, pitch_id))
    assert refused.status_code == 409
    moved = post(
        organizer,
        f"/organizer/programme/sessions/{pitch_id}/place",
        {
            "stage": str(stage),
            "day": day_of(app_settings, 2),
            "time": "10:00",
            "length": "30",
            "reschedule": "yes",
            "revision": revision_on(organizer, pitch_id),
        },
    )
    assert moved.status_code == 303
    assert ">Scheduled<" in get(organizer, f"/organizer/programme/sessions/{pitch_id}").text


def test_an_interpreter_booked_on_two_overlapping_sessions_is_flagged(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    one, two = add_stage(url), add_stage(url, "second-stage")
    start = expo_start(url) + timedelta(days=1, hours=2)
    first = add_session(url, one, start, title="First")
    second = add_session(url, two, start + timedelta(minutes=15), title="Second")
    bad = post(
        organizer,
        f"/organizer/programme/sessions/{first}/interpreters",
        {"interpreters": "klingon: Somebody", "revision": revision_on(organizer, first)},
    )
    assert bad.status_code == 422
    assert "Write one interpreter per line" in bad.text
    for pitch_id, line in ((first, "ja: Aiko Sato"), (second, "ko: aiko  SATO\nzh_Hans: Wu Fang")):
        saved = post(
            organizer,
            f"/organizer/programme/sessions/{pitch_id}/interpreters",
            {"interpreters": line, "revision": revision_on(organizer, pitch_id)},
        )
        assert saved.status_code == 303
    page = get(organizer, f"/organizer/programme/sessions/{first}").text
    assert "A person is in two sessions at once" in page
    assert "ja: Aiko Sato" in page  # the form shows the interpreters as saved


def test_two_organizers_editing_one_stage_the_second_is_refused(organizer: TestClient, app_settings: Settings) -> None:
    stage = add_stage(app_settings.database_url)
    seen = re.search(
        rf'action="/organizer/programme/stages/{stage}".*?name="seen" value="([0-9a-f]+)"',
        get(organizer, "/organizer/programme/stages").text,
        re.S,
    )
    assert seen
    form = {"slug": "test-stage", "name_en": "Renamed", "opens": "10:00", "closes": "17:00", "seen": seen.group(1)}
    assert post(organizer, f"/organizer/programme/stages/{stage}", form).status_code == 303
    refused = post(
        organizer, f"/organizer/programme/stages/{stage}", {**form, "name_en": "Overwritten", "opens": "08:00"}
    )
    assert refused.status_code == 409
    assert "Someone else changed this stage since you opened it" in refused.text
    assert "Renamed" in refused.text and "Overwritten" not in get(organizer, "/organizer/programme/stages").text
