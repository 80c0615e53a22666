"""Figures from a hand-built stage history with known answers: conversion, median time in
stage, the ranking formula, and a frozen month that later edits do not change."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from expo.db import Database
from expo.pipeline import figures, ranking
from expo.pipeline.config import Config
from expo.pipeline.models import Deal, StageChange
from tests.helpers import run
from tests.pipeline.conftest import World, in_session

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


async def history(session, district: int, path: list[tuple[str, float]], **values) -> Deal:  # type: ignore[no-untyped-def]
    """A deal that went through ``path`` [(stage, day), …], logged as it happened."""
    deal = Deal(
        title="d",
        investor_company="c",
        district_id=district,
        stage=path[-1][0],
        stage_entered_at=at(path[-1][1]),
        created_at=at(path[0][1]),
        updated_at=at(path[-1][1]),
        **values,
    )
    session.add(deal)
    await session.flush()
    previous = ""
    for stage, day in path:
        kind = "create" if not previous else "stage"
        session.add(
            StageChange(
                deal_id=deal.id, district_id=district, at=at(day), kind=kind, from_stage=previous, to_stage=stage
            )
        )
        previous = stage
    return deal


def test_conversion_and_median_time_in_stage(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        h = world.harbour
        await history(session, h, [("target", 0), ("intention", 10), ("negotiating", 40)])
        await history(session, h, [("target", 0), ("intention", 20)])
        await history(session, h, [("target", 0), ("intention", 30), ("negotiating", 50), ("signed", 80)])
        await history(session, h, [("target", 0)])
        await history(session, h, [("target", 0), ("negotiating", 6)])  # skipped intention
        await session.commit()
        reach = await figures.reached(session, h)
        assert reach == {"target": 5, "intention": 4, "negotiating": 3, "signed": 1, "landed": 0, "funded": 0}
        assert figures.conversion(reach) == {
            "target": 4 / 5,
            "intention": 3 / 4,
            "negotiating": 1 / 3,
            "signed": 0.0,
            "landed": None,
        }
        medians = await figures.median_days(session, h, at(400))
        # finished stays: target 10, 20, 30, 6 → 15; intention 30, 20 → 25; negotiating 30
        assert medians == {
            "target": 15.0,
            "intention": 25.0,
            "negotiating": 30.0,
            "signed": None,
            "landed": None,
            "funded": None,
        }
        assert await figures.reached(session, world.jinshan) == dict.fromkeys(reach, 0)

    in_session(world.url, scenario)


def test_the_ranking_formula_on_a_known_case() -> None:
    rows = {
        1: {"signed": 4, "landed": 1, "funds": 100.0, "start_rate": 0.5, "overdue": 2},
        2: {"signed": 2, "landed": 2, "funds": 0.0, "start_rate": 1.0, "overdue": 0},
        3: {"signed": 2, "landed": 2, "funds": 0.0, "start_rate": 1.0, "overdue": 0},
    }
    weights = {"signed": 30, "landed": 20, "funds": 30, "start_rate": 20, "overdue": 10}
    # 1: 30·4/4 + 20·1/2 + 30·1 + 20·0.5 − 10·2/2 = 30 + 10 + 30 + 10 − 10 = 70
    # 2, 3: 30·2/4 + 20·2/2 + 0 + 20·1 − 0 = 15 + 20 + 20 = 55
    assert ranking.score(rows, weights) == {1: 70.0, 2: 55.0, 3: 55.0}
    assert [(r.district_id, r.rank) for r in ranking.ranked(rows, {}, weights)] == [(1, 1), (2, 2), (3, 2)]


def test_a_closed_month_does_not_change_after_an_edit(world: World) -> None:
    async def scenario() -> None:
        db = Database(world.url)
        cfg = Config()
        try:
            async with db.session() as session:
                h, j = world.harbour, world.jinshan
                one = await history(session, h, [("target", 0), ("signed", 40)], currency="USD", amount_agreed=10)
                two = await history(session, j, [("target", 0), ("signed", 35), ("landed", 45)])
                for deal, day in ((one, 41), (two, 36)):  # February
                    session.add(
                        StageChange(
                            deal_id=deal.id,
                            district_id=deal.district_id,
                            at=at(day),
                            kind="confirm",
                            from_stage="signed",
                            to_stage="signed",
                            how="confirm",
                        )
                    )
                await session.commit()
                february = date(2026, 2, 1)
                frozen = await ranking.close_month(session, february, cfg, at(70))
                await session.commit()
                before = [(r.district_id, r.rank, r.score, r.figures) for r in frozen]
                assert [
                    (r.district_id, r.figures["signed"], r.figures["landed"], r.figures["start_rate"]) for r in frozen
                ] == [
                    (j, 1.0, 1.0, 1.0),
                    (h, 1.0, 0.0, 0.0),
                ]
                # later: harbour's deal lands and funds arrive in March; weights change too
                session.add(
                    StageChange(
                        deal_id=one.id, district_id=h, at=at(65), kind="stage", from_stage="signed", to_stage="landed"
                    )
                )
                one.stage = "landed"
                await ranking.set_weights(
                    session, type("U", (), {"id": world.organizer})(), {**ranking.DEFAULT_WEIGHTS, "landed": 500}
                )
                await session.commit()
                again = await ranking.ranking(session, february, cfg, at(90))
                assert again.frozen is True
                assert [(r.district_id, r.rank, r.score, r.figures) for r in again.rows] == before
                live = await ranking.ranking(session, date(2026, 3, 1), cfg, at(66))
                assert live.frozen is False and live.previous == {j: 1, h: 2}
                assert {r.district_id: r.figures["landed"] for r in live.rows} == {h: 1.0, j: 0.0}
        finally:
            await db.close()

    run(scenario())
