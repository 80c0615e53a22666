"""Fairness: give a meeting to everybody who has a placeable request, at a bounded cost.

A schedule of maximum weight may leave somebody with no meeting at all (their only request
competes with heavier ones). For each such participant, heaviest request first, this tries
each candidate slot: place the meeting, evict what blocks it (the partner's meeting in that
slot, one meeting of a full slot, one meeting of a partner at their limit, never a fixed one
and never one whose other participant would be left with nothing), re-place the evicted
meetings elsewhere when they fit, and keeps the cheapest option while the total weight given
up stays within `max_loss`.
"""

from __future__ import annotations

from .board import UNPLACED, Board
from .greedy import best_slot


def uncovered(board: Board) -> list[int]:
    """Participants with no meeting although one of their requests has a candidate slot."""
    people = []
    for p, mine in enumerate(board.meetings_of):
        if board.count[p] == 0 and board.limit[p] > 0 and any(board.candidates[m] for m in mine):
            people.append(p)
    return people


def cover_everybody(board: Board, max_loss: int) -> int:
    """Cover as many uncovered participants as the budget allows; return the weight lost."""
    lost = 0
    for p in uncovered(board):
        best: tuple[int, list[tuple[int, int]]] | None = None
        for m in sorted(board.meetings_of[p], key=lambda m: -board.instance.meetings[m].weight):
            if board.limit[_partner(board, m, p)] == 0:
                continue
            for t in board.candidates[m]:
                option = _try(board, m, t)
                if option is not None and (best is None or option[0] < best[0]):
                    best = option
            if best is not None and best[0] <= 0:
                break
        if best is not None and lost + best[0] <= max_loss:
            _apply(board, best[1])
            lost += best[0]
    return lost


def _partner(board: Board, m: int, p: int) -> int:
    meeting = board.instance.meetings[m]
    return meeting.b if meeting.a == p else meeting.a


def _evictable(board: Board, e: int | None) -> bool:
    if e is None or board.fixed[e]:
        return False
    meeting = board.instance.meetings[e]
    return board.count[meeting.a] >= 2 and board.count[meeting.b] >= 2


def _try(board: Board, m: int, t: int) -> tuple[int, list[tuple[int, int]]] | None:
    """Place `m` at `t` by evicting blockers; return (weight lost, moves), board unchanged.

    Moves are (meeting, new slot or UNPLACED), to be replayed by `_apply`.
    """
    meeting = board.instance.meetings[m]
    before = board.weight
    evicted: list[tuple[int, int]] = []

    def undo() -> None:
        if board.slot_of[m] != UNPLACED:
            board.remove(m)
        for e, _ in evicted:
            if board.slot_of[e] != UNPLACED:
                board.remove(e)
        for e, s in evicted:
            board.place(e, s)

    def evict(e: int) -> None:
        evicted.append((e, board.slot_of[e]))
        board.remove(e)

    for who in (meeting.a, meeting.b):
        e = board.busy[who].get(t)
        if e is not None:
            if not _evictable(board, e):
                undo()
                return None
            evict(e)
    if board.used[t] >= board.rooms:
        here = [e for e, s in enumerate(board.slot_of) if s == t and _evictable(board, e)]
        if not here:
            undo()
            return None
        evict(min(here, key=lambda e: board.instance.meetings[e].weight))
    for who in (meeting.a, meeting.b):
        if board.count[who] >= board.limit[who]:
            mine = [e for e in board.busy[who].values() if _evictable(board, e)]
            if not mine:
                undo()
                return None
            evict(min(mine, key=lambda e: board.instance.meetings[e].weight))
    if not board.can_place(m, t):
        undo()
        return None
    board.place(m, t)
    for e, _ in evicted:
        s = best_slot(board, e, board.candidates[e])
        if s != UNPLACED:
            board.place(e, s)
    moves = [(e, board.slot_of[e]) for e, _ in evicted] + [(m, t)]
    option = (before - board.weight, moves)
    undo()
    return option


def _apply(board: Board, moves: list[tuple[int, int]]) -> None:
    for e, _ in moves:
        if board.slot_of[e] != UNPLACED:
            board.remove(e)
    for e, s in moves:
        if s != UNPLACED:
            board.place(e, s)
