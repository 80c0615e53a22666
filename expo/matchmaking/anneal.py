"""Simulated annealing on breaks, with single moves and Kempe-chain swaps.

The placed set of meetings never changes, so the weight stays what phase 1 reached. Two
neighbourhoods:

- move one meeting to another free candidate slot;
- Kempe chain: take a meeting in slot s and another slot t; the meetings in s or t that are
  linked through shared participants form a chain; swapping s and t along the whole chain
  keeps everybody single-booked, so it only needs the candidate slots and the room caps
  checked. Chains reach rearrangements that single moves cannot.

The search accepts worse schedules with a probability that falls with the temperature and
keeps the best schedule seen.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from .board import UNPLACED, Board

MAX_CHAIN = 40

CAP_PENALTY = 10
"""Search cost of one break above the cap (soft, so that the search can pass through unfair
schedules); the best schedule kept is the one with the fewest breaks above the cap first."""


def anneal(
    board: Board,
    deadline: float,
    seed: int = 1,
    hot: float = 1.0,
    cold: float = 0.05,
    floor: int = 0,
    idle_weight: float = 0.25,
    cycles: int = 1,
    focus: float = 0.0,
    excess: list[int] | None = None,
    cap: int | None = None,
    stop: Callable[[], bool] | None = None,
    curve: tuple[float, float] | None = None,
) -> int:
    """Lower the breaks on `board` until `deadline`; leave the best schedule found on it.

    The search minimises breaks + `idle_weight` * idle slots (free slots between a
    person's first and last meeting of a day): the idle slots tell a long hole from a short
    one, which guides the search towards closing holes. Stops early on reaching `floor` (a
    known lower bound on breaks). With `cap`, each break a participant has above `cap`
    costs CAP_PENALTY more, and the schedule kept is the best among those with the fewest
    breaks above the cap (the fairness spread, so that CP-SAT starts from a fair schedule).
    `focus` is the share of moves drawn among the meetings of
    participants above their `excess` floor (their counting bound). `stop()` ends the
    search early (checked every 256 steps). `curve` = (start, end) times of the cooling
    curve, when a run continues an earlier one (default: this run, from now to `deadline`):
    the break phase cools once over its whole time instead of reheating at each step (the
    release's single 22 s annealing reached 27 breaks where three reheated runs with CP-SAT
    beside them reached 39, optimum 19). Returns the number of steps tried.
    """
    rng = random.Random(seed)
    movable = [
        m for m, t in enumerate(board.slot_of) if t != UNPLACED and not board.fixed[m] and len(board.candidates[m]) > 1
    ]
    if not movable:
        return 0
    candidate_sets = [set(c) for c in board.candidates]
    breaks = board.breaks()
    over = 0 if cap is None else sum(max(0, board.breaks_of(p) - cap) for p in range(len(board.busy)))
    best, best_schedule = (over, breaks), list(board.slot_of)
    started, until = curve if curve is not None else (time.perf_counter(), deadline)
    total = max(until - started, 1e-3)

    def temperature_at(now: float) -> float:
        return hot * (cold / hot) ** (
            ((now - started) / total * cycles) % 1.0 if cycles > 1 else min(1.0, (now - started) / total)
        )

    temperature = temperature_at(time.perf_counter())
    step = 0
    meetings = board.instance.meetings
    floors = excess or [0] * len(board.busy)
    hot_meetings: list[int] = []
    profile = [_profile(board, p) for p in range(len(board.busy))]  # kept up to date
    while best > (0, floor):
        step += 1
        if step % 256 == 0:
            now = time.perf_counter()
            if now >= deadline or (stop is not None and stop()):
                break
            temperature = temperature_at(now)
            if focus and step % 2048 == 0:
                above = {p for p in range(len(board.busy)) if profile[p][0] > floors[p]}
                hot_meetings = [e for e in movable if meetings[e].a in above or meetings[e].b in above]
        if hot_meetings and rng.random() < focus:
            m = hot_meetings[rng.randrange(len(hot_meetings))]
        else:
            m = movable[rng.randrange(len(movable))]
        options = board.candidates[m]
        t = options[rng.randrange(len(options))]
        s = board.slot_of[m]
        if t == s:
            continue
        if rng.random() < 0.5:
            a, b = meetings[m].a, meetings[m].b
            if t in board.busy[a] or t in board.busy[b] or board.used[t] >= board.rooms:
                continue  # checked before any work: most single moves end here
            # Judged without touching the board: most moves are rejected.
            after_a, after_b = _profile_moved(board, a, s, t), _profile_moved(board, b, s, t)
            before_a, before_b = profile[a], profile[b]
            delta_breaks = after_a[0] + after_b[0] - before_a[0] - before_b[0]
            delta_over = 0
            if cap is not None:
                delta_over = (
                    max(0, after_a[0] - cap)
                    + max(0, after_b[0] - cap)
                    - max(0, before_a[0] - cap)
                    - max(0, before_b[0] - cap)
                )
            delta: float = delta_breaks + CAP_PENALTY * delta_over
            delta += idle_weight * (after_a[1] + after_b[1] - before_a[1] - before_b[1])
            if delta <= 0 or rng.random() < math.exp(-delta / temperature):
                board.remove(m)
                board.place(m, t)
                breaks += delta_breaks
                over += delta_over
                profile[a], profile[b] = after_a, after_b
                if (over, breaks) < best:
                    best, best_schedule = (over, breaks), list(board.slot_of)
            continue
        else:
            chain: list[int] | None = _chain(board, m, s, t, candidate_sets)
            if chain is None or not _rooms_allow(board, chain, s, t):
                continue
        people = list({meetings[e].a for e in chain} | {meetings[e].b for e in chain})
        before = [profile[q] for q in people]
        old = [(e, board.slot_of[e]) for e in chain]
        for e, _ in old:
            board.remove(e)
        for e, slot in old:
            board.place(e, t if slot == s else s)
        after = [_profile(board, q) for q in people]
        delta_breaks = sum(x for x, _ in after) - sum(x for x, _ in before)
        delta_over = 0
        if cap is not None:
            delta_over = sum(max(0, x - cap) for x, _ in after) - sum(max(0, x - cap) for x, _ in before)
        delta = delta_breaks + CAP_PENALTY * delta_over
        delta += idle_weight * (sum(y for _, y in after) - sum(y for _, y in before))
        if delta <= 0 or rng.random() < math.exp(-delta / temperature):
            breaks += delta_breaks
            over += delta_over
            for q, now_q in zip(people, after, strict=True):
                profile[q] = now_q
            if (over, breaks) < best:
                best, best_schedule = (over, breaks), list(board.slot_of)
            continue
        for e, _ in old:
            board.remove(e)
        for e, slot in old:
            board.place(e, slot)
    if (over, breaks) > best:
        board.copy_from(best_schedule)
    return step


def _profile(board: Board, p: int) -> tuple[int, int]:
    """(breaks, idle slots) of participant `p`."""
    slots = sorted(board.busy[p])
    day, prev = board.day_index, board.prev
    breaks = idle = 0
    for s, t in zip(slots, slots[1:], strict=False):
        if day[s] == day[t] and prev[t] != s:
            breaks += 1
            idle += t - s - 1
    return breaks, idle


def _profile_moved(board: Board, p: int, s: int, t: int) -> tuple[int, int]:
    """(breaks, idle slots) of participant `p` if their meeting at `s` moved to `t`."""
    slots = [u for u in board.busy[p] if u != s]
    slots.append(t)
    slots.sort()
    day, prev = board.day_index, board.prev
    breaks = idle = 0
    for u, v in zip(slots, slots[1:], strict=False):
        if day[u] == day[v] and prev[v] != u:
            breaks += 1
            idle += v - u - 1
    return breaks, idle


def _chain(board: Board, m: int, s: int, t: int, candidate_sets: list[set[int]]) -> list[int] | None:
    """The Kempe chain of `m` between slots s and t, or None when it cannot be swapped."""
    meetings = board.instance.meetings
    chain = [m]
    seen = {m}
    k = 0
    while k < len(chain):
        e = chain[k]
        k += 1
        there = t if board.slot_of[e] == s else s
        if board.fixed[e] or there not in candidate_sets[e]:
            return None
        for q in (meetings[e].a, meetings[e].b):
            other = board.busy[q].get(there)
            if other is not None and other not in seen:
                seen.add(other)
                chain.append(other)
                if len(chain) > MAX_CHAIN:
                    return None
    return chain


def _rooms_allow(board: Board, chain: list[int], s: int, t: int) -> bool:
    from_s = sum(1 for e in chain if board.slot_of[e] == s)
    from_t = len(chain) - from_s
    return board.used[t] - from_t + from_s <= board.rooms and board.used[s] - from_s + from_t <= board.rooms
