"""The published programme for machines: ``schedule.json`` in the frab/c3voc format and
iCalendar (RFC 5545) for the whole programme or one session. Built from the latest
published version's snapshot, so feeds change only when the organizer publishes.

GUIDs: each session keeps the GUID it got when it was created (``pitch_sessions.guid``);
stages and people get name-based UUIDs (uuid5) under the expo's slug, so they are stable
across publishes. iCalendar UIDs are ``<session guid>@<expo slug>``; SEQUENCE is the
entry's sequence (bumped by each publish that changed it); cancelled sessions stay in the
feed with STATUS:CANCELLED so calendars remove them.
"""

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from expo.fair.models import Expo
from i18n import pick

Entry = dict[str, Any]
GENERATOR = {"name": "online-investment-expo", "version": "1"}


def stable_uuid(expo: Expo, kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:expo:{expo.slug}:{kind}:{name}"))


def acronym(expo: Expo) -> str:
    """The slug as c3voc wants it (lower-case letters, digits, underscores)."""
    value = re.sub(r"[^a-z0-9_]", "_", expo.slug.lower())
    return value if len(value) >= 4 else value + "_expo"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_json(
    expo: Expo,
    entries: Iterable[Entry],
    *,
    version: int,
    zone: ZoneInfo,
    days: list[date],
    base_url: str,
    locale: str,
    default: str,
) -> dict[str, Any]:
    listed = [e for e in entries if e["status"] == "listed"]
    text = lambda field: pick(field, locale, default).text  # noqa: E731
    rooms: dict[str, dict[str, Any]] = {}
    for item in sorted(listed, key=lambda e: e["stage_slug"]):
        rooms.setdefault(
            item["stage_slug"],
            {
                "name": text(item["stage_name"]),
                "slug": item["stage_slug"],
                "guid": stable_uuid(expo, "stage", item["stage_slug"]),
                "type": "online",
            },
        )
    day_list = []
    for index, day in enumerate(days, start=1):
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        end = start + timedelta(days=1)
        by_room: dict[str, list[dict[str, Any]]] = {room["name"]: [] for room in rooms.values()}
        for item in listed:
            begins = datetime.fromisoformat(item["starts_at"]).astimezone(zone)
            if not start <= begins < end:
                continue
            ends = datetime.fromisoformat(item["ends_at"]).astimezone(zone)
            minutes = int((ends - begins).total_seconds() // 60)
            room = rooms[item["stage_slug"]]["name"]
            by_room[room].append(
                {
                    "guid": item["guid"],
                    "id": item["id"],
                    "date": begins.isoformat(),
                    "start": begins.strftime("%H:%M"),
                    "end": ends.isoformat(),
                    "duration": _hhmm(minutes),
                    "room": room,
                    "slug": f"{acronym(expo)}-pitch-{item['id']}",
                    "url": f"{base_url}/pitches/{item['id']}",
                    "title": text(item["title"]),
                    "subtitle": None,
                    "track": item["sector"] or None,
                    "type": "talk",
                    "language": item["language"],
                    "abstract": text(item["description"]) or None,
                    "description": None,
                    "persons": [
                        {"name": name, "guid": stable_uuid(expo, "person", name.casefold())}
                        for name in item["speakers"]
                    ],
                    "links": [{"type": "web", "url": f"{base_url}/schedule/{item['id']}.ics", "title": "iCalendar"}],
                }
            )
        for events in by_room.values():
            events.sort(key=lambda e: e["date"])
        day_list.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": start.isoformat(),
                "day_end": end.isoformat(),
                "rooms": by_room,
            }
        )
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": GENERATOR,
        "schedule": {
            "version": str(version),
            "base_url": base_url,
            "conference": {
                "acronym": acronym(expo),
                "title": text(expo.title),
                "start": days[0].isoformat() if days else expo.starts_at.date().isoformat(),
                "end": days[-1].isoformat() if days else expo.ends_at.date().isoformat(),
                "daysCount": len(days),
                "timeslot_duration": "00:05",
                "time_zone_name": zone.key,
                "url": f"{base_url}/schedule",
                "rooms": list(rooms.values()),
                "days": day_list,
            },
        },
    }


def uid(expo: Expo, item: Entry) -> str:
    return f"{item['guid']}@{expo.slug}"


def _event(expo: Expo, item: Entry, stamp: datetime, base_url: str, locale: str, default: str) -> Event:
    event = Event()
    event.add("uid", uid(expo, item))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", datetime.fromisoformat(item["starts_at"]).astimezone(UTC))
    event.add("dtend", datetime.fromisoformat(item["ends_at"]).astimezone(UTC))
    event.add("summary", pick(item["title"], locale, default).text)
    abstract = pick(item["description"], locale, default).text
    url = f"{base_url}/pitches/{item['id']}"
    event.add("description", f"{abstract}\n\n{url}".strip())
    event.add("location", pick(item["stage_name"], locale, default).text)
    event.add("url", url)
    event.add("sequence", int(item["sequence"]))
    event.add("status", "CANCELLED" if item["status"] == "cancelled" else "CONFIRMED")
    return event


def calendar(
    expo: Expo, entries: Iterable[Entry], *, stamp: datetime, base_url: str, locale: str, default: str
) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Online investment expo//programme//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", pick(expo.title, locale, default).text)
    for item in entries:
        cal.add_component(_event(expo, item, stamp, base_url, locale, default))
    return cal.to_ical()
