"""Signed-in requests without a database trip: a per-process cache of device session → user.

``VisitorMiddleware`` asks ``UserCache.get(uid, sid)`` first; on a miss it loads the user
joined with the device's ``user_sessions`` row (``sessions.load_user``, one query) and
``put``s a snapshot of the user's columns for ``TTL`` seconds. A hit builds a fresh detached
``User`` from the snapshot (no shared mutable object between requests).

What keeps it right is invalidation, not the TTL (the TTL is only the backstop for a lost
bus message or a change made outside the app). ``watch(db, cache, bus)`` hooks the app's
database sessions: every committed change to a ``users`` row (ORM flush or
``update(User)``/``delete(User)``) and every revoked or deleted ``user_sessions`` row is
collected while the transaction runs; when it commits, this process's cache drops those
entries at once and the same message goes out on the bus channel ``CHANNEL`` before
``await session.commit()`` returns (so before the response that says "done" leaves). Every
process follows ``CHANNEL`` and drops the same entries: a password reset, a role change, a
deactivation, a sign-out of a device or a profile edit on one process holds on all of them
from the next request on. A load that raced with an invalidation is not stored
(``generation``), so a user read just before a change cannot be put back after it.

"Before the commit returns" is meant strictly: with Redis, a process that reads the message
only after it has served the next request (both arrived in one turn of its event loop, or
the machine was busy) would still answer that request from its cache. So the message is
published acknowledged (``Bus.publish_acked``): each receiving process drops its entries,
then acknowledges, and the commit waits for all of them (at most ``ACK_WAIT`` seconds; a
process that does not answer in time is busy or gone, and the TTL bounds it). The price
is one wait of a millisecond or so per sign-out, password reset or profile edit, none per
request.

Message: ``{"users": [ids], "sids": [sid hashes], "all": bool}``; a bulk statement whose
rows the hook cannot name (e.g. ``update(User).where(User.role == ...)``) sends ``all``.
Raw SQL (``text()``) is not seen: the TTL bounds what it can leave stale.
"""

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList
from sqlalchemy.util import await_only

from expo.accounts.models import User, UserSession
from expo.accounts.sessions import sid_hash

log = logging.getLogger("expo.accounts.cache")
CHANNEL = "accounts.cache"
TTL = 10.0  # seconds; the backstop only
MAX_ENTRIES = 50_000
ACK_WAIT = 0.25  # seconds a commit waits for every process to have dropped its entries
_INFO = "expo.user_cache"  # session.info key: (cache, bus)
_PENDING = "expo.user_cache.pending"
_COLUMNS = tuple(column.key for column in User.__table__.columns)


@dataclass
class _Entry:
    expires: float
    uid: int
    values: dict[str, Any]


@dataclass
class _Changes:
    users: set[int] = field(default_factory=set)
    sids: set[str] = field(default_factory=set)
    everything: bool = False

    def message(self) -> dict[str, Any]:
        return {"users": sorted(self.users), "sids": sorted(self.sids), "all": self.everything}


class UserCache:
    def __init__(self, ttl: float = TTL, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = 0  # moves on with every invalidation
        self.hits = self.misses = 0
        self._entries: dict[str, _Entry] = {}  # sid hash → entry
        self._by_user: dict[int, set[str]] = defaultdict(set)
        self.following = asyncio.Event()
        self._loading: dict[str, asyncio.Future[bool]] = {}

    async def load_once(self, sid: str, load: Any) -> tuple[bool, Any]:
        """``await load()`` for this sid by one request at a time: the requests of the same
        device that arrive meanwhile wait for it and read the cache (one query, not one per
        open connection, when the entry expires)."""
        key = sid_hash(sid)
        running = self._loading.get(key)
        if running is not None:
            await asyncio.shield(running)
            return False, None  # the caller reads the cache (or loads, if that stored nothing)
        done = self._loading[key] = asyncio.get_running_loop().create_future()
        try:
            return True, await load()
        finally:
            self._loading.pop(key, None)
            done.set_result(True)

    def get(self, uid: int, sid: str) -> User | None:
        entry = self._entries.get(sid_hash(sid))
        if entry is None or entry.uid != uid or entry.expires < time.monotonic():
            self.misses += 1
            return None
        self.hits += 1
        values = dict(entry.values)
        values["sectors"] = list(values.get("sectors") or [])
        user = User(**values)
        make_transient_to_detached(user)
        return user

    def put(self, sid: str, user: User, generation: int) -> None:
        """Stores ``user`` for ``sid`` unless an invalidation happened since ``generation``."""
        if generation != self.generation:
            return
        if len(self._entries) >= self.max_entries:
            self.clear()
        key = sid_hash(sid)
        values = {name: getattr(user, name) for name in _COLUMNS}
        values["sectors"] = list(values.get("sectors") or [])
        self._entries[key] = _Entry(time.monotonic() + self.ttl, user.id, values)
        self._by_user[user.id].add(key)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_user.clear()

    def apply(self, message: dict[str, Any]) -> None:
        """Drops what an invalidation message names (from this process or the bus)."""
        if message.get("all"):
            self.clear()
            return
        self.generation += 1
        for uid in message.get("users") or ():
            for key in self._by_user.pop(uid, ()):
                self._entries.pop(key, None)
        for key in message.get("sids") or ():
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._by_user.get(entry.uid, set()).discard(key)

    async def follow(self, bus: Any) -> None:
        """Applies the other processes' invalidations (a lifespan task)."""
        async with bus.subscribe(CHANNEL) as subscription:
            self.following.set()
            async for message in subscription:
                self.apply(message)
                await bus.ack(message)  # the committing process waits for every process


def watch(db: Any, cache: UserCache, bus: Any) -> None:
    """Hooks ``db``'s sessions so that committed user and session changes invalidate."""
    db.sessions.configure(info={_INFO: (cache, bus)})
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _pending(session: Session) -> _Changes | None:
    if _INFO not in session.info:
        return None
    changes = session.info.get(_PENDING)
    if changes is None:
        changes = session.info[_PENDING] = _Changes()
    return changes


def _after_flush(session: Session, _context: object) -> None:
    changes = _pending(session)
    if changes is None:
        return
    for obj in chain(session.dirty, session.deleted):
        if isinstance(obj, User) and obj.id is not None:
            changes.users.add(obj.id)
        elif isinstance(obj, UserSession) and obj.secret:
            if obj in session.deleted or inspect(obj).attrs.revoked_at.history.has_changes():
                changes.sids.add(sid_hash(obj.secret))


def _bound(clause: Any, table: str, column: str) -> list[Any] | None:
    """The values a WHERE clause pins ``table.column`` to (``=`` or ``IN``), if it does."""
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        for part in clause.clauses:
            found = _bound(part, table, column)
            if found is not None:
                return found
        return None
    if not isinstance(clause, BinaryExpression) or not isinstance(clause.right, BindParameter):
        return None
    left = clause.left
    if getattr(left, "key", None) != column or getattr(getattr(left, "table", None), "name", None) != table:
        return None
    value = clause.right.effective_value
    if clause.operator is operators.eq:
        return [value]
    if clause.operator is operators.in_op and isinstance(value, list | tuple):
        return list(value)
    return None


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete) or _INFO not in state.session.info:
        return
    statement: Any = state.statement
    table = getattr(getattr(statement, "table", None), "name", None)
    if table not in ("users", "user_sessions"):
        return
    changes = _pending(state.session)
    assert changes is not None
    where = statement.whereclause
    if table == "users":
        ids = _bound(where, "users", "id")
        if ids is None:
            changes.everything = True
        else:
            changes.users.update(int(i) for i in ids)
        return
    if state.is_update:
        written = {getattr(key, "key", key) for key in getattr(statement, "_values", None) or {}}
        if written and written <= {"seen_at"}:
            return  # the "last seen" refresh changes nothing a request checks
    secrets = _bound(where, "user_sessions", "secret")
    if secrets is not None:
        changes.sids.update(sid_hash(s) for s in secrets if isinstance(s, str))
        return
    users = _bound(where, "user_sessions", "user_id")
    if users is not None:
        changes.users.update(int(i) for i in users)
    else:
        changes.everything = True


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _after_commit(session: Session) -> None:
    changes: _Changes | None = session.info.pop(_PENDING, None)
    if changes is None or not (changes.users or changes.sids or changes.everything):
        return
    cache, bus = session.info[_INFO]
    message = changes.message()
    cache.apply(message)  # this process: at once
    # Every process has dropped the entries when this returns (Bus.publish_acked).
    publish = bus.publish_acked(CHANNEL, message, ACK_WAIT)
    try:
        # Inside AsyncSession.commit()'s greenlet: the commit returns once the bus took it.
        await_only(publish)
    except Exception as exc:  # noqa: BLE001 - the change is committed; the TTL bounds the rest
        publish.close()
        log.warning("user cache: invalidation not published (%s); other processes catch up within %s s", exc, TTL)
