"""Booth chat, the domain: conversations (one per investor and booth), messages written
to the database before anyone is told, what a reconnecting client missed, unread counts
for the staff inbox, and which staff are online (presence rows with a heartbeat, so that
every server process sees the same answer).

The WebSocket that speaks this is ``booths.chat_socket``; its protocol is in
docs/protocols.md.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booths import leads
from booths.models import ChatMessage, ChatThread, StaffPresence
from expo.accounts.models import User
from expo.db import utcnow

MAX_BODY = 2000
PRESENCE_TTL = timedelta(seconds=45)
BACKLOG_LIMIT = 500


def channel(booth_id: int) -> str:
    return f"booths.chat.{booth_id}"


def clean_body(raw: object) -> str | None:
    """The message text, or None when it is not acceptable (empty, too long, control chars)."""
    if not isinstance(raw, str):
        return None
    body = raw.strip()
    if not body or len(body) > MAX_BODY:
        return None
    if any(ord(c) < 32 and c not in "\n\t" for c in body) or "\x7f" in body:
        return None
    return body


async def thread_for(session: AsyncSession, booth_id: int, investor_id: int) -> ChatThread:
    """The investor's conversation with the booth, made on first use (race-safe)."""
    query = select(ChatThread).where(ChatThread.booth_id == booth_id, ChatThread.investor_id == investor_id)
    found = await session.scalar(query)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            found = ChatThread(booth_id=booth_id, investor_id=investor_id)
            session.add(found)
        return found
    except IntegrityError:
        found = await session.scalar(query)
        assert found is not None
        return found


async def post(session: AsyncSession, thread: ChatThread, sender: User, *, from_staff: bool, body: str) -> ChatMessage:
    """Stores a message (and, from the investor, counts a chat on the lead); the caller
    commits, then publishes ``as_message``."""
    message = ChatMessage(
        thread_id=thread.id,
        booth_id=thread.booth_id,
        sender_id=sender.id,
        from_staff=from_staff,
        body=body,
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    values: dict[str, Any] = {"last_message_id": message.id, "last_message_at": message.created_at}
    if from_staff:
        values["staff_read_id"] = message.id
    else:
        values["visitor_read_id"] = message.id
    await session.execute(update(ChatThread).where(ChatThread.id == thread.id).values(**values))
    if not from_staff:
        await leads.record(session, thread.booth_id, thread.investor_id, "chats")
    return message


def as_message(message: ChatMessage, sender_name: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": message.id,
        "thread_id": message.thread_id,
        "booth_id": message.booth_id,
        "from_staff": message.from_staff,
        "sender": sender_name,
        "body": message.body,
        "at": message.created_at.isoformat(),
    }


async def since(
    session: AsyncSession, booth_id: int, last_id: int, thread_id: int | None = None
) -> list[dict[str, Any]]:
    """Messages after ``last_id`` of the booth (staff) or of one thread (the investor)."""
    query = (
        select(ChatMessage, User.name)
        .outerjoin(User, User.id == ChatMessage.sender_id)
        .where(ChatMessage.booth_id == booth_id, ChatMessage.id > last_id)
        .order_by(ChatMessage.id)
        .limit(BACKLOG_LIMIT)
    )
    if thread_id is not None:
        query = query.where(ChatMessage.thread_id == thread_id)
    return [as_message(m, name or "") for m, name in (await session.execute(query)).all()]


async def newest_id(session: AsyncSession, booth_id: int, thread_id: int | None = None) -> int:
    query = select(func.max(ChatMessage.id)).where(ChatMessage.booth_id == booth_id)
    if thread_id is not None:
        query = query.where(ChatMessage.thread_id == thread_id)
    return int(await session.scalar(query) or 0)


async def inbox(session: AsyncSession, booth_id: int) -> list[tuple[ChatThread, User, int]]:
    """The booth's conversations, newest first, with the number of unread investor messages."""
    unread = (
        select(ChatMessage.thread_id, func.count().label("n"))
        .join(ChatThread, ChatThread.id == ChatMessage.thread_id)
        .where(
            ChatMessage.booth_id == booth_id,
            ChatMessage.from_staff.is_(False),
            ChatMessage.id > ChatThread.staff_read_id,
        )
        .group_by(ChatMessage.thread_id)
        .subquery()
    )
    rows = await session.execute(
        select(ChatThread, User, func.coalesce(unread.c.n, 0))
        .join(User, User.id == ChatThread.investor_id)
        .outerjoin(unread, unread.c.thread_id == ChatThread.id)
        .where(ChatThread.booth_id == booth_id, ChatThread.last_message_id > 0)
        .order_by(ChatThread.last_message_at.desc())
    )
    return [(t, u, int(n)) for t, u, n in rows.all()]


async def mark_read(session: AsyncSession, thread: ChatThread, last_id: int, *, staff: bool) -> None:
    column = ChatThread.staff_read_id if staff else ChatThread.visitor_read_id
    await session.execute(
        update(ChatThread)
        .where(ChatThread.id == thread.id, column < last_id)
        .values({column.key: min(last_id, thread.last_message_id or last_id)})
    )


async def join(session: AsyncSession, connection_id: str, booth_id: int, user_id: int) -> None:
    session.add(StaffPresence(id=connection_id, booth_id=booth_id, user_id=user_id, seen_at=utcnow()))


async def beat(session: AsyncSession, connection_id: str) -> None:
    await session.execute(update(StaffPresence).where(StaffPresence.id == connection_id).values(seen_at=utcnow()))


async def leave(session: AsyncSession, connection_id: str) -> None:
    await session.execute(delete(StaffPresence).where(StaffPresence.id == connection_id))


async def online_staff(session: AsyncSession, booth_id: int) -> set[int]:
    """Ids of the booth's staff with a live chat connection (heartbeat within the TTL)."""
    fresh = utcnow() - PRESENCE_TTL
    rows = await session.scalars(
        select(StaffPresence.user_id).where(StaffPresence.booth_id == booth_id, StaffPresence.seen_at > fresh)
    )
    return set(rows.all())
