"""Publishing versions of the programme, and what the public and machines get: the diff
and the override for open conflicts, notices to the people affected in their language and
zone, /schedule in the viewer's zone, /schedule.json against the c3voc schema, /schedule.ics
with UIDs kept across publishes."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import jsonschema
from sqlalchemy import select
from starlette.testclient import TestClient

from expo.agenda.models import PitchSession
from expo.db import Database
from expo.outbox import Mail
from expo.settings import Settings
from i18n import Catalogs, Formatter
from tests.expo.agenda.conftest import add_session, add_stage, expo_start, get, other_client, post, revision_on
from tests.helpers import run

SCHEMA = Path(__file__).resolve().parents[3].parent / "shared" / "contracts" / "c3voc-schedule.schema.json"
REVIEWED = re.compile(r'name="reviewed" value="([0-9a-f]+)"')


def reviewed(client: TestClient) -> str:
    found = REVIEWED.search(client.get("/organizer/programme/publish").text)
    assert found
    return found.group(1)


def publish(client: TestClient, override: bool = True):  # type: ignore[no-untyped-def]
    data = {"reviewed": reviewed(client)}
    if override:
        data["override"] = "yes"
    return post(client, "/organizer/programme/publish", data)


async def _mails_to(url: str, email: str) -> list[Mail]:
    db = Database(url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(Mail).where(Mail.to == email).order_by(Mail.id))).all())
    finally:
        await db.close()


async def _slot(url: str, pitch_id: int) -> tuple[datetime, str]:
    db = Database(url)
    try:
        async with db.session() as session:
            pitch = await session.get(PitchSession, pitch_id)
            assert pitch is not None and pitch.starts_at is not None
            return pitch.starts_at, pitch.guid
    finally:
        await db.close()


def test_publishing_needs_an_override_for_conflicts_and_refuses_a_stale_review(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    start = expo_start(url) + timedelta(days=1, hours=2)
    add_session(url, stage, start, title="A")
    add_session(url, stage, start + timedelta(minutes=10), title="B")  # overlaps A
    page = get(organizer, "/organizer/programme/publish")
    assert "Open conflicts" in page.text and 'name="override"' in page.text
    refused = publish(organizer, override=False)
    assert refused.status_code == 409
    assert "open conflicts" in refused.text

    token = reviewed(organizer)
    add_session(url, stage, start + timedelta(hours=3), title="C")  # the draft changes after the review
    stale = post(organizer, "/organizer/programme/publish", {"reviewed": token, "override": "yes"})
    assert stale.status_code == 409
    assert "The timetable changed since you reviewed it" in stale.text

    assert publish(organizer).status_code == 303
    after = get(organizer, "/organizer/programme/publish").text
    assert "Nothing changed since the last published version." in after
    assert 'name="reviewed"' not in after  # nothing to publish: no form


def test_a_second_publish_diffs_notifies_the_investor_in_japanese_and_tokyo_time_and_keeps_feed_uids(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    start = expo_start(url) + timedelta(days=1, hours=3)
    moving = add_session(url, stage, start, title="Moving", speakers=("Li Na",))
    staying = add_session(url, stage, start + timedelta(hours=2), title="Staying")
    assert publish(organizer).status_code == 303

    investor = other_client(app_settings, "investor")  # Kenji Watanabe: Japanese, Asia/Tokyo
    try:
        assert post(investor, f"/schedule/{moving}/agenda", {"action": "add"}, english=False).status_code == 303
        calendar_before = icalendar.Calendar.from_ical(investor.get("/schedule.ics").content)
        uids_before = {str(e["UID"]) for e in calendar_before.walk("VEVENT")}

        # the organizer moves one session by an hour and cancels the other, then publishes
        day = start.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        moved = post(
            organizer,
            f"/organizer/programme/sessions/{moving}/place",
            {
                "stage": str(stage),
                "day": day,
                "time": "12:00",
                "length": "30",
                "revision": revision_on(organizer, moving),
            },
        )
        assert moved.status_code == 303
        cancel = post(
            organizer,
            f"/organizer/programme/sessions/{staying}/decide",
            {"action": "cancel", "revision": revision_on(organizer, staying)},
        )
        assert cancel.status_code == 303
        preview = get(organizer, "/organizer/programme/publish").text
        assert "diff-moved" in preview and "diff-cancelled" in preview
        assert publish(organizer).status_code == 303

        new_start, guid = run(_slot(url, moving))
        ja = Catalogs().get("ja").gettext
        mails = run(_mails_to(url, "investor@expo.example"))
        assert [m.subject for m in mails][-1] == ja("The pitch programme changed")
        assert ja("The pitch programme changed") != "The pitch programme changed"
        tokyo = Formatter("ja", "Asia/Tokyo")
        assert tokyo.moment(new_start) in mails[-1].body
        schedule = investor.get("/schedule")  # in the investor's own language and zone
        assert tokyo.moment(new_start) in schedule.text  # the in-app notice
        assert tokyo.time(new_start) in schedule.text  # the programme itself, in Tokyo time
        assert 'lang="ja"' in schedule.text

        calendar_after = icalendar.Calendar.from_ical(investor.get("/schedule.ics").content)
        events = {str(e["UID"]): e for e in calendar_after.walk("VEVENT")}
        assert uids_before <= set(events)
        moved_event = events[f"{guid}@lanhai-2026"]
        assert moved_event.decoded("DTSTART") == new_start
        assert int(moved_event["SEQUENCE"]) == 1
        assert "DTSTART:" + new_start.strftime("%Y%m%dT%H%M%SZ") in investor.get("/schedule.ics").text
        cancelled = [e for e in events.values() if str(e["SUMMARY"]).startswith("Staying")]
        assert [str(e["STATUS"]) for e in cancelled] == ["CANCELLED"]
        single = icalendar.Calendar.from_ical(investor.get(f"/schedule/{moving}.ics").content)
        assert [str(e["UID"]) for e in single.walk("VEVENT")] == [f"{guid}@lanhai-2026"]
        assert investor.get("/schedule/999999.ics").status_code == 404
    finally:
        investor.__exit__(None, None, None)


def test_schedule_json_validates_against_the_c3voc_schema_with_stable_guids(
    organizer: TestClient, app_settings: Settings
) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    pitch_id = add_session(url, stage, expo_start(url) + timedelta(days=1, hours=4), speakers=("Aiko Sato",))
    assert publish(organizer).status_code == 303
    first = get(organizer, "/schedule.json").json()
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker()).validate(first)
    conference = first["schedule"]["conference"]
    assert conference["time_zone_name"] == "Asia/Shanghai"
    events = [e for day in conference["days"] for room in day["rooms"].values() for e in room]
    mine = [e for e in events if e["id"] == pitch_id]
    assert len(mine) == 1 and mine[0]["guid"] == run(_slot(url, pitch_id))[1]
    assert mine[0]["persons"][0]["name"] == "Aiko Sato"
    again = get(organizer, "/schedule.json").json()
    assert again == first  # stable: the same document until the next publish


def test_schedule_filters_by_language_and_sector(organizer: TestClient, app_settings: Settings) -> None:
    url = app_settings.database_url
    stage = add_stage(url)
    add_session(url, stage, expo_start(url) + timedelta(days=1, hours=5), title="Only English")
    assert publish(organizer).status_code == 303
    assert "Only English" in get(organizer, "/schedule?x=1").text
    assert "Only English" not in get(organizer, "/schedule?x=1&language=ko").text
    assert "Only English" not in get(organizer, "/schedule?x=1&sector=biomedicine").text
    assert get(organizer, "/schedule?district=abc&sector=<script>").status_code == 200
