"""The figures page (``/figures``): organizers see the whole expo (or one district), a
district host sees their own district only. Charts are server-rendered SVG (``expo.charts``)
with their tables; each has a CSV export. ``/ws/figures`` tells open pages when new activity
was recorded, and the page fetches its figures again (``?fragment=1``).

Live updates go over the bus: one ticker per server process (created with the first open
figures page, kept in the app's cache) reads the newest activity id every few seconds and
publishes ``{"type": "activity", "last_id": N}`` on channel ``activity`` when it grew; every
process's figure sockets forward what the bus carries.
"""

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import Any

from babel import Locale, dates
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from expo import charts, spreadsheets
from expo.accounts import Role
from expo.console import figures
from expo.db import Database, utcnow
from expo.fair.models import District
from expo.fair.sectors import sector_label
from expo.web.routing import route, ws_route
from expo.web.templates import render, render_fragment
from i18n import N_, locale_info

VIEWERS = frozenset({Role.ORGANIZER, Role.HOST})
CHANNEL = "activity"
TICK_SECONDS = 3.0
CHARTS = ("over_time", "district", "sector", "country")


def _scope(request: Request) -> tuple[int | None, str, str]:
    """(district id or None for all, period, metric) from the query, within the user's rights."""
    user = request.state.user
    period = request.query_params.get("period", "7")
    metric = request.query_params.get("metric", "visits")
    if period not in figures.PERIODS or metric not in figures.METRICS:
        raise HTTPException(400, N_("Unknown period or figure."))
    if user.role == Role.HOST:
        return user.district_id, period, metric
    raw = request.query_params.get("district", "")
    if raw and not (raw.isdigit() and len(raw) < 10):
        raise HTTPException(400, N_("Unknown district or zone."))
    return (int(raw) if raw else None), period, metric


def _gettext(request: Request):  # type: ignore[no-untyped-def]
    return request.state.templates.translations(request.state.locale).gettext


def _country(code: object, locale: str) -> str:
    if not code:
        return ""
    try:
        return Locale.parse(locale_info(locale).babel).territories.get(str(code), str(code))
    except (ValueError, TypeError):
        return str(code)


def _build_charts(request: Request, data: figures.Figures, districts: dict[int, District]) -> dict[str, charts.Chart]:
    gettext = _gettext(request)
    fmt = request.state.fmt
    unknown = gettext(N_("Not known"))
    from i18n import pick

    def district_name(key: object) -> str:
        d = districts.get(int(key)) if isinstance(key, int) else None
        return pick(d.name, request.state.locale, request.state.settings.default_locale).text if d else unknown

    if data.grain == "hour":
        labels = [fmt.time(b) for b in data.buckets]
    elif data.grain == "month":
        babel_locale = locale_info(request.state.locale).babel
        labels = [
            dates.format_skeleton("yMMM", (b + timedelta(days=14)).date(), locale=babel_locale) for b in data.buckets
        ]
    else:  # UTC days, named by their date (noon UTC is that date in every zone within ±12 h)
        labels = [fmt.date(b + timedelta(hours=12), "short") for b in data.buckets]
    result = {
        "over_time": charts.lines(
            gettext(N_("Activity over time")),
            labels,
            [
                charts.Series(gettext(figures.METRICS[m][0]), [float(v) for v in data.over_time[m]])
                for m in figures.OVER_TIME
            ],
        )
    }
    metric_name = gettext(figures.METRICS[data.metric][0])
    namers = {
        "district": (N_("%(figure)s by district or zone"), district_name),
        "sector": (N_("%(figure)s by sector"), lambda k: sector_label(str(k), gettext) if k else unknown),
        "country": (N_("%(figure)s by investor country"), lambda k: _country(k, request.state.locale) or unknown),
    }
    for by, items in data.breakdown.items():
        title, namer = namers[by]
        result[by] = charts.bars(
            gettext(title) % {"figure": metric_name}, [(namer(k), n) for k, n in items], value_name=metric_name
        )
    return result


async def _load(request: Request) -> tuple[figures.Figures, dict[str, charts.Chart], dict[str, Any]]:
    district_id, period, metric = _scope(request)
    async with request.state.db.session() as session:
        districts = {d.id: d for d in (await session.scalars(select(District).order_by(District.slug))).all()}
        if district_id is not None and district_id not in districts:
            raise HTTPException(404)
        data = await figures.compute(
            session, now=utcnow(), days=figures.PERIODS[period], metric=metric, district_id=district_id
        )
    built = _build_charts(request, data, districts)
    context = {
        "data": data,
        "charts": built,
        "districts": districts,
        "period": period,
        "metric": metric,
        "district_id": district_id,
        "metrics": figures.METRICS,
        "periods": figures.PERIODS,
        "is_host": request.state.user.role == Role.HOST,
    }
    return data, built, context


def _figure(request: Request, chart: charts.Chart, name: str) -> Any:
    gettext = _gettext(request)
    header = gettext(N_("Time")) if name == "over_time" else chart.title
    query = request.url.query
    return charts.figure(
        chart,
        label_header=header if name == "over_time" else gettext(N_("Name")),
        table_summary=gettext(N_("The figures as a table")),
        number=request.state.fmt.number,
        rtl=locale_info(request.state.locale).direction == "rtl",
        export_url=f"/figures/{name}.csv" + (f"?{query}" if query else ""),
        export_label=gettext(N_("Download as CSV")),
    )


async def page(request: Request) -> Response:
    _, built, context = await _load(request)
    context["figure_html"] = {name: _figure(request, chart, name) for name, chart in built.items()}
    if request.query_params.get("fragment") == "1":
        return HTMLResponse(render_fragment(request, "console/_figures.html", context))
    return render(request, "console/figures.html", context)


async def export(request: Request) -> Response:
    name = request.path_params["chart"]
    if name not in CHARTS:
        raise HTTPException(404)
    _, built, _ = await _load(request)
    chart = built.get(name)
    if chart is None:
        raise HTTPException(404)
    gettext = _gettext(request)
    header, rows = charts.csv_rows(chart, gettext(N_("Time")) if name == "over_time" else gettext(N_("Name")))
    return Response(
        spreadsheets.write_csv(header, rows),
        media_type=spreadsheets.CSV_TYPE,
        headers={"content-disposition": f'attachment; filename="figures-{name}.csv"'},
    )


class Ticker:
    """Publishes on the bus when the activity log grew (one per process, while pages watch)."""

    def __init__(self, db: Database, bus: Any) -> None:
        self.db, self.bus = db, bus
        self.watchers = 0
        self.task: asyncio.Task[None] | None = None

    def join(self) -> None:
        self.watchers += 1
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    def leave(self) -> None:
        self.watchers = max(0, self.watchers - 1)

    async def _run(self) -> None:
        last = -1
        while self.watchers:
            async with self.db.session() as session:
                newest = await figures.last_event_id(session)
            if last >= 0 and newest != last:
                await self.bus.publish(CHANNEL, {"type": "activity", "last_id": newest})
            last = newest
            await asyncio.sleep(TICK_SECONDS)

    async def close(self) -> None:
        self.watchers = 0
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


def _answer(raw: str) -> dict[str, str]:
    try:
        frame = json.loads(raw) if len(raw) <= 1024 else None
    except ValueError:
        frame = None
    if isinstance(frame, dict) and frame.get("type") == "ping":
        return {"type": "pong"}
    return {"type": "error", "message": "unknown frame; expected ping"}


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    cache = websocket.state.cache
    ticker = cache.get("activity_ticker")
    if ticker is None:
        ticker = cache["activity_ticker"] = Ticker(websocket.state.db, websocket.state.bus)
    ticker.join()
    try:
        async with websocket.state.bus.subscribe(CHANNEL) as subscription:

            async def forward() -> None:
                async for message in subscription:
                    await websocket.send_json(message)

            forwarder = asyncio.create_task(forward())
            try:
                while True:  # pages send nothing but pings; every frame gets an answer
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    await websocket.send_json(_answer(message.get("text") or ""))  # binary: an error too
            except WebSocketDisconnect:
                pass
            finally:
                forwarder.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await forwarder
    finally:
        ticker.leave()


routes = [
    route("/figures", page, allow=VIEWERS),
    route("/figures/{chart}.csv", export, allow=VIEWERS),
    ws_route("/ws/figures", socket, allow=VIEWERS),
]
