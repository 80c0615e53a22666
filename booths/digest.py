"""The staff-offline digest: when an investor writes to a booth and none of its staff is
online, the booth's staff get a mail (through ``expo.outbox``, each in their own language)
listing the conversations waiting for an answer, at most one per booth per
``settings.chat_digest_minutes``.

Claiming the right to send is one conditional UPDATE of ``booths.chat_digest_at``, so two
server processes (or two messages at once) never both send. Messages written after a
digest, within the window, are in the next digest (sent with the next message after the
window) and always in the inbox.
"""

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths import chat
from booths.access import staff_of
from booths.models import Booth
from expo import outbox
from expo.db import utcnow
from i18n import N_, locale_info, pick

SUBJECT = N_("Investors are waiting for an answer at %(booth)s")
INTRO = N_("Messages were written to your booth while no one from it was online:")
LINE = N_("%(investor)s: %(count)s")
OUTRO = N_("Answer them in the booth's inbox: %(url)s")


async def claim(session: AsyncSession, booth_id: int, minutes: int) -> bool:
    """Takes this window's digest for the booth: True for exactly one caller per window."""
    now = utcnow()
    result = await session.execute(
        update(Booth)
        .where(
            Booth.id == booth_id,
            or_(Booth.chat_digest_at.is_(None), Booth.chat_digest_at <= now - timedelta(minutes=minutes)),
        )
        .values(chat_digest_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def staff_offline(
    session: AsyncSession,
    booth: Booth,
    *,
    minutes: int,
    base_url: str,
    translations: Callable[[str], object],
    default_locale: str = "en",
) -> int:
    """Queues the digest to each of the booth's staff when this window's digest is still
    to be sent; returns how many mails were queued (the caller commits)."""
    if not await claim(session, booth.id, minutes):
        return 0
    waiting = [(investor, unread) for _thread, investor, unread in await chat.inbox(session, booth.id) if unread]
    if not waiting:
        return 0
    queued = 0
    for person in await staff_of(session, booth):
        if not person.email or not person.active:
            continue
        code = locale_info(person.locale).code  # a shipped language (else the default)
        t = translations(code)
        gettext, ngettext = t.gettext, t.ngettext  # type: ignore[attr-defined]
        name = pick(booth.name, code, default_locale).text
        lines = [gettext(INTRO), ""]
        for investor, unread in waiting:
            count = ngettext("%(num)s unread message", "%(num)s unread messages", unread) % {"num": unread}
            lines.append("- " + gettext(LINE) % {"investor": investor.name, "count": count})
        lines += ["", gettext(OUTRO) % {"url": f"{base_url}/booths/{booth.id}/inbox"}]
        outbox.queue(session, person.email, gettext(SUBJECT) % {"booth": name}, "\n".join(lines))
        queued += 1
    return queued
