"""The signed-in user cache (expo.accounts.cache): hits skip the database, and every change
that must sign a cookie out (password reset, sign-out, deactivation, role change) holds on
every process from the very next request."""

import os
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from expo.accounts.cache import CHANNEL, UserCache, watch
from expo.accounts.models import User, UserSession
from expo.accounts.sessions import sid_hash
from expo.bus import LocalBus
from expo.db import Database
from expo.outbox import Mail
from tests.conftest import REDIS_URL, ServerProcess, seeded_env
from tests.helpers import DEMO_USERS, run, seed_demo

PASSWORD = "expo-demo-2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


OPEN: list[httpx.Client] = []  # closed at the end of the test that opened them


def _client(base: str, **kwargs: object) -> httpx.Client:
    client = httpx.Client(base_url=base, **kwargs)  # type: ignore[arg-type]
    OPEN.append(client)
    return client


def _sign_in(base: str, email: str) -> httpx.Client:
    client = _client(base)
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    done = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert done.status_code in (200, 303), done.text[:300]
    return client


def _on(base: str, client: httpx.Client) -> httpx.Client:
    """The same browser (cookies) talking to another process."""
    return _client(base, cookies=client.cookies)


def _csrf(client: httpx.Client, path: str = "/forgot") -> str:
    return CSRF.search(client.get(path).text).group(1)  # type: ignore[union-attr]


def _status(client: httpx.Client, path: str = "/profile") -> int:
    return client.get(path, follow_redirects=False).status_code


@pytest.mark.skipif(not REDIS_URL, reason="needs EXPO_TEST_REDIS_URL (two processes share the bus through Redis)")
def test_changes_on_one_process_sign_the_cookie_out_on_the_other_at_the_next_request(tmp_path: Path) -> None:
    kind = "postgres" if os.environ.get("EXPO_TEST_DATABASE_URL") else "sqlite"
    env = seeded_env(kind, tmp_path, REDIS_URL)
    a = ServerProcess(env, tmp_path / "a.log")
    b = ServerProcess(env, tmp_path / "b.log")
    try:
        # Sign-out: the investor signs in on A, reads pages on B (now cached there), signs out on A.
        investor_a = _sign_in(a.url, DEMO_USERS["investor"])
        investor_b = _on(b.url, investor_a)
        assert [_status(investor_b), _status(investor_b)] == [200, 200]
        assert investor_a.post("/logout", data={"csrf_token": _csrf(investor_a)}).status_code in (200, 303)
        assert _status(investor_b) == 401

        # Password reset through the mail link, on A: a cookie cached on B fails on B at once.
        investor_a = _sign_in(a.url, DEMO_USERS["investor"])
        investor_b = _on(b.url, investor_a)
        assert [_status(investor_b), _status(investor_b)] == [200, 200]
        anonymous = _client(a.url)
        sent = anonymous.post("/forgot", data={"email": DEMO_USERS["investor"], "csrf_token": _csrf(anonymous)})
        assert sent.status_code == 200
        token = run(_reset_token(env["EXPO_DATABASE_URL"], DEMO_USERS["investor"]))
        path = f"/reset/{token}"
        reset = anonymous.post(path, data={"password": "a-brand-new-password", "csrf_token": _csrf(anonymous, path)})
        assert reset.status_code in (200, 303)
        assert _status(investor_b) == 401

        # Deactivation by an organizer on A (a change to the users row): the team member's
        # cookie, cached on B, fails on B at once; and so does a change of role.
        team_a = _sign_in(a.url, DEMO_USERS["team"])
        team_b = _on(b.url, team_a)
        assert [_status(team_b), _status(team_b)] == [200, 200]
        organizer = _sign_in(a.url, DEMO_USERS["organizer"])
        found = organizer.get("/organizer/accounts", params={"q": DEMO_USERS["team"]}).text
        user_id = re.search(r'action="/organizer/accounts/(\d+)/deactivate"', found).group(1)  # type: ignore[union-attr]
        done = organizer.post(
            f"/organizer/accounts/{user_id}/deactivate", data={"csrf_token": _csrf(organizer)}, follow_redirects=False
        )
        assert done.status_code == 303
        assert _status(team_b) == 401

        host_a = _sign_in(a.url, DEMO_USERS["host"])
        host_b = _on(b.url, host_a)
        assert [_status(host_b, "/booths/mine"), _status(host_b, "/booths/mine")] == [200, 200]
        run(_make_investor(env["EXPO_DATABASE_URL"], DEMO_USERS["host"]))
        assert _status(host_b, "/booths/mine") == 403  # the role is the new one at once
    finally:
        while OPEN:
            OPEN.pop().close()
        a.stop()
        b.stop()


async def _reset_token(url: str, email: str) -> str:
    db = Database(url)
    try:
        async with db.session() as session:
            mails = (await session.scalars(select(Mail).where(Mail.to == email).order_by(Mail.id))).all()
    finally:
        await db.close()
    found = re.search(r"/reset/(\S+)", mails[-1].body)
    assert found
    return found.group(1)


async def _make_investor(url: str, email: str) -> None:
    """A role change made by code running in a third process with the app's hooks (as the
    console's or an import's would): an ORM update of the row, then commit."""
    from expo.bus import RedisBus

    db = Database(url)
    bus = RedisBus(REDIS_URL or "")
    await bus.start()
    watch(db, UserCache(), bus)
    try:
        async with db.session() as session:
            user = await session.scalar(select(User).where(User.email == email))
            assert user is not None
            user.role, user.district_id = "investor", None
            await session.commit()
    finally:
        await bus.close()
        await db.close()


def test_commits_name_the_users_and_sessions_they_change(database_url: str) -> None:
    """What the session hooks publish: the changed user's id for ORM and bulk updates, the
    revoked session's hash, nothing for a 'last seen' refresh or a rollback, and 'all' for a
    bulk update that names no row."""
    seed_demo(database_url)

    async def scenario() -> list[dict[str, object]]:
        db, bus, cache = Database(database_url), LocalBus(), UserCache()
        watch(db, cache, bus)
        got: list[dict[str, object]] = []
        try:
            async with bus.subscribe(CHANNEL) as subscription:

                async def drain() -> None:
                    while not subscription.queue.empty():
                        got.append(subscription.queue.get_nowait())

                async with db.session() as session:
                    investor = await session.scalar(select(User).where(User.email == DEMO_USERS["investor"]))
                    assert investor is not None
                    uid = investor.id
                    investor.name = "Renamed"
                    await session.commit()
                    await drain()
                    row = UserSession(secret="s" * 32, user_id=uid)
                    session.add(row)
                    await session.commit()  # a new session: nothing to drop
                    row_id, seen_at = row.id, row.seen_at
                    await drain()
                    await session.execute(update(UserSession).where(UserSession.id == row_id).values(seen_at=seen_at))
                    await session.commit()
                    await drain()
                    await session.execute(update(User).where(User.id == uid).values(locale="ja"))
                    await session.rollback()  # rolled back: nothing
                    await drain()
                    await session.execute(update(User).where(User.id == uid).values(locale="ja"))
                    await session.commit()
                    await drain()
                    await session.execute(
                        update(UserSession).where(UserSession.secret.in_(["s" * 32])).values(revoked_at=seen_at)
                    )
                    await session.commit()
                    await drain()
                    await session.execute(update(User).where(User.role == "investor").values(country="FR"))
                    await session.commit()
                    await drain()
                    return [*got, {"id": uid}]
        finally:
            await db.close()

    *messages, ids = run(scenario())
    uid = ids["id"]
    assert messages == [
        {"users": [uid], "sids": [], "all": False},
        {"users": [uid], "sids": [], "all": False},
        {"users": [], "sids": [sid_hash("s" * 32)], "all": False},
        {"users": [], "sids": [], "all": True},
    ]


def test_a_load_that_raced_an_invalidation_is_not_stored() -> None:
    cache = UserCache()
    user = User(id=7, email="a@example.org", name="A", role="investor", session_epoch=0, active=True, sectors=[])
    before = cache.generation
    cache.apply({"users": [7], "sids": [], "all": False})  # arrives while the load was running
    cache.put("secret", user, before)
    assert cache.get(7, "secret") is None
    cache.put("secret", user, cache.generation)
    hit = cache.get(7, "secret")
    assert (hit.id, hit.name, hit.role) == (7, "A", "investor") if hit else False
    assert cache.get(8, "secret") is None  # another user id under the same secret: a miss
