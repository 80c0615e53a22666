"""Versions of the published programme, as pure functions of snapshots.

A snapshot is a list of entries (plain JSON), one per session ever published: what the
public sees (``status`` "listed") or saw before it was cancelled ("cancelled"). Each entry
carries a ``sequence`` that grows whenever the entry changes (iCalendar's SEQUENCE).
"""

from collections.abc import Iterable, Mapping
from typing import Any

Entry = dict[str, Any]
MOVE_FIELDS = ("stage_id", "starts_at", "ends_at")
TEXT_FIELDS = ("title", "description", "language", "speakers", "interpreting", "stage_name", "team_id", "district_id")
CHANGE_KINDS = ("added", "moved", "changed", "cancelled")


def diff_and_snapshot(previous: Iterable[Entry], current: Iterable[Entry]) -> tuple[list[Entry], dict[str, list[int]]]:
    """The next snapshot (entries of ``current`` listed, vanished ones cancelled, sequences
    bumped where something changed) and what changed, by kind, as lists of session ids."""
    before: Mapping[int, Entry] = {e["id"]: e for e in previous}
    now: Mapping[int, Entry] = {e["id"]: e for e in current}
    changes: dict[str, list[int]] = {kind: [] for kind in CHANGE_KINDS}
    snapshot: list[Entry] = []
    for ident, entry in now.items():
        old = before.get(ident)
        item = {**entry, "status": "listed"}
        if old is None or old["status"] == "cancelled":
            kind = "added"
        elif any(old.get(f) != entry.get(f) for f in MOVE_FIELDS):
            kind = "moved"
        elif any(old.get(f) != entry.get(f) for f in TEXT_FIELDS):
            kind = "changed"
        else:
            kind = ""
        item["sequence"] = (old["sequence"] + 1 if kind else old["sequence"]) if old else 0
        if kind:
            changes[kind].append(ident)
        snapshot.append(item)
    for ident, old in before.items():
        if ident in now:
            continue
        if old["status"] == "listed":
            changes["cancelled"].append(ident)
            snapshot.append({**old, "status": "cancelled", "sequence": old["sequence"] + 1})
        else:
            snapshot.append(old)
    snapshot.sort(key=lambda e: (e["starts_at"] or "", e["id"]))
    for ids in changes.values():
        ids.sort()
    return snapshot, changes


def changed_ids(changes: Mapping[str, list[int]]) -> set[int]:
    return {ident for ids in changes.values() for ident in ids}


def has_changes(changes: Mapping[str, list[int]]) -> bool:
    return bool(changed_ids(changes))
