"""Notifications: one row per recipient for the bell, one mail through the outbox in the
recipient's language and zone, and a ping on the bus (after commit) so that the bell of an
open page updates over ``/ws/live``.

Kinds: request_received, request_accepted, request_declined, time_proposed,
request_expired, booked, moved, cancelled, reminder."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from babel.support import NullTranslations
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from expo import outbox
from expo.accounts.models import User
from expo.db import utcnow
from expo.fair.models import ProjectTeam
from i18n import N_, Formatter

from .models import Meeting, Notification, Request
from .parties import investor_name, team_members, team_name

CHANNEL = "meetings.user.{}"
REMINDER_BEFORE = timedelta(minutes=15)

TEXTS: dict[str, str] = {
    "request_received": N_("%(name)s asks for a meeting"),
    "request_accepted": N_("%(name)s accepted your meeting request"),
    "request_declined": N_("%(name)s declined your meeting request"),
    "time_proposed": N_("%(name)s proposed other times for your meeting"),
    "request_expired": N_("Your meeting request with %(name)s expired unanswered"),
    "booked": N_("Meeting with %(name)s booked: %(when)s"),
    "moved": N_("Meeting with %(name)s moved to %(when)s"),
    "cancelled": N_("Meeting with %(name)s on %(when)s was cancelled"),
    "reminder": N_("Meeting with %(name)s starts at %(when)s"),
}
MAIL_FOOTER = N_("See your meetings and requests: %(link)s")


@dataclass
class Notifier:
    """What notifying needs, gathered once per request: the catalog of each language, the
    expo's public URL and default language; collects who to ping after the commit."""

    translations: Callable[[str], NullTranslations]
    public_url: str = ""
    default_locale: str = "en"
    pinged: set[int] = field(default_factory=set)

    async def ping(self, bus: Any) -> None:
        """Publishes to every notified user's channel; call after the commit."""
        for user_id in sorted(self.pinged):
            await bus.publish(CHANNEL.format(user_id), {"type": "notification"})
        self.pinged.clear()


def when_text(fmt: Formatter, at: datetime) -> str:
    return f"{fmt.moment(at)} ({fmt.zone_name()})"


def describe(kind: str, name: str, when: str, gettext: Callable[[str], str]) -> str:
    return gettext(TEXTS[kind]) % {"name": name, "when": when}


def counterpart(recipient: User, investor: User, team: ProjectTeam, default_locale: str) -> str:
    if recipient.role == "investor":
        return team_name(team, recipient.locale, default_locale)
    return investor_name(investor)


async def notify(
    session: AsyncSession,
    notifier: Notifier,
    kind: str,
    side: str,
    investor: User,
    team: ProjectTeam,
    *,
    request: Request | None = None,
    meeting: Meeting | None = None,
) -> list[User]:
    """Notifies the ``side`` ("investor" or "team") of a pair, in the caller's transaction."""
    recipients = [investor] if side == "investor" else await team_members(session, team.id)
    for user in recipients:
        session.add(
            Notification(
                user_id=user.id,
                kind=kind,
                request_id=request.id if request else None,
                meeting_id=meeting.id if meeting else None,
            )
        )
        t = notifier.translations(user.locale)
        fmt = Formatter(user.locale, user.timezone)
        when = when_text(fmt, meeting.starts_at) if meeting else ""
        text = describe(kind, counterpart(user, investor, team, notifier.default_locale), when, t.gettext)
        link = f"{notifier.public_url.rstrip('/')}/meetings"
        body = f"{text}\n\n{t.gettext(MAIL_FOOTER) % {'link': link}}\n"
        outbox.queue(session, user.email, text[:200], body)
        notifier.pinged.add(user.id)
    return recipients


async def unread_count(session: AsyncSession, user_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    text: str
    created_at: datetime
    unread: bool
    meeting_id: int | None
    request_id: int | None


async def recent(
    session: AsyncSession,
    user: User,
    gettext: Callable[[str], str],
    fmt: Formatter,
    default_locale: str,
    limit: int = 30,
) -> list[Item]:
    rows = (
        await session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
        )
    ).all()
    items: list[Item] = []
    for row in rows:
        source: Meeting | Request | None = None
        if row.meeting_id is not None:
            source = await session.get(Meeting, row.meeting_id)
        elif row.request_id is not None:
            source = await session.get(Request, row.request_id)
        if source is None:
            continue
        investor = await session.get(User, source.investor_user_id)
        team = await session.get(ProjectTeam, source.team_id)
        if investor is None or team is None:
            continue
        name = counterpart(user, investor, team, default_locale)
        when = when_text(fmt, source.starts_at) if isinstance(source, Meeting) else ""
        items.append(
            Item(
                row.id,
                row.kind,
                describe(row.kind, name, when, gettext),
                row.created_at,
                row.read_at is None,
                row.meeting_id,
                row.request_id,
            )
        )
    return items


async def mark_read(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
