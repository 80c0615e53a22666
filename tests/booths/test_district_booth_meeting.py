"""1:1 meetings are held with project teams: a district booth whose projects have no team
offers no request form that could only fail, but says where to go instead."""

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.booths.test_pages import JINSHAN, NOVA


def test_district_booth_points_to_its_teams_instead_of_a_failing_form(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    investor = as_role("investor")
    district_page = investor.get(f"/booths/{booths[JINSHAN]}?lang=en")
    team_page = investor.get(f"/booths/{booths[NOVA]}?lang=en")
    assert district_page.status_code == team_page.status_code == 200
    assert f'action="/booths/{booths[JINSHAN]}/meeting"' not in district_page.text
    assert "1:1 meetings are held with project teams" in district_page.text
    assert 'href="/projects?district=jinshan-bio"' in district_page.text
    assert f'action="/booths/{booths[NOVA]}/meeting"' in team_page.text
