"""Accounts through HTTP: registration, sign-in, CSRF, rate limit, resets, invitations."""

import re

from sqlalchemy import func, select
from starlette.testclient import TestClient

from expo.accounts.models import User
from expo.app import create_app
from expo.db import Database
from expo.outbox import Mail
from expo.settings import Settings
from tests.helpers import DEMO_USERS, csrf_from, login, run, seed_demo

INVESTOR = {
    "name": "Aiko Mori",
    "email": "aiko@example.jp",
    "password": "a-long-password-1",
    "organization": "Mori Capital",
    "country": "JP",
    "timezone": "Asia/Tokyo",
    "locale": "ja",
    "sectors": ["biomedicine", "software"],
    "ticket_min": "1000000",
    "ticket_max": "5000000",
    "consent": "yes",
}


async def _count_users(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        await db.close()


async def _user(url: str, email: str) -> User | None:
    db = Database(url)
    try:
        async with db.session() as session:
            return await session.scalar(select(User).where(User.email == email))
    finally:
        await db.close()


async def _mails(url: str) -> list[Mail]:
    db = Database(url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(Mail).order_by(Mail.id))).all())
    finally:
        await db.close()


def signed_out(client: TestClient) -> bool:
    response = client.get("/profile", headers={"accept": "text/html"}, follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def register(client: TestClient, **changes: object) -> object:
    data = {**INVESTOR, **changes, "csrf_token": csrf_from(client, "/register")}
    return client.post("/register", data=data, follow_redirects=False)


def test_investor_registers_and_is_signed_in_with_their_profile(client: TestClient, settings: Settings) -> None:
    response = register(client)
    assert response.status_code == 303
    user = run(_user(settings.database_url, "aiko@example.jp"))
    assert user is not None
    assert (
        user.role,
        user.country,
        user.timezone,
        user.locale,
        user.sectors,
        user.ticket_min_usd,
        user.ticket_max_usd,
        user.shares_profile,
    ) == (
        "investor",
        "JP",
        "Asia/Tokyo",
        "ja",
        ["biomedicine", "software"],
        1_000_000,
        5_000_000,
        True,
    )
    assert user.password_hash.startswith("$argon2")
    profile = client.get("/profile")
    assert profile.status_code == 200 and "aiko@example.jp" in profile.text
    assert profile.headers["content-language"] == "ja"


def test_duplicate_registration_is_refused_with_a_clear_error(client: TestClient, settings: Settings) -> None:
    assert register(client).status_code == 303
    client.cookies.clear()
    response = register(client, email="AIKO@example.jp", name="Someone else")
    assert response.status_code == 422
    assert "An account with this email already exists." in response.text
    assert run(_count_users(settings.database_url)) == 1


def test_bad_registration_names_every_field_and_writes_nothing(client: TestClient, settings: Settings) -> None:
    response = register(
        client,
        email="not-an-email",
        password="short",
        country="XX",
        timezone="Mars/Base",
        sectors=["tobacco"],
        ticket_min="-5",
        ticket_max="abc",
        consent="",
    )
    assert response.status_code == 422
    for message in (
        "Enter a valid email address.",
        "Use at least 10 characters.",
        "Choose a time zone from the list.",
        "Enter an amount between 0 and 1,000,000,000,000.",
        "Enter a whole number.",
        "Please agree to share your profile with the booths you visit.",
    ):
        assert message in response.text
    assert run(_count_users(settings.database_url)) == 0


def test_registration_errors_are_in_the_visitors_language(client: TestClient) -> None:
    client.get("/?lang=ja")
    response = register(client, email="bad")
    assert response.status_code == 422
    assert response.headers["content-language"] == "ja"
    assert "Enter a valid email address." not in response.text


def test_script_in_a_name_is_escaped_on_output(client: TestClient) -> None:
    assert register(client, name="<script>alert(1)</script>").status_code == 303
    page = client.get("/profile").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_form_without_csrf_token_is_refused(client: TestClient, settings: Settings) -> None:
    client.get("/register")
    response = client.post("/register", data={k: v for k, v in INVESTOR.items()}, follow_redirects=False)
    assert response.status_code == 403
    assert run(_count_users(settings.database_url)) == 0


def test_csrf_token_of_another_session_is_refused(settings: Settings) -> None:
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        stolen = csrf_from(one, "/register")
        two.get("/register")
        response = two.post("/register", data={**INVESTOR, "csrf_token": stolen}, follow_redirects=False)
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    response = register(client)
    cookie = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("expo_session=")][0]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http in tests; EXPO_HTTPS=1 adds it


def test_session_cookie_is_secure_under_https(database_url: str, tmp_path) -> None:
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path / "var", EXPO_PUBLIC_URL="https://expo.example.org")
    with TestClient(create_app(settings), base_url="https://127.0.0.1") as client:
        response = client.get("/register")
        cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "strict-transport-security" in response.headers


def test_tampered_session_cookie_means_signed_out(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    login(client, DEMO_USERS["organizer"])
    value = client.cookies["expo_session"]
    client.cookies.clear()
    client.cookies.set("expo_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    response = client.get("/profile", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_wrong_password_is_refused_and_login_is_rate_limited(database_url: str, tmp_path) -> None:
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path / "var", EXPO_LOGIN_RATE=3)
    seed_demo(database_url)
    with TestClient(create_app(settings)) as client:
        token = csrf_from(client)
        statuses = [
            client.post(
                "/login",
                data={
                    "email": DEMO_USERS["investor"],
                    "password": "wrong-password",
                    "csrf_token": token,
                },
            ).status_code
            for _ in range(4)
        ]
        right = client.post(
            "/login",
            data={
                "email": DEMO_USERS["investor"],
                "password": "expo-demo-2026",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
    assert statuses == [401, 401, 401, 429]
    assert right.status_code == 429  # blocked for the window, even with the right password


def test_logout_ends_the_session(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    login(client, DEMO_USERS["investor"])
    token = csrf_from(client, "/profile")
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert signed_out(client)


def test_password_reset_through_the_outbox(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    seeded = len(run(_mails(settings.database_url)))  # the demo's own notices
    token = csrf_from(client, "/forgot")
    unknown = client.post("/forgot", data={"email": "nobody@example.org", "csrf_token": token})
    known = client.post("/forgot", data={"email": DEMO_USERS["investor"], "csrf_token": token})
    assert unknown.status_code == known.status_code == 200
    # Only reset mails: the app's housekeeping may queue the demo's own notices meanwhile.
    mails = [m for m in run(_mails(settings.database_url))[seeded:] if "/reset/" in m.body]
    assert [m.to for m in mails] == [DEMO_USERS["investor"]]
    link = re.search(r"http://\S+/reset/(\S+)", mails[0].body)
    assert link
    path = f"/reset/{link.group(1)}"
    # the old session of the user stops working after the reset
    with TestClient(create_app(settings)) as other:
        login(other, DEMO_USERS["investor"])
        response = client.post(
            path,
            data={"password": "a-brand-new-password", "csrf_token": csrf_from(client, path)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert signed_out(other)
    again = client.post(path, data={"password": "another-new-password", "csrf_token": csrf_from(client, "/forgot")})
    assert again.status_code == 422  # single use
    client.cookies.clear()
    login(client, DEMO_USERS["investor"], "a-brand-new-password")


def test_invitation_link_creates_a_host_once(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    login(client, DEMO_USERS["organizer"])
    token = csrf_from(client, "/organizer/invitations")
    page = client.post(
        "/organizer/invitations",
        data={
            "email": "new.host@district.example",
            "role": "host",
            "district": "2",
            "team": "",
            "csrf_token": token,
        },
    )
    assert page.status_code == 200
    link = re.search(r"/invitations/([A-Za-z0-9_-]+)", page.text)
    assert link
    assert any(m.to == "new.host@district.example" for m in run(_mails(settings.database_url)))
    path = f"/invitations/{link.group(1)}"
    with TestClient(create_app(settings)) as guest:
        form = {
            "name": "New Host",
            "password": "host-password-1",
            "timezone": "Asia/Shanghai",
            "locale": "zh_Hans",
            "csrf_token": csrf_from(guest, path),
        }
        assert guest.post(path, data=form, follow_redirects=False).status_code == 303
    user = run(_user(settings.database_url, "new.host@district.example"))
    assert user is not None and (user.role, user.district_id) == ("host", 2)
    with TestClient(create_app(settings)) as late:
        assert late.get(path).status_code == 404


def test_invitation_for_a_host_without_district_is_refused(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    login(client, DEMO_USERS["organizer"])
    token = csrf_from(client, "/organizer/invitations")
    page = client.post(
        "/organizer/invitations",
        data={
            "email": "x@district.example",
            "role": "host",
            "district": "999999",
            "csrf_token": token,
        },
    )
    assert page.status_code == 422
