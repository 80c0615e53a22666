"""The solver on hand-made instances, every result checked by the independent checker."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from expo.matchmaking import check, load_instance, solve, solve_greedy
from expo.matchmaking.generate import (
    compact_forum_instance,
    forum_instance,
    random_instance,
    slot_grid,
)

from .test_schedule_loader import example


def solved(data: dict[str, Any], **options: Any) -> dict[str, Any]:
    result = solve(load_instance(data), time_limit=options.pop("time_limit", 10), **options)
    out = result.to_dict()
    assert check(data, out) == []
    return out


def people(n: int, slots: list[str], **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"p{k}", "kind": "team", "available": list(slots), **extra} for k in range(n)]


def test_contract_example_is_solved_optimally() -> None:
    out = solved(example())

    assert out["assignments"] == [
        {"meeting": "m-2", "slot": "d1-01"},
        {"meeting": "m-1", "slot": "d1-02"},
    ]
    assert (out["objective"], out["bound"], out["status"], out["breaks"]) == (4, 4, "optimal", 0)


def test_fixed_meetings_stay_and_new_ones_fill_around_them() -> None:
    slots = slot_grid(1, 3)
    ids = [s["id"] for s in slots]
    data = {
        "slots": slots,
        "participants": people(3, ids),
        "meetings": [
            {"id": "old", "a": "p0", "b": "p1", "weight": 1, "fixed_slot": ids[1]},
            {"id": "new-1", "a": "p0", "b": "p2", "weight": 5},
            {"id": "new-2", "a": "p1", "b": "p2", "weight": 5},
        ],
    }

    out = solved(data)

    assert {"meeting": "old", "slot": ids[1]} in out["assignments"]
    # p2 meets p0 and p1 on either side of their fixed meeting: one break is unavoidable.
    assert (out["objective"], out["status"], out["breaks"]) == (11, "optimal", 1)


def test_rooms_and_personal_limits_are_respected() -> None:
    slots = slot_grid(1, 2)
    ids = [s["id"] for s in slots]
    data = {
        "slots": slots,
        "participants": people(6, ids) + [{"id": "busy", "available": ids, "max_meetings": 1}],
        "meetings": [
            {"id": "a", "a": "p0", "b": "p1", "weight": 1},
            {"id": "b", "a": "p2", "b": "p3", "weight": 1},
            {"id": "c", "a": "p4", "b": "p5", "weight": 1},
            {"id": "d", "a": "busy", "b": "p0", "weight": 3},
            {"id": "e", "a": "busy", "b": "p1", "weight": 2},
        ],
        "rooms_per_slot": 2,
    }

    out = solved(data)

    # "busy" takes its heavier request; two rooms a slot leave room for a, b, c and d.
    assert (out["objective"], out["bound"], out["status"]) == (6, 6, "optimal")
    assert {a["meeting"] for a in out["assignments"]} == {"a", "b", "c", "d"}


def test_allowed_slots_limit_a_meeting() -> None:
    slots = slot_grid(1, 4)
    ids = [s["id"] for s in slots]
    data = {
        "slots": slots,
        "participants": people(2, ids),
        "meetings": [{"id": "m", "a": "p0", "b": "p1", "weight": 1, "allowed_slots": [ids[3]]}],
    }

    assert solved(data)["assignments"] == [{"meeting": "m", "slot": ids[3]}]


def test_participant_without_availability_gets_a_correct_empty_result() -> None:
    slots = slot_grid(1, 2)
    data = {
        "slots": slots,
        "participants": [{"id": "x", "available": []}, {"id": "y", "available": [slots[0]["id"]]}],
        "meetings": [{"id": "m", "a": "x", "b": "y", "weight": 2}],
    }

    out = solved(data)

    assert (out["assignments"], out["objective"], out["bound"]) == ([], 0, 0)
    assert out["status"] == "optimal"


def test_instance_without_meetings_gives_an_empty_optimal_result() -> None:
    data = {"slots": slot_grid(1, 2), "participants": [], "meetings": []}

    assert solved(data) == {
        "assignments": [],
        "objective": 0,
        "bound": 0,
        "status": "optimal",
        "breaks": 0,
        "seconds": solved(data)["seconds"],
        "weight_status": "optimal",
        "breaks_bound": 0,
        "breaks_status": "optimal",
        "break_spread": 0,
    }


def test_breaks_are_removed_when_a_chain_fits() -> None:
    # p0 meets p1..p4; each of them is also free all day: zero breaks is possible.
    slots = slot_grid(1, 8)
    ids = [s["id"] for s in slots]
    data = {
        "slots": slots,
        "participants": people(5, ids),
        "meetings": [
            {"id": f"m{k}", "a": "p0", "b": f"p{k}", "weight": 1, "allowed_slots": ids[::2]}
            if k == 1
            else {"id": f"m{k}", "a": "p0", "b": f"p{k}", "weight": 1}
            for k in range(1, 5)
        ],
    }

    out = solved(data)

    assert (out["objective"], out["breaks"]) == (4, 0)


def test_breaks_count_same_day_gaps_only() -> None:
    slots = slot_grid(2, 3)
    ids = [s["id"] for s in slots]
    data = {
        "slots": slots,
        "participants": people(3, ids),
        "meetings": [
            {"id": "day1", "a": "p0", "b": "p1", "weight": 1, "fixed_slot": ids[0]},
            {"id": "day2", "a": "p0", "b": "p2", "weight": 1, "fixed_slot": ids[5]},
        ],
    }

    assert solved(data)["breaks"] == 0


def test_result_is_never_below_greedy_on_generated_instances() -> None:
    data = random_instance(5, investors=60, teams=30, requests=400, days=2, per_day=12)
    instance = load_instance(data)

    greedy = solve_greedy(instance)
    out = solved(data, time_limit=5)

    assert check(data, greedy.to_dict()) == []
    assert out["objective"] >= greedy.objective
    assert out["bound"] <= greedy.bound


def test_forum_instance_places_every_meeting_with_fewer_breaks_than_weight_only() -> None:
    data = forum_instance(7, people=40, meetings=125, n_slots=12, rooms=12)
    instance = load_instance(data)

    plain = solve(instance, time_limit=5, minimize_breaks=False)
    out = solved(data, time_limit=8)

    assert out["objective"] == plain.objective == plain.bound
    assert len(out["assignments"]) == 125
    assert out["breaks"] < plain.breaks


def test_fairness_gives_everybody_a_meeting_when_it_costs_little() -> None:
    slots = slot_grid(1, 2)
    s1, s2 = (s["id"] for s in slots)
    others = [{"id": f"x{k}", "available": [s1]} for k in range(400)]
    data = {
        "slots": slots,
        "participants": [
            {"id": "p0", "available": [s1, s2]},
            {"id": "p1", "available": [s1, s2], "max_meetings": 2},
            {"id": "p2", "available": [s1, s2]},
            {"id": "p3", "available": [s1, s2]},
            {"id": "p4", "available": [s1, s2]},
            *others,
        ],
        "meetings": [
            {"id": "A", "a": "p0", "b": "p1", "weight": 100},
            {"id": "D", "a": "p0", "b": "p4", "weight": 100},
            {"id": "B", "a": "p1", "b": "p3", "weight": 100},
            {"id": "C", "a": "p1", "b": "p2", "weight": 1},
            *({"id": f"y{k}", "a": f"x{k}", "b": f"x{k + 1}", "weight": 100} for k in range(0, 400, 2)),
        ],
    }
    unfair = solved(data)
    fair = solved(copy.deepcopy(data), fairness=True)

    # p1 may meet twice: the best schedule takes A and B and leaves p2 with nothing.
    assert "C" not in {a["meeting"] for a in unfair["assignments"]}
    assert unfair["objective"] == 20_300
    # Giving p2 its meeting costs A's place (p0 still has D, p3 only has B): 99 of 20,300.
    placed = {a["meeting"] for a in fair["assignments"]}
    assert {"B", "C", "D"} <= placed
    assert fair["objective"] == 20_300 - 99


@pytest.mark.parametrize("seed", [1, 2])
def test_fairness_on_generated_instance_costs_at_most_half_a_percent(seed: int) -> None:
    data = random_instance(seed, investors=80, teams=40, requests=300, days=1, per_day=10)
    instance = load_instance(data)

    plain = solve(instance, time_limit=5, minimize_breaks=False)
    fair = solve(instance, time_limit=5, minimize_breaks=False, fairness=True)

    assert check(data, fair.to_dict()) == []
    assert fair.objective >= plain.objective * 0.995


def test_forum_instance_with_a_planted_compact_schedule_reaches_zero_breaks() -> None:
    # The generator plants a schedule without breaks: the optimum is known to be 0.
    data = compact_forum_instance(1, people=30, meetings=80, n_slots=8, rooms=12)

    out = solved(data, time_limit=30)

    assert (len(out["assignments"]), out["breaks"]) == (80, 0)


def test_break_phase_keeps_the_weight_phase_objective() -> None:
    data = forum_instance(3, people=50, meetings=150, n_slots=12, rooms=15)
    instance = load_instance(data)

    plain = solve(instance, time_limit=5, minimize_breaks=False)
    out = solved(data, time_limit=3)

    assert (out["objective"], out["bound"]) == (plain.objective, plain.bound)
    assert out["breaks"] <= plain.breaks


def test_huge_caps_behave_like_no_caps() -> None:
    data = example()
    data["rooms_per_slot"] = 10**40
    data["participants"][0]["max_meetings"] = 10**30

    out = solved(data)

    assert (out["objective"], out["status"]) == (4, "optimal")
