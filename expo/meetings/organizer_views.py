"""The organizer's matchmaking pages: the meeting grid and suggestion weights, the
figures and the CSV of all meetings, and the scheduler (run with live progress, review and
edit the draft, publish)."""

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.db import utcnow
from expo.fair.models import District, ProjectTeam
from expo.spreadsheets import write_csv
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_, pick

from . import figures, grid, scheduler, suggest
from .errors import MeetingError
from .models import Meeting, SchedulerRun, Slot
from .vocab import DEFAULT_WEIGHTS, WEIGHT_LABELS
from .web import domain_errors, int_field, notifier

ORGANIZERS = {Role.ORGANIZER}
RUNS_KEY = "meetings.runs"


def runs(request: Request) -> scheduler.Runs:
    cache = request.state.cache
    if RUNS_KEY not in cache:
        cache[RUNS_KEY] = scheduler.Runs()
    return cache[RUNS_KEY]  # type: ignore[no-any-return]


async def _page(request: Request, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    async with request.state.db.session() as session:
        g = await grid.load_grid(session)
        figs = await figures.figures(session)
        districts = {
            d.id: pick(d.name, request.state.locale, request.state.settings.default_locale).text
            for d in (await session.scalars(select(District))).all()
        }
        slots = (await session.scalars(select(Slot).where(Slot.active).order_by(Slot.starts_at))).all()
        stranded = (
            await session.scalars(
                select(Meeting)
                .join(Slot, Slot.id == Meeting.slot_id)
                .where(Meeting.status == "booked", Slot.active.is_(False), Meeting.starts_at > utcnow())
                .order_by(Meeting.starts_at)
            )
        ).all()
        last_runs = (await session.scalars(select(SchedulerRun).order_by(SchedulerRun.id.desc()).limit(5))).all()
        await session.commit()
    return render(
        request,
        "meetings/organizer.html",
        {
            "grid": g,
            "weights": grid.weights_of(g),
            "weight_labels": WEIGHT_LABELS,
            "weight_keys": list(DEFAULT_WEIGHTS),
            "figures": figs,
            "districts": districts,
            "slot_count": len(slots),
            "first_slot": slots[0] if slots else None,
            "last_slot": slots[-1] if slots else None,
            "stranded": stranded,
            "runs": last_runs,
            "errors": errors or {},
            "slot_choices": grid.SLOT_CHOICES,
        },
        status_code=status,
    )


async def organizer_page(request: Request) -> Response:
    return await _page(request)


async def save_grid(request: Request) -> Response:
    form = fields(await read_form(request))
    try:
        plan = grid.parse_plan(
            form.get("days", "").replace(",", " ").split(),
            form.get("day_start", ""),
            form.get("day_end", ""),
            form.get("slot_minutes", ""),
            form.get("tables", ""),
        )
    except MeetingError as exc:
        return await _page(request, {"grid": exc.message}, 422)
    async with request.state.db.session() as session:
        await grid.save_grid(session, plan, request.state.settings.home_tz)
        await session.commit()
    return RedirectResponse("/organizer/meetings?saved=grid", status_code=303)


async def save_weights(request: Request) -> Response:
    form = fields(await read_form(request))
    try:
        weights = grid.parse_weights(form)
    except MeetingError as exc:
        return await _page(request, {"weights": exc.message}, 422)
    async with request.state.db.session() as session:
        g = await grid.load_grid(session)
        g.weights = weights
        await session.commit()
    suggest.invalidate(request.state.cache)
    return RedirectResponse("/organizer/meetings?saved=weights", status_code=303)


async def meetings_csv(request: Request) -> Response:
    async with request.state.db.session() as session:
        rows = await figures.meeting_rows(session)
    return Response(
        write_csv(figures.CSV_HEADER, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="meetings.csv"'},
    )


@domain_errors
async def start_run(request: Request) -> Response:
    run_id = await runs(request).start(request.state.db, request.state.user, request.state.settings.home_tz)
    return RedirectResponse(f"/organizer/meetings/runs/{run_id}", status_code=303)


async def _run_context(request: Request, run: SchedulerRun, session: Any) -> dict[str, Any]:
    investors = {
        u.id: u
        for u in (
            await session.scalars(select(User).where(User.id.in_({d["investor_user_id"] for d in run.draft})))
        ).all()
    }
    teams = {
        t.id: t
        for t in (
            await session.scalars(select(ProjectTeam).where(ProjectTeam.id.in_({d["team_id"] for d in run.draft})))
        ).all()
    }
    slots = {s.id: s for s in (await session.scalars(select(Slot).where(Slot.active).order_by(Slot.starts_at))).all()}
    locale, default = request.state.locale, request.state.settings.default_locale
    return {
        "run": run,
        "items": [
            {
                "index": k,
                "investor": investors.get(d["investor_user_id"]),
                "team": pick(teams[d["team_id"]].name, locale, default).text if d["team_id"] in teams else "?",
                "slot": slots.get(d["slot_id"]),
                "weight": d["weight"],
                "rule": d["rule"],
            }
            for k, d in enumerate(run.draft[:200])
        ],
        "more": max(0, len(run.draft) - 200),
        "slots": list(slots.values()),
    }


@domain_errors
async def run_page(request: Request) -> Response:
    async with request.state.db.session() as session:
        run = await scheduler.load_run(session, request.path_params["run_id"])
        context = await _run_context(request, run, session)
    return render(request, "meetings/run.html", context)


@domain_errors
async def run_progress(request: Request) -> Response:
    async with request.state.db.session() as session:
        run = await scheduler.load_run(session, request.path_params["run_id"])
    return JSONResponse({"status": run.status, "progress": run.progress, "error": run.error})


@domain_errors
async def edit_run(request: Request) -> Response:
    form = fields(await read_form(request))
    index = int_field(form.get("index"))
    slot_raw = form.get("slot_id", "")
    async with request.state.db.session() as session:
        run = await scheduler.load_run(session, request.path_params["run_id"])
        await scheduler.edit_draft(session, run, index, None if form.get("drop") == "1" else int_field(slot_raw))
        await session.commit()
    return RedirectResponse(f"/organizer/meetings/runs/{request.path_params['run_id']}", status_code=303)


@domain_errors
async def publish_run(request: Request) -> Response:
    n = notifier(request)
    async with request.state.db.session() as session:
        run = await scheduler.load_run(session, request.path_params["run_id"])
        count = await scheduler.publish(session, n, run, request.state.user, request.state.settings.default_locale)
    await n.ping(request.state.bus)
    return RedirectResponse(
        f"/organizer/meetings/runs/{request.path_params['run_id']}?published={count}", status_code=303
    )


@domain_errors
async def discard_run(request: Request) -> Response:
    async with request.state.db.session() as session:
        run = await scheduler.load_run(session, request.path_params["run_id"])
        if run.status != "draft":
            raise MeetingError(N_("Only a draft can be edited."), 409)
        run.status = "discarded"
        await session.commit()
    return RedirectResponse("/organizer/meetings", status_code=303)


routes = [
    route("/organizer/meetings", organizer_page, allow=ORGANIZERS),
    route("/organizer/meetings/grid", save_grid, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/meetings/weights", save_weights, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/meetings/meetings.csv", meetings_csv, allow=ORGANIZERS),
    route("/organizer/meetings/runs", start_run, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/meetings/runs/{run_id:int}", run_page, allow=ORGANIZERS),
    route("/organizer/meetings/runs/{run_id:int}/progress", run_progress, allow=ORGANIZERS),
    route("/organizer/meetings/runs/{run_id:int}/edit", edit_run, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/meetings/runs/{run_id:int}/publish", publish_run, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/meetings/runs/{run_id:int}/discard", discard_run, allow=ORGANIZERS, methods=("POST",)),
]
