"""Conflicts of a timetable, as a pure function of plain values (no database).

``find`` reports every conflict at once: two sessions overlapping on one stage; one person
(speaker, interpreter, or the district host) in two places at once, including their booked
1:1 meetings; a session outside the expo's days or outside its stage's hours; a session
placed on a stage that no longer exists.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

KINDS = ("stage_overlap", "person_overlap", "meeting_overlap", "outside_days", "outside_hours", "no_stage")


@dataclass(frozen=True)
class Placed:
    """An accepted session with a time (``stage_id`` None: its stage was deleted)."""

    id: int
    stage_id: int | None
    starts_at: datetime
    ends_at: datetime
    people: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Hours:
    opens_minute: int
    closes_minute: int


@dataclass(frozen=True)
class Busy:
    """A person's other commitment (a booked 1:1 meeting)."""

    person: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Conflict:
    kind: str
    session_ids: tuple[int, ...]
    person: str = ""


def person_key(user_id: int | None, name: str) -> str:
    """Who a person is, for "two places at once": the account, else the name as written."""
    return f"user:{user_id}" if user_id is not None else "name:" + " ".join(name.casefold().split())


def _overlaps(items: list[tuple[datetime, datetime, int]]) -> Iterable[tuple[int, int]]:
    """Pairs of ids whose intervals overlap (touching ends do not), by a sweep."""
    items = sorted(items)
    active: list[tuple[datetime, int]] = []
    for start, end, ident in items:
        active = [(e, i) for e, i in active if e > start]
        for _end, other in active:
            yield (min(other, ident), max(other, ident))
        active.append((end, ident))


def _within_hours(session: Placed, hours: Hours, zone: ZoneInfo) -> bool:
    local_start = session.starts_at.astimezone(zone)
    local_end = session.ends_at.astimezone(zone)
    day_start = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    opens = day_start + timedelta(minutes=hours.opens_minute)
    closes = day_start + timedelta(minutes=hours.closes_minute)
    return opens <= local_start and local_end <= closes


def find(
    sessions: Iterable[Placed],
    stages: Mapping[int, Hours],
    *,
    expo_start: datetime,
    expo_end: datetime,
    zone: ZoneInfo,
    busy: Iterable[Busy] = (),
) -> list[Conflict]:
    sessions = list(sessions)
    found: list[Conflict] = []
    by_stage: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    by_person: dict[str, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for item in sessions:
        if item.stage_id is None or item.stage_id not in stages:
            found.append(Conflict("no_stage", (item.id,)))
        else:
            by_stage[item.stage_id].append((item.starts_at, item.ends_at, item.id))
            if not _within_hours(item, stages[item.stage_id], zone):
                found.append(Conflict("outside_hours", (item.id,)))
        if item.starts_at < expo_start or item.ends_at > expo_end:
            found.append(Conflict("outside_days", (item.id,)))
        for person in item.people:
            by_person[person].append((item.starts_at, item.ends_at, item.id))
    for stage_items in by_stage.values():
        found.extend(Conflict("stage_overlap", pair) for pair in _overlaps(stage_items))
    for person, items in sorted(by_person.items()):
        found.extend(Conflict("person_overlap", pair, person) for pair in _overlaps(items))
    for other in busy:
        for start, end, ident in by_person.get(other.person, ()):
            if start < other.ends_at and other.starts_at < end:
                found.append(Conflict("meeting_overlap", (ident,), other.person))
    return sorted(set(found), key=lambda c: (KINDS.index(c.kind), c.session_ids, c.person))


def flagged(conflicts: Iterable[Conflict]) -> dict[int, list[Conflict]]:
    """The conflicts of each session id (for marking them in the timetable)."""
    result: dict[int, list[Conflict]] = defaultdict(list)
    for conflict in conflicts:
        for ident in conflict.session_ids:
            result[ident].append(conflict)
    return dict(result)
