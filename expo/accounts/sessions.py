"""Signed-in sessions, one row per device, revocable server-side.

The signed cookie holds ``uid``, ``epoch`` and ``sid`` (this row's random ``secret``). Each
signed-in request loads the user *joined with* its session row in one query, the same single
round trip as loading the user alone, so the check costs no extra database trip. Signing
out, "sign out this device" and a password reset set ``revoked_at``; the cookie fails from
the next request on, on every process.

Signed-in requests mostly skip this query: ``expo.accounts.cache`` keeps (sid → user) per
process for a few seconds and drops entries when a commit changes the user or revokes the
row, in this process at once and in the others through the bus before the commit returns.

Rows do not pile up: ``prune`` deletes revoked rows a day after their revocation and rows
idle longer than the cookie's own age (its cookie can no longer be valid), in bounded
batches; ``prune_loop`` runs it every hour from the app's lifespan.
"""

import asyncio
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User, UserSession
from expo.db import Database, finish_on_cancel, utcnow

REVOKED_CHANNEL = "accounts.sessions.revoked"
SEEN_EVERY = timedelta(minutes=10)  # seen_at is refreshed at most this often (one write)
REVOKED_KEPT = timedelta(days=1)  # a signed-out row is deleted this long after
PRUNE_BATCH = 1000  # rows per DELETE (one short transaction each)
PRUNE_EVERY = 3600.0  # seconds between two prunes
log = logging.getLogger("expo.accounts.sessions")


def sid_hash(sid: str) -> str:
    """What may travel on the bus or into logs instead of the secret itself."""
    return hashlib.sha256(sid.encode()).hexdigest()[:32]


async def start(session: AsyncSession, user: User, user_agent: str) -> str:
    """A new device session for ``user``; returns the secret for the cookie (committed)."""
    sid = secrets.token_urlsafe(24)
    session.add(UserSession(secret=sid, user_id=user.id, user_agent=user_agent[:200]))
    await session.commit()
    return sid


async def load_user(session: AsyncSession, uid: int, sid: object) -> User | None:
    """The user of a cookie, if its session is live; refreshes ``seen_at`` now and then."""
    if not isinstance(sid, str) or not sid:
        return None
    row = (
        await session.execute(
            select(User, UserSession.id, UserSession.seen_at)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == uid, UserSession.secret == sid, UserSession.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    user, row_id, seen_at = row
    now = utcnow()
    if seen_at < now - SEEN_EVERY:
        await session.execute(update(UserSession).where(UserSession.id == row_id).values(seen_at=now))
        await session.commit()
    return user


async def revoke(session: AsyncSession, sid: object) -> bool:
    """Ends the session of this cookie secret (committed); False if it was not live."""
    if not isinstance(sid, str):
        return False
    result = await session.execute(
        update(UserSession)
        .where(UserSession.secret == sid, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_one(session: AsyncSession, user_id: int, row_id: int) -> str | None:
    """Ends one of the user's own sessions by its row id; returns its secret (or None)."""
    row = await session.get(UserSession, row_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    await session.commit()
    return row.secret


async def revoke_all(session: AsyncSession, user_id: int, *, keep: str | None = None) -> list[str]:
    """Ends every live session of the user (but ``keep``); the caller commits."""
    live = (
        await session.scalars(
            select(UserSession.secret).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        )
    ).all()
    ended = [sid for sid in live if sid != keep]
    if ended:
        await session.execute(update(UserSession).where(UserSession.secret.in_(ended)).values(revoked_at=utcnow()))
    return ended


async def live_sessions(session: AsyncSession, user_id: int) -> list[UserSession]:
    return list(
        (
            await session.scalars(
                select(UserSession)
                .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                .order_by(UserSession.seen_at.desc())
            )
        ).all()
    )


async def prune(session: AsyncSession, *, max_age: timedelta, now: datetime | None = None, batches: int = 20) -> int:
    """Deletes dead session rows, at most ``batches`` × ``PRUNE_BATCH`` of them (each batch
    committed); returns how many. Dead: revoked over ``REVOKED_KEPT`` ago, or not seen for
    longer than the cookie lives (``max_age``, plus the ``seen_at`` refresh step)."""
    now = now or utcnow()
    dead = or_(
        UserSession.revoked_at < now - REVOKED_KEPT,
        UserSession.seen_at < now - max_age - SEEN_EVERY,
    )
    total = 0
    for _ in range(batches):
        ids = select(UserSession.id).where(dead).limit(PRUNE_BATCH).scalar_subquery()
        result = await session.execute(delete(UserSession).where(UserSession.id.in_(ids)))
        await session.commit()
        deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
        total += deleted
        if deleted < PRUNE_BATCH:
            break
    return total


async def _prune_once(db: Database, max_age: timedelta) -> None:
    async with db.session() as session:
        await prune(session, max_age=max_age)


async def prune_loop(db: Database, max_age: timedelta) -> None:
    """``prune`` at start and then every ``PRUNE_EVERY`` seconds (a task of the lifespan)."""
    while True:
        try:
            await finish_on_cancel(_prune_once(db, max_age))
        except asyncio.CancelledError:
            raise
        except Exception:  # logged; the next pass tries again
            log.exception("pruning user sessions failed")
        await asyncio.sleep(PRUNE_EVERY)
