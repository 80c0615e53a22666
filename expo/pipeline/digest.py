"""The daily digest: one mail (through the outbox) to each owner whose open deals are flagged
(no next action, next action overdue, too long in a stage), in the owner's language; and the
daily escalation of problems past their deadline. ``DigestRun`` makes it once a day, whatever
the number of processes or restarts."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo import outbox
from expo.accounts.models import User
from expo.db import finish_on_cancel, utcnow
from expo.pipeline import problems
from expo.pipeline.config import Config
from expo.pipeline.flags import FLAGS, any_flag, flags_of
from expo.pipeline.models import Deal, DigestRun
from expo.pipeline.stages import STAGE_LABELS
from i18n import N_

log = logging.getLogger("expo.pipeline.digest")
Gettext = Callable[[str, str], str]  # (locale, msgid) → text


def gettext_from(translations: Callable[[str], Any], default_locale: str) -> Gettext:
    """A Gettext over ``Templates.translations`` (unknown locales read the expo's default)."""

    def gettext(locale: str, msgid: str) -> str:
        try:
            return str(translations(locale).gettext(msgid))
        except KeyError:
            return str(translations(default_locale).gettext(msgid))

    return gettext


async def send_digest(
    session: AsyncSession, today: date, config: Config, gettext: Gettext, public_url: str, now: datetime | None = None
) -> int | None:
    """Queues today's digest mails; returns how many, or None when today's was already sent."""
    session.add(DigestRun(day=today, sent_at=now or utcnow(), mails=0))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    await problems.escalate_overdue(session, today, now)
    flagged = (await session.scalars(select(Deal).where(any_flag(today, config), Deal.owner_id.is_not(None)))).all()
    by_owner: dict[int, list[Deal]] = defaultdict(list)
    for deal in flagged:
        by_owner[deal.owner_id or 0].append(deal)
    owners = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(list(by_owner))))).all()}
    sent = 0
    for owner_id, deals in sorted(by_owner.items()):
        owner = owners.get(owner_id)
        if owner is None:
            continue
        t = lambda msgid, locale=owner.locale: gettext(locale, msgid)  # noqa: E731
        lines = [t(N_("These deals of yours need attention today:")), ""]
        for deal in deals[:100]:
            reasons = ", ".join(t(FLAGS[f]) for f in flags_of(deal, today, config))
            lines.append(f"- {deal.title} ({t(STAGE_LABELS[deal.stage])}): {reasons}")
            lines.append(f"  {public_url}/pipeline/deals/{deal.id}")
        if len(deals) > 100:
            lines.append(f"… {public_url}/pipeline/deals?owner={owner_id}")
        outbox.queue(session, owner.email, t(N_("Deal pipeline: your daily digest")), "\n".join(lines) + "\n")
        sent += 1
    run = await session.get(DigestRun, today)
    if run is not None:
        run.mails = sent
    return sent


async def loop(db: Any, settings: Any, translations: Callable[[str], Any], interval: float = 900.0) -> None:
    """A lifespan task: once the expo's home day has begun, sends that day's digest (once)."""
    gettext = gettext_from(translations, settings.default_locale)
    config = Config.from_settings(settings)
    zone = ZoneInfo(settings.home_tz)

    async def once() -> None:
        async with db.session() as session:
            today = datetime.now(zone).date()
            if await send_digest(session, today, config, gettext, settings.public_url) is not None:
                await session.commit()

    while True:
        try:
            await finish_on_cancel(once())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - try again at the next round
            log.warning("pipeline digest failed: %s", exc)
        await asyncio.sleep(interval)
