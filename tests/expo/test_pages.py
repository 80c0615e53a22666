"""The lobby and the cross-cutting page behaviour: languages, headers, errors, health."""

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from expo.app import create_app
from expo.db import Database
from expo.settings import Settings
from i18n import SHIPPED_LOCALES
from tests.conftest import METRICS_AUTH, free_port, make_settings
from tests.helpers import run, seed_demo

HTML_LANG = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


@pytest.mark.parametrize("code", list(SHIPPED_LOCALES))
def test_lobby_renders_in_every_shipped_locale(code: str, client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    response = client.get(f"/?lang={code}")
    assert response.status_code == 200
    info = SHIPPED_LOCALES[code]
    assert HTML_LANG.search(response.text).groups() == (info.tag, "rtl" if code == "ar" else "ltr")
    assert response.headers["content-language"] == info.tag
    assert "Accept-Language" in response.headers["vary"]
    for other in SHIPPED_LOCALES.values():  # the switcher offers every language
        assert f'hreflang="{other.tag}"' in response.text


def test_lobby_shows_expo_halls_pitches_and_figures(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    page = client.get("/?lang=en").text
    for expected in (
        "Lanhai Online Investment Expo 2026",
        "Jinshan Biomedical Park",
        "Medical devices",
        "Upcoming pitch sessions",
        "Districts and zones",
        "Project teams",
    ):
        assert expected in page
    assert re.search(r"<dt>Districts and zones</dt><dd>7</dd>", page)
    assert re.search(r"<dt>Project teams</dt><dd>22</dd>", page)


def test_lobby_says_when_content_falls_back_to_another_language(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    page = client.get("/?lang=id").text  # demo content has no Indonesian
    assert page.count('class="fallback-notice"') == 1  # one notice naming the language shown
    assert "Inggris" in page.split('class="fallback-notice"')[1].split("</p>")[0]
    assert '<small class="fallback-mark" lang="id"' in page  # and a discreet marker per field
    korean = client.get("/?lang=ko").text
    assert "동만 경제기술개발구" in korean  # a hall name written in Korean is shown in Korean


def test_lang_choice_is_remembered_in_a_cookie(client: TestClient, settings: Settings) -> None:
    first = client.get("/?lang=ar")
    assert "expo_lang=ar" in first.headers["set-cookie"]
    later = client.get("/", headers={"accept-language": "ja"})
    assert HTML_LANG.search(later.text).groups() == ("ar", "rtl")


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("zh-TW,zh;q=0.9", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("fr-FR, ko;q=0.8", "ko"),
        ("de", "en"),
        ("", "en"),
    ],
)
def test_accept_language_is_negotiated_script_aware(header: str, tag: str, client: TestClient) -> None:
    response = client.get("/", headers={"accept-language": header})
    assert response.headers["content-language"] == tag


@pytest.mark.parametrize("bad", ["xx", "../../etc", "<script>", "zh_Hans" * 20, ""])
def test_hostile_lang_values_are_ignored(bad: str, client: TestClient) -> None:
    response = client.get("/", params={"lang": bad}, headers={"accept-language": "ja"})
    assert response.status_code == 200
    assert response.headers["content-language"] == "ja"
    assert "<script>" not in response.headers.get("set-cookie", "")


def test_hostile_cookies_and_headers_do_not_break_pages(client: TestClient) -> None:
    client.cookies.set("expo_tz", "Not/AZone")
    client.cookies.set("expo_lang", "<b>")
    client.cookies.set("expo_session", "garbage!!")
    response = client.get("/", headers={"accept-language": ";;;q=abc,*,en-" + "x" * 5000})
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"


def test_anonymous_times_follow_the_browser_zone_cookie(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    home = client.get("/?lang=en").text
    client.cookies.set("expo_tz", "America/New_York")
    away = client.get("/?lang=en").text
    assert 'data-timezone="Asia/Shanghai"' in home and 'data-tz-known="no"' in home
    assert 'data-timezone="America/New_York"' in away and "New York" in away


def test_security_headers_are_on_every_page(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_pages_load_nothing_from_other_hosts(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    for path in ("/", "/login", "/register", "/halls/district-harbour"):
        page = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', page), path


def test_not_found_page_speaks_the_visitors_language(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"accept-language": "ar"})
    assert response.status_code == 404
    assert HTML_LANG.search(response.text).groups() == ("ar", "rtl")
    api = client.get("/api/nothing-here", headers={"accept-language": "en"})
    assert api.status_code == 404 and api.json() == {"error": {"status": 404, "message": "This page does not exist."}}


def test_unknown_hall_is_404(client: TestClient) -> None:
    assert client.get("/halls/nope").status_code == 404


def test_a_failing_database_query_gives_the_500_page_in_the_visitors_language(
    settings: Settings,
) -> None:
    async def break_schema() -> None:
        db = Database(settings.database_url)
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE pitch_sessions RENAME TO pitch_sessions_gone"))
        await db.close()

    run(break_schema())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/", headers={"accept-language": "ko"})
    assert response.status_code == 500
    assert HTML_LANG.search(response.text).groups() == ("ko", "ltr")


def test_healthz_reports_database_and_bus(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "database": True, "bus": True, "pid": os.getpid()},
    )
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "database": True, "bus": True, "draining": False, "pid": os.getpid()},
    )


def test_healthz_is_503_when_the_bus_is_down(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path / "var", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
        ready = client.get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": True, "bus": False, "pid": os.getpid()},
    )
    assert (ready.status_code, ready.json()["status"]) == (503, "unavailable")


def test_healthz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    (tmp_path / "expo.db").mkdir()  # a directory where the database file should be
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/expo.db", tmp_path / "var")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert (response.status_code, response.json()["database"]) == (503, False)


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/login")
    client.get("/halls/nope")
    assert client.get("/metrics").status_code == 403  # not loopback, no token
    body = client.get("/metrics", headers=METRICS_AUTH).text
    assert 'expo_http_requests_total{method="GET",route="/login",status="200"} 1.0' in body
    assert 'route="/halls/{slug:str}",status="404"' in body


def test_wrong_method_and_non_form_bodies_get_4xx(client: TestClient) -> None:
    assert client.delete("/").status_code == 405
    client.get("/register")
    from tests.helpers import session_csrf

    token = session_csrf(client)
    response = client.post(
        "/register",
        content=b"\x00\xff{",
        headers={"content-type": "application/json", "x-csrf-token": token},
    )
    assert response.status_code == 415
    huge = client.post("/register", data={"name": "x" * 200_000, "csrf_token": token})
    assert huge.status_code == 413  # account forms are bounded (32 KiB) before parsing
