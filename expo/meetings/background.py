"""The matchmaking housekeeping loop (started by the app's lifespan): expires requests past
their time and sends the reminders 15 minutes before each meeting. Safe with several server
processes: each reminder is claimed by an UPDATE … WHERE reminded_at IS NULL, so exactly
one process sends it."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from babel.support import NullTranslations
from sqlalchemy import select, update

from expo.accounts.models import User
from expo.db import Database, finish_on_cancel, utcnow
from expo.fair.models import ProjectTeam

from .models import Meeting
from .notify import REMINDER_BEFORE, Notifier, notify
from .requests import expire_due

log = logging.getLogger("expo.meetings")
INTERVAL = 30.0


async def remind_due(db: Database, notifier: Notifier, now: datetime | None = None) -> int:
    """Sends the reminder of every booked meeting starting within 15 minutes; returns how many."""
    now = now or utcnow()
    sent = 0
    async with db.session() as session:
        due = (
            await session.scalars(
                select(Meeting.id).where(
                    Meeting.status == "booked",
                    Meeting.reminded_at.is_(None),
                    Meeting.starts_at > now,
                    Meeting.starts_at <= now + REMINDER_BEFORE,
                )
            )
        ).all()
    for meeting_id in due:
        async with db.session() as session:
            claimed = await session.execute(
                update(Meeting).where(Meeting.id == meeting_id, Meeting.reminded_at.is_(None)).values(reminded_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            meeting = await session.get(Meeting, meeting_id)
            assert meeting is not None
            investor = await session.get(User, meeting.investor_user_id)
            team = await session.get(ProjectTeam, meeting.team_id)
            if investor is not None and team is not None:
                for side in ("investor", "team"):
                    await notify(session, notifier, "reminder", side, investor, team, meeting=meeting)
            await session.commit()
            sent += 1
    return sent


async def housekeeping(
    db: Database, bus: object, translations: Callable[[str], NullTranslations], public_url: str, default_locale: str
) -> None:
    notifier = Notifier(translations, public_url, default_locale)

    async def once() -> None:
        async with db.session() as session:
            await expire_due(session, notifier)
        await remind_due(db, notifier)
        await notifier.ping(bus)

    while True:
        try:
            await finish_on_cancel(once())
        except asyncio.CancelledError:
            raise
        except Exception:  # logged; the loop goes on (a database restart must not end it)
            log.exception("meetings housekeeping failed")
        await asyncio.sleep(INTERVAL)
