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


def minimize(board: Board, deadline: float, engines: list[str], say: Callable[[str], None]) -> int | None:
    """Lower the breaks on `board` without changing its weight; return a proven lower bound
    on breaks at that weight when the exact model ran, else None.

    Order: local search (instant); on small instances a short CP-SAT run, which proves the
    optimum of the small ones outright and gives the others a lower bound; then simulated
    annealing until the deadline or that lower bound.
    """
    before = board.breaks()
    if before == 0:
        return 0
    local_search(board, deadline)
    engines.append("local-search")
    say(f"breaks: {before} after the weight phase, {board.breaks()} after local search")
    if board.breaks() == 0:
        return 0
    exact = _variables(board) <= CPSAT_MAX_VARIABLES
    lower: int | None = None
    if exact:
        from .cpsat import minimize_breaks

        lower = minimize_breaks(board, min(2.0, _left(deadline) * 0.2), say)
        engines.append("cp-sat")
        if lower is not None and board.breaks() <= lower:
            return lower
    if _left(deadline) > 0.05:
        from .anneal import anneal

        steps = anneal(board, deadline, floor=lower or 0)
        engines.append("annealing")
        say(f"breaks: {board.breaks()} after {steps} annealing steps")
    return lower


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
