"""The scheduler's instance: load, validate, and index it.

The JSON format is the contract in docs/scheduler.md. `load_instance` turns a decoded JSON
value into an `Instance` whose slots, participants and meetings are referred to by position
(integers), which is what the solvers work with. A malformed instance raises `InstanceError`
with a message naming the offending entry; nothing is ever repaired silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_WEIGHT = 1_000_000
"""Largest accepted weight: keeps every sum of weights exact in a double."""

MAX_ENTRIES = 1_000_000
"""Largest accepted number of slots, participants or meetings."""


class InstanceError(ValueError):
    """The instance is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class Slot:
    id: str
    start: datetime
    end: datetime
    day: str


@dataclass(frozen=True)
class Participant:
    id: str
    kind: str
    available: frozenset[int]
    max_meetings: int | None


@dataclass(frozen=True)
class Meeting:
    id: str
    a: int
    b: int
    weight: int
    fixed_slot: int | None
    allowed_slots: frozenset[int] | None


@dataclass(frozen=True)
class Instance:
    slots: tuple[Slot, ...]
    participants: tuple[Participant, ...]
    meetings: tuple[Meeting, ...]
    rooms_per_slot: int | None
    break_spread: int | None = None
    """Fairness: the largest allowed max - min breaks between participants who have a request."""
    previous_adjacent: tuple[int | None, ...] = field(init=False)
    """For each slot, the slot of the same day that ends exactly when it starts, if any."""

    def __post_init__(self) -> None:
        prev: list[int | None] = [None] * len(self.slots)
        for t in range(1, len(self.slots)):
            before, now = self.slots[t - 1], self.slots[t]
            if before.day == now.day and before.end == now.start:
                prev[t] = t - 1
        object.__setattr__(self, "previous_adjacent", tuple(prev))

    def candidate_slots(self, m: int) -> list[int]:
        """Slots where meeting `m` may take place, ignoring every other meeting."""
        meeting = self.meetings[m]
        if meeting.fixed_slot is not None:
            return [meeting.fixed_slot]
        both = self.participants[meeting.a].available & self.participants[meeting.b].available
        if meeting.allowed_slots is not None:
            both &= meeting.allowed_slots
        return sorted(both)


_TOP_KEYS = {"slots", "participants", "meetings", "rooms_per_slot", "break_spread"}
_SLOT_KEYS = {"id", "start", "end", "day"}
_PARTICIPANT_KEYS = {"id", "kind", "available", "max_meetings"}
_MEETING_KEYS = {"id", "a", "b", "weight", "fixed_slot", "allowed_slots"}


def loads_instance(text: str | bytes) -> Instance:
    """Parse JSON text and validate it as an instance."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise InstanceError("not valid JSON: nested too deeply") from None
    return load_instance(data)


def load_instance(data: Any) -> Instance:
    """Validate a decoded JSON value as an instance."""
    if not isinstance(data, dict):
        raise InstanceError("the instance must be a JSON object")
    _no_unknown_keys(data, _TOP_KEYS, "the instance")
    slots = _load_slots(_list(data, "slots", "the instance"))
    slot_index = {s.id: t for t, s in enumerate(slots)}
    participants = _load_participants(_list(data, "participants", "the instance"), slot_index, len(slots))
    rooms = _optional_count(data, "rooms_per_slot", "the instance")
    meetings = _load_meetings(_list(data, "meetings", "the instance"), participants, slot_index)
    spread = _optional_count(data, "break_spread", "the instance")
    instance = Instance(tuple(slots), tuple(participants), tuple(meetings), rooms, spread)
    _check_fixed(instance)
    return instance


def _where(kind: str, i: int, entry: Any) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return f"{kind}[{i}] ({entry['id']!r})"
    return f"{kind}[{i}]"


def _no_unknown_keys(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise InstanceError(f"{where}: unknown key {unknown[0]!r}")


def _list(entry: dict[str, Any], key: str, where: str) -> list[Any]:
    if key not in entry:
        raise InstanceError(f"{where}: missing {key!r}")
    value = entry[key]
    if not isinstance(value, list):
        raise InstanceError(f"{where}: {key!r} must be a list")
    if len(value) > MAX_ENTRIES:
        raise InstanceError(f"{where}: {key!r} has more than {MAX_ENTRIES} entries")
    return value


def _string(entry: dict[str, Any], key: str, where: str) -> str:
    if key not in entry:
        raise InstanceError(f"{where}: missing {key!r}")
    value = entry[key]
    if not isinstance(value, str) or not value:
        raise InstanceError(f"{where}: {key!r} must be a non-empty string")
    return value


def _optional_count(entry: dict[str, Any], key: str, where: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InstanceError(f"{where}: {key!r} must be a non-negative integer")
    return value


def _time(entry: dict[str, Any], key: str, where: str) -> datetime:
    text = _string(entry, key, where)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InstanceError(f"{where}: {key!r} is not an RFC 3339 time: {text!r}") from None
    if value.tzinfo is None:
        raise InstanceError(f"{where}: {key!r} has no UTC offset: {text!r}")
    return value


def _load_slots(raw: list[Any]) -> list[Slot]:
    if not raw:
        raise InstanceError("the instance: 'slots' is empty (no time grid)")
    slots: list[Slot] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = _where("slots", i, entry)
        if not isinstance(entry, dict):
            raise InstanceError(f"{where}: must be an object")
        _no_unknown_keys(entry, _SLOT_KEYS, where)
        sid = _string(entry, "id", where)
        if sid in seen:
            raise InstanceError(f"{where}: duplicate slot id {sid!r}")
        seen.add(sid)
        start, end = _time(entry, "start", where), _time(entry, "end", where)
        if end <= start:
            raise InstanceError(f"{where}: ends before it starts")
        if slots and start < slots[-1].end:
            raise InstanceError(
                f"{where}: starts before slot {slots[-1].id!r} ends (slots must be in time order and must not overlap)"
            )
        day = entry.get("day", "")
        if not isinstance(day, str):
            raise InstanceError(f"{where}: 'day' must be a string")
        slots.append(Slot(sid, start, end, day))
    return slots


def _slot_list(entry: dict[str, Any], key: str, where: str, slot_index: dict[str, int]) -> frozenset[int]:
    value = entry[key]
    if not isinstance(value, list):
        raise InstanceError(f"{where}: {key!r} must be a list of slot ids")
    found: set[int] = set()
    for sid in value:
        if not isinstance(sid, str):
            raise InstanceError(f"{where}: {key!r} holds {sid!r}, not a slot id")
        if sid not in slot_index:
            raise InstanceError(f"{where}: {key!r} names unknown slot {sid!r}")
        if slot_index[sid] in found:
            raise InstanceError(f"{where}: {key!r} lists slot {sid!r} twice")
        found.add(slot_index[sid])
    return frozenset(found)


def _load_participants(raw: list[Any], slot_index: dict[str, int], n_slots: int) -> list[Participant]:
    participants: list[Participant] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = _where("participants", i, entry)
        if not isinstance(entry, dict):
            raise InstanceError(f"{where}: must be an object")
        _no_unknown_keys(entry, _PARTICIPANT_KEYS, where)
        pid = _string(entry, "id", where)
        if pid in seen:
            raise InstanceError(f"{where}: duplicate participant id {pid!r}")
        seen.add(pid)
        kind = entry.get("kind", "")
        if not isinstance(kind, str):
            raise InstanceError(f"{where}: 'kind' must be a string")
        if "available" not in entry:
            raise InstanceError(f"{where}: missing 'available'")
        available = _slot_list(entry, "available", where, slot_index)
        limit = _optional_count(entry, "max_meetings", where)
        participants.append(Participant(pid, kind, available, limit))
    return participants


def _load_meetings(raw: list[Any], participants: list[Participant], slot_index: dict[str, int]) -> list[Meeting]:
    person = {p.id: k for k, p in enumerate(participants)}
    meetings: list[Meeting] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = _where("meetings", i, entry)
        if not isinstance(entry, dict):
            raise InstanceError(f"{where}: must be an object")
        _no_unknown_keys(entry, _MEETING_KEYS, where)
        mid = _string(entry, "id", where)
        if mid in seen:
            raise InstanceError(f"{where}: duplicate meeting id {mid!r}")
        seen.add(mid)
        ends = []
        for key in ("a", "b"):
            pid = _string(entry, key, where)
            if pid not in person:
                raise InstanceError(f"{where}: {key!r} names unknown participant {pid!r}")
            ends.append(person[pid])
        if ends[0] == ends[1]:
            raise InstanceError(f"{where}: meets participant {entry['a']!r} with itself")
        weight = entry.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise InstanceError(f"{where}: 'weight' must be an integer")
        if not 0 < weight <= MAX_WEIGHT:
            raise InstanceError(f"{where}: 'weight' must be between 1 and {MAX_WEIGHT}")
        allowed = None
        if entry.get("allowed_slots") is not None:
            allowed = _slot_list(entry, "allowed_slots", where, slot_index)
        fixed = None
        if entry.get("fixed_slot") is not None:
            sid = entry["fixed_slot"]
            if not isinstance(sid, str) or sid not in slot_index:
                raise InstanceError(f"{where}: 'fixed_slot' names unknown slot {sid!r}")
            fixed = slot_index[sid]
            for k in ends:
                if fixed not in participants[k].available:
                    raise InstanceError(
                        f"{where}: fixed slot {sid!r} is outside the availability of {participants[k].id!r}"
                    )
            if allowed is not None and fixed not in allowed:
                raise InstanceError(f"{where}: fixed slot {sid!r} is outside its allowed_slots")
        meetings.append(Meeting(mid, ends[0], ends[1], weight, fixed, allowed))
    return meetings


def _check_fixed(instance: Instance) -> None:
    """Fixed meetings must not collide, nor overflow rooms or personal limits."""
    holder: dict[tuple[int, int], int] = {}
    per_slot: dict[int, int] = {}
    per_person: dict[int, int] = {}
    for m, meeting in enumerate(instance.meetings):
        t = meeting.fixed_slot
        if t is None:
            continue
        where = f"meetings[{m}] ({meeting.id!r})"
        for k in (meeting.a, meeting.b):
            other = holder.get((k, t))
            if other is not None:
                raise InstanceError(
                    f"{where}: fixed in slot {instance.slots[t].id!r} where "
                    f"{instance.participants[k].id!r} already has fixed meeting "
                    f"{instance.meetings[other].id!r}"
                )
            holder[(k, t)] = m
            per_person[k] = per_person.get(k, 0) + 1
            limit = instance.participants[k].max_meetings
            if limit is not None and per_person[k] > limit:
                raise InstanceError(
                    f"{where}: fixed meetings of {instance.participants[k].id!r} exceed its max_meetings ({limit})"
                )
        per_slot[t] = per_slot.get(t, 0) + 1
        if instance.rooms_per_slot is not None and per_slot[t] > instance.rooms_per_slot:
            raise InstanceError(
                f"{where}: fixed meetings in slot {instance.slots[t].id!r} exceed "
                f"rooms_per_slot ({instance.rooms_per_slot})"
            )
