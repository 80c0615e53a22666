"""Announcements: an organizer's short message shown live on every open page.

Stored first, then published on the bus channel ``announcements``, so that every server
process delivers it to its own open pages; a page that reconnects asks for those after the
last id it saw.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from expo.bus import Bus
from expo.db import Base, Translated, UTCDateTime, utcnow

CHANNEL = "announcements"
MAX_LENGTH = 500


class Announcement(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[dict[str, str]] = mapped_column(Translated)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def as_message(item: Announcement) -> dict[str, Any]:
    return {
        "type": "announcement",
        "id": item.id,
        "text": item.text,
        "at": item.created_at.isoformat(),
    }


async def announce(session: AsyncSession, bus: Bus, author_id: int, text: dict[str, str]) -> Announcement:
    item = Announcement(text=text, author_id=author_id)
    session.add(item)
    await session.commit()
    await bus.publish(CHANNEL, as_message(item))
    return item


async def since(session: AsyncSession, last_id: int, limit: int = 20) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement).where(Announcement.id > last_id).order_by(Announcement.id.desc()).limit(limit)
    )
    return list(reversed(rows.all()))


async def newest_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(Announcement.id), 0))) or 0)
