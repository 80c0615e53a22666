"""The organizer's programme: the timetable per day × stage with its conflicts, stages,
one session (decide, place/move, reschedule, interpreters), publishing; and the hosts' and
teams' proposals."""

from datetime import date, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo.accounts.roles import STAFF, Role
from expo.accounts.validation import InvalidInput
from expo.agenda import forms, programme, public, publishing
from expo.agenda.live import can_undo_end
from expo.agenda.models import PitchSession
from expo.db import utcnow
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_, SHIPPED_LOCALES

ORGANIZERS = frozenset({Role.ORGANIZER})
CONFLICT_LABELS = {
    "stage_overlap": N_("Two sessions overlap on this stage"),
    "person_overlap": N_("A person is in two sessions at once"),
    "meeting_overlap": N_("A person has a 1:1 meeting at this time"),
    "outside_days": N_("Outside the expo's days"),
    "outside_hours": N_("Outside the stage's hours"),
    "no_stage": N_("Its stage was deleted"),
}
STATUS_LABELS = {
    "proposed": N_("Proposed"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "cancelled": N_("Cancelled"),
}
STATE_LABELS = {"scheduled": N_("Scheduled"), "live": N_("Live"), "ended": N_("Ended"), "paused": N_("Paused")}


def _home_tz(request: Request) -> str:
    return str(request.state.settings.home_tz)


def _common(draft: programme.Draft) -> dict[str, Any]:
    return {
        "draft": draft,
        "conflict_labels": CONFLICT_LABELS,
        "status_labels": STATUS_LABELS,
        "state_labels": STATE_LABELS,
        "home_zone": draft.zone.key,
    }


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


async def timetable(request: Request) -> Response:
    async with request.state.db.session() as session:
        draft = await programme.draft(session, _home_tz(request))
    days = draft.days()
    try:
        day = date.fromisoformat(request.query_params.get("day", ""))
    except ValueError:
        day = days[0] if days else utcnow().astimezone(draft.zone).date()
    return render(
        request,
        "agenda/timetable.html",
        {
            **_common(draft),
            "days": [(d, datetime(d.year, d.month, d.day, 12, tzinfo=draft.zone)) for d in days],
            "day": day,
            "rows": programme.grid(draft, day),
            "unplaced": [
                s for s in draft.sessions if s.status == "accepted" and (s.starts_at is None or s.stage_id is None)
            ],
            "proposals": [s for s in draft.sessions if s.status == "proposed"],
            "by_id": {s.id: s for s in draft.sessions},
        },
    )


# ---- stages ------------------------------------------------------------------------------
async def _stages_page(request: Request, errors: dict[str, str], values: dict[str, str], status: int = 200) -> Response:
    async with request.state.db.session() as session:
        draft = await programme.draft(session, _home_tz(request))
    return render(
        request,
        "agenda/stages.html",
        {
            **_common(draft),
            "errors": errors,
            "values": values,
            "hhmm": _hhmm,
            "edit_id": values.get("edit_id", ""),
            "fingerprint": programme.stage_fingerprint,
        },
        status_code=status,
    )


async def stages(request: Request) -> Response:
    if request.method == "GET":
        return await _stages_page(request, {}, {})
    data = fields(await read_form(request))
    try:
        values = forms.stage(data)
        async with request.state.db.session() as session:
            await programme.save_stage(session, values)
            await session.commit()
    except InvalidInput as exc:
        return await _stages_page(request, exc.errors, data, 422)
    return RedirectResponse("/organizer/programme/stages?saved=1", status_code=303)


async def stage_update(request: Request) -> Response:
    data = fields(await read_form(request))
    stage_id = request.path_params["stage_id"]
    try:
        values = forms.stage(data)
        async with request.state.db.session() as session:
            await programme.save_stage(session, values, stage_id, data.get("seen", ""))
            await session.commit()
    except InvalidInput as exc:
        return await _stages_page(request, exc.errors, {**data, "edit_id": str(stage_id)}, 422)
    except programme.StaleStage:
        errors = {"form": N_("Someone else changed this stage since you opened it. Your change was not saved.")}
        return await _stages_page(request, errors, {"edit_id": str(stage_id)}, 409)
    except programme.Refused as exc:
        raise HTTPException(404, exc.message) from None
    return RedirectResponse("/organizer/programme/stages?saved=1", status_code=303)


async def stage_delete(request: Request) -> Response:
    await read_form(request)
    async with request.state.db.session() as session:
        try:
            unplaced = await programme.delete_stage(session, request.path_params["stage_id"])
        except programme.Refused as exc:
            raise HTTPException(404, exc.message) from None
        await session.commit()
    return RedirectResponse(f"/organizer/programme/stages?deleted={unplaced}", status_code=303)


# ---- one session -------------------------------------------------------------------------
async def _session_page(
    request: Request,
    pitch_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    stale: list[tuple[str, str, str]] | None = None,
    refused: str | None = None,
    status: int = 200,
) -> Response:
    async with request.state.db.session() as session:
        draft = await programme.draft(session, _home_tz(request))
    pitch = next((s for s in draft.sessions if s.id == pitch_id), None)
    if pitch is None:
        raise HTTPException(404, N_("This session does not exist (any more)."))
    local = pitch.starts_at.astimezone(draft.zone) if pitch.starts_at else None
    defaults = {
        "stage": str(pitch.stage_id or ""),
        "day": local.date().isoformat() if local else (draft.days()[0].isoformat() if draft.days() else ""),
        "time": local.strftime("%H:%M") if local else "10:00",
        "length": str(pitch.length_minutes),
    }
    return render(
        request,
        "agenda/session.html",
        {
            **_common(draft),
            "pitch": pitch,
            "people": draft.people.get(pitch.id, []),
            "interpreters_text": "\n".join(
                f"{p.language}: {p.name}" for p in draft.people.get(pitch.id, []) if p.role == "interpreter"
            ),
            "team": draft.teams.get(pitch.team_id or 0),
            "district": draft.districts.get(pitch.district_id or 0),
            "proposer": draft.proposers.get(pitch.proposed_by_id or 0),
            "conflicts": draft.flagged.get(pitch.id, []),
            "by_id": {s.id: s for s in draft.sessions},
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
            "stale": stale,
            "refused": refused,
            "undo_open": can_undo_end(pitch, utcnow()),
        },
        status_code=status,
    )


async def session_page(request: Request) -> Response:
    return await _session_page(request, request.path_params["pitch_id"])


def _what_changed(request: Request, data: dict[str, str], now: PitchSession | None) -> list[tuple[str, str, str]]:
    """(what, as you saw it, as it is now) for the fields someone else changed."""
    if now is None:
        return [(N_("Session"), data.get("seen_title", ""), N_("deleted"))]
    fmt = request.state.fmt
    current = {
        "stage": str(now.stage_id or ""),
        "start": now.starts_at.isoformat() if now.starts_at else "",
        "status": now.status,
        "state": now.state,
    }
    labels = {"stage": N_("Stage"), "start": N_("Start"), "status": N_("Status"), "state": N_("Live state")}
    result = []
    for key, label in labels.items():
        seen = data.get(f"seen_{key}", "")
        if seen != current[key]:
            if key == "start":
                show = [fmt.moment(datetime.fromisoformat(v)) if v else "—" for v in (seen, current[key])]
            else:
                show = [seen or "—", current[key] or "—"]
            result.append((label, show[0], show[1]))
    if not result:
        result.append((N_("Revision"), data.get("revision", ""), str(now.revision)))
    return result


async def session_decide(request: Request) -> Response:
    pitch_id = request.path_params["pitch_id"]
    data = fields(await read_form(request))
    try:
        seen = forms.revision(data)
        async with request.state.db.session() as session:
            await programme.decide(session, pitch_id, data.get("action", ""), seen)
            await session.commit()
    except programme.Stale as exc:
        return await _session_page(request, pitch_id, stale=_what_changed(request, data, exc.current), status=409)
    except programme.Refused as exc:
        return await _session_page(request, pitch_id, refused=exc.message, status=409)
    except InvalidInput as exc:
        return await _session_page(request, pitch_id, errors=exc.errors, status=422)
    return RedirectResponse(f"/organizer/programme/sessions/{pitch_id}?saved=1", status_code=303)


async def session_place(request: Request) -> Response:
    pitch_id = request.path_params["pitch_id"]
    data = fields(await read_form(request))
    try:
        async with request.state.db.session() as session:
            draft = await programme.draft(session, _home_tz(request))
            current = next((s for s in draft.sessions if s.id == pitch_id), None)
            if current is None or current.revision != forms.revision(data):
                raise programme.Stale(current)  # what changed matters more than this form's values
            values = forms.place(data, draft.zone, {s.id for s in draft.stages})
            pitch = await programme.place(session, pitch_id, values, reschedule=data.get("reschedule") == "yes")
            await session.commit()
            day = pitch.starts_at.astimezone(draft.zone).date().isoformat() if pitch.starts_at else ""
    except programme.Stale as exc:
        return await _session_page(
            request, pitch_id, values=data, stale=_what_changed(request, data, exc.current), status=409
        )
    except programme.Refused as exc:
        return await _session_page(request, pitch_id, values=data, refused=exc.message, status=409)
    except InvalidInput as exc:
        return await _session_page(request, pitch_id, values=data, errors=exc.errors, status=422)
    return RedirectResponse(f"/organizer/programme?day={day}#session-{pitch_id}", status_code=303)


async def session_interpreters(request: Request) -> Response:
    pitch_id = request.path_params["pitch_id"]
    data = fields(await read_form(request))
    lines: list[tuple[str, str]] = []
    errors: dict[str, str] = {}
    for raw in data.get("interpreters", "").replace("\r", "").split("\n"):
        if not raw.strip():
            continue
        language, _, name = raw.partition(":")
        if language.strip() not in SHIPPED_LOCALES or not name.strip() or len(name.strip()) > 120:
            errors["interpreters"] = N_(
                "Write one interpreter per line as language: name or e-mail (e.g. ja: Aiko Sato)."
            )
            break
        lines.append((language.strip(), name.strip()))
    if len(lines) > forms.MAX_PEOPLE:
        errors["interpreters"] = N_("Name at most 12 interpreters.")
    try:
        if errors:
            raise InvalidInput(errors)
        seen = forms.revision(data)
        async with request.state.db.session() as session:
            await programme.set_interpreters(session, pitch_id, seen, lines)
            await session.commit()
    except programme.Stale as exc:
        return await _session_page(request, pitch_id, stale=_what_changed(request, data, exc.current), status=409)
    except InvalidInput as exc:
        return await _session_page(request, pitch_id, values=data, errors=exc.errors, status=422)
    return RedirectResponse(f"/organizer/programme/sessions/{pitch_id}?saved=1", status_code=303)


# ---- publishing --------------------------------------------------------------------------
async def _publish_page(request: Request, refused: str | None = None, status: int = 200) -> Response:
    async with request.state.db.session() as session:
        seen = await publishing.preview(session, _home_tz(request))
    by_id = {e["id"]: e for e in seen.snapshot}
    return render(
        request,
        "agenda/publish.html",
        {
            **_common(seen.draft),
            "preview": seen,
            "by_id": by_id,
            "refused": refused,
            "sessions": {s.id: s for s in seen.draft.sessions},
            "starts": {e["id"]: datetime.fromisoformat(e["starts_at"]) for e in seen.snapshot},
        },
        status_code=status,
    )


async def publish(request: Request) -> Response:
    if request.method == "GET":
        return await _publish_page(request)
    data = fields(await read_form(request))
    settings = request.state.settings
    try:
        async with request.state.db.session() as session:
            version = await publishing.publish(
                session,
                home_tz=_home_tz(request),
                by=request.state.user,
                reviewed=data.get("reviewed", ""),
                override=data.get("override") == "yes",
                translations=request.state.templates.translations,
                public_url=settings.public_url,
                default_locale=settings.default_locale,
            )
            await session.commit()
    except publishing.Refused as exc:
        return await _publish_page(request, exc.message, 409)
    return RedirectResponse(f"/organizer/programme/publish?published={version.number}", status_code=303)


# ---- proposals by hosts and teams --------------------------------------------------------
async def _propose_page(
    request: Request, errors: dict[str, str], values: dict[str, str], status: int = 200
) -> Response:
    async with request.state.db.session() as session:
        teams = await programme.teams_for(session, request.state.user)
        mine = await programme.proposals_of(session, request.state.user)
        notices = await public.notices(session, request.state.user.id)
    return render(
        request,
        "agenda/propose.html",
        {
            "teams": teams,
            "mine": mine,
            "errors": errors,
            "values": values,
            "status_labels": STATUS_LABELS,
            "state_labels": STATE_LABELS,
            "wanted": values.get("interpreting_list", []),
            "notices": notices,
        },
        status_code=status,
    )


async def propose(request: Request) -> Response:
    if request.method == "GET":
        return await _propose_page(request, {}, {})
    form = await read_form(request)
    data = fields(form)
    interpreting = [v for v in form.getlist("interpreting") if isinstance(v, str)]
    try:
        async with request.state.db.session() as session:
            teams = await programme.teams_for(session, request.state.user)
            values = forms.proposal(data, interpreting, {t.id for t in teams})
            await programme.propose(session, request.state.user, values)
            await session.commit()
    except InvalidInput as exc:
        return await _propose_page(request, exc.errors, {**data, "interpreting_list": interpreting}, 422)  # type: ignore[dict-item]
    return RedirectResponse("/programme/propose?sent=1", status_code=303)


routes = [
    route("/organizer/programme", timetable, allow=ORGANIZERS, name="programme"),
    route("/organizer/programme/stages", stages, allow=ORGANIZERS, methods=("GET", "POST")),
    route("/organizer/programme/stages/{stage_id:int}", stage_update, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/programme/stages/{stage_id:int}/delete", stage_delete, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/programme/sessions/{pitch_id:int}", session_page, allow=ORGANIZERS),
    route("/organizer/programme/sessions/{pitch_id:int}/decide", session_decide, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/programme/sessions/{pitch_id:int}/place", session_place, allow=ORGANIZERS, methods=("POST",)),
    route(
        "/organizer/programme/sessions/{pitch_id:int}/interpreters",
        session_interpreters,
        allow=ORGANIZERS,
        methods=("POST",),
    ),
    route("/organizer/programme/publish", publish, allow=ORGANIZERS, methods=("GET", "POST")),
    route("/programme/propose", propose, allow=STAFF, methods=("GET", "POST"), name="propose"),
]
