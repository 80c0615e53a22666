"""What the expo tells the pipeline through the activity log: the timeline, leads, and a
meeting outcome proposing a stage change that one click accepts."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.db import utcnow
from expo.pipeline import deals, feed
from tests.pipeline.conftest import World, in_session


def test_expo_events_reach_the_timeline_and_an_outcome_proposes_a_stage(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        values = {
            "title": "T",
            "investor_company": "Tokyo Bay",
            "district_id": world.harbour,
            "owner_id": world.host,
            "investor_user_id": world.investor,
        }
        deal = await deals.create(session, host, values, at=utcnow() - timedelta(hours=5))
        t = utcnow() - timedelta(hours=4)
        mine = {"user_id": world.investor, "district_id": world.harbour}
        await activity.record(session, "booth.visit", at=t, **mine)
        await activity.record(session, "booth.chat", at=t + timedelta(minutes=1), **mine)
        await activity.record(session, "meeting.booked", at=t + timedelta(minutes=2), subject_id=7, **mine)
        await activity.record(session, "booth.visit", at=t, user_id=world.investor, district_id=world.jinshan)
        await activity.record(session, "booth.visit", at=t, user_id=world.private_investor, district_id=world.harbour)
        await session.commit()
        assert [e.kind for e in await feed.timeline(session, deal)] == [
            "meeting.booked",
            "booth.chat",
            "booth.visit",
        ]
        assert await feed.proposals(session, world.harbour) == []
        await activity.record(
            session,
            "meeting.outcome",
            at=t + timedelta(hours=1),
            subject_id=7,
            data={"held": True, "rating": 4, "next_step": "term_sheet"},
            **mine,
        )
        await session.commit()
        found = await feed.proposals(session, world.harbour)
        assert [(p.deal.id, p.to_stage, p.next_step) for p in found] == [(deal.id, "negotiating", "term_sheet")]
        assert await feed.proposals(session, world.jinshan) == []  # another district sees nothing

    in_session(world.url, scenario)


def test_consenting_investors_who_chat_become_leads_until_decided(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        await activity.record(session, "booth.chat", user_id=world.investor, district_id=world.harbour)
        await activity.record(session, "booth.visit", user_id=world.investor, district_id=world.jinshan)
        await activity.record(session, "booth.chat", user_id=world.private_investor, district_id=world.harbour)
        await session.commit()
        leads = await feed.leads(session, None)
        assert [(lead.investor.id, lead.district_id, lead.kinds) for lead in leads] == [
            (world.investor, world.harbour, ("booth.chat",))
        ]
        assert await feed.leads(session, world.jinshan) == []
        await feed.decide(session, "lead", leads[0].key, "dismissed", host)
        await session.commit()
        assert await feed.leads(session, None) == []

    in_session(world.url, scenario)
