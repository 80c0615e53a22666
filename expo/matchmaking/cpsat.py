"""The exact break model, solved with OR-Tools CP-SAT from the current schedule.

x[m, t]: movable meeting m in slot t. o[p, t]: participant p busy in slot t (a constant for
fixed meetings and for slots nobody can fill). s[p, t]: a block of p's meetings starts at t,
that is o[p, t] and not o[p, previous adjacent slot] (written as two-sided implications, so
that the LP relaxation sees them). h[p, d]: p meets somebody on day d. The breaks of p are
b[p] = sum(s) - sum(h), an integer variable bounded below by p's counting bound
(`participant_bounds`): that is what gives CP-SAT a lower bound worth the name, since the
LP relaxation of this model is close to 0. The weight of the schedule is kept: every movable
meeting placed now must stay placed when all placeable ones are; otherwise the total weight
may not go down. With a fairness spread d, max(b) - min(b) <= d over the participants who
have a request.

Rooms are a count per slot (`rooms_per_slot`), not individual tables, so the model has no
room or table symmetry to break.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .board import UNPLACED, Board

Say = Callable[[str], None]

PRESOLVE_BOUNDS = False


@dataclass
class BreakModel:
    model: cp_model.CpModel
    x: dict[tuple[int, int], Any]
    person_breaks: dict[int, Any] = field(default_factory=dict)
    all_placed: bool = True


def _fixed(board: Board) -> tuple[list[set[int]], list[int], list[int]]:
    instance = board.instance
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
    return fixed_busy, fixed_rooms, fixed_count


def all_placed(board: Board) -> bool:
    """Is every movable meeting that has a usable candidate slot placed? Then every schedule
    of the same weight places exactly the same meetings (weights are positive)."""
    fixed_busy, _, _ = _fixed(board)
    for m, meeting in enumerate(board.instance.meetings):
        if board.fixed[m] or board.slot_of[m] != UNPLACED:
            continue
        if any(t not in fixed_busy[meeting.a] and t not in fixed_busy[meeting.b] for t in board.candidates[m]):
            return False
    return True


def build(board: Board, lower: list[int] | None = None, spread: int | None = None) -> BreakModel:
    """The break model of `board` (see the module docstring)."""
    instance = board.instance
    model = cp_model.CpModel()
    exact = all_placed(board)
    fixed_busy, fixed_rooms, fixed_count = _fixed(board)
    x: dict[tuple[int, int], Any] = {}
    by_person_slot: dict[tuple[int, int], list[Any]] = {}
    by_slot: dict[int, list[Any]] = {}
    by_person: dict[int, list[Any]] = {}
    weight_terms = []
    for m, meeting in enumerate(instance.meetings):
        if board.fixed[m]:
            continue
        a, b = meeting.a, meeting.b
        here = []
        for t in board.candidates[m]:
            if t in fixed_busy[a] or t in fixed_busy[b]:
                continue
            var = model.new_bool_var(f"x{m}_{t}")
            x[(m, t)] = var
            here.append(var)
            by_person_slot.setdefault((a, t), []).append(var)
            by_person_slot.setdefault((b, t), []).append(var)
            by_slot.setdefault(t, []).append(var)
            weight_terms.append(meeting.weight * var)
        if not here:
            continue
        by_person.setdefault(a, []).extend(here)
        by_person.setdefault(b, []).extend(here)
        if exact:
            model.add_exactly_one(here)
        else:
            model.add_at_most_one(here)
    if not exact:
        movable_weight = sum(
            instance.meetings[m].weight for m, t in enumerate(board.slot_of) if t != UNPLACED and not board.fixed[m]
        )
        model.add(sum(weight_terms) >= movable_weight)
    for t, terms in by_slot.items():
        if len(terms) > board.rooms - fixed_rooms[t]:
            model.add(sum(terms) <= board.rooms - fixed_rooms[t])
    for p, terms in by_person.items():
        left = board.limit[p] - fixed_count[p]
        if len(terms) > left:
            model.add(sum(terms) <= left)
    result = BreakModel(model, x, all_placed=exact)
    _add_breaks(board, result, fixed_busy, by_person_slot, lower if exact else None, spread)
    return result


def _add_breaks(
    board: Board,
    bm: BreakModel,
    fixed_busy: list[set[int]],
    by_person_slot: dict[tuple[int, int], list[Any]],
    lower: list[int] | None,
    spread: int | None,
) -> None:
    instance = board.instance
    model = bm.model
    prev = instance.previous_adjacent
    days: dict[str, list[int]] = {}
    for t, slot in enumerate(instance.slots):
        days.setdefault(slot.day, []).append(t)
    total: list[Any] = []
    for p in range(len(instance.participants)):
        busy = _busy_literals(model, p, len(instance.slots), fixed_busy[p], by_person_slot)
        terms = []
        for day_slots in days.values():
            day_busy = [(t, busy[t]) for t in day_slots if t in busy]
            if day_busy:
                terms.append(_day_breaks(model, day_busy, prev, len(day_slots)))
        if not terms:
            continue
        b = model.new_int_var(0, len(instance.slots), f"b{p}")
        model.add(b == sum(terms))
        if lower is not None and lower[p] > 0:
            model.add(b >= lower[p])
        bm.person_breaks[p] = b
        total.append(b)
    if spread is not None and bm.person_breaks:
        requested = [p for p, mine in enumerate(board.meetings_of) if mine]
        values = [bm.person_breaks.get(p, 0) for p in requested]
        top = model.new_int_var(0, len(instance.slots), "max_breaks")
        bottom = model.new_int_var(0, len(instance.slots), "min_breaks")
        model.add_max_equality(top, values)
        model.add_min_equality(bottom, values)
        model.add(top - bottom <= spread)
    model.minimize(sum(total))


def _busy_literals(
    model: cp_model.CpModel,
    p: int,
    n_slots: int,
    fixed_busy: set[int],
    by_person_slot: dict[tuple[int, int], list[Any]],
) -> dict[int, Any]:
    busy: dict[int, Any] = {}
    for t in range(n_slots):
        if t in fixed_busy:
            busy[t] = 1
        elif (p, t) in by_person_slot:
            terms = by_person_slot[(p, t)]
            if len(terms) == 1:
                busy[t] = terms[0]
            else:
                o = model.new_bool_var(f"o{p}_{t}")
                model.add(sum(terms) == o)
                busy[t] = o
    return busy


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving schedule and stops when it meets `floor` or the deadline."""

    def __init__(self, say: Say, floor: int, label: str, deadline: float) -> None:
        super().__init__()
        self.say, self.floor, self.label, self.deadline = say, floor, label, deadline
        self.last_report = 0.0

    def on_solution_callback(self) -> None:
        best = round(self.objective_value)
        bound = max(self.floor, math.ceil(self.best_objective_bound - 1e-6))
        now = time.perf_counter()
        if now - self.last_report > 0.5 or best <= bound:
            self.say(f"breaks [cp-sat]: best {best}, bound {bound}")
            self.last_report = now
        if best <= bound or now >= self.deadline:
            self.stop_search()


@dataclass
class Outcome:
    lower: int | None
    improved: bool
    status: str


def minimize_breaks(
    board: Board,
    time_limit: float,
    say: Say,
    *,
    lower: list[int] | None = None,
    spread: int | None = None,
    workers: int = 1,
    seed: int = 1,
    alongside: Callable[[float, Callable[[], bool]], None] | None = None,
) -> Outcome:
    """Rewrite `board` with fewer breaks at the same weight (and within `spread`, if given);
    return the proven lower bound on breaks, whether the board changed, and CP-SAT's status.

    `lower` holds a lower bound on each participant's breaks (valid only when every placeable
    meeting is placed). The current schedule is the hint; when it breaks the spread, CP-SAT
    searches for a fair schedule from it. `alongside(deadline, finished)`, when given, runs in
    this thread while CP-SAT searches in another (CP-SAT releases the GIL): it may improve
    `board` itself (the model and hint are built before), and should return when
    `finished()` (CP-SAT is done) or at the deadline; the better of the two schedules is kept.
    """
    deadline = time.perf_counter() + max(time_limit, 0.05)
    bm = build(board, lower, spread)
    floor = sum(lower) if lower is not None and bm.all_placed else 0
    _hint(bm, board, deadline)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    callback = _Progress(say, floor, "cp-sat", deadline)
    if alongside is None:
        status = solver.solve(bm.model, callback)
    else:
        import threading

        finished = threading.Event()
        outcome: list[Any] = []

        def search() -> None:
            try:
                outcome.append(solver.solve(bm.model, callback))
            finally:
                finished.set()

        thread = threading.Thread(target=search, name="cp-sat", daemon=True)
        thread.start()
        try:
            alongside(deadline, finished.is_set)
        finally:
            solver.stop_search()
            thread.join()
        status = outcome[0] if outcome else cp_model.UNKNOWN
    name = solver.status_name(status)
    if status == cp_model.INFEASIBLE:
        return Outcome(None, False, name)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(floor if bm.all_placed else None, False, name)
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    lower_bound = max(0, floor, bound if status != cp_model.OPTIMAL else round(solver.objective_value))
    candidate = [UNPLACED if not board.fixed[m] else t for m, t in enumerate(board.slot_of)]
    for (m, t), var in bm.x.items():
        if solver.boolean_value(var):
            candidate[m] = t
    trial = Board(board.instance)
    trial.copy_from(candidate)
    better = trial.weight >= board.weight and (
        trial.breaks() < board.breaks() or (spread is not None and spread_of(board) > spread)
    )
    if better:
        board.copy_from(candidate)
    return Outcome(lower_bound, better, name)


def _hint(bm: BreakModel, board: Board, deadline: float) -> None:
    """Hint every variable (not only the x) with the current schedule: CP-SAT then starts
    from it as a complete solution instead of repairing a partial one (measured: a partial
    hint of a 36-break schedule gave a first solution of 130 breaks). The auxiliary values
    come from a copy of the model with the x fixed, which propagation alone solves."""
    probe = bm.model.clone()
    for (m, t), var in bm.x.items():
        probe.add(probe.get_bool_var_from_proto_index(var.index) == int(board.slot_of[m] == t))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, min(2.0, 0.2 * (deadline - time.perf_counter())))
    solver.parameters.num_workers = 1
    status = solver.solve(probe)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for (m, t), var in bm.x.items():
            bm.model.add_hint(var, board.slot_of[m] == t)
        return
    for i in range(len(bm.model.proto.variables)):
        bm.model.add_hint(bm.model.get_int_var_from_proto_index(i), solver.value(probe.get_int_var_from_proto_index(i)))


def spread_of(board: Board) -> int:
    """max - min breaks over the participants who have at least one request."""
    values = [board.breaks_of(p) for p, mine in enumerate(board.meetings_of) if mine]
    return max(values) - min(values) if values else 0


def participant_bounds(board: Board, deadline: float, only: list[int] | None = None) -> list[int]:
    """A lower bound on each participant's breaks, from their own meetings alone.

    Valid when every placeable meeting is placed (so each participant's set of meetings is
    the same in every schedule of this weight): the fewest breaks with which the participant's
    meetings fit into their candidate slots, one per slot, ignoring everybody else's
    meetings. Solved exactly per participant (a tiny CP-SAT model); a participant left when
    time runs out gets the bound proven so far (0 at worst). `only` limits the work to those
    participants (the others get 0, e.g. because their current breaks are already 0).
    """
    instance = board.instance
    fixed_busy, _, _ = _fixed(board)
    prev = instance.previous_adjacent
    days: dict[str, list[int]] = {}
    for t, slot in enumerate(instance.slots):
        days.setdefault(slot.day, []).append(t)
    bounds = [0] * len(instance.participants)
    for p in range(len(instance.participants)) if only is None else only:
        left = deadline - time.perf_counter()
        if left <= 0.01:
            break
        if not fixed_busy[p]:
            if _one_window(board, p, fixed_busy):
                continue
            mine = {t for m in board.meetings_of[p] for t in board.candidates[m]}
            if len({board.day_index[t] for t in mine}) == 1:
                bounds[p] = 1  # no single run holds them, and they all fall on one day
                if board.breaks_of(p) <= 1:
                    continue
        model = cp_model.CpModel()
        by_slot: dict[tuple[int, int], list[Any]] = {}
        for m in board.meetings_of[p]:
            if board.fixed[m] or board.slot_of[m] == UNPLACED:
                continue
            meeting = instance.meetings[m]
            other = meeting.b if meeting.a == p else meeting.a
            options = [t for t in board.candidates[m] if t not in fixed_busy[p] and t not in fixed_busy[other]]
            here = [model.new_bool_var("") for _ in options]
            model.add_exactly_one(here)
            for t, var in zip(options, here, strict=True):
                by_slot.setdefault((p, t), []).append(var)
        for terms in by_slot.values():
            if len(terms) > 1:
                model.add_at_most_one(terms)
        busy = _busy_literals(model, p, len(instance.slots), fixed_busy[p], by_slot)
        terms = []
        for day_slots in days.values():
            day_busy = [(t, busy[t]) for t in day_slots if t in busy]
            if day_busy:
                terms.append(_day_breaks(model, day_busy, prev, len(day_slots)))
        if not terms:
            continue
        model.minimize(sum(terms))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = min(left, 1.0)
        solver.parameters.num_workers = 1
        solver.parameters.symmetry_level = 0
        solver.parameters.cp_model_probing_level = 0
        status = solver.solve(model)
        if status == cp_model.OPTIMAL:
            bounds[p] = round(solver.objective_value)
        elif status == cp_model.FEASIBLE:
            bounds[p] = max(bounds[p], math.ceil(solver.best_objective_bound - 1e-6))
    return bounds


def _one_window(board: Board, p: int, fixed_busy: list[set[int]]) -> bool:
    """Can all of `p`'s placed meetings sit in one run of adjacent slots (so p's bound is 0)?

    For each run of n adjacent slots (n = p's number of meetings), a bipartite matching of
    the meetings into the run's slots (augmenting paths; n is at most the number of slots).
    """
    instance = board.instance
    mine = []
    for m in board.meetings_of[p]:
        if board.fixed[m] or board.slot_of[m] == UNPLACED:
            continue
        meeting = instance.meetings[m]
        other = meeting.b if meeting.a == p else meeting.a
        mine.append({t for t in board.candidates[m] if t not in fixed_busy[other]})
    n = len(mine)
    if n <= 1:
        return True
    prev = instance.previous_adjacent
    for last in range(len(instance.slots)):
        run = [last]
        while len(run) < n and prev[run[-1]] is not None:
            run.append(prev[run[-1]])  # type: ignore[arg-type]
        if len(run) == n and _matches(mine, set(run)):
            return True
    return False


def _matches(options: list[set[int]], slots: set[int]) -> bool:
    """Is there a matching of every option set into distinct `slots`?"""
    owner: dict[int, int] = {}

    def augment(k: int, seen: set[int]) -> bool:
        for t in options[k] & slots:
            if t in seen:
                continue
            seen.add(t)
            if t not in owner or augment(owner[t], seen):
                owner[t] = k
                return True
        return False

    return all(augment(k, set()) for k in range(len(options)))


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
