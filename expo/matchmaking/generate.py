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
) -> dict[str, Any]:
    """Investors in many time zones (a window of 8 to 20 slots a day), teams available
    nearly all day, requests between them weighted 1 (one-sided), 2 or 3 (mutual)."""
    rng = random.Random(seed)
    slots = slot_grid(days, per_day)
    ids = [s["id"] for s in slots]
    participants = []
    for i in range(investors):
        width = rng.randint(min(8, per_day), min(20, per_day))
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
        off = set(rng.sample(range(len(ids)), k=len(ids) // 8))
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


def forum_instance(
    seed: int, people: int, meetings: int, n_slots: int, rooms: int
) -> dict[str, Any]:
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
