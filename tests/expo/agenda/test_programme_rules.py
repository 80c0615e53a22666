"""The programme's pure rules: conflict detection, versions and their diff, the live window."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from expo.agenda import live
from expo.agenda.conflicts import Busy, Conflict, Hours, Placed, find, person_key
from expo.agenda.models import PitchSession
from expo.agenda.versions import diff_and_snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXPO_START = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
EXPO_END = EXPO_START + timedelta(days=3)
HOURS = {1: Hours(9 * 60, 18 * 60), 2: Hours(9 * 60, 18 * 60)}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return (EXPO_START + timedelta(days=day, hours=hour, minutes=minute)).astimezone(UTC)


def placed(ident: int, stage: int | None, start: datetime, minutes: int = 30, people: tuple[str, ...] = ()) -> Placed:
    return Placed(ident, stage, start, start + timedelta(minutes=minutes), frozenset(people))


def conflicts(*sessions: Placed, busy: tuple[Busy, ...] = ()) -> list[Conflict]:
    return find(sessions, HOURS, expo_start=EXPO_START, expo_end=EXPO_END, zone=SHANGHAI, busy=busy)


def test_sessions_overlapping_on_one_stage_conflict_and_touching_ones_do_not() -> None:
    assert conflicts(placed(1, 1, at(0, 10)), placed(2, 1, at(0, 10, 15)), placed(3, 1, at(0, 10, 40))) == [
        Conflict("stage_overlap", (1, 2)),
        Conflict("stage_overlap", (2, 3)),
    ]
    assert conflicts(placed(1, 1, at(0, 10)), placed(2, 1, at(0, 10, 30))) == []
    assert conflicts(placed(1, 1, at(0, 10)), placed(2, 2, at(0, 10))) == []


def test_a_person_in_two_places_at_once_is_found_by_account_or_by_name() -> None:
    aiko = person_key(None, "Aiko  Sato")
    assert aiko == person_key(None, "aiko sato")
    found = conflicts(
        placed(1, 1, at(0, 10), people=(aiko, person_key(7, "x"))),
        placed(2, 2, at(0, 10, 10), people=(person_key(None, "AIKO SATO"),)),
        placed(3, 2, at(0, 11), people=(person_key(7, "someone else"),)),
        placed(4, 1, at(0, 11), people=(person_key(7, ""),)),
    )
    assert found == [
        Conflict("person_overlap", (1, 2), "name:aiko sato"),
        Conflict("person_overlap", (3, 4), "user:7"),
    ]


def test_a_booked_meeting_of_a_speaker_conflicts_with_their_session() -> None:
    speaker = person_key(5, "")
    meeting = Busy(speaker, at(1, 10, 20), at(1, 10, 40))
    assert conflicts(placed(1, 1, at(1, 10), people=(speaker,)), busy=(meeting,)) == [
        Conflict("meeting_overlap", (1,), "user:5")
    ]
    assert conflicts(placed(1, 1, at(1, 11), people=(speaker,)), busy=(meeting,)) == []


def test_outside_the_expo_days_or_the_stage_hours_in_the_home_zone() -> None:
    assert conflicts(placed(1, 1, at(3, 10))) == [Conflict("outside_days", (1,))]
    assert conflicts(placed(1, 1, at(-1, 10))) == [Conflict("outside_days", (1,))]
    # 08:45 Shanghai is before the 09:00 opening; 17:45 + 30 minutes runs past 18:00
    assert conflicts(placed(1, 1, at(0, 8, 45)), placed(2, 1, at(0, 17, 45))) == [
        Conflict("outside_hours", (1,)),
        Conflict("outside_hours", (2,)),
    ]
    assert conflicts(placed(1, 1, at(0, 9)), placed(2, 1, at(0, 17, 30))) == []


def test_a_session_whose_stage_was_deleted_is_a_conflict() -> None:
    assert conflicts(placed(1, None, at(0, 10)), placed(2, 99, at(0, 10))) == [
        Conflict("no_stage", (1,)),
        Conflict("no_stage", (2,)),
    ]


def entry(ident: int, start: str = "2026-12-01T02:00:00+00:00", stage: int = 1, title: str = "T") -> dict:
    return {
        "id": ident,
        "guid": f"g{ident}",
        "title": {"en": title},
        "description": {},
        "language": "en",
        "stage_id": stage,
        "stage_slug": f"s{stage}",
        "stage_name": {"en": f"Stage {stage}"},
        "starts_at": start,
        "ends_at": start.replace("T02", "T03"),
        "district_id": None,
        "team_id": None,
        "sector": "",
        "speakers": [],
        "interpreting": [],
    }


def test_versions_diff_added_moved_changed_cancelled_and_sequences() -> None:
    first, changes = diff_and_snapshot([], [entry(1), entry(2), entry(3)])
    assert changes == {"added": [1, 2, 3], "moved": [], "changed": [], "cancelled": []}
    assert [(e["id"], e["status"], e["sequence"]) for e in first] == [
        (1, "listed", 0),
        (2, "listed", 0),
        (3, "listed", 0),
    ]

    second, changes = diff_and_snapshot(first, [entry(1), entry(2, stage=2), entry(4, title="new")])
    assert changes == {"added": [4], "moved": [2], "changed": [], "cancelled": [3]}
    assert {e["id"]: (e["status"], e["sequence"]) for e in second} == {
        1: ("listed", 0),
        2: ("listed", 1),
        3: ("cancelled", 1),
        4: ("listed", 0),
    }

    third, changes = diff_and_snapshot(
        second, [entry(1, title="renamed"), entry(2, stage=2), entry(3), entry(4, title="new")]
    )
    assert changes == {"added": [3], "moved": [], "changed": [1], "cancelled": []}
    assert {e["id"]: (e["status"], e["sequence"]) for e in third} == {
        1: ("listed", 1),
        2: ("listed", 1),
        3: ("listed", 2),
        4: ("listed", 0),
    }
    # a cancelled entry is carried forward unchanged by later versions
    fourth, changes = diff_and_snapshot(second, [entry(1), entry(2, stage=2), entry(4, title="new")])
    assert changes == {"added": [], "moved": [], "changed": [], "cancelled": []}
    assert {e["id"]: e["sequence"] for e in fourth} == {1: 0, 2: 1, 3: 1, 4: 0}


def pitch(**values: object) -> PitchSession:
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    defaults = {
        "status": "accepted",
        "state": "scheduled",
        "starts_at": start,
        "early_start_at": None,
        "ended_at": None,
    }
    return PitchSession(**{**defaults, **values})


def test_live_window_opens_shortly_before_the_slot_or_after_a_start_early() -> None:
    item = pitch()
    assert item.starts_at is not None
    assert not live.may_go_live(item, item.starts_at - timedelta(minutes=16))
    assert live.too_early(item, item.starts_at - timedelta(minutes=16))
    assert live.may_go_live(item, item.starts_at - timedelta(minutes=15))
    assert live.start_early(item, item.starts_at - timedelta(hours=3))
    assert live.may_go_live(item, item.starts_at - timedelta(hours=3))
    assert not live.may_go_live(pitch(status="proposed"), item.starts_at)
    assert not live.may_go_live(pitch(state="ended"), item.starts_at)


def test_end_can_be_undone_for_a_few_minutes_and_a_gone_publisher_shows_paused() -> None:
    item = pitch(state="live")
    now = datetime(2026, 12, 1, 2, 20, tzinfo=UTC)
    assert live.shown_state(item, publishing=False) == "paused"
    assert live.shown_state(item, publishing=True) == "live"
    live.end(item, now)
    assert item.state == "ended"
    assert not live.undo_end(item, now + live.UNDO + timedelta(seconds=1))
    assert live.undo_end(item, now + live.UNDO - timedelta(seconds=1))
    assert (item.state, item.ended_at) == ("scheduled", None)
