"""Deals on a real database: stage changes with their checks, the city office's
confirmation, the append-only log, optimistic locking, status rules, problems."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import Database, utcnow
from expo.pipeline import deals, documents, problems
from expo.pipeline.models import Deal, Problem, Signing, StageChange
from tests.helpers import run
from tests.pipeline.conftest import World, in_session


async def new_deal(session, world: World, **values) -> Deal:  # type: ignore[no-untyped-def]
    host = await session.get(User, world.host)
    base = {
        "title": "Antibody plant",
        "investor_company": "Tokyo Bay",
        "district_id": world.harbour,
        "owner_id": world.host,
    }
    deal = await deals.create(session, host, {**base, **values})
    await session.flush()
    return deal


READY = {
    "investor_country": "JP",
    "sector": "biomedicine",
    "contact_name": "Ms Sato",
    "expected_date": date(2027, 3, 1),
    "likelihood": 70,
    "amount_agreed": 50_000_000,
    "jobs": 120,
    "service_city_lead": "Liu",
    "service_district_lead": "Zhou",
    "service_liaison": "Chen",
}


async def attach(session, deal: Deal, world: World, kind: str) -> None:  # type: ignore[no-untyped-def]
    host = await session.get(User, world.host)
    await documents.attach(session, deal, host, kind, "a.pdf", "x.pdf", "application/pdf", 10)


def test_moving_to_signed_is_refused_until_the_agreement_is_countersigned_then_confirmed(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        organizer = await session.get(User, world.organizer)
        deal = await new_deal(session, world, **READY)
        for stage in ("intention",):
            await deals.move(session, deal, host, stage, version=deal.version)
        with pytest.raises(deals.Refused) as refused:
            await deals.move(session, deal, host, "negotiating", version=deal.version)
        assert [m.fact for m in refused.value.missing] == ["agreement"]
        await attach(session, deal, world, "agreement")
        await deals.move(session, deal, host, "negotiating", version=deal.version)
        with pytest.raises(deals.Refused) as refused:
            await deals.move(session, deal, host, "signed", version=deal.version)
        assert [m.fact for m in refused.value.missing] == ["countersigned"]
        await attach(session, deal, world, "countersigned")
        session.add(Signing(deal_id=deal.id, method="post", countersigned_on=date(2026, 11, 20)))
        await deals.move(session, deal, host, "signed", version=deal.version)
        assert (deal.stage, deal.confirmed) == ("signed", False)
        with pytest.raises(deals.Refused) as refused:  # landed needs the city's confirmation
            await deals.move(session, deal, host, "landed", version=deal.version)
        assert [m.fact for m in refused.value.missing] == ["signed_confirmed"]
        with pytest.raises(deals.Forbidden):
            await deals.confirm(session, deal, host, version=deal.version)
        await deals.confirm(session, deal, organizer, version=deal.version)
        assert deal.confirmed is True
        await deals.move(session, deal, host, "landed", version=deal.version)
        await session.commit()
        log = await deals.log_of(session, deal.id)
        assert [(c.kind, c.from_stage, c.to_stage, c.how) for c in log] == [
            ("create", "", "target", "hand"),
            ("stage", "target", "intention", "hand"),
            ("stage", "intention", "negotiating", "hand"),
            ("stage", "negotiating", "signed", "hand"),
            ("confirm", "signed", "signed", "confirm"),
            ("stage", "signed", "landed", "hand"),
        ]
        assert deal.version == len(log)

    in_session(world.url, scenario)


def test_skipping_needs_a_reason_and_going_back_is_a_logged_change(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        deal = await new_deal(session, world, **READY)
        with pytest.raises(deals.Refused) as refused:
            await deals.move(session, deal, host, "negotiating", version=deal.version)
        assert "reason" in [m.fact for m in refused.value.missing]
        await attach(session, deal, world, "agreement")
        await deals.move(session, deal, host, "negotiating", version=deal.version, reason="met at the expo twice")
        await deals.move(session, deal, host, "target", version=deal.version, reason="investor paused")
        await session.commit()
        log = [(c.from_stage, c.to_stage, c.reason) for c in await deals.log_of(session, deal.id)]
        assert log[1:] == [
            ("target", "negotiating", "met at the expo twice"),
            ("negotiating", "target", "investor paused"),
        ]

    in_session(world.url, scenario)


def test_the_stage_log_refuses_updates_and_deletes(world: World) -> None:
    async def scenario() -> None:
        db = Database(world.url)
        try:
            async with db.session() as session:
                deal = await new_deal(session, world)
                await session.commit()
                deal_id = deal.id
            for statement in (
                "UPDATE pipeline_stage_log SET to_stage = 'funded'",
                "DELETE FROM pipeline_stage_log",
            ):
                async with db.session() as session:
                    with pytest.raises(DBAPIError):
                        await session.execute(text(statement))
                        await session.flush()
                    await session.rollback()
            async with db.session() as session:
                rows = (await session.scalars(select(StageChange).where(StageChange.deal_id == deal_id))).all()
                assert [(r.kind, r.to_stage) for r in rows] == [("create", "target")]
        finally:
            await db.close()

    run(scenario())


def test_the_second_mover_is_told_what_changed(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        deal = await new_deal(session, world, **READY)
        loaded = deal.version
        await deals.move(session, deal, host, "intention", version=loaded)  # the first mover
        with pytest.raises(deals.Conflict) as conflict:
            await deals.move(session, deal, host, "intention", version=loaded)  # the second
        assert [(c.kind, c.from_stage, c.to_stage) for c in conflict.value.changes] == [
            ("stage", "target", "intention")
        ]

    in_session(world.url, scenario)


def test_lost_needs_a_reason_and_to_whom(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        deal = await new_deal(session, world)
        with pytest.raises(deals.Refused) as refused:
            await deals.set_status(session, deal, host, "lost", version=deal.version)
        assert [m.fact for m in refused.value.missing] == ["reason", "lost_to"]
        await deals.set_status(session, deal, host, "lost", version=deal.version, reason="price", lost_to="Suzhou")
        assert (deal.status, deal.lost_reason, deal.lost_to) == ("lost", "price", "Suzhou")
        with pytest.raises(deals.Refused):  # a lost deal does not move until reopened
            await deals.move(session, deal, host, "intention", version=deal.version)

    in_session(world.url, scenario)


def test_the_deal_form_refuses_negative_absurd_and_unknown_amounts(world: World) -> None:
    async def scenario() -> None:
        from expo.pipeline.config import Config

        db = Database(world.url)
        try:
            async with db.session() as session:
                host = await session.get(User, world.host)
                base = {"title": "X", "investor_company": "Y"}
                cases = [
                    ({"amount_agreed": "-5"}, "amount_agreed"),
                    ({"amount_agreed": "9" * 16}, "amount_agreed"),
                    ({"currency": "XYZ"}, "currency"),
                    ({"investor_user": str(world.private_investor)}, "investor_user"),
                    ({"owner": str(world.other_host)}, "owner"),
                ]
                for extra, field in cases:
                    with pytest.raises(deals.InvalidFields) as bad:
                        await deals.read_deal_form(session, host, {**base, **extra}, Config())
                    assert list(bad.value.errors) == [field], extra
                values = await deals.read_deal_form(session, host, {**base, "district": str(world.jinshan)}, Config())
                assert values["district_id"] == world.harbour  # a host's deals stay in their district
        finally:
            await db.close()

    run(scenario())


def test_problems_escalate_when_overdue_and_close_only_with_a_resolution(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        organizer = await session.get(User, world.organizer)
        deal = await new_deal(session, world)
        today = utcnow().date()
        problem = await problems.open_problem(
            session,
            deal,
            host,
            category="land",
            level="high",
            title="Rezoning",
            deadline=today - timedelta(days=1),
            owner_id=None,
        )
        assert await problems.escalate_overdue(session, today) == 1
        assert (problem.tier, problem.deadline) == (
            "district",
            today + timedelta(days=problems.ESCALATION_DAYS),
        )
        await problems.escalate(session, problem, host, "needs the city")
        assert problem.tier == "city"
        with pytest.raises(deals.Forbidden):  # at the city office, only organizers close it
            await problems.close(session, problem, host, "done by the district")
        with pytest.raises(deals.Refused):
            await problems.close(session, problem, organizer, "")
        await problems.close(session, problem, organizer, "Rezoning approved on 3 Dec")
        await session.commit()
        trail = (await problems.trail(session, [problem.id]))[problem.id]
        assert [(n.kind, n.tier) for n in trail] == [
            ("opened", "owner"),
            ("escalated", "district"),
            ("escalated", "city"),
            ("closed", "city"),
        ]
        assert (await session.get(Problem, problem.id)).resolution == "Rezoning approved on 3 Dec"

    in_session(world.url, scenario)


def test_two_transactions_moving_the_same_deal_cannot_both_write(world: World) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    async def scenario() -> None:
        db = Database(world.url)
        try:
            async with db.session() as session:
                deal = await new_deal(session, world, **READY)
                await session.commit()
                deal_id, version = deal.id, deal.version
            async with db.session() as first, db.session() as second:
                host_a, host_b = await first.get(User, world.host), await second.get(User, world.host)
                a, b = await first.get(Deal, deal_id), await second.get(Deal, deal_id)
                await deals.move(first, a, host_a, "intention", version=version)  # both pass the check
                await deals.move(second, b, host_b, "intention", version=version)
                await first.commit()
                with pytest.raises(StaleDataError):
                    await second.commit()
            async with db.session() as session:
                log = await deals.log_of(session, deal_id)
                assert [(c.kind, c.to_stage) for c in log] == [("create", "target"), ("stage", "intention")]
        finally:
            await db.close()

    run(scenario())
