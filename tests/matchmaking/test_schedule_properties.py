"""Property tests: random small instances, checked against the checker, greedy, brute force."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expo.matchmaking import check, count_breaks, load_instance, solve, solve_greedy
from expo.matchmaking.generate import slot_grid


@st.composite
def instances(draw: st.DrawFn, max_meetings: int = 8, max_slots: int = 5) -> dict[str, Any]:
    days = draw(st.integers(1, 2))
    per_day = draw(st.integers(1, max_slots // days))
    slots = slot_grid(days, per_day)
    if per_day >= 3 and draw(st.booleans()):
        slots.pop(1)  # a hole in the grid: the slots around it are not adjacent
    ids = [s["id"] for s in slots]
    n_people = draw(st.integers(2, 6))
    participants = []
    for k in range(n_people):
        entry: dict[str, Any] = {
            "id": f"p{k}",
            "kind": draw(st.sampled_from(["investor", "team"])),
            "available": draw(st.lists(st.sampled_from(ids), unique=True)),
        }
        if draw(st.booleans()):
            entry["max_meetings"] = draw(st.integers(0, 3))
        participants.append(entry)
    meetings: list[dict[str, Any]] = []
    seats: set[tuple[str, str]] = set()
    per_slot: dict[str, int] = {}
    fixed_count: dict[str, int] = {}
    rooms = draw(st.none() | st.integers(1, 3))
    for k in range(draw(st.integers(0, max_meetings))):
        a, b = draw(st.lists(st.integers(0, n_people - 1), min_size=2, max_size=2, unique=True))
        pa, pb = participants[a], participants[b]
        meeting: dict[str, Any] = {
            "id": f"m{k}",
            "a": pa["id"],
            "b": pb["id"],
            "weight": draw(st.integers(1, 5)),
        }
        if draw(st.booleans()):
            meeting["allowed_slots"] = draw(st.lists(st.sampled_from(ids), unique=True))
        common = [
            s
            for s in ids
            if s in pa["available"]
            and s in pb["available"]
            and s in meeting.get("allowed_slots", ids)
            and (pa["id"], s) not in seats
            and (pb["id"], s) not in seats
            and (rooms is None or per_slot.get(s, 0) < rooms)
            and all(fixed_count.get(p["id"], 0) < p.get("max_meetings", 99) for p in (pa, pb))
        ]
        if common and draw(st.integers(0, 3)) == 0:
            slot = draw(st.sampled_from(common))
            meeting["fixed_slot"] = slot
            seats.update({(pa["id"], slot), (pb["id"], slot)})
            per_slot[slot] = per_slot.get(slot, 0) + 1
            for p in (pa, pb):
                fixed_count[p["id"]] = fixed_count.get(p["id"], 0) + 1
        meetings.append(meeting)
    data: dict[str, Any] = {"slots": slots, "participants": participants, "meetings": meetings}
    if rooms is not None:
        data["rooms_per_slot"] = rooms
    return data


def brute_force(data: dict[str, Any]) -> tuple[int, int]:
    """(best objective, fewest breaks at that objective), by trying every schedule."""
    ids = [s["id"] for s in data["slots"]]
    options = [[m["fixed_slot"]] if "fixed_slot" in m else [None, *ids] for m in data["meetings"]]
    best = (-1, 0)
    for choice in itertools.product(*options):
        placed = {m["id"]: s for m, s in zip(data["meetings"], choice, strict=True) if s}
        result = {
            "assignments": [{"meeting": m, "slot": s} for m, s in placed.items()],
            "objective": sum(m["weight"] for m in data["meetings"] if m["id"] in placed),
            "breaks": count_breaks(data, placed),
            "status": "feasible",
        }
        result["bound"] = result["objective"]
        if check(data, result):
            continue
        key = (result["objective"], -result["breaks"])
        if key > best:
            best = key
    return best[0], -best[1]


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(instances())
def test_every_result_is_valid_and_never_below_greedy(data: dict[str, Any]) -> None:
    instance = load_instance(data)

    greedy = solve_greedy(instance).to_dict()
    result = solve(instance, time_limit=5).to_dict()

    assert check(data, greedy) == []
    assert check(data, result) == []
    assert result["objective"] >= greedy["objective"]


@FAST
@given(instances(max_meetings=5, max_slots=4))
def test_tiny_instances_reach_the_brute_force_optimum(data: dict[str, Any]) -> None:
    best, fewest_breaks = brute_force(data)

    result = solve(load_instance(data), time_limit=5).to_dict()

    assert check(data, result) == []
    assert (result["objective"], result["status"], result["bound"]) == (best, "optimal", best)
    assert result["breaks"] == fewest_breaks


@FAST
@given(instances())
def test_fairness_and_no_break_phase_keep_results_valid(data: dict[str, Any]) -> None:
    instance = load_instance(data)

    for options in ({"fairness": True}, {"minimize_breaks": False}):
        result = solve(instance, time_limit=5, **options).to_dict()
        assert check(data, result) == []
        assert result["bound"] >= result["objective"]
