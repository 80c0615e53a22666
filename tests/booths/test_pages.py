"""Booth, catalogue, map, editor and leads pages: who may use each route, what each role
sees, and bad input answered with a clear 4xx."""

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.helpers import CSRF

NOVA = "team-nova-antibody"  # team@expo.example's booth
JINSHAN = "district-jinshan-bio"  # host@expo.example's district booth
PENDING = "team-photon-pack"  # submitted, not yet published
OTHER_TEAM = "team-lanhai-chip"


def csrf(client: TestClient, path: str = "/booths") -> str:
    page = client.get("/forgot")
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


# path template, expected status for anonymous, organizer, host, team, investor
GET_MATRIX = [
    ("/booths", (200, 200, 200, 200, 200)),
    ("/booths/{nova}", (200, 200, 200, 200, 200)),
    ("/booths/{pending}", (404, 200, 404, 404, 404)),
    ("/booths/{nova}/edit", (303, 200, 403, 200, 403)),
    ("/booths/{jinshan}/edit", (303, 200, 200, 403, 403)),
    ("/booths/{nova}/preview?as=ar", (303, 200, 403, 200, 403)),
    ("/booths/{nova}/inbox", (303, 200, 403, 200, 403)),
    ("/booths/{nova}/leads", (303, 200, 403, 200, 403)),
    ("/booths/{nova}/leads.csv", (303, 200, 403, 200, 403)),
    ("/booths/mine", (303, 200, 200, 200, 403)),
    ("/leads", (303, 200, 403, 403, 403)),
    ("/bookmarks", (303, 403, 403, 403, 200)),
    ("/projects", (200, 200, 200, 200, 200)),
    ("/map", (200, 200, 200, 200, 200)),
    ("/api/booths", (200, 200, 200, 200, 200)),
    ("/api/booths/{nova}", (200, 200, 200, 200, 200)),
    ("/api/booths/{pending}", (404, 200, 404, 404, 404)),
    ("/api/booths/{nova}/leads", (401, 200, 403, 200, 403)),
    ("/api/projects", (200, 200, 200, 200, 200)),
]
ROLES = ("anonymous", "organizer", "host", "team", "investor")


def test_every_booth_route_answers_each_role_as_declared(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    ids = {"nova": booths[NOVA], "pending": booths[PENDING], "jinshan": booths[JINSHAN]}
    seen = {}
    for index, role in enumerate(ROLES):
        client = as_role(role)
        for template, expected in GET_MATRIX:
            path = template.format(**ids)
            headers = {"accept": "text/html"}
            response = client.get(path, headers=headers, follow_redirects=False)
            seen[(path, role)] = (response.status_code, expected[index])
    wrong = {k: v for k, v in seen.items() if v[0] != v[1]}
    assert wrong == {}


def test_state_changing_routes_refuse_the_wrong_roles(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    nova = booths[NOVA]
    posts = [  # path, roles that may (others: 401/403/404)
        (f"/booths/{nova}/bookmark", {"investor"}),
        (f"/booths/{nova}/meeting", {"investor"}),
        (f"/booths/{nova}/publish", set()),  # already published: organizer gets 409
        (f"/booths/{nova}/submit", set()),
        (f"/booths/{nova}/edit", {"organizer", "team"}),
    ]
    for role in ROLES:
        client = as_role(role)
        token = csrf(client) if role != "anonymous" else ""
        for path, allowed in posts:
            response = client.post(
                path, data={"csrf_token": token, "lang": "en", "name": "Nova"}, follow_redirects=False
            )
            if role in allowed:
                assert response.status_code == 303, (path, role, response.status_code)
            else:
                assert response.status_code in (401, 403, 404, 409), (path, role)


def test_investor_sees_only_published_booths_and_staff_see_their_draft(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    investor = as_role("investor")
    listing = investor.get("/booths").text
    assert f'href="/booths/{booths[PENDING]}"' not in listing
    assert f'href="/booths/{booths[NOVA]}"' in listing
    assert investor.get("/api/booths?per_page=100").json()["total"] == len(booths) - 1


def test_lifecycle_draft_submitted_published_needs_the_organizer(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    pending = booths[PENDING]
    team = as_role("team")
    assert (
        team.post(f"/booths/{pending}/publish", data={"csrf_token": csrf(team)}, follow_redirects=False).status_code
        == 403
    )
    organizer = as_role("organizer")
    response = organizer.post(
        f"/booths/{pending}/publish", data={"csrf_token": csrf(organizer)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert as_role("investor").get(f"/booths/{pending}").status_code == 200


def test_search_finds_a_biomedicine_project_in_japanese_and_chinese(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("investor")
    for query in ("抗体", "ノバ抗体", "バイオ", "antibod", "bispecific", "双特异性"):
        titles = [
            i["title"]["text"] for i in client.get("/api/projects", params={"q": query, "lang": "ja"}).json()["items"]
        ]
        assert "ノバ抗体医薬" in titles, query
    ja = client.get("/projects", params={"q": "抗体", "sector": "biomedicine"}).text
    assert "ノバ抗体医薬" in ja


@pytest.mark.parametrize(
    "params",
    [
        {"sector": "tobacco"},
        {"stage": "ipo"},
        {"currency": "XYZ"},
        {"amount_min": "-5"},
        {"amount_min": "abc"},
        {"amount_min": "10", "amount_max": "5"},
        {"district": "atlantis"},
        {"content_lang": "fr"},
        {"per_page": "1000"},
        {"page": "0"},
    ],
)
def test_catalogue_refuses_bad_filters_with_400(app_client: TestClient, params: dict[str, str]) -> None:
    assert app_client.get("/projects", params=params).status_code == 400
    body = app_client.get("/api/projects", params=params).json()
    assert body["error"]["status"] == 400


def test_catalogue_filters_by_amount_across_currencies(app_client: TestClient) -> None:
    items = app_client.get(
        "/api/projects", params={"amount_min": "100000000", "currency": "USD", "per_page": "100"}
    ).json()["items"]
    assert items and all(
        i["funding"]["amount"] * {"CNY": 0.14, "USD": 1}[i["funding"]["currency"]] >= 1e8 for i in items
    )


def test_script_in_text_fields_is_escaped(as_role: Callable[[str], TestClient], booths: dict[str, int]) -> None:
    team = as_role("team")
    nova = booths[NOVA]
    response = team.post(
        f"/booths/{nova}/edit",
        data={
            "csrf_token": csrf(team),
            "lang": "ja",
            "name": "<script>alert(1)</script>Nova",
            "tagline": "<img src=x onerror=alert(1)>",
            "description": "ok",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    editor = team.get(f"/booths/{nova}/edit?lang=ja").text  # the new name waits for review
    assert "<script>alert(1)</script>" not in editor and "&lt;script&gt;alert(1)&lt;/script&gt;Nova" in editor
    page = as_role("investor").get(f"/booths/{nova}").text
    assert "<script>alert(1)</script>" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def test_editor_shows_missing_languages_and_refuses_bad_values(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    team = as_role("team")
    nova = booths[NOVA]
    editor = team.get(f"/booths/{nova}/edit?lang=ko").text
    assert f'href="/booths/{nova}/edit?lang=ko" lang="ko" aria-current="page" class="missing"' in editor
    bad = team.post(f"/booths/{nova}/edit", data={"csrf_token": csrf(team), "lang": "xx", "name": "a"})
    assert bad.status_code == 422
    bad = team.post(
        f"/booths/{nova}/edit", data={"csrf_token": csrf(team), "lang": "en", "name": "a", "sector": "tobacco"}
    )
    assert bad.status_code == 422


def test_project_editor_refuses_negative_amount_and_unknown_currency(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    team = as_role("team")
    path = f"/booths/{booths[NOVA]}/projects/new"
    base = {
        "lang": "ja",
        "title": "新規",
        "sector": "biomedicine",
        "stage": "growth",
        "funding_amount": "1000",
        "funding_currency": "JPY",
        "district": "jinshan-bio",
    }
    for change in ({"funding_amount": "-1"}, {"funding_currency": "XXX"}, {"sector": "x"}, {"district": "../etc"}):
        response = team.post(path, data={**base, **change, "csrf_token": csrf(team)})
        assert response.status_code == 422, change
    ok = team.post(path, data={**base, "csrf_token": csrf(team)}, follow_redirects=False)
    assert ok.status_code == 303
    assert "新規" in [i["title"]["text"] for i in team.get("/api/projects", params={"q": "新規"}).json()["items"]]


def test_leads_count_visits_bookmarks_meetings_and_reach_only_staff(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    nova = booths[NOVA]
    investor = as_role("investor")
    investor.get(f"/booths/{nova}")
    token = csrf(investor)
    assert (
        investor.post(f"/booths/{nova}/bookmark", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    )
    assert (
        investor.post(
            f"/booths/{nova}/meeting", data={"csrf_token": token, "message": "Tokyo?"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert f"/booths/{nova}" in investor.get("/bookmarks").text
    team = as_role("team")
    leads = team.get(f"/api/booths/{nova}/leads").json()["items"]
    kenji = next(i for i in leads if i["investor"]["name"] == "Kenji Watanabe")
    assert (kenji["bookmarked"], kenji["meeting_requests"], kenji["visits"] >= 1) == (True, 1, True)
    csv_text = team.get(f"/booths/{nova}/leads.csv?sort=name").text
    assert "Kenji Watanabe" in csv_text and "Tokyo Bay Capital" in csv_text
    host = as_role("host")  # another district's staff: not this team's leads
    assert host.get(f"/booths/{nova}/leads.csv").status_code == 403
    assert "Kenji Watanabe" in as_role("organizer").get("/leads.csv").text


def test_map_draws_district_polygons_and_project_pins(app_client: TestClient) -> None:
    page = app_client.get("/map", params={"sector": "biomedicine"}).text
    assert page.count("<polygon") >= 7
    pins = re.findall(r'class="pin sector-(\w+)"', page)
    assert pins and set(pins) == {"biomedicine"}
