"""Calendars: the meeting grid across DST changes and midnight in each viewer's zone, and the
iCalendar files (.ics per meeting, private feed) parsed back by ``icalendar``."""

import re
from datetime import UTC, date, datetime, time

from icalendar import Calendar
from starlette.testclient import TestClient

from expo.meetings.grid import GridPlan, local_days, slot_times
from expo.meetings.models import Slot
from tests.helpers import login, session_csrf


def slots_of(plan: GridPlan, home: str) -> list[Slot]:
    return [Slot(id=k, starts_at=s, ends_at=e) for k, (s, e) in enumerate(slot_times(plan, home))]


def test_a_viewer_whose_clock_changes_during_the_expo_sees_the_right_local_slots() -> None:
    # 09:00-10:00 in Shanghai on three days; New York leaves daylight time on 1 Nov 2026.
    plan = GridPlan((date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)), time(9), time(10), 60, None)
    slots = slots_of(plan, "Asia/Shanghai")
    assert [s.starts_at for s in slots] == [
        datetime(2026, 10, 31, 1, tzinfo=UTC),
        datetime(2026, 11, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 2, 1, tzinfo=UTC),
    ]
    days = local_days(slots, "America/New_York")
    seen = [(d.day, start.time(), end.time()) for d in days for _slot, start, end in d.slots]
    assert seen == [  # the evening before, and an hour earlier once the clocks went back
        (date(2026, 10, 30), time(21), time(22)),
        (date(2026, 10, 31), time(21), time(22)),
        (date(2026, 11, 1), time(20), time(21)),
    ]


def test_the_home_zones_own_dst_change_moves_utc_not_local_times() -> None:
    plan = GridPlan((date(2026, 10, 24), date(2026, 10, 26)), time(9), time(10), 30, None)
    starts = [s for s, _e in slot_times(plan, "Europe/Berlin")]
    assert starts == [
        datetime(2026, 10, 24, 7, tzinfo=UTC),
        datetime(2026, 10, 24, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 8, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 30, tzinfo=UTC),
    ]
    # A day of the grid that crosses midnight for the viewer is split over two local days.
    late = GridPlan((date(2026, 10, 26),), time(15), time(17), 60, None)
    days = local_days(slots_of(late, "Europe/Berlin"), "Asia/Tokyo")
    assert [(d.day, [s.hour for _x, s, _e in d.slots]) for d in days] == [
        (date(2026, 10, 26), [23]),
        (date(2026, 10, 27), [0]),
    ]


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_feed_and_ics_round_trip_with_stable_uids_sequence_and_cancellation(demo_app: TestClient) -> None:
    login(demo_app, "investor@expo.example")
    meetings = {m["id"]: m for m in demo_app.get("/api/meetings").json()["meetings"]}
    booked = next(m for m in meetings.values() if m["status"] == "booked" and m["team_id"] == 1)  # with Nova
    one = events(demo_app.get(f"/meetings/{booked['id']}/meeting.ics").content)
    event = one[booked["uid"]]
    assert event.decoded("DTSTART") == datetime.fromisoformat(booked["starts_at"])
    assert event.decoded("DTEND") == datetime.fromisoformat(booked["ends_at"])
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset().total_seconds() == 0
    assert str(event["LOCATION"]) == str(event["URL"]) == booked["room_url"]
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CONFIRMED", 0)

    made = demo_app.post("/meetings/feed", data={"csrf_token": session_csrf(demo_app)})  # followed to /meetings
    url = re.search(r'<code class="feed-url">http://[^/]+(/meetings/feed/[^<]+\.ics)</code>', made.text).group(1)
    assert "feed-url" not in demo_app.get("/meetings").text  # the address is shown once
    with TestClient(demo_app.app, base_url="http://127.0.0.1") as calendar_app:  # no cookie: a calendar app
        first, second = events(calendar_app.get(url).content), events(calendar_app.get(url).content)
        assert set(first) == set(second) == {m["uid"] for m in meetings.values()}
        assert (
            str(first[next(m["uid"] for m in meetings.values() if m["status"] == "cancelled")]["STATUS"]) == "CANCELLED"
        )

        cancelled = demo_app.post(f"/meetings/{booked['id']}/cancel", data={"csrf_token": session_csrf(demo_app)})
        assert cancelled.status_code == 200  # followed to the meeting page
        after = events(calendar_app.get(url).content)[booked["uid"]]
        assert (str(after["STATUS"]), int(after["SEQUENCE"])) == ("CANCELLED", 1)
        assert after.decoded("DTSTART") == event.decoded("DTSTART")

        demo_app.post("/meetings/feed", data={"csrf_token": session_csrf(demo_app), "revoke": "1"})
        assert calendar_app.get(url).status_code == 404
