"""Pages of the pipeline's deals: the board, the list, a deal's page and every change to a
deal (stage, status, confirmation, next action, documents, signing)."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from expo.accounts.models import User
from expo.db import utcnow
from expo.pipeline import deals, documents, exports, feed, figures, problems
from expo.pipeline.flags import FLAGS, days_in_stage, flags_of
from expo.pipeline.models import Deal, Document, Problem, Signing
from expo.pipeline.stages import STAGES, STATUSES, validate
from expo.pipeline.web import (
    ORGANIZERS,
    PEOPLE,
    config,
    conflict_response,
    district_filter,
    form_day,
    load_deal,
    missing_texts,
    names,
    page_context,
    path_id,
    query_id,
    read_upload_form,
    refusal,
    scope_of,
    today,
)
from expo.web.errors import wants_json
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_

PAGE_SIZE = 50


async def board(request: Request) -> Response:
    district_id = district_filter(request)
    mine = request.query_params.get("mine") == "1"
    cfg = config(request)
    async with request.state.db.session() as session:
        columns = await figures.board(session, district_id, cfg, owner_id=request.state.user.id if mine else None)
        lookup = await names(session)
        pending = await feed.proposals(session, district_id)
        open_problems, overdue = await problems.open_counts(session, district_id, today(request))
    day = today(request)
    card_flags = {deal.id: flags_of(deal, day, cfg) for column in columns for deal in column.cards}
    return render(
        request,
        "pipeline/board.html",
        page_context(
            request,
            columns=columns,
            district_id=district_id,
            mine=mine,
            card_flags=card_flags,
            proposals=pending,
            open_problems=open_problems,
            overdue_problems=overdue,
            **lookup,
        ),
    )


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    stage = q.get("stage") if q.get("stage") in STAGES else None
    status = q.get("status") if q.get("status") in STATUSES else None
    flag = q.get("flag") if q.get("flag") in FLAGS else None
    return {
        "district_id": district_filter(request),
        "stage": stage,
        "status": status,
        "flag": flag,
        "owner_id": query_id(q.get("owner")),
        "sector": (q.get("sector") or "")[:32] or None,
        "awaiting": q.get("awaiting") == "1",
        "query": (q.get("q") or "").strip()[:100],
    }


async def deal_list(request: Request) -> Response:
    chosen = _filters(request)
    cfg = config(request)
    where = figures.deals_filter(**chosen, today=today(request), config=cfg)
    page = max(query_id(request.query_params.get("page")) or 1, 1)
    kind = request.query_params.get("format")
    async with request.state.db.session() as session:
        lookup = await names(session)
        if kind in ("csv", "xlsx"):
            rows = (await session.scalars(select(Deal).where(*where).order_by(Deal.id).limit(200_000))).all()
            return exports.deals_response(request, rows, lookup, kind, cfg)
        total = await session.scalar(select(func.count()).select_from(Deal).where(*where)) or 0
        rows = (
            await session.scalars(
                select(Deal)
                .where(*where)
                .order_by(Deal.updated_at.desc(), Deal.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    day = today(request)
    return render(
        request,
        "pipeline/list.html",
        page_context(
            request,
            deals=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            chosen=chosen,
            flags={d.id: flags_of(d, day, cfg) for d in rows},
            query_string=str(request.query_params),
            **lookup,
        ),
    )


async def _investors(session: Any) -> list[User]:
    return list(
        (
            await session.scalars(
                select(User)
                .where(User.role == "investor", User.shares_profile.is_(True))
                .order_by(User.name)
                .limit(500)
            )
        ).all()
    )


async def new_deal(request: Request) -> Response:
    cfg = config(request)
    errors: dict[str, str] = {}
    values: dict[str, str] = dict(request.query_params)
    async with request.state.db.session() as session:
        if request.method == "POST":
            values = fields(await read_form(request))
            try:
                parsed = await deals.read_deal_form(session, request.state.user, values, cfg)
                deal = await deals.create(session, request.state.user, parsed)
                await session.commit()
                return RedirectResponse(f"/pipeline/deals/{deal.id}", status_code=303)
            except deals.InvalidFields as exc:
                errors = exc.errors
            except deals.Refused as exc:
                errors = {m.fact: m.message for m in exc.missing}
        lookup = await names(session)
        investors = await _investors(session)
    return render(
        request,
        "pipeline/new.html",
        page_context(request, errors=errors, values=values, investors=investors, scope=scope_of(request), **lookup),
        status_code=422 if errors else 200,
    )


async def _deal_page(
    request: Request,
    session: Any,
    deal: Deal,
    *,
    errors: dict[str, str] | None = None,
    missing: list[str] | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    conflict: deals.Conflict | None = None,
) -> Response:
    cfg = config(request)
    log = await deals.log_of(session, deal.id)
    docs = (
        await session.scalars(
            select(Document).where(Document.deal_id == deal.id).order_by(Document.kind, Document.version.desc())
        )
    ).all()
    signing = await session.get(Signing, deal.id)
    deal_problems = (
        await session.scalars(
            select(Problem).where(Problem.deal_id == deal.id).order_by(Problem.closed_at.is_not(None), Problem.deadline)
        )
    ).all()
    trails = await problems.trail(session, [p.id for p in deal_problems])
    events = await feed.timeline(session, deal)
    pending = await feed.proposals(session, None, deal.id)
    facts = await deals.facts_of(session, deal)
    lookup = await names(session)
    people = {
        u.id: u
        for u in (
            await session.scalars(
                select(User).where(
                    User.id.in_({c.by_user_id for c in log if c.by_user_id} | {deal.investor_user_id or 0})
                )
            )
        ).all()
    }
    next_stage = STAGES[STAGES.index(deal.stage) + 1] if deal.stage != STAGES[-1] else None
    needs = {stage: [m.message for m in validate(facts, stage)] for stage in STAGES}
    return render(
        request,
        "pipeline/deal.html",
        page_context(
            request,
            deal=deal,
            log=log,
            documents=docs,
            signing=signing,
            problems=deal_problems,
            trails=trails,
            events=events,
            proposals=pending,
            people=people,
            next_stage=next_stage,
            needs=needs,
            flags=flags_of(deal, today(request), cfg),
            days=days_in_stage(deal, utcnow()),
            errors=errors or {},
            missing=missing or [],
            values=values or form_values(deal),
            conflict=conflict,
            investors=await _investors(session),
            document_kinds=documents.KINDS,
            categories=problems.CATEGORIES,
            levels=problems.LEVELS,
            tiers=problems.TIER_LABELS,
            trail_labels=problems.TRAIL_LABELS,
            may_act=lambda p: problems.may_act(request.state.user, p),
            **lookup,
        ),
        status_code=status,
    )


def form_values(deal: Deal) -> dict[str, str]:
    """The deal's facts as the form's text values."""
    out = {name: "" if getattr(deal, name) is None else str(getattr(deal, name)) for name in deals.TEXT_FIELDS}
    for name in (
        "investor_country",
        "sector",
        "currency",
        "amount_agreed",
        "amount_arrived",
        "jobs",
        "likelihood",
        "source",
    ):
        out[name] = str(getattr(deal, name))
    for name in ("expected_date", "next_action_due"):
        out[name] = getattr(deal, name).isoformat() if getattr(deal, name) else ""
    out["land_needed"] = "1" if deal.land_needed else ""
    out.update(district=str(deal.district_id), team=str(deal.team_id or ""), owner=str(deal.owner_id or ""))
    out["investor_user"] = str(deal.investor_user_id or "")
    return out


async def deal_page(request: Request) -> Response:
    async with request.state.db.session() as session:
        deal = await load_deal(session, request)
        return await _deal_page(request, session, deal)


def _version(data: dict[str, str]) -> int | None:
    return query_id(data.get("version"))


async def _form(request: Request) -> dict[str, str]:
    if "application/json" in request.headers.get("content-type", ""):
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400) from None
        if not isinstance(body, dict):
            raise HTTPException(400)
        return {str(k): str(v) for k, v in body.items() if isinstance(v, str | int)}
    return fields(await read_form(request))


async def _change(request: Request, action: Any) -> Response:
    """Runs one change on a deal; answers a redirect (forms) or JSON (scripts); refusals show
    on the deal page (422, every missing thing) or as JSON; a stale version answers 409."""
    data = await _form(request)
    async with request.state.db.session() as session:
        deal = await load_deal(session, request)
        try:
            try:
                await action(session, deal, data)
                await session.commit()
            except StaleDataError:  # another transaction wrote the deal between our read and write
                raise deals.Conflict(deal, []) from None
        except deals.Conflict:
            await session.rollback()  # expires what was loaded: read the deal and its log again
            deal = await load_deal(session, request)
            exc = deals.Conflict(deal, (await deals.log_of(session, deal.id))[_version(data) or 0 :])
            if wants_json(request):
                return conflict_response(request, exc)
            return await _deal_page(request, session, deal, conflict=exc, status=409)
        except deals.Refused as exc:
            await session.rollback()
            deal = await load_deal(session, request)
            answer = refusal(request, exc.missing)
            if answer is not None:
                return answer
            return await _deal_page(
                request, session, deal, missing=missing_texts(request, exc.missing), status=422, values=data
            )
        except deals.InvalidFields as exc:
            await session.rollback()
            deal = await load_deal(session, request)
            if wants_json(request):
                return JSONResponse(
                    {"error": {"status": 422, "message": "invalid", "fields": exc.errors}}, status_code=422
                )
            return await _deal_page(request, session, deal, errors=exc.errors, status=422, values=data)
        if wants_json(request):
            return JSONResponse(
                {
                    "id": deal.id,
                    "stage": deal.stage,
                    "status": deal.status,
                    "version": deal.version,
                    "confirmed": deal.confirmed,
                }
            )
    back = data.get("back") if data.get("back") in ("board", "list") else None
    target = {"board": "/pipeline", "list": "/pipeline/deals"}.get(back or "", f"/pipeline/deals/{deal.id}")
    return RedirectResponse(target, status_code=303)


async def edit_deal(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        values = await deals.read_deal_form(session, request.state.user, data, config(request), deal)
        await deals.edit(session, deal, request.state.user, values, _version(data))

    return await _change(request, action)


async def move_stage(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        how = "board" if data.get("back") == "board" or data.get("how") == "board" else "hand"
        await deals.move(
            session,
            deal,
            request.state.user,
            data.get("stage", ""),
            version=_version(data),
            reason=data.get("reason", ""),
            how=how,
        )

    return await _change(request, action)


async def set_status(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        await deals.set_status(
            session,
            deal,
            request.state.user,
            data.get("status", ""),
            version=_version(data),
            reason=data.get("reason", ""),
            lost_to=data.get("lost_to", ""),
        )

    return await _change(request, action)


async def confirm(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        await deals.confirm(session, deal, request.state.user, version=_version(data))

    return await _change(request, action)


async def next_action(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        due = form_day(data, "due")
        await deals.set_next_action(
            session, deal, request.state.user, data.get("text", ""), due, version=_version(data)
        )

    return await _change(request, action)


async def signing(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        method = data.get("method", "post")
        bad = []
        if method not in ("post", "electronic"):
            bad.append(deals.Missing("method", N_("Choose one of the offered values.")))
        days = {}
        for name in ("sent_on", "received_on", "countersigned_on"):
            raw = data.get(name, "").strip()
            try:
                days[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                bad.append(deals.Missing(name, N_("Enter a date as YYYY-MM-DD.")))
        tracking = {n: data.get(n, "").strip() for n in ("tracking_out", "tracking_back")}
        if any(len(v) > 64 for v in tracking.values()):
            bad.append(deals.Missing("tracking", N_("This is too long.")))
        if bad:
            raise deals.Refused(bad)
        row = await session.get(Signing, deal.id) or Signing(deal_id=deal.id)
        row.method = method
        row.tracking_out, row.tracking_back = tracking["tracking_out"], tracking["tracking_back"]
        row.sent_on, row.received_on, row.countersigned_on = (
            days["sent_on"],
            days["received_on"],
            days["countersigned_on"],
        )
        session.add(row)

    return await _change(request, action)


async def upload(request: Request) -> Response:
    limit = int(request.state.settings.upload_max_mb) * 1024 * 1024
    form = await read_upload_form(request, limit)
    try:
        async with request.state.db.session() as session:
            deal = await load_deal(session, request)
            file = form.get("file")
            kind = str(form.get("kind", ""))
            problem = None
            if not isinstance(file, UploadFile) or not file.filename:
                problem = N_("Choose a file to upload.")
            elif kind not in documents.KINDS:
                problem = N_("Choose one of the offered values.")
            else:
                try:
                    stored, content_type, size = await documents.save(file, request.state.settings.var_dir, limit)
                    await documents.attach(
                        session, deal, request.state.user, kind, file.filename, stored, content_type, size
                    )
                    await session.commit()
                except documents.UploadError as exc:
                    problem = exc.message
            if problem is not None:
                return await _deal_page(request, session, deal, errors={"file": problem}, status=422)
    finally:
        await form.close()
    return RedirectResponse(f"/pipeline/deals/{deal.id}#documents", status_code=303)


async def document(request: Request) -> Response:
    async with request.state.db.session() as session:
        item = await session.get(Document, path_id(request, "document_id"))
        if item is None:
            raise HTTPException(404)
        deal = await session.get(Deal, item.deal_id)
        if deal is None or not deals.may_see(request.state.user, deal.district_id):
            raise HTTPException(403)
    path = documents.path_of(request.state.settings.var_dir, item)
    if not path.exists():
        raise HTTPException(404)
    return FileResponse(
        path,
        media_type=item.content_type,
        headers={"content-disposition": exports.disposition(item.filename), "x-content-type-options": "nosniff"},
    )


async def open_problem(request: Request) -> Response:
    async def action(session: Any, deal: Deal, data: dict[str, str]) -> None:
        deadline = form_day(data, "deadline")
        owner = query_id(data.get("owner"))
        if owner is not None:
            user = await session.get(User, owner)
            if (
                user is None
                or user.role not in ("host", "organizer")
                or (user.role == "host" and user.district_id != deal.district_id)
            ):
                raise deals.Refused([deals.Missing("owner", N_("The owner must be a host of this district."))])
        await problems.open_problem(
            session,
            deal,
            request.state.user,
            category=data.get("category", ""),
            level=data.get("level", ""),
            title=data.get("title", ""),
            deadline=deadline,
            owner_id=owner,
            text=data.get("text", ""),
        )

    return await _change(request, action)


routes = [
    route("/pipeline", board, allow=PEOPLE),
    route("/pipeline/deals", deal_list, allow=PEOPLE),
    route("/pipeline/deals/new", new_deal, allow=PEOPLE, methods=("GET", "POST")),
    route("/pipeline/deals/{deal_id:int}", deal_page, allow=PEOPLE),
    route("/pipeline/deals/{deal_id:int}/edit", edit_deal, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/stage", move_stage, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/status", set_status, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/confirm", confirm, allow=ORGANIZERS, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/next-action", next_action, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/signing", signing, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/documents", upload, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/deals/{deal_id:int}/problems", open_problem, allow=PEOPLE, methods=("POST",)),
    route("/pipeline/documents/{document_id:int}", document, allow=PEOPLE),
]
