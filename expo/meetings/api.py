"""``/api/suggestions``, ``/api/meetings``, ``/api/availability`` for the signed-in
investor or team member (docs/protocols.md). Times are UTC RFC 3339; texts (reasons, local
times) are in the visitor's language."""

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.web.openapi import json_body, operation
from expo.web.routing import route
from i18n import N_

from . import agenda, booking, grid
from .models import Slot
from .parties import participant_of
from .views import suggestion_items
from .web import domain_errors, gettext

PARTICIPANTS = {Role.INVESTOR, Role.TEAM}
MAX_SLOTS = 5000

SUGGESTION = {
    "type": "object",
    "required": ["id", "name", "score", "reasons", "codes", "mark"],
    "properties": {
        "id": {"type": "integer", "description": "team id (investor viewer) or investor user id (team viewer)"},
        "name": {"type": "string"},
        "summary": {"type": "string"},
        "score": {"type": "number"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "codes": {"type": "array", "items": {"type": "string"}},
        "mark": {"type": ["string", "null"], "enum": ["must", "would", None]},
    },
}
SUGGESTIONS = {
    "type": "object",
    "required": ["side", "suggestions"],
    "properties": {
        "side": {"type": "string", "enum": ["investor", "team"]},
        "suggestions": {"type": "array", "items": SUGGESTION},
    },
}
MEETING = {
    "type": "object",
    "required": [
        "id",
        "uid",
        "status",
        "starts_at",
        "ends_at",
        "sequence",
        "with",
        "local_times",
        "room_url",
        "ics_url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "uid": {"type": "string"},
        "status": {"type": "string", "enum": ["booked", "cancelled"]},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "sequence": {"type": "integer"},
        "investor_user_id": {"type": "integer"},
        "team_id": {"type": "integer"},
        "with": {"type": "string"},
        "local_times": {"type": "string"},
        "room_url": {"type": "string"},
        "ics_url": {"type": "string"},
    },
}
MEETINGS = {
    "type": "object",
    "required": ["meetings"],
    "properties": {"meetings": {"type": "array", "items": MEETING}},
}
AVAILABILITY = {
    "type": "object",
    "required": ["timezone", "slots"],
    "properties": {
        "timezone": {"type": "string"},
        "slots": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "starts_at", "ends_at", "local_date", "available", "meeting_id"],
                "properties": {
                    "id": {"type": "integer"},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "local_date": {"type": "string", "format": "date"},
                    "available": {"type": "boolean"},
                    "meeting_id": {"type": ["integer", "null"]},
                },
            },
        },
    },
}
AVAILABILITY_BODY = {
    "type": "object",
    "required": ["slots"],
    "additionalProperties": False,
    "properties": {"slots": {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": MAX_SLOTS}},
}


async def api_suggestions(request: Request) -> Response:
    async with request.state.db.session() as session:
        items = await suggestion_items(request, session, request.state.user)
        await session.commit()
    side = "investor" if request.state.user.role == "investor" else "team"
    return JSONResponse({"side": side, "suggestions": items})


async def api_meetings(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        views = await agenda.meetings_of(session, user, request.state.settings.home_tz)
    g = gettext(request)
    locale, default = request.state.locale, request.state.settings.default_locale
    base = request.state.settings.public_url.rstrip("/")
    return JSONResponse(
        {
            "meetings": [
                {
                    "id": v.meeting.id,
                    "uid": v.meeting.uid,
                    "status": v.meeting.status,
                    "starts_at": v.meeting.starts_at.isoformat(),
                    "ends_at": v.meeting.ends_at.isoformat(),
                    "sequence": v.meeting.sequence,
                    "investor_user_id": v.meeting.investor_user_id,
                    "team_id": v.meeting.team_id,
                    "with": v.other_name(user, locale, default),
                    "local_times": v.local_times(locale, g),
                    "room_url": f"{base}/meetings/{v.meeting.id}/room",
                    "ics_url": f"{base}/meetings/{v.meeting.id}/meeting.ics",
                }
                for v in views
            ]
        }
    )


async def _availability(request: Request, session: Any, participant: str) -> dict[str, Any]:
    slots: list[Slot] = await grid.ensure_slots(session, request.state.settings.home_tz)
    mine = await booking.available_slots(session, participant)
    booked = await booking.claimed_slots(session, participant)
    out = []
    for day in grid.local_days(slots, request.state.timezone):
        for slot, _start, _end in day.slots:
            out.append(
                {
                    "id": slot.id,
                    "starts_at": slot.starts_at.isoformat(),
                    "ends_at": slot.ends_at.isoformat(),
                    "local_date": day.day.isoformat(),
                    "available": slot.id in mine,
                    "meeting_id": booked.get(slot.id),
                }
            )
    return {"timezone": request.state.timezone, "slots": out}


@domain_errors
async def api_availability(request: Request) -> Response:
    participant = participant_of(request.state.user)
    if participant is None:
        raise HTTPException(403)
    async with request.state.db.session() as session:
        if request.method == "PUT":
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                raise HTTPException(400, N_("The request could not be understood.")) from None
            ids = body.get("slots") if isinstance(body, dict) and set(body) == {"slots"} else None
            if (
                not isinstance(ids, list)
                or len(ids) > MAX_SLOTS
                or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 2**31 for i in ids)
            ):
                raise HTTPException(422, N_('Send {"slots": [slot ids]}.'))
            await booking.set_availability(session, participant, ids)
            await session.commit()
        out = await _availability(request, session, participant)
        await session.commit()
    return JSONResponse(out)


routes = [
    route(
        "/api/suggestions",
        api_suggestions,
        allow=PARTICIPANTS,
        openapi=operation(
            "Suggestions for the signed-in investor (teams) or team member (investors), with reasons",
            response=SUGGESTIONS,
            tags=["meetings"],
        ),
    ),
    route(
        "/api/meetings",
        api_meetings,
        allow=PARTICIPANTS,
        openapi=operation("The signed-in user's meetings (booked and cancelled)", response=MEETINGS, tags=["meetings"]),
    ),
    route(
        "/api/availability",
        api_availability,
        allow=PARTICIPANTS,
        openapi=operation(
            "The meeting slots in the viewer's zone and whether the user (or their team) is free in each",
            response=AVAILABILITY,
            tags=["meetings"],
        ),
    ),
    route(
        "/api/availability",
        api_availability,
        allow=PARTICIPANTS,
        methods=("PUT",),
        name="api_set_availability",
        openapi=operation(
            "Replace the user's (or their team's) availability with the given slots",
            response=AVAILABILITY,
            tags=["meetings"],
            body=json_body(AVAILABILITY_BODY, "the complete set of slot ids the user is free in"),
            errors={
                400: "Not JSON.",
                409: "A booked meeting would be left outside the availability.",
                422: "Not a list of slot ids, or a slot that is not a meeting slot.",
            },
        ),
    ),
]
