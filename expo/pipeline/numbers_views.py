"""The city office's figures and the district ranking (with charts, drill-down and exports),
the ranking weights, and the import of the office's project list."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo import charts, spreadsheets
from expo.db import utcnow
from expo.pipeline import exports, figures, importer, ranking
from expo.pipeline.models import Deal
from expo.pipeline.stages import STAGE_LABELS, STAGES
from expo.pipeline.web import (
    ORGANIZERS,
    PEOPLE,
    config,
    district_filter,
    names,
    page_context,
    read_upload_form,
    today,
)
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render, translate
from i18n import N_, pick

MAX_IMPORT_BYTES = spreadsheets.MAX_BYTES
# Conversion and time in stage come from the whole log (seconds at a million entries): each
# process keeps them this long per district (the page says when they were computed).
HISTORY_TTL = timedelta(minutes=10)


async def cached_history(request: Request, session: Any, district_id: int | None) -> figures.LogFigures:
    store = request.state.cache.setdefault("pipeline.history", {})
    found = store.get(district_id)
    now = utcnow()
    if found is None or now - found.computed_at > HISTORY_TTL:
        found = store[district_id] = await figures.log_figures(session, district_id, now)
    return found  # type: ignore[no-any-return]


def _month(request: Request) -> date:
    try:
        start, _ = ranking.parse_month(request.query_params.get("month"), today(request))
    except ValueError:
        raise HTTPException(400, N_("Give the month as YYYY-MM.")) from None
    if start > today(request):
        raise HTTPException(404, N_("This month has not started yet."))
    return start


async def load_ranking(request: Request, session: Any, start: date, *, with_ids: bool = False) -> ranking.Ranking:
    result = await ranking.ranking(session, start, config(request), utcnow(), with_ids=with_ids)
    await session.commit()  # a month that just ended is frozen now
    return result


async def numbers_page(request: Request) -> Response:
    district_id = district_filter(request)
    start = _month(request)
    cfg = config(request)
    async with request.state.db.session() as session:
        history = await cached_history(request, session, district_id)
        figs = await figures.numbers(session, district_id, cfg, today(request), utcnow(), history)
        table = await load_ranking(request, session, start)
        lookup = await names(session)
        months = await session.scalars(
            select(ranking.RankingMonth.month).distinct().order_by(ranking.RankingMonth.month.desc())
        )
        months = list(months.all())
    name = lambda d: pick(lookup["districts"][d].name, request.state.locale, request.state.settings.default_locale).text  # noqa: E731
    number = request.state.fmt.number
    rtl = request.state.locale == "ar"
    stage_chart = charts.bars(
        translate(request, N_("Deals per stage")),
        [(translate(request, STAGE_LABELS[s]), figs.by_stage[s]) for s in STAGES],
        value_name=translate(request, N_("Deals")),
    )
    score_chart = charts.bars(
        translate(request, N_("Ranking score")),
        [(name(r.district_id), r.score) for r in table.rows if r.district_id in lookup["districts"]],
        value_name=translate(request, N_("Score")),
    )
    table_text = translate(request, N_("The same figures as a table"))
    chart_html = [
        charts.figure(
            stage_chart,
            label_header=translate(request, N_("Deal stage")),
            table_summary=table_text,
            number=number,
            rtl=rtl,
        ),
        charts.figure(
            score_chart,
            label_header=translate(request, N_("District")),
            table_summary=table_text,
            number=number,
            rtl=rtl,
        ),
    ]
    return render(
        request,
        "pipeline/numbers.html",
        page_context(
            request,
            figs=figs,
            ranking=table,
            month=ranking.month_key(start),
            months=months,
            district_id=district_id,
            figure_names=ranking.FIGURES,
            figure_labels=ranking.FIGURE_LABELS,
            charts=chart_html,
            district_name=name,
            this_month=ranking.month_key(today(request).replace(day=1)),
            **lookup,
        ),
    )


async def set_weights(request: Request) -> Response:
    data = fields(await read_form(request))
    try:
        values = ranking.check_weights(data)
    except ValueError:
        raise HTTPException(422, N_("Each weight is a number from 0 to 1000.")) from None
    async with request.state.db.session() as session:
        await ranking.set_weights(session, request.state.user, values)
        await session.commit()
    return RedirectResponse("/pipeline/numbers#ranking", status_code=303)


async def ranking_export(request: Request) -> Response:
    start = _month(request)
    kind = request.query_params.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        raise HTTPException(400)
    async with request.state.db.session() as session:
        table = await load_ranking(request, session, start)
        lookup = await names(session)
    return exports.ranking_response(request, table, lookup["districts"], kind)


async def drill(request: Request) -> Response:
    """The deals behind one figure of one district in a month's ranking."""
    start = _month(request)
    figure = request.query_params.get("figure")
    district = request.query_params.get("district", "")
    if figure not in ranking.FIGURES or not district.isdigit() or len(district) > 9:
        raise HTTPException(400)
    limit = district_filter(request)
    async with request.state.db.session() as session:
        table = await load_ranking(request, session, start, with_ids=True)
        row = next((r for r in table.rows if r.district_id == int(district)), None)
        if row is None:
            raise HTTPException(404)
        ids = row.deal_ids.get(figure, [])
        if figure == "start_rate" and not table.frozen:
            ids = await ranking.started_now(session, row.district_id)
        ids = ids[:1000]
        found = (await session.scalars(select(Deal).where(Deal.id.in_(ids)).order_by(Deal.id))).all() if ids else []
        if limit is not None:  # a host sees the ranking, and the deals behind their own figures
            found = [d for d in found if d.district_id == limit]
        lookup = await names(session)
    return render(
        request,
        "pipeline/drill.html",
        page_context(
            request, deals=found, row=row, figure=figure, figure_labels=ranking.FIGURE_LABELS, ranking=table, **lookup
        ),
    )


async def import_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "pipeline/import.html", page_context(request, report=None, error=None))
    form = await read_upload_form(request, MAX_IMPORT_BYTES, max_fields=10)
    try:
        upload = form.get("file")
        apply = form.get("apply") == "1"
        if upload is None or isinstance(upload, str) or not upload.filename:
            return render(
                request,
                "pipeline/import.html",
                page_context(request, report=None, error=N_("Choose a file to upload.")),
                status_code=422,
            )
        data = await upload.read(MAX_IMPORT_BYTES + 1)
        async with request.state.db.session() as session:
            try:
                report = await importer.run(
                    session, data, upload.filename, request.state.user, config(request), apply=apply
                )
            except (spreadsheets.SheetError, importer.HeaderError) as exc:
                await session.rollback()
                message = getattr(exc, "message", str(exc))
                return render(
                    request, "pipeline/import.html", page_context(request, report=None, error=message), status_code=422
                )
            if report.applied:
                await session.commit()
            else:
                await session.rollback()
    finally:
        await form.close()
    return render(
        request,
        "pipeline/import.html",
        page_context(request, report=report, error=None, filename=upload.filename),
        status_code=200 if report.ok else 422,
    )


routes = [
    route("/pipeline/numbers", numbers_page, allow=PEOPLE),
    route("/pipeline/ranking/weights", set_weights, allow=ORGANIZERS, methods=("POST",)),
    route("/pipeline/ranking/export", ranking_export, allow=PEOPLE),
    route("/pipeline/ranking/drill", drill, allow=PEOPLE),
    route("/pipeline/import", import_page, allow=ORGANIZERS, methods=("GET", "POST")),
]
