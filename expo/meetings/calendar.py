"""iCalendar (RFC 5545) for meetings, built with the ``icalendar`` library: one .ics per
meeting and a private feed per user. Times are UTC (``DTSTART:…Z``), so no VTIMEZONE is
needed and every calendar shows them in its own zone. UIDs are the meetings' stable
``uid``; ``SEQUENCE`` is bumped on every move or cancellation; a cancelled meeting stays in
the feed with ``STATUS:CANCELLED`` so that calendars remove it. The room link
(``/meetings/{id}/room``) is in LOCATION and URL.

The feed URL carries a secret token; only its SHA-256 is stored, and revoking deletes it."""

import hashlib
import secrets
from collections.abc import Iterable

from icalendar import Calendar, Event
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.db import utcnow

from .models import FeedToken

PRODID = "-//Online Investment Expo//Meetings//EN"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_token(session: AsyncSession, user_id: int) -> str:
    """A fresh feed token for the user (the previous one stops working)."""
    token = secrets.token_urlsafe(24)
    await session.execute(delete(FeedToken).where(FeedToken.user_id == user_id))
    session.add(FeedToken(user_id=user_id, token_hash=_hash(token)))
    await session.flush()
    return token


async def revoke(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(FeedToken).where(FeedToken.user_id == user_id))


async def has_token(session: AsyncSession, user_id: int) -> bool:
    return await session.get(FeedToken, user_id) is not None


async def user_for_token(session: AsyncSession, token: str) -> int | None:
    if not token or len(token) > 100:
        return None
    return await session.scalar(select(FeedToken.user_id).where(FeedToken.token_hash == _hash(token)))


class Entry:
    """What one VEVENT says: the meeting and the texts already in the reader's language."""

    def __init__(self, meeting: object, summary: str, description: str, room_url: str) -> None:
        self.meeting = meeting
        self.summary = summary
        self.description = description
        self.room_url = room_url


def build(entries: Iterable[Entry], name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = utcnow().replace(microsecond=0)
    for entry in entries:
        m = entry.meeting
        event = Event()
        event.add("uid", m.uid)  # type: ignore[attr-defined]
        event.add("sequence", m.sequence)  # type: ignore[attr-defined]
        event.add("dtstamp", stamp)
        event.add("dtstart", m.starts_at)  # type: ignore[attr-defined]
        event.add("dtend", m.ends_at)  # type: ignore[attr-defined]
        event.add("last-modified", m.updated_at.replace(microsecond=0))  # type: ignore[attr-defined]
        event.add("summary", entry.summary)
        event.add("description", entry.description)
        event.add("location", entry.room_url)
        event.add("url", entry.room_url)
        event.add("status", "CANCELLED" if m.status == "cancelled" else "CONFIRMED")  # type: ignore[attr-defined]
        calendar.add_component(event)
    return calendar.to_ical()
