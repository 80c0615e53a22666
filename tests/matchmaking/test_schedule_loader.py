"""The loader accepts the contract's example and rejects every malformed instance by name."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from expo.matchmaking import InstanceError, load_instance, loads_instance

EXAMPLE: dict[str, Any] = {
    "slots": [
        {
            "id": "d1-01",
            "start": "2026-03-10T01:00:00Z",
            "end": "2026-03-10T01:30:00Z",
            "day": "2026-03-10",
        },
        {
            "id": "d1-02",
            "start": "2026-03-10T01:30:00Z",
            "end": "2026-03-10T02:00:00Z",
            "day": "2026-03-10",
        },
    ],
    "participants": [
        {"id": "inv-17", "kind": "investor", "available": ["d1-01", "d1-02"], "max_meetings": 8},
        {"id": "team-4", "kind": "team", "available": ["d1-02"]},
        {"id": "team-9", "kind": "team", "available": ["d1-01", "d1-02"]},
        {"id": "team-2", "kind": "team", "available": ["d1-01"]},
    ],
    "meetings": [
        {"id": "m-1", "a": "inv-17", "b": "team-4", "weight": 3},
        {"id": "m-2", "a": "inv-17", "b": "team-9", "weight": 1, "fixed_slot": "d1-01"},
        {
            "id": "m-3",
            "a": "inv-17",
            "b": "team-2",
            "weight": 2,
            "allowed_slots": ["d1-01", "d1-02"],
        },
    ],
    "rooms_per_slot": 200,
}


def example() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE)


def test_loader_accepts_the_contract_example() -> None:
    instance = load_instance(example())

    assert [s.id for s in instance.slots] == ["d1-01", "d1-02"]
    assert [m.id for m in instance.meetings] == ["m-1", "m-2", "m-3"]
    assert instance.meetings[1].fixed_slot == 0
    assert instance.rooms_per_slot == 200
    assert instance.previous_adjacent == (None, 0)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _append(key: str, entry: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data[key].append(entry)


SLOT3 = {"id": "d1-03", "start": "2026-03-10T02:00:00Z", "end": "2026-03-10T02:30:00Z"}

MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "not an object": (lambda d: d.clear(), "'slots'"),
    "unknown top-level key": (_set(["room_per_slot"], 3), "room_per_slot"),
    "slots not a list": (_set(["slots"], {"id": "x"}), "'slots' must be a list"),
    "empty grid": (_set(["slots"], []), "'slots' is empty"),
    "duplicate slot id": (_append("slots", dict(SLOT3, id="d1-02")), "duplicate slot id 'd1-02'"),
    "slot id not a string": (_set(["slots", 0, "id"], 7), "slots[0]"),
    "slot time not RFC 3339": (_set(["slots", 1, "end"], "half past two"), "'d1-02'"),
    "slot time without offset": (_set(["slots", 1, "end"], "2026-03-10T02:00:00"), "'d1-02'"),
    "slot ending before start": (_set(["slots", 1, "end"], "2026-03-10T01:00:00Z"), "'d1-02'"),
    "slots out of order": (
        _append("slots", dict(SLOT3, start="2026-03-10T00:00:00Z", end="2026-03-10T00:30:00Z")),
        "'d1-03'",
    ),
    "unknown slot key": (_set(["slots", 0, "room"], "A"), "'room'"),
    "duplicate participant id": (
        _set(["participants", 3, "id"], "team-9"),
        "duplicate participant id 'team-9'",
    ),
    "unknown slot in availability": (
        _set(["participants", 1, "available"], ["d9-99"]),
        "'team-4'",
    ),
    "slot listed twice in availability": (
        _set(["participants", 1, "available"], ["d1-02", "d1-02"]),
        "'team-4'",
    ),
    "availability not a list": (_set(["participants", 1, "available"], "d1-02"), "'team-4'"),
    "availability missing": (_drop(["participants", 1, "available"]), "'team-4'"),
    "negative max_meetings": (_set(["participants", 0, "max_meetings"], -1), "'inv-17'"),
    "max_meetings a float": (_set(["participants", 0, "max_meetings"], 2.5), "'inv-17'"),
    "max_meetings a bool": (_set(["participants", 0, "max_meetings"], True), "'inv-17'"),
    "max_meetings a string": (_set(["participants", 0, "max_meetings"], "8"), "'inv-17'"),
    "duplicate meeting id": (_set(["meetings", 2, "id"], "m-1"), "duplicate meeting id 'm-1'"),
    "unknown participant": (_set(["meetings", 0, "b"], "team-404"), "'team-404'"),
    "meeting with oneself": (_set(["meetings", 0, "b"], "inv-17"), "'m-1'"),
    "zero weight": (_set(["meetings", 0, "weight"], 0), "'m-1'"),
    "negative weight": (_set(["meetings", 0, "weight"], -3), "'m-1'"),
    "float weight": (_set(["meetings", 0, "weight"], 1.5), "'m-1'"),
    "string weight": (_set(["meetings", 0, "weight"], "3"), "'m-1'"),
    "bool weight": (_set(["meetings", 0, "weight"], True), "'m-1'"),
    "missing weight": (_drop(["meetings", 0, "weight"]), "'m-1'"),
    "huge weight": (_set(["meetings", 0, "weight"], 10**30), "'m-1'"),
    "huge rooms_per_slot is fine but negative is not": (_set(["rooms_per_slot"], -5), "rooms"),
    "unknown fixed slot": (_set(["meetings", 1, "fixed_slot"], "d7-07"), "'m-2'"),
    "fixed slot outside availability": (_set(["meetings", 0, "fixed_slot"], "d1-01"), "'m-1'"),
    "fixed slot outside allowed slots": (
        _set(
            ["meetings", 2],
            {
                **EXAMPLE["meetings"][2],
                "b": "team-9",
                "fixed_slot": "d1-02",
                "allowed_slots": ["d1-01"],
            },
        ),
        "'m-3'",
    ),
    "unknown allowed slot": (_set(["meetings", 2, "allowed_slots"], ["d1-01", "nope"]), "'m-3'"),
    "two fixed meetings colliding": (
        _set(["meetings", 2], {**EXAMPLE["meetings"][2], "fixed_slot": "d1-01"}),
        "'m-3'",
    ),
    "fixed meetings over max_meetings": (
        _set(["participants", 0, "max_meetings"], 0),
        "max_meetings",
    ),
    "fixed meetings over rooms": (_set(["rooms_per_slot"], 0), "rooms_per_slot"),
    "unknown meeting key": (_set(["meetings", 0, "priority"], 1), "'priority'"),
    "meeting not an object": (_append("meetings", ["m-9", "inv-17", "team-4"]), "meetings[3]"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_loader_rejects_malformed_instance_naming_the_entry(case: str) -> None:
    change, named = MALFORMED[case]
    data = example()
    change(data)

    with pytest.raises(InstanceError) as caught:
        load_instance(data)

    assert named in str(caught.value)


@pytest.mark.parametrize("value", [[], "text", 3, None])
def test_loader_rejects_a_non_object(value: Any) -> None:
    with pytest.raises(InstanceError, match="JSON object"):
        load_instance(value)


@pytest.mark.parametrize("text", ["", "{", "{'slots': []}", "[1, 2", b"\xff\xfe"])
def test_loader_rejects_malformed_json(text: str | bytes) -> None:
    with pytest.raises(InstanceError, match="not valid JSON"):
        loads_instance(text)


def test_loader_rejects_deeply_nested_json() -> None:
    with pytest.raises(InstanceError):
        loads_instance("[" * 100_000 + "]" * 100_000)


def test_loader_accepts_huge_caps_and_no_availability() -> None:
    data = example()
    data["rooms_per_slot"] = 10**40
    data["participants"][0]["max_meetings"] = 10**40
    data["participants"].append({"id": "ghost", "kind": "investor", "available": []})
    data["meetings"].append({"id": "m-9", "a": "ghost", "b": "team-4", "weight": 1})

    instance = loads_instance(json.dumps(data))

    assert instance.candidate_slots(3) == []
