"""Imports of the office's lists through the console: a dry-run report row by row, then one
transaction; bad input of every kind gives a precise report and changes nothing."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from booths import Booth, Project
from expo import spreadsheets
from expo.app import create_app
from expo.console.models import InvestorInvite
from expo.db import Database
from expo.fair.models import District, ProjectTeam
from expo.outbox import Mail
from tests.conftest import make_settings
from tests.helpers import login_as, run, seed_demo, session_csrf

TEAMS_HEADER = [
    "team_slug",
    "district",
    "sector",
    "team_name_en",
    "team_name_zh_hans",
    "project_title_en",
    "project_stage",
    "project_funding_amount",
    "project_funding_currency",
]


@pytest.fixture
def organizer(database_url: str, tmp_path: Path) -> TestClient:
    seed_demo(database_url)
    with TestClient(create_app(make_settings(database_url, tmp_path / "var")), base_url="http://127.0.0.1") as client:
        login_as(client, "organizer")
        client.get("/?lang=en")
        yield client


def _upload(client: TestClient, kind: str, name: str, data: bytes) -> tuple[str, str]:
    response = client.post(
        f"/organizer/imports/{kind}",
        data={"csrf_token": session_csrf(client)},
        files={"file": (name, data)},
        follow_redirects=True,
    )
    assert response.status_code in (200, 422), response.text[-500:]
    token = response.url.path.rsplit("/", 1)[-1]
    return token, response.text


def _report(client: TestClient, token: str) -> list[list[str]]:
    """The full report as CSV rows (row, key, action, reasons), without the header."""
    sheet = spreadsheets.read(client.get(f"/organizer/imports/file/{token}/report.csv").content, "r.csv")
    return [cells + [""] * (4 - len(cells)) for _, cells in sheet.rows]


def _apply(client: TestClient, token: str) -> None:
    done = client.post(
        f"/organizer/imports/file/{token}/apply", data={"csrf_token": session_csrf(client)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text[-500:]


def _counts(url: str) -> dict[str, int]:
    async def go() -> dict[str, int]:
        db = Database(url)
        try:
            async with db.session() as session:
                return {
                    m.__tablename__: int(await session.scalar(select(func.count()).select_from(m)) or 0)
                    for m in (District, ProjectTeam, Booth, Project, InvestorInvite, Mail)
                }
        finally:
            await db.close()

    return run(go())


def test_template_imports_then_the_same_file_changes_nothing(organizer: TestClient, database_url: str) -> None:
    template = organizer.get("/organizer/imports/teams/template.xlsx")
    assert template.headers["content-type"] == spreadsheets.XLSX_TYPE
    before = _counts(database_url)
    token, page = _upload(organizer, "teams", "teams.xlsx", template.content)
    assert "Dry run" in page
    assert _report(organizer, token) == [["2", "bluewave-bio", "create", ""]]
    assert _counts(database_url) == before  # a dry run writes nothing
    _apply(organizer, token)
    after = _counts(database_url)
    assert (after["project_teams"], after["booths"], after["booth_projects"]) == (
        before["project_teams"] + 1,
        before["booths"] + 1,
        before["booth_projects"] + 1,
    )
    again, _ = _upload(organizer, "teams", "teams.xlsx", template.content)
    assert _report(organizer, again) == [["2", "bluewave-bio", "unchanged", ""]]
    _apply(organizer, again)
    assert _counts(database_url) == after
    # The export imports back as unchanged, in both formats.
    for fmt in ("csv", "xlsx"):
        exported = organizer.get(f"/organizer/imports/teams/export.{fmt}").content
        token, _ = _upload(organizer, "teams", f"export.{fmt}", exported)
        assert {row[2] for row in _report(organizer, token)} == {"unchanged"}


def test_gbk_csv_with_unknown_sector_district_broken_row_and_duplicates(
    organizer: TestClient, database_url: str
) -> None:
    lines = [
        ",".join(TEAMS_HEADER),
        "sea-farm,harbour,marine_economy,Sea Farm,海洋牧场,Kelp farm,growth,1000000,CNY",
        "bad-sector,harbour,space_mining,Bad,坏,X,growth,1,CNY",
        "no-district,atlantis,biomedicine,Nowhere,无处,Y,growth,1,CNY",
        "sea-farm,harbour,marine_economy,Sea Farm,海洋牧场,Kelp farm,growth,1000000,CNY",
        "broken,harbour,biomedicine,Broken,断,Z,growth,1,CNY,extra,cells",
        "Bad Slug!,harbour,biomedicine,B,B,W,growth,1,CNY",
        "ok-two,harbour,Biomedicine,Ok Two,好二,Vaccine line,seed,12,DOLLARS",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    before = _counts(database_url)
    token, page = _upload(organizer, "teams", "teams.csv", data)
    assert "gb18030" in page
    report = _report(organizer, token)
    assert [row[:3] for row in report] == [
        ["2", "sea-farm", "create"],
        ["3", "bad-sector", "refused"],
        ["4", "no-district", "refused"],
        ["5", "sea-farm", "refused"],
        ["6", "broken", "refused"],
        ["7", "Bad Slug!", "refused"],
        ["8", "ok-two", "refused"],
    ]
    reasons = {row[1]: row[3] for row in report}
    assert reasons["bad-sector"] == "Unknown sector “space_mining”: use one of the codes in the template."
    assert (
        reasons["no-district"] == "Unknown district “atlantis”: import it first or use a slug from the districts list."
    )
    assert reasons["sea-farm"] == "Project “Kelp farm” of this team is already on row 2." or report[3][3].startswith(
        "Project"
    )
    assert report[4][3].startswith("This row has more cells than the header")
    assert report[5][3] == "team_slug “Bad Slug!” must be lower-case letters, digits and hyphens."
    assert report[6][3] == "Unknown currency “DOLLARS” in project_funding_currency."
    _apply(organizer, token)
    after = _counts(database_url)
    assert after["project_teams"] == before["project_teams"] + 1  # only the good row
    assert after["booth_projects"] == before["booth_projects"] + 1


def test_districts_with_bom_duplicate_slugs_and_missing_columns(organizer: TestClient, database_url: str) -> None:
    text = "\ufeffslug,kind,name_en,name_ja\nnew-port,zone,New Port,新港\nnew-port,zone,Again,再\nharbour,district,,\n"
    data = text.encode()
    token, page = _upload(organizer, "districts", "districts.csv", data)
    assert "utf-8-sig" in page
    report = _report(organizer, token)
    assert [row[:3] for row in report] == [
        ["2", "new-port", "create"],
        ["3", "new-port", "refused"],
        ["4", "harbour", "unchanged"],
    ]
    assert report[1][3] == "slug “new-port” is already on row 2."
    missing, page = _upload(organizer, "districts", "d.csv", b"name_en\nX\n")
    assert "The file lacks required columns: slug, kind." in page
    before = _counts(database_url)
    _apply(organizer, token)
    assert _counts(database_url)["districts"] == before["districts"] + 1
    unreadable, page = _upload(organizer, "districts", "d.xlsx", b"PK\x03\x04 not really a zip")
    assert "This is not an Excel .xlsx file, or it is damaged." in page


def test_investors_are_invited_once_in_their_language(organizer: TestClient, database_url: str) -> None:
    data = spreadsheets.write_xlsx(
        ["email", "name", "organization", "country", "language", "sectors"],
        [
            ["Aiko@Example.com", "Aiko Tanaka", "Example Capital", "jp", "ja", "biomedicine;medical_devices"],
            ["bad-email", "X", "", "", "", ""],
            ["investor@expo.example", "Already", "", "", "", ""],
            ["kim@example.kr", "Kim", "", "XX", "ko", "teleportation"],
        ],
    )
    before = _counts(database_url)
    token, _ = _upload(organizer, "investors", "investors.xlsx", data)
    report = _report(organizer, token)
    assert [row[:3] for row in report] == [
        ["2", "Aiko@Example.com", "create"],
        ["3", "bad-email", "refused"],
        ["4", "investor@expo.example", "unchanged"],
        ["5", "kim@example.kr", "refused"],
    ]
    assert report[2][3] == "Already has an account: not invited again."
    assert report[3][3] == (
        "Unknown country “XX”: use a two-letter code such as JP or DE. "
        "Unknown sector “teleportation”: use one of the codes in the template."
    )
    _apply(organizer, token)
    after = _counts(database_url)
    assert (after["console_investor_invites"], after["outbox"]) == (
        before["console_investor_invites"] + 1,
        before["outbox"] + 1,
    )
    again, _ = _upload(organizer, "investors", "investors.xlsx", data)
    _apply(organizer, again)
    assert _counts(database_url) == after  # no second mail

    async def mail() -> str:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return (await session.scalar(select(Mail).order_by(Mail.id.desc()).limit(1))).subject
        finally:
            await db.close()

    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", run(mail()))  # written in Japanese


def test_hundred_thousand_rows_report_precisely_and_apply_all_or_nothing(
    organizer: TestClient, database_url: str
) -> None:
    # 100,000 rows on SQLite; 20,000 on PostgreSQL, where the same rows take ~4 minutes of CI.
    n = 100_000 if database_url.startswith("sqlite") else 20_000
    bad = n // 2 + 4_321
    rows = [f"d-{i},zone,District {i}" for i in range(n)]
    rows[bad] = f"d-{bad},zone,Bad\x01name"
    data = ("slug,kind,name_en\n" + "\n".join(rows) + "\n").encode()
    before = _counts(database_url)
    token, page = _upload(organizer, "districts", "big.csv", data)
    assert f"{n - 1:,}" in page and ">1<" in page.replace("</strong>", "<")  # created / refused
    report = _report(organizer, token)
    assert len(report) == n
    assert [r for r in report if r[2] != "create"] == [
        [str(bad + 2), f"d-{bad}", "refused", "name_en contains control characters."]
    ]
    _apply(organizer, token)
    assert _counts(database_url)["districts"] == before["districts"] + n - 1
