"""What the performance work changed, kept honest: booth pages served from the per-process
cache keep every visitor's own parts right, lead visits are written once per visit window,
and a broad search says "more than N" instead of counting every match."""

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from booths import catalogue, views
from tests.booths.test_pages import NOVA

BOOKMARKED = 'aria-pressed="true"'


def test_anonymous_booth_page_is_cached_and_signed_in_parts_stay_personal(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    nova = booths[NOVA]
    anonymous = as_role("anonymous")
    first = anonymous.get(f"/booths/{nova}")
    assert first.status_code == 200
    assert anonymous.get(f"/booths/{nova}").text == first.text
    assert 'name="csrf_token"' not in first.text and "/login?next=" in first.text

    investor = as_role("investor")
    page = investor.get(f"/booths/{nova}").text
    # The forms carry this visitor's own token (masked afresh per page, so it is checked by
    # using it: the bookmark form's token is accepted for this session).
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert form_token and re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert "/login?next=" not in page and f'data-booth-id="{nova}"' in page
    assert BOOKMARKED not in page
    bookmarked = investor.post(f"/booths/{nova}/bookmark", data={"csrf_token": form_token.group(1)})
    assert bookmarked.status_code in (200, 303), bookmarked.status_code
    assert BOOKMARKED in investor.get(f"/booths/{nova}").text  # at once, not after the cache

    team = as_role("team")  # the booth's staff: the staff bar, never a visitor's cached part
    assert f'href="/booths/{nova}/edit"' in team.get(f"/booths/{nova}").text
    assert f'href="/booths/{nova}/edit"' not in as_role("anonymous").get(f"/booths/{nova}").text


def _visits(client: TestClient, nova: int) -> int:
    items = client.get(f"/api/booths/{nova}/leads").json()["items"]
    return next(i["visits"] for i in items if i["investor"]["name"] == "Kenji Watanabe")


def test_a_visit_is_written_once_per_window_not_per_page_view(
    as_role: Callable[[str], TestClient], booths: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    nova = booths[NOVA]
    before = _visits(as_role("team"), nova)
    investor = as_role("investor")
    for _ in range(3):
        assert investor.get(f"/booths/{nova}").status_code == 200
    assert _visits(as_role("team"), nova) == before + 1
    monkeypatch.setattr(views, "VISIT_WINDOW", 0.0)  # the window has passed
    as_role("investor").get(f"/booths/{nova}")
    assert _visits(as_role("team"), nova) == before + 2


def test_broad_search_caps_the_count_and_pages_within_the_candidates(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"q": "a", "per_page": "100", "lang": "en"}
    full = app_client.get("/api/projects", params=params).json()
    assert full["total_capped"] is False and full["total"] >= 3
    everything = {i["id"] for i in full["items"]}
    assert len(everything) == full["total"]

    monkeypatch.setattr(catalogue, "CANDIDATES", 2)
    capped = app_client.get("/api/projects", params=params).json()
    assert (capped["total"], capped["total_capped"], len(capped["items"])) == (2, True, 2)
    one = {**params, "per_page": "1"}
    first = app_client.get("/api/projects", params=one).json()
    second = app_client.get("/api/projects", params={**one, "page": "2"}).json()
    assert first["has_more"] is True and second["has_more"] is False
    ids = [first["items"][0]["id"], second["items"][0]["id"]]
    assert len(set(ids)) == 2 and set(ids) <= everything
    assert app_client.get("/api/projects", params={**one, "page": "3"}).json()["items"] == []
    page = app_client.get("/projects", params={"q": "a"}, headers={"accept-language": "en"}).text
    assert "More than 2 projects" in page and "narrow the search" in page


def test_ranked_search_matches_the_uncapped_result_when_under_the_cap(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"q": "抗体", "per_page": "100"}
    full = app_client.get("/api/projects", params=params).json()
    assert full["total"] >= 1 and not full["total_capped"]
    monkeypatch.setattr(catalogue, "CANDIDATES", full["total"])
    same = app_client.get("/api/projects", params=params).json()
    assert [i["id"] for i in same["items"]] == [i["id"] for i in full["items"]]
    assert same["total_capped"] is False
    filtered = app_client.get("/api/projects", params={**params, "sector": "biomedicine"}).json()
    assert {i["id"] for i in filtered["items"]} <= {i["id"] for i in full["items"]}
    assert all(i["sector"] == "biomedicine" for i in filtered["items"])
