"""The mail outbox: every mail is stored first, then sent by SMTP when it is configured.

In dev (no SMTP) organizers read the outbox in the browser, so a password-reset link can
be followed without a mail server.
"""

import asyncio
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, Database, UTCDateTime, finish_on_cancel, utcnow

log = logging.getLogger("expo.outbox")
MAX_ATTEMPTS = 20


class Mail(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)


def queue(session: AsyncSession, to: str, subject: str, body: str) -> Mail:
    """Adds a mail to the outbox, inside the caller's transaction."""
    mail = Mail(to=to, subject=subject, body=body)
    session.add(mail)
    return mail


def _send_sync(smtp_url: str, sender: str, mail: Mail) -> None:
    url = urlsplit(smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, mail.to, mail.subject
    message.set_content(mail.body)
    cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with cls(url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25), timeout=20) as smtp:
        if url.scheme == "smtp" and url.username:
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


async def sender(db: Database, smtp_url: str, mail_from: str, interval: float = 5.0) -> None:
    """Runs for the app's lifetime (a lifespan task): sends what the outbox holds."""

    async def once() -> None:
        async with db.session() as session:
            await deliver_pending(session, smtp_url, mail_from)

    while True:
        try:
            await finish_on_cancel(once())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep sending later whatever went wrong
            log.warning("outbox: delivery round failed: %s", exc)
        await asyncio.sleep(interval)


async def deliver_pending(session: AsyncSession, smtp_url: str | None, sender: str) -> int:
    """Sends unsent mails; returns how many went out. Without SMTP, sends none."""
    if not smtp_url:
        return 0
    pending = (
        await session.scalars(
            select(Mail).where(Mail.sent_at.is_(None), Mail.attempts < MAX_ATTEMPTS).order_by(Mail.id).limit(50)
        )
    ).all()
    sent = 0
    for mail in pending:
        try:
            await asyncio.to_thread(_send_sync, smtp_url, sender, mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.attempts += 1
            mail.error = str(exc)[:500]
            log.warning("mail %s to %s not sent: %s", mail.id, mail.to, exc)
            continue
        mail.sent_at, mail.error = utcnow(), ""
        sent += 1
    await session.commit()
    return sent
