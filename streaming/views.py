"""Pitch pages and the JSON listing: the list (live, next, replays), the viewer page, the
host's studio, the interpreter's console, ending a pitch, interpreter grants, the replay
file and ``GET /api/pitches``."""

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from expo import agenda
from expo.accounts.models import User
from expo.accounts.roles import ANY_USER, EVERYONE, STAFF
from expo.agenda import PitchSession
from expo.db import utcnow
from expo.web.forms import fields, read_form
from expo.web.openapi import operation
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_, SHIPPED_LOCALES, pick, shipped
from streaming import pitches, tokens, turn
from streaming.models import InterpreterGrant
from streaming.registry import registry


def _urls(request: Request, pitch_id: int) -> dict[str, str]:
    base = request.state.settings.public_url
    return {
        "page": f"/pitches/{pitch_id}",
        "whep": f"{base}/pitches/{pitch_id}/whep",
        "whip": f"{base}/pitches/{pitch_id}/whip",
        "replay": f"/pitches/{pitch_id}/replay.webm",
    }


def _live(request: Request, pitch_id: int) -> dict[str, Any]:
    hub = registry(request.state).get(pitch_id)
    return hub.snapshot() if hub else {"publishing": False, "viewers": 0, "languages": []}


def _shown(request: Request, pitch: PitchSession) -> str:
    """The state lists show: "paused" while a live pitch's publisher is away."""
    return agenda.live.shown_state(pitch, bool(_live(request, pitch.id)["publishing"]))


def _ice(request: Request) -> str:
    """ICE servers for this visitor's browser, with short-lived TURN credentials."""
    user = request.state.user
    key = f"u{user.id}" if user is not None else f"a{secrets.token_hex(4)}"
    return json.dumps(turn.ice_servers(request.state.settings, key))


async def _load(request: Request) -> pitches.Listed:
    async with request.state.db.session() as session:
        found = await pitches.load(session, request.path_params["pitch_id"])
    if found is None:
        raise HTTPException(404)
    return found


async def _hosted(request: Request) -> pitches.Listed:
    found = await _load(request)
    if not pitches.can_host(request.state.user, found.pitch):
        raise HTTPException(403, N_("Only the hosts of this pitch can open its studio."))
    return found


def _languages() -> list[tuple[str, str]]:
    return [(code, info.native_name) for code, info in SHIPPED_LOCALES.items()]


async def pitch_list(request: Request) -> Response:
    async with request.state.db.session() as session:
        items = await pitches.listing(session)
    user = request.state.user
    return render(
        request,
        "streaming/list.html",
        {
            "items": items,
            "hosted": {i.pitch.id for i in items if pitches.can_host(user, i.pitch)},
            "shown": {i.pitch.id: _shown(request, i.pitch) for i in items},
        },
    )


PITCH = {
    "type": "object",
    "required": ["id", "title", "state", "language", "public", "starts_at", "ends_at", "whep_url", "live"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "state": {"type": "string"},
        "language": {"type": "string"},
        "public": {"type": "boolean"},
        "stage": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "district_id": {"type": ["integer", "null"]},
        "team_id": {"type": ["integer", "null"]},
        "page_url": {"type": "string"},
        "whep_url": {"type": "string"},
        "replay_url": {"type": ["string", "null"]},
        "live": {"type": "object"},
    },
}


async def api_pitches(request: Request) -> Response:
    async with request.state.db.session() as session:
        items = await pitches.listing(session)
    locale, default = request.state.locale, request.state.settings.default_locale
    result = []
    for item in items:
        pitch = item.pitch
        urls = _urls(request, pitch.id)
        result.append(
            {
                "id": pitch.id,
                "title": pick(pitch.title, locale, default).text,
                "state": _shown(request, pitch),
                "language": pitch.language,
                "public": pitch.public,
                "stage": pick(item.stage.name, locale, default).text,
                "starts_at": pitch.starts_at.isoformat(),
                "ends_at": pitch.ends_at.isoformat(),
                "district_id": pitch.district_id,
                "team_id": pitch.team_id,
                "page_url": urls["page"],
                "whep_url": urls["whep"],
                "replay_url": urls["replay"] if item.recording else None,
                "live": _live(request, pitch.id),
            }
        )
    return JSONResponse({"pitches": result})


async def viewer_page(request: Request) -> Response:
    found = await _load(request)
    if not pitches.can_watch(request.state.user, found.pitch):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(
        request,
        "streaming/pitch.html",
        {
            "item": found,
            "urls": _urls(request, found.pitch.id),
            "live": _live(request, found.pitch.id),
            "ice": _ice(request),
            "is_host": pitches.can_host(request.state.user, found.pitch),
            "languages": dict(_languages()),
        },
    )


async def studio_page(request: Request) -> Response:
    found = await _hosted(request)
    secret = request.state.settings.secret_key
    async with request.state.db.session() as session:
        token = await pitches.publisher_token(session, secret, found.pitch.id)
        granted = await pitches.grants(session, found.pitch.id)
    interpreters = [(g, u, tokens.interpreter_token(secret, g.pitch_id, g.language, g.nonce)) for g, u in granted]
    return render(
        request,
        "streaming/studio.html",
        {
            "item": found,
            "urls": _urls(request, found.pitch.id),
            "token": token,
            "ice": _ice(request),
            "live": _live(request, found.pitch.id),
            "interpreters": interpreters,
            "languages": _languages(),
            "language_names": dict(_languages()),
            "error": request.query_params.get("error"),
            "too_early": agenda.live.too_early(found.pitch, utcnow()),
            "window_opens": agenda.live.window_opens(found.pitch),
            "undo_open": agenda.live.can_undo_end(found.pitch, utcnow()),
        },
    )


async def interpret_page(request: Request) -> Response:
    found = await _load(request)
    user = request.state.user
    async with request.state.db.session() as session:
        grant = await session.scalar(
            select(InterpreterGrant).where(
                InterpreterGrant.pitch_id == found.pitch.id, InterpreterGrant.user_id == user.id
            )
        )
    if grant is None:
        raise HTTPException(403, N_("You are not an interpreter of this pitch."))
    secret = request.state.settings.secret_key
    return render(
        request,
        "streaming/interpret.html",
        {
            "item": found,
            "urls": _urls(request, found.pitch.id),
            "ice": _ice(request),
            "grant": grant,
            "token": tokens.interpreter_token(secret, grant.pitch_id, grant.language, grant.nonce),
            "interpreting_name": dict(_languages()).get(grant.language, grant.language),
        },
    )


async def end_pitch(request: Request) -> Response:
    """Ends a pitch once the host confirms; for ``agenda.live.UNDO`` it can be undone."""
    found = await _hosted(request)
    pitch_id = found.pitch.id
    if fields(await read_form(request)).get("confirm") != "yes":
        return RedirectResponse(f"/pitches/{pitch_id}/studio?error=confirm_end#end", status_code=303)
    hubs = registry(request.state)
    await hubs.end(pitch_id)
    async with request.state.db.session() as session:
        pitch = await session.get(PitchSession, pitch_id)
        if pitch is not None and pitch.state != "ended":
            agenda.live.end(pitch, utcnow())
            await session.commit()
    await request.state.bus.publish(f"pitch:{pitch_id}", {"type": "ended", "pitch_id": pitch_id})
    return RedirectResponse(f"/pitches/{pitch_id}/studio", status_code=303)


async def undo_end(request: Request) -> Response:
    found = await _hosted(request)
    await read_form(request)
    async with request.state.db.session() as session:
        pitch = await session.get(PitchSession, found.pitch.id)
        if pitch is None or not agenda.live.undo_end(pitch, utcnow()):
            raise HTTPException(
                409, N_("The end of this pitch can no longer be undone: an organizer can reschedule it.")
            )
        await session.commit()
    await registry(request.state).publish_state(found.pitch.id)
    return RedirectResponse(f"/pitches/{found.pitch.id}/studio", status_code=303)


async def start_early(request: Request) -> Response:
    found = await _hosted(request)
    if fields(await read_form(request)).get("confirm") != "yes":
        return RedirectResponse(f"/pitches/{found.pitch.id}/studio?error=confirm_early#window", status_code=303)
    async with request.state.db.session() as session:
        pitch = await session.get(PitchSession, found.pitch.id)
        if pitch is None or not agenda.live.start_early(pitch, utcnow()):
            raise HTTPException(409, N_("This pitch cannot go live."))
        await session.commit()
    return RedirectResponse(f"/pitches/{found.pitch.id}/studio", status_code=303)


async def rotate_token(request: Request) -> Response:
    found = await _hosted(request)
    async with request.state.db.session() as session:
        await pitches.rotate_token(session, request.state.settings.secret_key, found.pitch.id)
    return RedirectResponse(f"/pitches/{found.pitch.id}/studio#obs", status_code=303)


async def grant_interpreter(request: Request) -> Response:
    found = await _hosted(request)
    form = fields(await read_form(request))
    language = shipped(form.get("language", "")[:35]) or ""
    email = form.get("email", "").strip().lower()
    target = f"/pitches/{found.pitch.id}/studio"
    if language not in SHIPPED_LOCALES:
        return RedirectResponse(f"{target}?error=language#interpreters", status_code=303)
    async with request.state.db.session() as session:
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            return RedirectResponse(f"{target}?error=email#interpreters", status_code=303)
        await pitches.grant_interpreter(session, found.pitch.id, user.id, language)
    return RedirectResponse(f"{target}#interpreters", status_code=303)


async def replay(request: Request) -> Response:
    found = await _load(request)
    if not pitches.can_watch(request.state.user, found.pitch):
        raise HTTPException(401)
    if found.recording is None:
        raise HTTPException(404, N_("This pitch has no recording."))
    directory = registry(request.state).recordings_dir
    path = directory / Path(found.recording.filename).name
    if not path.is_file():
        raise HTTPException(404, N_("This pitch has no recording."))
    return FileResponse(path, media_type="video/webm", headers={"Cache-Control": "private, max-age=3600"})


routes = [
    route("/pitches", pitch_list, allow=EVERYONE, name="pitches"),
    route(
        "/api/pitches",
        api_pitches,
        allow=EVERYONE,
        openapi=operation(
            "Pitch sessions: scheduled, live and ended, with WHEP and replay addresses",
            response={
                "type": "object",
                "required": ["pitches"],
                "properties": {"pitches": {"type": "array", "items": PITCH}},
            },
            tags=["pitches"],
        ),
    ),
    route("/pitches/{pitch_id:int}", viewer_page, allow=EVERYONE, name="pitch"),
    route("/pitches/{pitch_id:int}/studio", studio_page, allow=STAFF, name="pitch_studio"),
    route("/pitches/{pitch_id:int}/interpret", interpret_page, allow=ANY_USER, name="pitch_interpret"),
    route("/pitches/{pitch_id:int}/end", end_pitch, allow=STAFF, methods=("POST",)),
    route("/pitches/{pitch_id:int}/end/undo", undo_end, allow=STAFF, methods=("POST",)),
    route("/pitches/{pitch_id:int}/start-early", start_early, allow=STAFF, methods=("POST",)),
    route("/pitches/{pitch_id:int}/token", rotate_token, allow=STAFF, methods=("POST",)),
    route("/pitches/{pitch_id:int}/interpreters", grant_interpreter, allow=STAFF, methods=("POST",)),
    route("/pitches/{pitch_id:int}/replay.webm", replay, allow=EVERYONE),
]
