"""Phase 2: keep the weight, remove breaks (idle holes between a person's meetings in a day).

A local search (move one meeting to a better slot, swap the slots of two meetings that share
a participant) runs first on every instance; it is cheap and never changes which meetings are
placed. Simulated annealing with Kempe chains (anneal.py) does most of the work. On instances
small enough for it, CP-SAT (cpsat.py) solves the exact model: it proves small instances
optimal and gives the others a lower bound on breaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .board import UNPLACED, Board

CPSAT_MAX_VARIABLES = 60_000
"""Above this many (meeting, slot) pairs the exact model is left out: local search only."""

CPSAT_SEARCH_MAX_VARIABLES = 3_000
"""CP-SAT searches beside the annealing only on models up to this many variables: its
large-neighbourhood search closed the last breaks at 2,076 variables (38 -> 32, optimum 32)
but never improved the annealing at 4,000-5,600 (80 people, 22 slots), where its threads only
took CPU from the annealing (the release's lone annealing beat the two together, 27 to 39)."""

BUILD_SECONDS_PER_VARIABLE = 1.2e-4
"""Measured: building the CP-SAT model and its complete hint takes about 60 µs per (meeting,
slot) variable on a loaded 2-core machine (3.1 s for 26,777); twice that, to be safe."""

FIRST_ANNEAL_SHARE = 0.1
"""Share of the break phase's time for the annealing before the counting bound."""

ANNEAL_SHARE = 0.5
"""Share of the break phase's time the annealing has alone; then CP-SAT starts from the
annealed schedule in its own threads while the annealing goes on beside it (CP-SAT releases
the GIL), and the better schedule is kept (measured, docs/scheduler.md)."""

UNCAPPED_SHARE = 0.3
"""With a fairness spread, the share of the annealing run without the cap."""

FOCUS = 0.5
"""Share of annealing moves drawn among the meetings of participants above their counting
bound (measured: 37 and 36 breaks against 38 and 42 without, optimum 32)."""


def minimize(
    board: Board,
    deadline: float,
    engines: list[str],
    say: Callable[[str], None],
    *,
    spread: int | None = None,
    workers: int = 1,
) -> int | None:
    """Lower the breaks on `board` without changing its weight (see `_minimize`); the last
    progress line gives the final breaks and bound."""
    lower = _minimize(board, deadline, engines, say, spread=spread, workers=workers)
    engine = engines[-1] if engines else "weight"
    say(f"breaks [{engine}]: best {board.breaks()}, bound {'?' if lower is None else lower}")
    return lower


def _minimize(
    board: Board,
    deadline: float,
    engines: list[str],
    say: Callable[[str], None],
    *,
    spread: int | None = None,
    workers: int = 1,
) -> int | None:
    """Lower the breaks on `board` without changing its weight; return a proven lower bound
    on breaks at that weight, or None when none is known.

    Order: local search (instant); the counting bound (each participant's fewest breaks
    with their own meetings alone) when every placeable meeting is placed; simulated
    annealing for a share of the time, stopping at that bound; then CP-SAT on the exact
    model, started from the annealed schedule, until the deadline or a proof. `spread`
    bounds max - min breaks between participants who have a request: the annealing penalises
    breaks above the cap and CP-SAT enforces it (hard constraint); when no fair schedule of
    this weight was found in time, the schedule is kept as it is (the result says the spread
    was not met: meetings are never given up for fairness).
    """
    before = board.breaks()
    fair = spread is None or spread_ok(board, spread)
    if before == 0 and fair:
        return 0
    local_search(board, deadline)
    engines.append("local-search")
    say(f"breaks: {before} after the weight phase, {board.breaks()} after local search")
    variables = _variables(board)
    lower = 0
    bounds = None
    from .solver import affordable

    small = variables <= CPSAT_MAX_VARIABLES and affordable("ortools", deadline)
    from .anneal import anneal

    cap = None if spread is None else spread + _least(board)
    if small:
        from .cpsat import all_placed, participant_bounds

        if all_placed(board):
            # A first short annealing leaves most participants at 0 or 1 break, whose
            # bounds need no CP-SAT call (one run of slots, or one day): fewer calls.
            anneal(board, time.perf_counter() + FIRST_ANNEAL_SHARE * _left(deadline))
            busy = [p for p in range(len(board.busy)) if board.breaks_of(p) > 0]
            bounds = participant_bounds(board, time.perf_counter() + 0.25 * _left(deadline), busy)
            lower = sum(bounds)
            engines.append("counting-bound")
    # CP-SAT only on models where its search improved on the annealing (measured), or to
    # enforce a fairness spread (without it, the repair dropped 2-29 meetings on 70-80
    # people), and when building its model (and the hint) fits in a third of the time left.
    exact = (
        small
        and (variables <= CPSAT_SEARCH_MAX_VARIABLES or spread is not None)
        and BUILD_SECONDS_PER_VARIABLE * variables < 0.3 * _left(deadline)
    )
    say(f"breaks [{engines[-1]}]: best {board.breaks()}, bound {lower if small else '?'}")
    if board.breaks() <= lower and (spread is None or spread_ok(board, spread)):
        return lower
    if _left(deadline) < 0.1:
        return lower if small and bounds is not None else None
    end = time.perf_counter() + (ANNEAL_SHARE if exact else 1.0) * _left(deadline)
    curve = (time.perf_counter(), deadline)  # one cooling over the rest of the phase
    focus = FOCUS if bounds else 0.0
    if cap is not None:
        # Fewest breaks first, without the cap, then the cap from that schedule (measured on
        # 80 people, 22 slots, optimum 21 and fair itself, d = 1, 25 s: cap from the start 51
        # breaks; 60% uncapped: 6 meetings dropped by the repair; 30%: 48; 30% with a cap
        # penalty of 10 instead of 3: 35, of 30: 47).
        middle = time.perf_counter() + UNCAPPED_SHARE * (end - time.perf_counter())
        anneal(board, middle, floor=lower, focus=focus, excess=bounds, curve=curve)
    steps = anneal(board, end, floor=lower, focus=focus, excess=bounds, cap=cap, curve=curve)
    engines.append("annealing")
    say(f"breaks [annealing]: best {board.breaks()}, bound {lower if small else '?'} ({steps} steps)")
    if board.breaks() <= lower and (spread is None or spread_ok(board, spread)):
        return lower
    if exact and _left(deadline) > 0.05:
        from .cpsat import minimize_breaks

        def keep_annealing(end: float, finished: Callable[[], bool]) -> None:
            anneal(board, end, seed=2, floor=lower, focus=focus, excess=bounds, cap=cap, stop=finished, curve=curve)

        outcome = minimize_breaks(
            board, _left(deadline), say, lower=bounds, spread=spread, workers=workers, alongside=keep_annealing
        )
        engines.append("cp-sat")
        if outcome.lower is not None:
            lower = max(lower, outcome.lower)
        say(f"breaks [cp-sat]: best {board.breaks()}, bound {lower} ({outcome.status.lower()})")
    if spread is not None and not spread_ok(board, spread):
        # Weight first: no requested meeting is given up for fairness. The result keeps the
        # full schedule and says that the spread was not met (`break_spread_status`).
        engines.append("spread-unmet")
        say(f"breaks: no schedule within the spread {spread} found at this weight; spread {_spread(board)} kept")
    return lower if bounds is not None or exact else None


def _least(board: Board) -> int:
    """The fewest breaks any participant with a request can have: 0 unless every one of them
    is above 0 by the counting bound (rare); 0 is the safe choice for the cap."""
    return 0


def _spread(board: Board) -> int:
    values = [board.breaks_of(p) for p, mine in enumerate(board.meetings_of) if mine]
    return max(values) - min(values) if values else 0


def spread_ok(board: Board, spread: int) -> bool:
    values = [board.breaks_of(p) for p, mine in enumerate(board.meetings_of) if mine]
    return not values or max(values) - min(values) <= spread


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.perf_counter())


def _variables(board: Board) -> int:
    return sum(len(c) for m, c in enumerate(board.candidates) if not board.fixed[m])


def local_search(board: Board, deadline: float) -> None:
    """Improving moves and swaps until none is left or time is up."""
    while time.perf_counter() < deadline:
        improved = _moves(board, deadline)
        improved = _swaps(board, deadline) or improved
        if not improved:
            return


def _moves(board: Board, deadline: float) -> bool:
    meetings = board.instance.meetings
    improved = False
    for m, s in enumerate(board.slot_of):
        if s == UNPLACED or board.fixed[m] or len(board.candidates[m]) < 2:
            continue
        if m % 512 == 0 and time.perf_counter() > deadline:
            break
        a, b = meetings[m].a, meetings[m].b
        removed = board.break_delta_remove(a, s) + board.break_delta_remove(b, s)
        board.remove(m)
        best, best_delta = s, 0
        for t in board.candidates[m]:
            if t != s and board.can_place(m, t):
                delta = removed + board.break_delta_add(a, t) + board.break_delta_add(b, t)
                if delta < best_delta:
                    best, best_delta = t, delta
        board.place(m, best)
        improved = improved or best != s
    return improved


def _swaps(board: Board, deadline: float) -> bool:
    """Exchange the slots of two meetings of the same participant when breaks go down."""
    meetings = board.instance.meetings
    improved = False
    for p, mine in enumerate(board.meetings_of):
        if p % 64 == 0 and time.perf_counter() > deadline:
            break
        if board.breaks_of(p) == 0:
            continue
        placed = [m for m in mine if board.slot_of[m] != UNPLACED and not board.fixed[m]]
        for i, m1 in enumerate(placed):
            for m2 in placed[i + 1 :]:
                s1, s2 = board.slot_of[m1], board.slot_of[m2]
                if s2 not in board.candidates[m1] or s1 not in board.candidates[m2]:
                    continue
                people = {meetings[m1].a, meetings[m1].b, meetings[m2].a, meetings[m2].b}
                before = sum(board.breaks_of(q) for q in people)
                board.remove(m1)
                board.remove(m2)
                if board.can_place(m1, s2):
                    board.place(m1, s2)
                    if board.can_place(m2, s1):
                        board.place(m2, s1)
                        if sum(board.breaks_of(q) for q in people) < before:
                            improved = True
                            break
                        board.remove(m2)
                    board.remove(m1)
                board.place(m1, s1)
                board.place(m2, s2)
            else:
                continue
            break
    return improved
