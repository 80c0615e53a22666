"""A schedule under construction: who sits where, with O(1) feasibility checks.

Every heuristic (greedy, LP rounding, repair, break search) moves meetings on a `Board`.
Fixed meetings are placed when the board is made and are never moved.
"""

from __future__ import annotations

from .instance import Instance

UNPLACED = -1


class Board:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        n_meetings = len(instance.meetings)
        self.candidates: list[list[int]] = [instance.candidate_slots(m) for m in range(n_meetings)]
        self.slot_of: list[int] = [UNPLACED] * n_meetings
        self.busy: list[dict[int, int]] = [{} for _ in instance.participants]
        self.count: list[int] = [0] * len(instance.participants)
        # Caps above the number of meetings never bind; clamping keeps them machine-sized.
        self.limit: list[int] = [
            n_meetings if p.max_meetings is None else min(p.max_meetings, n_meetings) for p in instance.participants
        ]
        rooms = instance.rooms_per_slot
        self.rooms = n_meetings if rooms is None else min(rooms, n_meetings)
        self.used: list[int] = [0] * len(instance.slots)
        self.at: list[set[int]] = [set() for _ in instance.slots]
        self.prev = instance.previous_adjacent
        self.day = [s.day for s in instance.slots]
        day_numbers = {d: k for k, d in enumerate(dict.fromkeys(self.day))}
        self.day_index = [day_numbers[d] for d in self.day]
        self.per_day: list[list[int]] = [[0] * len(day_numbers) for _ in instance.participants]
        nxt: list[int | None] = [None] * len(instance.slots)
        for t, p in enumerate(self.prev):
            if p is not None:
                nxt[p] = t
        self.next: list[int | None] = nxt
        self.weight = 0
        self.fixed = [m.fixed_slot is not None for m in instance.meetings]
        self.meetings_of: list[list[int]] = [[] for _ in instance.participants]
        for m, meeting in enumerate(instance.meetings):
            self.meetings_of[meeting.a].append(m)
            self.meetings_of[meeting.b].append(m)
        for m, meeting in enumerate(instance.meetings):
            if meeting.fixed_slot is not None:
                self.place(m, meeting.fixed_slot)

    def copy_from(self, slot_of: list[int]) -> None:
        """Replace every movable placement with `slot_of` (which must be valid)."""
        for m, t in enumerate(self.slot_of):
            if t != UNPLACED and not self.fixed[m]:
                self.remove(m)
        for m, t in enumerate(slot_of):
            if t != UNPLACED and not self.fixed[m]:
                self.place(m, t)

    def can_place(self, m: int, t: int) -> bool:
        """Can unplaced meeting `m` go to candidate slot `t` as things stand?"""
        meeting = self.instance.meetings[m]
        a, b = meeting.a, meeting.b
        return (
            t not in self.busy[a]
            and t not in self.busy[b]
            and self.used[t] < self.rooms
            and self.count[a] < self.limit[a]
            and self.count[b] < self.limit[b]
        )

    def place(self, m: int, t: int) -> None:
        meeting = self.instance.meetings[m]
        self.slot_of[m] = t
        self.busy[meeting.a][t] = m
        self.busy[meeting.b][t] = m
        self.count[meeting.a] += 1
        self.count[meeting.b] += 1
        self.used[t] += 1
        self.at[t].add(m)
        self.weight += meeting.weight
        d = self.day_index[t]
        self.per_day[meeting.a][d] += 1
        self.per_day[meeting.b][d] += 1

    def remove(self, m: int) -> None:
        meeting = self.instance.meetings[m]
        t = self.slot_of[m]
        self.slot_of[m] = UNPLACED
        del self.busy[meeting.a][t]
        del self.busy[meeting.b][t]
        self.count[meeting.a] -= 1
        self.count[meeting.b] -= 1
        self.used[t] -= 1
        self.at[t].discard(m)
        self.weight -= meeting.weight
        d = self.day_index[t]
        self.per_day[meeting.a][d] -= 1
        self.per_day[meeting.b][d] -= 1

    def neighbours(self, p: int, t: int) -> int:
        """How many of the slots right before and after `t` participant `p` is busy in."""
        busy = self.busy[p]
        before, after = self.prev[t], self.next[t]
        return (before is not None and before in busy) + (after is not None and after in busy)

    def break_delta_add(self, p: int, t: int) -> int:
        """Change in `p`'s breaks if `p` (free at `t`) got a meeting at `t`."""
        near = self.neighbours(p, t)
        if near == 2:
            return -1
        if near == 1:
            return 0
        return 1 if self.per_day[p][self.day_index[t]] > 0 else 0

    def break_delta_remove(self, p: int, t: int) -> int:
        """Change in `p`'s breaks if `p`'s meeting at `t` went away."""
        near = self.neighbours(p, t)
        if near == 2:
            return 1
        if near == 1:
            return 0
        return -1 if self.per_day[p][self.day_index[t]] > 1 else 0

    def breaks_of(self, p: int) -> int:
        slots = sorted(self.busy[p])
        day, prev = self.day, self.prev
        return sum(1 for s, t in zip(slots, slots[1:], strict=False) if day[s] == day[t] and prev[t] != s)

    def breaks(self) -> int:
        return sum(self.breaks_of(p) for p in range(len(self.busy)))

    def placed(self) -> int:
        return sum(1 for t in self.slot_of if t != UNPLACED)
