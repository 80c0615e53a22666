"""The greedy scheduler (benchmark baseline and instant fallback) and a small repair search.

Greedy: heaviest meetings first (the most constrained first among equals), each into the
feasible slot that touches most of its two participants' meetings (fewest new holes), the
earliest among those.
"""

from __future__ import annotations

from collections.abc import Iterable

from .board import UNPLACED, Board


def greedy_order(board: Board, meetings: Iterable[int]) -> list[int]:
    weights = [m.weight for m in board.instance.meetings]
    return sorted(meetings, key=lambda m: (-weights[m], len(board.candidates[m]), m))


def best_slot(board: Board, m: int, slots: Iterable[int]) -> int:
    """The feasible slot among `slots` with most adjacent meetings, or UNPLACED."""
    meeting = board.instance.meetings[m]
    best, best_score = UNPLACED, -1
    for t in slots:
        if board.can_place(m, t):
            score = board.neighbours(meeting.a, t) + board.neighbours(meeting.b, t)
            if score > best_score:
                best, best_score = t, score
                if score == 4:
                    break
    return best


def fill(board: Board, order: Iterable[int]) -> None:
    """Place each unplaced meeting of `order` in its best feasible slot, if it has one."""
    for m in order:
        if board.slot_of[m] == UNPLACED:
            t = best_slot(board, m, board.candidates[m])
            if t != UNPLACED:
                board.place(m, t)


def greedy(board: Board) -> None:
    """Fill `board` greedily (fixed meetings are already on it)."""
    fill(board, greedy_order(board, range(len(board.slot_of))))


def repair(board: Board, rounds: int = 2) -> None:
    """Try to place each unplaced meeting by moving one blocking meeting elsewhere.

    Never lowers the objective: a move is made only when it places the meeting and the
    blocker finds another slot.
    """
    for _ in range(rounds):
        improved = False
        for m in greedy_order(board, [m for m, t in enumerate(board.slot_of) if t == UNPLACED]):
            if _place_by_one_move(board, m):
                improved = True
        if not improved:
            return


def _place_by_one_move(board: Board, m: int) -> bool:
    meeting = board.instance.meetings[m]
    a, b = meeting.a, meeting.b
    if board.count[a] >= board.limit[a] or board.count[b] >= board.limit[b]:
        return False
    for t in board.candidates[m]:
        if board.can_place(m, t):
            board.place(m, t)
            return True
    for t in board.candidates[m]:
        blockers = {board.busy[a].get(t), board.busy[b].get(t)} - {None}
        if not blockers and board.used[t] >= board.rooms and _free_a_room(board, t):
            board.place(m, t)
            return True
        if len(blockers) != 1 or board.used[t] > board.rooms:
            continue
        (other,) = blockers
        assert other is not None
        if board.fixed[other]:
            continue
        board.remove(other)
        if not board.can_place(m, t):
            board.place(other, t)
            continue
        board.place(m, t)
        moved = best_slot(board, other, (s for s in board.candidates[other] if s != t))
        if moved != UNPLACED:
            board.place(other, moved)
            return True
        board.remove(m)
        board.place(other, t)
    return False


def _free_a_room(board: Board, t: int, tries: int = 16) -> bool:
    """Move one movable meeting out of full slot `t` to another of its slots, if one fits."""
    for k, e in enumerate(list(board.at[t])):
        if k >= tries:
            break
        if board.fixed[e]:
            continue
        board.remove(e)
        moved = best_slot(board, e, (s for s in board.candidates[e] if s != t))
        if moved != UNPLACED:
            board.place(e, moved)
            return True
        board.place(e, t)
    return False
