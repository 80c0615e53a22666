"""Pages for what needs a decision: problems (with escalation), leads from the expo, and stage
changes proposed by meeting outcomes."""

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo.accounts.models import User
from expo.activity import Event
from expo.pipeline import deals, feed, problems
from expo.pipeline.deal_views import _deal_page
from expo.pipeline.models import Deal, Problem
from expo.pipeline.web import PEOPLE, district_filter, missing_texts, names, page_context, path_id, scope_of, today
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_


async def problem_list(request: Request, *, missing: list[str] | None = None, status: int = 200) -> Response:
    district_id = district_filter(request)
    show_closed = request.query_params.get("closed") == "1"
    async with request.state.db.session() as session:
        statement = select(Problem, Deal).join(Deal, Deal.id == Problem.deal_id)
        if district_id is not None:
            statement = statement.where(Problem.district_id == district_id)
        statement = statement.where(Problem.closed_at.is_not(None) if show_closed else Problem.closed_at.is_(None))
        rows = (await session.execute(statement.order_by(Problem.deadline, Problem.id).limit(300))).all()
        trails = await problems.trail(session, [p.id for p, _ in rows])
        lookup = await names(session)
    return render(
        request,
        "pipeline/problems.html",
        page_context(
            request,
            rows=rows,
            trails=trails,
            show_closed=show_closed,
            district_id=district_id,
            missing=missing or [],
            categories=problems.CATEGORIES,
            levels=problems.LEVELS,
            tiers=problems.TIER_LABELS,
            trail_labels=problems.TRAIL_LABELS,
            may_act=lambda p: problems.may_act(request.state.user, p),
            **lookup,
        ),
        status_code=status,
    )


async def problems_page(request: Request) -> Response:
    async with request.state.db.session() as session:
        # Deadlines pass while nobody looks: escalate what is overdue before showing the list.
        if await problems.escalate_overdue(session, today(request)):
            await session.commit()
    return await problem_list(request)


async def problem_action(request: Request) -> Response:
    data = fields(await read_form(request))
    user: User = request.state.user
    async with request.state.db.session() as session:
        problem = await session.get(Problem, path_id(request, "problem_id"))
        if problem is None:
            raise HTTPException(404)
        if not deals.may_see(user, problem.district_id):
            raise HTTPException(403, N_("This deal belongs to another district."))
        action = data.get("action")
        try:
            if action == "note":
                await problems.note(session, problem, user, data.get("text", ""))
            elif action == "escalate":
                if not problems.may_act(user, problem):
                    raise HTTPException(403)
                await problems.escalate(session, problem, user, data.get("text", ""))
            elif action == "close":
                await problems.close(session, problem, user, data.get("resolution", ""))
            else:
                raise HTTPException(400)
            await session.commit()
        except deals.Forbidden:
            raise HTTPException(403) from None
        except deals.Refused as exc:
            await session.rollback()
            return await problem_list(request, missing=missing_texts(request, exc.missing), status=422)
        deal_id = problem.deal_id
    if data.get("back") == "deal":
        return RedirectResponse(f"/pipeline/deals/{deal_id}#problems", status_code=303)
    return RedirectResponse("/pipeline/problems", status_code=303)


async def leads_page(request: Request) -> Response:
    district_id = district_filter(request)
    async with request.state.db.session() as session:
        found = await feed.leads(session, district_id)
        lookup = await names(session)
    return render(request, "pipeline/leads.html", page_context(request, leads=found, district_id=district_id, **lookup))


async def lead_action(request: Request) -> Response:
    data = fields(await read_form(request))
    user: User = request.state.user
    parts = (data.get("key") or "").split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 9 for p in parts):
        raise HTTPException(400)
    investor_id, district_id = int(parts[0]), int(parts[1])
    if not deals.may_see(user, district_id):
        raise HTTPException(403, N_("This deal belongs to another district."))
    async with request.state.db.session() as session:
        investor = await session.get(User, investor_id)
        if investor is None or investor.role != "investor" or not investor.shares_profile:
            raise HTTPException(404)
        if data.get("action") == "dismiss":
            await feed.decide(session, "lead", f"{investor_id}:{district_id}", "dismissed", user)
            await session.commit()
            return RedirectResponse("/pipeline/leads", status_code=303)
        if data.get("action") != "accept":
            raise HTTPException(400)
        if await deals.has_deal(session, investor_id, district_id):
            raise HTTPException(409, N_("There is already a deal for this investor in this district."))
        owner = user.id if user.role == "host" else None
        kinds = {e.kind for e in await _events(session, investor_id, district_id)}
        owner_id = owner or await _first_host(session, district_id)
        if owner_id is None:
            raise HTTPException(422, N_("This district has no host to own the deal yet."))
        deal = await deals.create(
            session,
            user,
            {
                "title": f"{investor.organization or investor.name}",
                "investor_company": investor.organization or investor.name,
                "investor_country": investor.country,
                "contact_name": investor.name,
                "contact_email": investor.email,
                "investor_user_id": investor.id,
                "district_id": district_id,
                "sector": (investor.sectors or [""])[0],
                "owner_id": owner_id,
                "source": "booth" if kinds & {"booth.chat", "booth.meeting_request"} else "expo",
            },
        )
        await feed.decide(session, "lead", f"{investor_id}:{district_id}", "accepted", user, deal.id)
        await session.commit()
        return RedirectResponse(f"/pipeline/deals/{deal.id}", status_code=303)


async def _events(session: Any, investor_id: int, district_id: int) -> list[Event]:
    statement = select(Event).where(Event.user_id == investor_id, Event.district_id == district_id).limit(200)
    return list((await session.scalars(statement)).all())


async def _first_host(session: Any, district_id: int) -> int | None:
    return await session.scalar(
        select(User.id).where(User.role == "host", User.district_id == district_id).order_by(User.id).limit(1)
    )


async def proposal_action(request: Request) -> Response:
    """One click on a meeting outcome's proposal: the stage change (with all its checks), or dismiss."""
    data = fields(await read_form(request))
    user: User = request.state.user
    event_id = path_id(request, "event_id")
    async with request.state.db.session() as session:
        found = [p for p in await feed.proposals(session, scope_of(request)) if p.event.id == event_id]
        if not found:
            raise HTTPException(404)
        proposal = found[0]
        deal_id = proposal.deal.id  # read now: a rollback below expires the loaded rows
        if data.get("action") == "dismiss":
            await feed.decide(session, "proposal", str(event_id), "dismissed", user, deal_id)
            await session.commit()
            return RedirectResponse(f"/pipeline/deals/{deal_id}", status_code=303)
        if data.get("action") != "accept":
            raise HTTPException(400)
        try:
            await deals.move(
                session, proposal.deal, user, proposal.to_stage, version=None, reason=proposal.next_step, how="meeting"
            )
        except deals.Refused as exc:
            await session.rollback()
            deal = await session.get(Deal, deal_id)
            return await _deal_page(request, session, deal, missing=missing_texts(request, exc.missing), status=422)
        await feed.decide(session, "proposal", str(event_id), "accepted", user, deal_id)
        await session.commit()
        return RedirectResponse(f"/pipeline/deals/{deal_id}", status_code=303)


routes = [
    route("/pipeline/problems", problems_page, allow=PEOPLE),
    route("/pipeline/problems/{problem_id:int}", problem_action, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/leads", leads_page, allow=PEOPLE),
    route("/pipeline/leads", lead_action, allow=PEOPLE, methods=("POST",), name="lead_action"),
    route("/pipeline/proposals/{event_id:int}", proposal_action, allow=PEOPLE, methods=("POST",)),
]
