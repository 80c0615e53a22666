"""Importing the office's project list: a dry run reports every row, bad rows stop the whole
file (nothing half-applied), and importing the same file twice changes nothing."""

from sqlalchemy import func, select

from expo import spreadsheets
from expo.accounts.models import User
from expo.db import Database
from expo.pipeline import importer
from expo.pipeline.config import Config
from expo.pipeline.models import Deal, StageChange
from tests.helpers import run
from tests.pipeline.conftest import World

HEADER = ["项目编号", "项目名称", "区", "阶段", "stage_date", "investor_company", "amount_agreed", "currency", "owner"]
GOOD = [
    ["LH-1", "Antibody plant", "harbour", "在谈", "2026-10-05", "Tokyo Bay", "", "CNY", "host@x.example"],
    ["LH-2", "Wafer line", "Jinshan", "签约", "2026-11-12", "Formosa", "50000000", "USD", ""],
]


async def counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    deals = await session.scalar(select(func.count()).select_from(Deal))
    log = await session.scalar(select(func.count()).select_from(StageChange))
    return int(deals or 0), int(log or 0)


def test_dry_run_apply_and_idempotent_reimport(world: World) -> None:
    async def scenario() -> None:
        db = Database(world.url)
        data = spreadsheets.write_csv(HEADER, GOOD)
        try:
            async with db.session() as session:
                organizer = await session.get(User, world.organizer)
                dry = await importer.run(session, data, "list.csv", organizer, Config(), apply=False)
                assert [(r.line, r.ref, r.action) for r in dry.rows] == [(2, "LH-1", "create"), (3, "LH-2", "create")]
                await session.rollback()
                assert await counts(session) == (0, 0)
                organizer = await session.get(User, world.organizer)
                applied = await importer.run(session, data, "list.csv", organizer, Config(), apply=True)
                await session.commit()
                assert applied.applied
                deals = {d.ref: d for d in (await session.scalars(select(Deal))).all()}
                assert (deals["LH-1"].stage, deals["LH-1"].district_id, deals["LH-1"].owner_id) == (
                    "negotiating",
                    world.harbour,
                    world.host,
                )
                assert (deals["LH-2"].stage, deals["LH-2"].confirmed, deals["LH-2"].currency) == ("signed", True, "USD")
                before = await counts(session)
                organizer = await session.get(User, world.organizer)
                again = await importer.run(session, data, "list.csv", organizer, Config(), apply=True)
                await session.commit()
                assert [r.action for r in again.rows] == ["unchanged", "unchanged"]
                assert await counts(session) == before
        finally:
            await db.close()

    run(scenario())


def test_a_bad_row_is_reported_and_nothing_is_applied(world: World) -> None:
    async def scenario() -> None:
        db = Database(world.url)
        bad = [
            *GOOD,
            ["LH-3", "Bad amount", "harbour", "目标", "", "X", -5, "CNY", ""],
            ["LH-4", "Nowhere", "atlantis", "funded", "", "Y", "", "XYZ", ""],
            ["LH-1", "Twice", "harbour", "目标", "", "Z", "", "CNY", ""],
        ]
        try:
            async with db.session() as session:
                organizer = await session.get(User, world.organizer)
                report = await importer.run(
                    session, spreadsheets.write_xlsx(HEADER, bad), "list.xlsx", organizer, Config(), apply=True
                )
                await session.rollback()
                assert not report.applied and not report.ok
                assert [(r.line, r.action) for r in report.rows] == [
                    (2, "create"),
                    (3, "create"),
                    (4, "error"),
                    (5, "error"),
                    (6, "error"),
                ]
                assert report.rows[2].errors == ["amount_agreed: This cannot be negative."]
                assert "Unknown district." in report.rows[3].errors
                assert report.rows[4].errors == ["This ref appears twice in the file."]
                assert await counts(session) == (0, 0)
        finally:
            await db.close()

    run(scenario())
