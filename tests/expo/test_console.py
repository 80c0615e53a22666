"""The organizer console: `expo init` on a fresh database (and its refusal), the console's
forms, organizers only, deactivating accounts."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from expo import cli
from expo.accounts import User
from expo.app import create_app
from expo.db import Database
from expo.fair.models import District, Expo, ProjectTeam
from tests.conftest import make_settings
from tests.helpers import DEMO_USERS, login, login_as, run, seed_demo, session_csrf

INIT = [
    "init",
    "--no-input",
    "--title",
    "Harbour City Investment Week",
    "--first-day",
    "2027-03-01",
    "--last-day",
    "2027-03-03",
    "--timezone",
    "Asia/Tokyo",
    "--language",
    "ja",
    "--email",
    "office@harbour.example",
    "--name",
    "Office",
    "--password",
    "a-long-password-1",
]


def _count(url: str, model: type) -> int:
    async def go() -> int:
        db = Database(url)
        try:
            async with db.session() as session:
                return int(await session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            await db.close()

    return run(go())


def test_init_creates_the_expo_and_refuses_a_second_time(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EXPO_DATABASE_URL", database_url)
    monkeypatch.setenv("EXPO_VAR_DIR", str(tmp_path / "var"))
    assert cli.main(INIT) == 0
    out = capsys.readouterr().out
    assert "created the expo 'harbour-city-investment-week' (Asia/Tokyo, ja)" in out
    assert "/organizer" in out and "expo serve" in out

    async def stored() -> tuple[str, str, str, str, str]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                expo = await session.scalar(select(Expo))
                user = await session.scalar(select(User))
                return (expo.title["ja"], expo.starts_at.isoformat(), expo.ends_at.isoformat(), user.role, user.locale)
        finally:
            await db.close()

    # 1 March 00:00 in Tokyo is 28 February 15:00 UTC; the last day ends at 4 March 00:00 Tokyo.
    assert run(stored()) == (
        "Harbour City Investment Week",
        "2027-02-28T15:00:00+00:00",
        "2027-03-03T15:00:00+00:00",
        "organizer",
        "ja",
    )
    assert cli.main(INIT) == 2
    err = capsys.readouterr().err
    assert "already holds an expo (Harbour City Investment Week); nothing was changed" in err
    assert (_count(database_url, Expo), _count(database_url, User)) == (1, 1)

    # The expo's zone and language are the app's from its next start.
    with TestClient(create_app(make_settings(database_url, tmp_path / "var")), base_url="http://127.0.0.1") as client:
        page = client.get("/", headers={"accept-language": ""})
        assert page.headers["content-language"] == "ja"


def test_init_reports_every_bad_value_and_writes_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EXPO_DATABASE_URL", database_url)
    bad = INIT.copy()
    for flag, value in {
        "--last-day": "2027-02-01",
        "--timezone": "Mars/Olympus",
        "--email": "nope",
        "--password": "short",
    }.items():
        bad[bad.index(flag) + 1] = value
    assert cli.main(bad) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "expo init: home_tz: Choose a time zone from the list.",
        "expo init: last_day: The last day must not be before the first day.",
        "expo init: email: Enter a valid email address.",
        "expo init: password: Use at least 10 characters.",
    ]
    missing = [a for a in INIT if a not in ("--title", "Harbour City Investment Week")]
    assert cli.main(missing) == 2
    assert "missing --title" in capsys.readouterr().err
    assert (_count(database_url, Expo), _count(database_url, User)) == (0, 0)


@pytest.fixture
def demo_client(database_url: str, tmp_path: Path) -> TestClient:
    seed_demo(database_url)
    with TestClient(create_app(make_settings(database_url, tmp_path / "var")), base_url="http://127.0.0.1") as client:
        yield client


CONSOLE_PAGES = [
    "/organizer",
    "/organizer/expo",
    "/organizer/districts",
    "/organizer/teams",
    "/organizer/halls",
    "/organizer/imports",
    "/organizer/accounts",
]


@pytest.mark.parametrize("role", ["host", "team", "investor"])
def test_console_is_for_organizers_only(demo_client: TestClient, role: str) -> None:
    login_as(demo_client, role)
    assert [demo_client.get(p).status_code for p in CONSOLE_PAGES] == [403] * len(CONSOLE_PAGES)
    token = session_csrf(demo_client)
    posted = demo_client.post(
        "/organizer/districts", data={"csrf_token": token, "slug": "x", "kind": "zone", "name_en": "X"}
    )
    assert posted.status_code == 403


def test_organizer_creates_a_district_and_a_team(demo_client: TestClient, database_url: str) -> None:
    login_as(demo_client, "organizer")
    assert [demo_client.get(p).status_code for p in CONSOLE_PAGES] == [200] * len(CONSOLE_PAGES)
    token = session_csrf(demo_client)
    bad = demo_client.post("/organizer/districts", data={"csrf_token": token, "slug": "Bad Slug!", "kind": "planet"})
    assert bad.status_code == 422
    assert 'id="slug-error"' in bad.text and 'id="kind-error"' in bad.text and 'id="name_en-error"' in bad.text
    made = demo_client.post(
        "/organizer/districts",
        data={
            "csrf_token": token,
            "slug": "north-bay",
            "kind": "zone",
            "name_en": "North Bay Zone",
            "name_ja": "北湾区",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    taken = demo_client.post(
        "/organizer/districts", data={"csrf_token": token, "slug": "north-bay", "kind": "zone", "name_en": "Again"}
    )
    assert taken.status_code == 422

    async def district_id() -> int:
        db = Database(database_url)
        try:
            async with db.session() as session:
                d = await session.scalar(select(District).where(District.slug == "north-bay"))
                return d.id if d.name == {"en": "North Bay Zone", "ja": "北湾区"} else -1
        finally:
            await db.close()

    did = run(district_id())
    team = demo_client.post(
        "/organizer/teams",
        data={
            "csrf_token": token,
            "slug": "north-bay-robotics",
            "district": str(did),
            "sector": "advanced_manufacturing",
            "name_en": "North Bay Robotics",
            "funding_amount": "1,000,000",
            "funding_currency": "USD",
        },
        follow_redirects=False,
    )
    assert team.status_code == 303
    listed = demo_client.get("/organizer/teams").text
    assert "North Bay Robotics" in listed and "north-bay-robotics" in listed
    assert _count(database_url, ProjectTeam) >= 1


class _Browser:
    """One browser's cookies on a shared TestClient (so on one app lifespan)."""

    def __init__(self, client: TestClient) -> None:
        self.client, self.cookies = client, type(client.cookies)()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        method = getattr(self.client, name)

        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.client.cookies = self.cookies
            try:
                return method(*args, **kwargs)
            finally:
                self.cookies = self.client.cookies

        return call


def test_deactivated_account_is_signed_out_at_once_and_cannot_sign_in(database_url: str, tmp_path: Path) -> None:
    seed_demo(database_url)
    app = create_app(make_settings(database_url, tmp_path / "var"))
    # One lifespan, i.e. one server process: two TestClients would run two lifespans, two
    # processes without a shared bus, which the user cache (expo.accounts.cache) needs; the
    # cross-process case is tests/expo/test_user_cache.py, on Redis.
    with TestClient(app, base_url="http://127.0.0.1") as client:
        organizer, investor = _Browser(client), _Browser(client)
        login_as(investor, "investor")
        assert investor.get("/profile").status_code == 200
        login_as(organizer, "organizer")
        found = organizer.get("/organizer/accounts", params={"q": "investor@expo"})
        assert DEMO_USERS["investor"] in found.text
        user_id = re.search(r'action="/organizer/accounts/(\d+)/deactivate"', found.text).group(1)
        token = session_csrf(organizer)
        done = organizer.post(
            f"/organizer/accounts/{user_id}/deactivate", data={"csrf_token": token}, follow_redirects=False
        )
        assert done.status_code == 303
        # The investor's open session is gone on its next request.
        assert investor.get("/profile", follow_redirects=False).status_code == 401
        token = session_csrf(investor)
        again = investor.post(
            "/login",
            data={"email": DEMO_USERS["investor"], "password": "expo-demo-2026", "csrf_token": token},
            follow_redirects=False,
        )
        assert again.status_code != 303
        organizer.post(f"/organizer/accounts/{user_id}/activate", data={"csrf_token": session_csrf(organizer)})
        login(investor, DEMO_USERS["investor"])
