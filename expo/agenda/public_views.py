"""The public programme: ``/schedule`` (viewer's zone, filters, add to my agenda),
``/schedule.json`` (frab/c3voc), ``/schedule.ics`` and one session's ``.ics``."""

from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from expo.accounts.roles import ANY_USER, EVERYONE
from expo.agenda import feeds, programme, public
from expo.agenda.models import ProgrammeVersion
from expo.db import utcnow
from expo.fair.models import District, Expo
from expo.fair.sectors import SECTORS
from expo.web.forms import fields, read_form, safe_next
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_, SHIPPED_LOCALES

ICS = "text/calendar; charset=utf-8"


def _filters(request: Request) -> public.Filters:
    params = request.query_params
    sector = params.get("sector", "")
    district = params.get("district", "")
    language = params.get("language", "")
    return public.Filters(
        sector=sector if sector in SECTORS else "",
        district=int(district) if district.isdigit() and len(district) < 10 else None,
        language=language if language in SHIPPED_LOCALES else "",
    )


async def schedule(request: Request) -> Response:
    user = request.state.user
    filters = _filters(request)
    async with request.state.db.session() as session:
        version = await public.published(session)
        districts = (await session.scalars(select(District).order_by(District.id))).all()
        added = await public.added_ids(session, user.id) if user else set()
        notices = await public.notices(session, user.id) if user else []
    zone = request.state.fmt.timezone
    return render(
        request,
        "agenda/schedule.html",
        {
            "version": version,
            "days": public.by_day(version.snapshot if version else [], zone, filters),
            "filters": filters,
            "districts": districts,
            "added": added,
            "notices": notices,
            "shipped": SHIPPED_LOCALES,
        },
    )


async def _published(request: Request) -> tuple[Expo, ProgrammeVersion | None, ZoneInfo]:
    async with request.state.db.session() as session:
        expo = await programme.the_expo(session)
        version = await public.published(session)
    if expo is None:
        raise HTTPException(404, N_("No expo has been set up yet."))
    return expo, version, programme.zone_of(expo, request.state.settings.home_tz)


async def schedule_json(request: Request) -> Response:
    expo, version, zone = await _published(request)
    settings = request.state.settings
    body = feeds.schedule_json(
        expo,
        version.snapshot if version else [],
        version=version.number if version else 0,
        zone=zone,
        days=programme.days(expo, zone),
        base_url=settings.public_url,
        locale=request.state.locale,
        default=settings.default_locale,
    )
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"})


async def _calendar(request: Request, only: int | None) -> Response:
    expo, version, _zone = await _published(request)
    entries = list(version.snapshot) if version else []
    if only is not None:
        entries = [e for e in entries if e["id"] == only]
        if not entries:
            raise HTTPException(404, N_("This session is not in the published programme."))
    settings = request.state.settings
    body = feeds.calendar(
        expo,
        entries,
        stamp=version.published_at if version else utcnow(),
        base_url=settings.public_url,
        locale=request.state.locale,
        default=settings.default_locale,
    )
    name = f"pitch-{only}.ics" if only else "schedule.ics"
    return Response(body, media_type=ICS, headers={"Content-Disposition": f'inline; filename="{name}"'})


async def schedule_ics(request: Request) -> Response:
    return await _calendar(request, None)


async def session_ics(request: Request) -> Response:
    return await _calendar(request, request.path_params["pitch_id"])


async def agenda_toggle(request: Request) -> Response:
    data = fields(await read_form(request))
    pitch_id = request.path_params["pitch_id"]
    user = request.state.user
    async with request.state.db.session() as session:
        if data.get("action") == "remove":
            await public.remove(session, user.id, pitch_id)
        elif not await public.add(session, user.id, pitch_id):
            raise HTTPException(404, N_("This session is not in the published programme."))
        await session.commit()
    return RedirectResponse(safe_next(data.get("next"), "/schedule") + f"#session-{pitch_id}", status_code=303)


async def notice_dismiss(request: Request) -> Response:
    data = fields(await read_form(request))
    async with request.state.db.session() as session:
        await public.dismiss(session, request.state.user.id, request.path_params["notice_id"])
        await session.commit()
    return RedirectResponse(safe_next(data.get("next"), "/schedule"), status_code=303)


routes = [
    route("/schedule", schedule, allow=EVERYONE, name="schedule"),
    route("/schedule.json", schedule_json, allow=EVERYONE),
    route("/schedule.ics", schedule_ics, allow=EVERYONE),
    route("/schedule/{pitch_id:int}.ics", session_ics, allow=EVERYONE),
    route("/schedule/{pitch_id:int}/agenda", agenda_toggle, allow=ANY_USER, methods=("POST",)),
    route("/schedule/notices/{notice_id:int}/dismiss", notice_dismiss, allow=ANY_USER, methods=("POST",)),
]
