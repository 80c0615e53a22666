"""Meeting-room pages: the room (``/meetings/{id}/room``, or a page saying when it opens or
that it closed), the after-meeting form (``/meetings/{id}/outcome``), bringing a guest, and
the organizer's figures (``/organizer/rooms``). Signaling is ``room_socket``."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo.accounts.roles import ANY_USER, Role
from expo.db import utcnow
from expo.fair.models import ProjectTeam
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_
from streaming import room_figures, rooms
from streaming.models import NEXT_STEPS

NEXT_STEP_LABELS = {
    "none": N_("No next step"),
    "another_meeting": N_("Another meeting"),
    "send_documents": N_("Send documents"),
    "site_visit": N_("Site visit"),
    "term_sheet": N_("Term sheet"),
    "ready_to_sign": N_("Ready to sign"),
}


async def _room(request: Request) -> rooms.Room:
    async with request.state.db.session() as session:
        try:
            return await rooms.load(session, request.path_params["meeting_id"], request.state.user)
        except rooms.RoomError as exc:
            raise HTTPException(exc.status, exc.message) from None


async def _context(request: Request, room: rooms.Room) -> dict[str, Any]:
    async with request.state.db.session() as session:
        team = await session.get(ProjectTeam, room.access.team_id)
        outcome = await rooms.outcome_of(session, room.meeting_id, room.me.side)
        live = await rooms.present(session, room.meeting_id)
    return {
        "room": room,
        "team": team,
        "outcome": outcome,
        "window": room.window(utcnow(), occupied=bool(live)),
        "next_steps": [(key, NEXT_STEP_LABELS[key]) for key in NEXT_STEPS],
        "investor": next((m for m in room.members if m.side == "investor" and not m.guest), None),
    }


async def room_page(request: Request) -> Response:
    room = await _room(request)
    context = await _context(request, room)
    # Early, open or closed, the page is the room as it is now (an early room is a waiting room
    # that says when it opens): 200, not an error status.
    context["error"] = request.query_params.get("error", "")
    return render(request, "streaming/room.html", context)


async def outcome_page(request: Request) -> Response:
    room = await _room(request)
    context = await _context(request, room)
    context["saved"] = request.query_params.get("saved") == "1"
    return render(request, "streaming/outcome.html", context)


async def save_outcome(request: Request) -> Response:
    room = await _room(request)
    form = fields(await read_form(request))
    answer, errors = rooms.read_outcome(form)
    if answer is not None:
        async with request.state.db.session() as session:
            try:
                await rooms.record_outcome(session, room, answer)
            except rooms.RoomError as exc:
                errors = {"form": exc.message}
    if errors:
        context = await _context(request, room)
        context.update(errors=errors, values=form, saved=False)
        return render(request, "streaming/outcome.html", context, status_code=400)
    return RedirectResponse(f"/meetings/{room.meeting_id}/outcome?saved=1", status_code=303)


async def invite_guest(request: Request) -> Response:
    room = await _room(request)
    form = fields(await read_form(request))
    async with request.state.db.session() as session:
        try:
            await rooms.invite(session, room, form.get("email", ""))
        except rooms.RoomError as exc:
            return RedirectResponse(f"/meetings/{room.meeting_id}/room?error={exc.code}#guests", status_code=303)
    return RedirectResponse(f"/meetings/{room.meeting_id}/room#guests", status_code=303)


async def organizer_rooms(request: Request) -> Response:
    async with request.state.db.session() as session:
        figures = await room_figures.overview(session)
    return render(request, "streaming/rooms_overview.html", {"figures": figures})


routes = [
    route("/meetings/{meeting_id:int}/room", room_page, allow=ANY_USER, name="meeting_room"),
    route("/meetings/{meeting_id:int}/outcome", outcome_page, allow=ANY_USER, name="meeting_outcome"),
    route(
        "/meetings/{meeting_id:int}/outcome",
        save_outcome,
        allow=ANY_USER,
        methods=("POST",),
        name="meeting_outcome_save",
    ),
    route("/meetings/{meeting_id:int}/room/guests", invite_guest, allow=ANY_USER, methods=("POST",)),
    route("/organizer/rooms", organizer_rooms, allow={Role.ORGANIZER}, name="organizer_rooms"),
]
