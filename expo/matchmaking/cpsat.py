"""The exact break model, solved with OR-Tools CP-SAT from the current schedule.

x[m, t]: movable meeting m in slot t. o[p, t]: participant p busy in slot t (a constant for
fixed meetings and for slots nobody can fill). s[p, t]: a block of p's meetings starts at t,
that is o[p, t] and not o[p, previous adjacent slot] (written as two-sided implications, so
that the LP relaxation sees them). h[p, d]: p meets somebody on day d. Breaks are
sum(s) - sum(h). The weight of the schedule is kept: every movable meeting placed now must
stay placed when all placeable ones are; otherwise the total weight may not go down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ortools.sat.python import cp_model

from .board import UNPLACED, Board


def minimize_breaks(board: Board, time_limit: float, say: Callable[[str], None]) -> int | None:
    """Rewrite `board` with fewer breaks at the same weight; return a proven lower bound."""
    instance = board.instance
    model = cp_model.CpModel()
    fixed_busy: list[set[int]] = [set() for _ in instance.participants]
    fixed_rooms = [0] * len(instance.slots)
    fixed_count = [0] * len(instance.participants)
    for m, meeting in enumerate(instance.meetings):
        if board.fixed[m]:
            t = board.slot_of[m]
            fixed_busy[meeting.a].add(t)
            fixed_busy[meeting.b].add(t)
            fixed_rooms[t] += 1
            fixed_count[meeting.a] += 1
            fixed_count[meeting.b] += 1

    x: dict[tuple[int, int], Any] = {}
    by_person_slot: dict[tuple[int, int], list[Any]] = {}
    by_slot: dict[int, list[Any]] = {}
    by_person: dict[int, list[Any]] = {}
    weight_terms = []
    all_placed = True
    for m, meeting in enumerate(instance.meetings):
        if board.fixed[m]:
            continue
        a, b = meeting.a, meeting.b
        options = [t for t in board.candidates[m] if t not in fixed_busy[a] and t not in fixed_busy[b]]
        if not options:
            continue
        if board.slot_of[m] == UNPLACED:
            all_placed = False
        here = []
        for t in options:
            var = model.new_bool_var(f"x{m}_{t}")
            x[(m, t)] = var
            here.append(var)
            by_person_slot.setdefault((a, t), []).append(var)
            by_person_slot.setdefault((b, t), []).append(var)
            by_slot.setdefault(t, []).append(var)
            weight_terms.append(meeting.weight * var)
        by_person.setdefault(a, []).extend(here)
        by_person.setdefault(b, []).extend(here)
        model.add_at_most_one(here)
    if not x:
        return board.breaks()
    movable_weight = sum(
        instance.meetings[m].weight for m, t in enumerate(board.slot_of) if t != UNPLACED and not board.fixed[m]
    )
    if all_placed:
        for m in {m for m, _ in x}:
            model.add_exactly_one(v for (mm, _), v in x.items() if mm == m)
    else:
        model.add(sum(weight_terms) >= movable_weight)
    for t, terms in by_slot.items():
        if len(terms) > board.rooms - fixed_rooms[t]:
            model.add(sum(terms) <= board.rooms - fixed_rooms[t])
    for p, terms in by_person.items():
        left = board.limit[p] - fixed_count[p]
        if len(terms) > left:
            model.add(sum(terms) <= left)

    breaks_terms: list[Any] = []
    prev = instance.previous_adjacent
    days: dict[str, list[int]] = {}
    for t, slot in enumerate(instance.slots):
        days.setdefault(slot.day, []).append(t)
    for p in range(len(instance.participants)):
        busy: dict[int, Any] = {}
        for t in range(len(instance.slots)):
            if t in fixed_busy[p]:
                busy[t] = 1
            elif (p, t) in by_person_slot:
                terms = by_person_slot[(p, t)]
                if len(terms) == 1:
                    busy[t] = terms[0]
                else:
                    o = model.new_bool_var(f"o{p}_{t}")
                    model.add(sum(terms) == o)
                    busy[t] = o
        for day_slots in days.values():
            day_busy = [(t, busy[t]) for t in day_slots if t in busy]
            if day_busy:
                breaks_terms.append(_day_breaks(model, day_busy, prev, len(day_slots)))
    model.minimize(sum(breaks_terms))
    for (m, t), var in x.items():
        model.add_hint(var, board.slot_of[m] == t)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.1)
    solver.parameters.num_workers = 4
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    candidate = [UNPLACED if not board.fixed[m] else t for m, t in enumerate(board.slot_of)]
    for (m, t), var in x.items():
        if solver.boolean_value(var):
            candidate[m] = t
    lower = max(0, math.ceil(solver.best_objective_bound - 1e-6))
    trial = Board(instance)
    trial.copy_from(candidate)
    say(f"CP-SAT: {solver.status_name(status)}, breaks {trial.breaks()}, lower bound {lower}")
    if trial.weight >= board.weight and trial.breaks() < board.breaks():
        board.copy_from(candidate)
    return lower


def _day_breaks(model: cp_model.CpModel, day_busy: list[tuple[int, Any]], prev: tuple[int | None, ...], n: int) -> Any:
    """Breaks of one participant on one day, as a linear expression.

    `day_busy` lists (slot, busy literal or constant 1) in time order. Besides the block
    starts, the first and last busy slots are modelled: with no break the span equals the
    number of meetings, which lets CP-SAT prune by intervals (an implied constraint).
    """
    busy = dict(day_busy)
    starts: list[Any] = []
    for t, o in day_busy:
        earlier = prev[t]
        before = busy.get(earlier) if earlier is not None else None
        if before is None:
            starts.append(o)
        elif isinstance(before, int):
            continue
        else:
            s = model.new_bool_var("")
            if isinstance(o, int):
                model.add_implication(s, before.Not())
                model.add_bool_or([s, before])
            else:
                model.add_bool_or([s, o.Not(), before])
                model.add_implication(s, o)
                model.add_implication(s, before.Not())
            starts.append(s)
    literals = [o for _, o in day_busy if not isinstance(o, int)]
    if len(literals) < len(day_busy):
        has: Any = 1
    else:
        has = model.new_bool_var("")
        model.add_bool_or(literals).only_enforce_if(has)
        for o in literals:
            model.add_implication(o, has)
    if len(day_busy) < 2:
        return sum(starts) - has
    lo, hi = day_busy[0][0], day_busy[-1][0]
    first = model.new_int_var(lo, hi + 1, "")
    last = model.new_int_var(lo - 1, hi, "")
    for t, o in day_busy:
        if isinstance(o, int):
            model.add(first <= t)
            model.add(last >= t)
        else:
            model.add(first <= t).only_enforce_if(o)
            model.add(last >= t).only_enforce_if(o)
    count = sum(o for _, o in day_busy)
    breaks = sum(starts) - has
    model.add(last - first + 1 - count <= n * breaks)
    return breaks
