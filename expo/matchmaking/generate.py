"""Seeded instance generators for benchmarks, tests and demos (JSON dicts of the contract)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

_START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_grid(days: int, per_day: int, minutes: int = 30) -> list[dict[str, Any]]:
    """`days` days of `per_day` back-to-back slots of `minutes` minutes."""
    slots = []
    for d in range(days):
        day = _START + timedelta(days=d)
        for k in range(per_day):
            start = day + timedelta(minutes=minutes * k)
            slots.append(
                {
                    "id": f"d{d + 1}-{k + 1:02d}",
                    "start": _stamp(start),
                    "end": _stamp(start + timedelta(minutes=minutes)),
                    "day": day.date().isoformat(),
                }
            )
    return slots


def random_instance(
    seed: int,
    investors: int,
    teams: int,
    requests: int,
    days: int,
    per_day: int,
    rooms_per_slot: int | None = None,
    window: tuple[int, int] = (8, 20),
    team_off: float = 0.125,
) -> dict[str, Any]:
    """Investors in many time zones (a window of `window` slots a day), teams away from a
    random `team_off` share of the slots, requests between them weighted 1 (one-sided),
    2 or 3 (mutual)."""
    rng = random.Random(seed)
    slots = slot_grid(days, per_day)
    ids = [s["id"] for s in slots]
    participants = []
    for i in range(investors):
        width = rng.randint(min(window[0], per_day), min(window[1], per_day))
        offset = rng.randint(0, per_day - width)
        available = [ids[d * per_day + offset + k] for d in range(days) for k in range(width)]
        participants.append(
            {
                "id": f"inv-{i}",
                "kind": "investor",
                "available": available,
                "max_meetings": rng.randint(4, 12),
            }
        )
    for j in range(teams):
        off = set(rng.sample(range(len(ids)), k=int(len(ids) * team_off)))
        available = [s for k, s in enumerate(ids) if k not in off]
        participants.append({"id": f"team-{j}", "kind": "team", "available": available})
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(requests, investors * teams):
        pairs.add((rng.randrange(investors), rng.randrange(teams)))
    meetings = []
    for k, (i, j) in enumerate(sorted(pairs)):
        weight = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
        meetings.append({"id": f"m-{k}", "a": f"inv-{i}", "b": f"team-{j}", "weight": weight})
    rng.shuffle(meetings)
    instance: dict[str, Any] = {"slots": slots, "participants": participants, "meetings": meetings}
    if rooms_per_slot is not None:
        instance["rooms_per_slot"] = rooms_per_slot
    return instance


def forum_instance(seed: int, people: int, meetings: int, n_slots: int, rooms: int) -> dict[str, Any]:
    """A brokerage-event-sized instance where every meeting fits.

    A random feasible schedule is planted first; then a few slots each participant did not
    use are forbidden and about a fifth of the meetings are limited to the morning or the
    afternoon half that holds their planted slot. The planted schedule is not returned.
    """
    rng = random.Random(seed)
    slots = slot_grid(1, n_slots, minutes=20)
    ids = [s["id"] for s in slots]
    half = n_slots // 2
    investors = people // 2
    busy: list[set[int]] = [set() for _ in range(people)]
    pairs: set[tuple[int, int]] = set()
    planted: list[tuple[int, int, int]] = []
    attempts = 0
    while len(planted) < meetings and attempts < 200 * meetings:
        attempts += 1
        t = rng.randrange(n_slots)
        if sum(1 for _, _, s in planted if s == t) >= rooms:
            continue
        i, j = rng.randrange(investors), rng.randrange(investors, people)
        if (i, j) in pairs or t in busy[i] or t in busy[j]:
            continue
        pairs.add((i, j))
        busy[i].add(t)
        busy[j].add(t)
        planted.append((i, j, t))
    participants = []
    for p in range(people):
        free = [t for t in range(n_slots) if t not in busy[p]]
        forbidden = set(rng.sample(free, k=min(len(free), rng.randint(0, 2))))
        participants.append(
            {
                "id": f"p-{p}",
                "kind": "investor" if p < investors else "team",
                "available": [ids[t] for t in range(n_slots) if t not in forbidden],
            }
        )
    out = []
    for k, (i, j, t) in enumerate(planted):
        entry: dict[str, Any] = {
            "id": f"m-{k}",
            "a": f"p-{i}",
            "b": f"p-{j}",
            "weight": rng.choice((1, 1, 2, 3)),
        }
        if rng.random() < 0.2:
            part = range(half) if t < half else range(half, n_slots)
            entry["allowed_slots"] = [ids[s] for s in part]
        out.append(entry)
    rng.shuffle(out)
    return {"slots": slots, "participants": participants, "meetings": out, "rooms_per_slot": rooms}


def compact_forum_instance(seed: int, people: int, meetings: int, n_slots: int, rooms: int) -> dict[str, Any]:
    """Like `forum_instance`, but the planted schedule has no break at all, so the optimum
    is known: every meeting placed and 0 breaks.

    Slot by slot, participants who have started keep meeting until their planned number of
    meetings is done; newcomers join to balance investors and teams and to fill the slot;
    the active investors and teams are paired at random, never twice the same pair. The
    plan is made a little too big, then meetings at the ends of both participants' runs are
    dropped until `meetings` are left (the runs stay unbroken).
    """
    rng = random.Random(seed)
    slots = slot_grid(1, n_slots, minutes=20)
    ids = [s["id"] for s in slots]
    half = n_slots // 2
    planted: list[tuple[int, int, int]] = []
    for inflate in range(20):
        planted = _plant_compact(rng, people, int(meetings * (1 + 0.1 * inflate)), n_slots, rooms)
        if len(planted) >= meetings:
            break
    busy: list[set[int]] = [set() for _ in range(people)]
    for i, j, t in planted:
        busy[i].add(t)
        busy[j].add(t)
    while len(planted) > meetings:
        ends = [
            k
            for k, (i, j, t) in enumerate(planted)
            if t in (min(busy[i]), max(busy[i])) and t in (min(busy[j]), max(busy[j]))
        ]
        if not ends:
            break
        i, j, t = planted.pop(rng.choice(ends))
        busy[i].discard(t)
        busy[j].discard(t)
    participants = []
    for p in range(people):
        free = [t for t in range(n_slots) if t not in busy[p]]
        forbidden = set(rng.sample(free, k=min(len(free), rng.randint(0, 2))))
        participants.append(
            {
                "id": f"p-{p}",
                "kind": "investor" if p < people // 2 else "team",
                "available": [ids[t] for t in range(n_slots) if t not in forbidden],
            }
        )
    out = []
    for k, (i, j, t) in enumerate(planted):
        entry: dict[str, Any] = {
            "id": f"m-{k}",
            "a": f"p-{i}",
            "b": f"p-{j}",
            "weight": rng.choice((1, 1, 2, 3)),
        }
        if rng.random() < 0.2:
            part = range(half) if t < half else range(half, n_slots)
            entry["allowed_slots"] = [ids[s] for s in part]
        out.append(entry)
    rng.shuffle(out)
    return {"slots": slots, "participants": participants, "meetings": out, "rooms_per_slot": rooms}


def _plant_compact(
    rng: random.Random, people: int, meetings: int, n_slots: int, rooms: int
) -> list[tuple[int, int, int]]:
    per_slot = max(1, min(rooms, -(-meetings // n_slots)))
    investors, teams = list(range(people // 2)), list(range(people // 2, people))
    return _plant_runs(rng, investors, teams, meetings, n_slots, per_slot, set(), set(), rooms=rooms, stop=False)


FORUM_FAMILIES = ("two-sided", "tables", "half-days", "few-meetings")
"""Forum-shaped families of `b2b_forum` (see there)."""


def b2b_forum(
    seed: int,
    people: int,
    meetings: int,
    morning: int,
    afternoon: int,
    family: str = "two-sided",
) -> tuple[dict[str, Any], int]:
    """A brokerage forum of one day (a lunch pause between `morning` and `afternoon` slots)
    and its optimum number of breaks, known by construction: `(instance, optimum)`.

    A schedule is planted half-day by half-day: each participant's meetings of a half form
    one unbroken run (`_plant_compact`), so a participant who meets in both halves has one
    break (the lunch pause, which is not an adjacency) and the others none. Each such
    participant gets one meeting limited to the morning and one to the afternoon (both where
    they are planted), which forces that break in every schedule; so the sum of the planted
    breaks is a lower bound that the planted schedule reaches: the optimum, with every meeting
    placed. The planted schedule is not returned. Families:

    - ``two-sided``: investors meet teams; everybody free all day but 0-2 slots;
    - ``tables``: as two-sided, with exactly as many tables (``rooms_per_slot``) as the
      busiest planted slot uses;
    - ``half-days``: a third of the participants come only in the morning, a third only in
      the afternoon (their availability says so), a fifth of the other meetings are limited
      to the half-day they are planted in;
    - ``few-meetings``: as half-days, and a quarter of the participants have one to three
      meetings.
    """
    if family not in FORUM_FAMILIES:
        raise ValueError(f"unknown forum family {family!r}")
    rng = random.Random(f"{family}-{seed}")
    slots = _forum_grid(morning, afternoon)
    ids = [s["id"] for s in slots]
    halves = [range(morning), range(morning, morning + afternoon)]
    investors = list(range(people // 2))
    teams = list(range(people // 2, people))
    load = 2 * meetings / max(1, people * (morning + afternoon))
    both_share = 0.0 if afternoon == 0 else min(0.9, max(0.1, 2.2 * load - 0.5))
    single = (1 - both_share) / 2 if afternoon else 1.0
    plan = [
        rng.choices(("morning", "afternoon", "both"), weights=(single, single if afternoon else 0, both_share))[0]
        for _ in range(people)
    ]
    split = family in ("half-days", "few-meetings")
    few = {p for p in range(people) if family == "few-meetings" and rng.random() < 0.25}
    planted: list[tuple[int, int, int]] = []
    for inflate in range(20):
        planted = _plant_day(rng, investors, teams, plan, halves, int(meetings * (1 + 0.1 * inflate)), few)
        if len(planted) >= meetings:
            break
    busy: list[set[int]] = [set() for _ in range(people)]
    for i, j, t in planted:
        busy[i].add(t)
        busy[j].add(t)

    def run_end(p: int, t: int) -> bool:
        mine = [s for s in busy[p] if (s < morning) == (t < morning)]
        return t in (min(mine), max(mine))

    while len(planted) > meetings:
        ends = [k for k, (i, j, t) in enumerate(planted) if run_end(i, t) and run_end(j, t)]
        if not ends:
            break
        i, j, t = planted.pop(rng.choice(ends))
        busy[i].discard(t)
        busy[j].discard(t)
    comes = [plan[p] if split else "both" for p in range(people)]
    per_slot = [0] * len(ids)
    for _, _, t in planted:
        per_slot[t] += 1
    rooms = max(per_slot) if family == "tables" else max(per_slot) + max(2, max(per_slot) // 3)
    both = {p for p in range(people) if busy[p] & set(halves[0]) and busy[p] & set(halves[1])}
    comes = ["morning" if not afternoon else c for c in comes]
    limited: dict[int, list[int]] = {}
    for p in sorted(both):
        for half in halves:
            mine = [k for k, (i, j, t) in enumerate(planted) if p in (i, j) and t in half]
            limited.setdefault(rng.choice(mine), list(half))
    participants = []
    for p in range(people):
        open_slots = [t for t in range(len(ids)) if comes[p] == "both" or t in halves[comes[p] == "afternoon"]]
        free = [t for t in open_slots if t not in busy[p]]
        forbidden = set(rng.sample(free, k=min(len(free), rng.randint(0, 2))))
        participants.append(
            {
                "id": f"p-{p}",
                "kind": "investor" if p < len(investors) else "team",
                "available": [ids[t] for t in open_slots if t not in forbidden],
            }
        )
    out = []
    for k, (i, j, t) in enumerate(planted):
        entry: dict[str, Any] = {"id": f"m-{k}", "a": f"p-{i}", "b": f"p-{j}", "weight": rng.choice((1, 1, 2, 3))}
        part = limited.get(k)
        if part is None and split and rng.random() < 0.2:
            part = list(halves[0] if t < morning else halves[1])
        if part is not None:
            entry["allowed_slots"] = [ids[s] for s in part]
        out.append(entry)
    rng.shuffle(out)
    instance = {"slots": slots, "participants": participants, "meetings": out, "rooms_per_slot": rooms}
    return instance, len(both)


def _forum_grid(morning: int, afternoon: int, minutes: int = 20) -> list[dict[str, Any]]:
    """One day: `morning` slots, a one-hour lunch pause, `afternoon` slots."""
    slots = []
    for k in range(morning + afternoon):
        start = _START + timedelta(minutes=minutes * k + (60 if k >= morning else 0))
        slots.append(
            {
                "id": f"{'am' if k < morning else 'pm'}-{k + 1:02d}",
                "start": _stamp(start),
                "end": _stamp(start + timedelta(minutes=minutes)),
                "day": _START.date().isoformat(),
            }
        )
    return slots


def _plant_day(
    rng: random.Random,
    investors: list[int],
    teams: list[int],
    plan: list[str],
    halves: list[range],
    meetings: int,
    few: set[int],
) -> list[tuple[int, int, int]]:
    """Plant both half-days (`_plant_runs`), each with its share of `meetings`."""
    pairs: set[tuple[int, int]] = set()
    planted: list[tuple[int, int, int]] = []
    total = sum(len(h) for h in halves)
    for h, half in enumerate(halves):
        if not half:
            continue
        here = ("morning", "afternoon")[h]
        target = meetings * len(half) // total
        inv = [p for p in investors if plan[p] in (here, "both")]
        tea = [p for p in teams if plan[p] in (here, "both")]
        per_slot = -(-target // len(half)) + 1
        part = _plant_runs(rng, inv, tea, target, len(half), per_slot, few, pairs)
        planted += [(i, j, half[0] + t) for i, j, t in part]
    return planted


def _plant_runs(
    rng: random.Random,
    investors: list[int],
    teams: list[int],
    meetings: int,
    n_slots: int,
    per_slot: int,
    few: set[int],
    pairs: set[tuple[int, int]],
    rooms: int | None = None,
    stop: bool = True,
) -> list[tuple[int, int, int]]:
    """Meetings (investor, team, slot) where each participant's slots form one unbroken run.

    Slot by slot, participants who have started keep meeting until their planned number is
    done; newcomers join to balance both sides and fill the slot; active investors and teams
    are paired at random, never twice the same pair (`pairs` is shared between calls), at
    most `rooms` (default `per_slot`) a slot. With `stop`, no slot is started once
    `meetings` are planted.
    """
    investors, teams = investors[:], teams[:]
    rng.shuffle(investors)
    rng.shuffle(teams)
    people = max(1, len(investors) + len(teams))
    mean_length = max(2, min(n_slots, round(2 * meetings / people)))
    remaining: dict[int, int] = {}
    planted: list[tuple[int, int, int]] = []

    def start(pool: list[int], active: list[int]) -> bool:
        if not pool:
            return False
        p = pool.pop(0)
        length = rng.randint(1, 3) if p in few else int(rng.gauss(mean_length, 2))
        remaining[p] = max(1, min(n_slots, length))
        active.append(p)
        return True

    fresh_i, fresh_t = investors, teams
    team_ids = set(teams)
    for t in range(n_slots):
        if stop and len(planted) >= meetings:
            break
        active_i = [p for p in remaining if remaining[p] > 0 and p not in team_ids]
        active_t = [p for p in remaining if remaining[p] > 0 and p in team_ids]
        while len(active_i) < len(active_t) and start(fresh_i, active_i):
            pass
        while len(active_t) < len(active_i) and start(fresh_t, active_t):
            pass
        while len(active_i) < per_slot and fresh_i and fresh_t:
            start(fresh_i, active_i)
            start(fresh_t, active_t)
        n = min(len(active_i), len(active_t), per_slot if rooms is None else rooms)
        for _ in range(50):
            rng.shuffle(active_t)
            if all((i, j) not in pairs for i, j in zip(active_i[:n], active_t[:n], strict=True)):
                break
        for i, j in zip(active_i[:n], active_t[:n], strict=True):
            if (i, j) in pairs:
                remaining[i] = remaining[j] = 0
                continue
            pairs.add((i, j))
            planted.append((i, j, t))
            remaining[i] -= 1
            remaining[j] -= 1
        for p in active_i[n:] + active_t[n:]:
            remaining[p] = 0
    return planted
