"""An independent validity checker for a result against its instance.

It reads the two JSON values as they are (plain dicts and lists) and shares no code with the
loader or the solvers, so that a bug there cannot hide here. It checks every rule of the
contract and recomputes the objective and the breaks. It assumes the instance itself is
well formed (run the loader for that).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def count_breaks(instance: dict[str, Any], slot_per_meeting: dict[str, str]) -> int:
    """Breaks of a schedule given as {meeting id: slot id}."""
    return sum(breaks_per_participant(instance, slot_per_meeting).values())


def breaks_per_participant(instance: dict[str, Any], slot_per_meeting: dict[str, str]) -> dict[str, int]:
    """{participant id: breaks} for every participant who has a request (0 when none placed)."""
    slots = {s["id"]: s for s in instance["slots"]}
    order = {s["id"]: k for k, s in enumerate(instance["slots"])}
    by_person: dict[str, list[str]] = {}
    for meeting in instance["meetings"]:
        by_person.setdefault(meeting["a"], [])
        by_person.setdefault(meeting["b"], [])
        slot = slot_per_meeting.get(meeting["id"])
        if slot is not None:
            by_person.setdefault(meeting["a"], []).append(slot)
            by_person.setdefault(meeting["b"], []).append(slot)
    counts: dict[str, int] = {}
    for who, mine in by_person.items():
        mine.sort(key=order.__getitem__)
        counts[who] = 0
        for earlier, later in zip(mine, mine[1:], strict=False):
            one, two = slots[earlier], slots[later]
            if one.get("day", "") != two.get("day", ""):
                continue
            if _parse(one["end"]) != _parse(two["start"]):
                counts[who] += 1
    return counts


def check(instance: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Every way `result` breaks the contract for `instance`; empty when it is valid."""
    problems: list[str] = []
    slots = {s["id"] for s in instance["slots"]}
    people = {p["id"]: p for p in instance["participants"]}
    meetings = {m["id"]: m for m in instance["meetings"]}
    placed: dict[str, str] = {}
    for entry in result.get("assignments", []):
        mid, sid = entry.get("meeting"), entry.get("slot")
        if mid not in meetings:
            problems.append(f"assignment of unknown meeting {mid!r}")
            continue
        if sid not in slots:
            problems.append(f"meeting {mid!r} assigned to unknown slot {sid!r}")
            continue
        if mid in placed:
            problems.append(f"meeting {mid!r} assigned twice")
            continue
        placed[mid] = sid

    seat: dict[tuple[str, str], str] = {}
    per_slot: dict[str, int] = {}
    per_person: dict[str, int] = {}
    for mid, sid in placed.items():
        meeting = meetings[mid]
        for who in (meeting["a"], meeting["b"]):
            if sid not in people[who]["available"]:
                problems.append(f"meeting {mid!r} in slot {sid!r} where {who!r} is unavailable")
            if (who, sid) in seat:
                problems.append(f"{who!r} has meetings {seat[(who, sid)]!r} and {mid!r} in slot {sid!r}")
            seat[(who, sid)] = mid
            per_person[who] = per_person.get(who, 0) + 1
        allowed = meeting.get("allowed_slots")
        if allowed is not None and sid not in allowed:
            problems.append(f"meeting {mid!r} in slot {sid!r} outside its allowed_slots")
        per_slot[sid] = per_slot.get(sid, 0) + 1

    for mid, meeting in meetings.items():
        fixed = meeting.get("fixed_slot")
        if fixed is not None and placed.get(mid) != fixed:
            problems.append(f"fixed meeting {mid!r} is not in its slot {fixed!r}")
    rooms = instance.get("rooms_per_slot")
    if rooms is not None:
        for sid, n in per_slot.items():
            if n > rooms:
                problems.append(f"slot {sid!r} holds {n} meetings, rooms_per_slot is {rooms}")
    for who, n in per_person.items():
        limit = people[who].get("max_meetings")
        if limit is not None and n > limit:
            problems.append(f"{who!r} has {n} meetings, max_meetings is {limit}")

    objective = sum(meetings[mid]["weight"] for mid in placed)
    if result.get("objective") != objective:
        problems.append(f"objective is {result.get('objective')!r}, the weights sum to {objective}")
    bound = result.get("bound")
    if not isinstance(bound, int) or bound < objective:
        problems.append(f"bound {bound!r} is below the objective {objective}")
    status = result.get("status")
    if status not in ("optimal", "feasible"):
        problems.append(f"unknown status {status!r}")
    if status == "optimal" and bound != objective:
        problems.append(f"status optimal but bound {bound!r} != objective {objective}")
    per_person = breaks_per_participant(instance, placed)
    breaks = sum(per_person.values())
    if result.get("breaks") != breaks:
        problems.append(f"breaks is {result.get('breaks')!r}, the schedule has {breaks}")
    lower = result.get("breaks_bound")
    if lower is not None and (not isinstance(lower, int) or lower > breaks):
        problems.append(f"breaks_bound {lower!r} is above the breaks {breaks}")
    if result.get("breaks_status") == "optimal" and lower != breaks:
        problems.append(f"breaks_status optimal but breaks_bound {lower!r} != breaks {breaks}")
    spread = max(per_person.values()) - min(per_person.values()) if per_person else 0
    if "break_spread" in result and result["break_spread"] != spread:
        problems.append(f"break_spread is {result['break_spread']!r}, the schedule has {spread}")
    limit = instance.get("break_spread")
    claimed = result.get("break_spread_status")
    if limit is not None and spread > limit and claimed != "unmet":
        problems.append(f"breaks differ by {spread} between participants, break_spread allows {limit}")
    if claimed is not None and claimed not in ("met", "unmet"):
        problems.append(f"unknown break_spread_status {claimed!r}")
    if claimed == "unmet" and limit is not None and spread <= limit:
        problems.append(f"break_spread_status unmet, but the spread {spread} is within {limit!r}")
    return problems
