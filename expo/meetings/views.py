"""Pages of participants (investors and team members): suggestions, a pair, requests,
availability, meetings, My agenda, the matching profile, notifications, calendar files."""

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo import agenda as agenda_programme
from expo.accounts.models import User
from expo.accounts.roles import EVERYONE, Role
from expo.db import utcnow
from expo.fair.models import District, ProjectTeam
from expo.web.forms import read_form, safe_next
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_, pick

from . import agenda, booking, calendar, grid, notify, profiles, requests, suggest
from .errors import MeetingError
from .models import MARKS, Mark, Meeting, Slot
from .parties import is_party, participant_of, side_of, team_name
from .scoring import Speller, score
from .vocab import LANGUAGES, MARK_LABELS, REQUEST_STATUS_LABELS, STAGES, USD_PER_UNIT
from .web import domain_errors, gettext, int_field, limits, ngettext, notifier

PARTICIPANTS = {Role.INVESTOR, Role.TEAM}
CALENDAR_NAME = N_("My meetings")


def _side(user: User) -> str:
    side = side_of(user)
    if side is None:
        raise HTTPException(403, N_("You are not allowed to do this."))
    return side


async def speller(request: Request, session: Any, side: str) -> Speller:
    names = {
        d.id: pick(d.name, request.state.locale, request.state.settings.default_locale).text
        for d in (await session.scalars(select(District))).all()
    }
    context = request.state.templates.context(request)
    return Speller(
        gettext(request),
        ngettext(request),
        request.state.fmt,
        context["language_name"],
        context["sector_label"],
        lambda district_id: names.get(district_id, ""),
        side,
    )


async def suggestion_items(request: Request, session: Any, user: User, limit: int = 20) -> list[dict[str, Any]]:
    """The viewer's suggestions as template/API items, reasons in the viewer's language."""
    g = await grid.load_grid(session)
    weights = grid.weights_of(g)
    cache = request.state.cache
    side = _side(user)
    if side == "investor":
        found = await suggest.for_investor(session, user, weights, cache, limit, request.state.db)
        teams = {
            t.id: t
            for t in (
                await session.scalars(select(ProjectTeam).where(ProjectTeam.id.in_([s.other_id for s in found])))
            ).all()
        }
    else:
        team = await session.get(ProjectTeam, user.team_id)
        found = await suggest.for_team(session, team, weights, cache, limit, request.state.db)
        people = {
            u.id: u for u in (await session.scalars(select(User).where(User.id.in_([s.other_id for s in found])))).all()
        }
    spell = await speller(request, session, side)
    locale, default = request.state.locale, request.state.settings.default_locale
    items = []
    for s in found:
        if side == "investor":
            other = teams[s.other_id]
            name, summary = team_name(other, locale, default), pick(other.summary, locale, default).text
        else:
            person = people[s.other_id]
            name, summary = f"{person.name} · {person.organization}" if person.organization else person.name, ""
        items.append(
            {
                "id": s.other_id,
                "name": name,
                "summary": summary,
                "score": s.fit.score,
                "reasons": spell.all(s.fit, s.investor, s.team),
                "codes": [r.code for r in s.fit.reasons],
                "mark": s.mark,
            }
        )
    return items


async def suggestions_page(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        items = await suggestion_items(request, session, user)
        await session.commit()
    return render(request, "meetings/suggestions.html", {"items": items, "side": _side(user), "marks": MARK_LABELS})


def _pair_ids(user: User, other_id: int) -> tuple[int, int]:
    return (user.id, other_id) if user.role == "investor" else (other_id, int(user.team_id or 0))


async def _load_pair(session: Any, user: User, other_id: int) -> tuple[User, ProjectTeam]:
    investor_id, team_id = _pair_ids(user, other_id)
    investor = await session.get(User, investor_id)
    team = await session.get(ProjectTeam, team_id)
    if investor is None or investor.role != "investor" or team is None:
        raise HTTPException(404)
    if user.role == "team" and not investor.shares_profile:
        raise HTTPException(404)
    return investor, team


@domain_errors
async def pair_page(request: Request) -> Response:
    """One investor × team pair from the viewer's side: the fit and its reasons, both
    sides' marks on it, the open request if any, and slots free for both."""
    user: User = request.state.user
    side = _side(user)
    async with request.state.db.session() as session:
        investor, team = await _load_pair(session, user, request.path_params["other_id"])
        g = await grid.load_grid(session)
        districts = await suggest._district_ids(session)  # noqa: SLF001
        inv = suggest._investor_facts(investor, await session.get(profiles.InvestorProfile, investor.id), districts)  # noqa: SLF001
        tm = suggest._team_facts(team, await session.get(profiles.TeamProfile, team.id))  # noqa: SLF001
        fit = score(inv, tm, weights=grid.weights_of(g))
        spell = await speller(request, session, side)
        marks = {
            m.side: m.mark
            for m in (
                await session.scalars(select(Mark).where(Mark.investor_user_id == investor.id, Mark.team_id == team.id))
            ).all()
        }
        open_request = await session.scalar(
            select(requests.Request).where(requests.Request.open_key == requests.open_key(investor.id, team.id))
        )
        other_side = "team" if side == "investor" else "investor"
        bookable = marks.get(other_side) in ("must", "would")
        free = await booking.free_for_both(session, investor.id, team.id) if bookable else []
        await session.commit()
    locale, default = request.state.locale, request.state.settings.default_locale
    return render(
        request,
        "meetings/pair.html",
        {
            "side": side,
            "investor": investor,
            "team": team,
            "team_label": team_name(team, locale, default),
            "other_id": request.path_params["other_id"],
            "reasons": spell.all(fit, inv, tm),
            "score": fit.score,
            "my_mark": marks.get(side),
            "their_mark": marks.get(other_side),
            "marks": MARK_LABELS,
            "open_request": open_request,
            "bookable": bookable,
            "free": free,
        },
    )


async def mark(request: Request) -> Response:
    user: User = request.state.user
    form = await read_form(request)
    other_id = int_field(form.get("other_id"))
    value = str(form.get("mark") or "")
    if value not in (*MARKS, "clear"):
        raise HTTPException(422, N_("Choose one of the offered values."))
    async with request.state.db.session() as session:
        investor, team = await _load_pair(session, user, other_id)
        await suggest.set_mark(session, user, investor.id, team.id, None if value == "clear" else value)
        await session.commit()
    return RedirectResponse(safe_next(str(form.get("next") or ""), "/meetings/suggestions"), status_code=303)


@domain_errors
async def send_request(request: Request) -> Response:
    user: User = request.state.user
    form = await read_form(request)
    other_id = int_field(form.get("other_id"))
    message = str(form.get("message") or "")
    n = notifier(request)
    async with request.state.db.session() as session:
        if user.role == "investor":
            sent = await requests.send(session, n, limits(request), user, team_id=other_id, message=message)
        else:
            sent = await requests.send(session, n, limits(request), user, investor_user_id=other_id, message=message)
    await n.ping(request.state.bus)
    return RedirectResponse(f"/meetings/requests/{sent.id}?sent=1", status_code=303)


@domain_errors
async def request_page(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        r = await requests.load_for(session, request.path_params["request_id"], user)
        investor = await session.get(User, r.investor_user_id)
        team = await session.get(ProjectTeam, r.team_id)
        free = await booking.free_for_both(session, r.investor_user_id, r.team_id) if r.status == "accepted" else []
        proposed = (
            list(
                (
                    await session.scalars(select(Slot).where(Slot.id.in_(r.proposed_slots)).order_by(Slot.starts_at))
                ).all()
            )
            if r.status == "proposed"
            else []
        )
        mine = participant_of(user)
        slots = await grid.ensure_slots(session, request.state.settings.home_tz)
        busy = set(await booking.claimed_slots(session, mine)) if mine else set()
        proposable = [s for s in slots if s.id not in busy and s.starts_at > utcnow()]
        meeting = await session.scalar(select(Meeting).where(Meeting.request_id == r.id))
        await session.commit()
    side = side_of(user)
    return render(
        request,
        "meetings/request.html",
        {
            "r": r,
            "investor": investor,
            "team": team,
            "side": side,
            "can_answer": requests.can_answer(user, r) and r.status == "pending",
            "is_sender": side == r.from_side,
            "free": free,
            "proposed": proposed,
            "proposable": grid.local_days(proposable, request.state.timezone),
            "meeting": meeting,
            "status_labels": REQUEST_STATUS_LABELS,
            "sent": request.query_params.get("sent") == "1",
        },
    )


@domain_errors
async def answer_request(request: Request) -> Response:
    user: User = request.state.user
    action = request.url.path.rsplit("/", 1)[-1]
    form = await read_form(request)
    n = notifier(request)
    async with request.state.db.session() as session:
        r = await requests.load_for(session, request.path_params["request_id"], user)
        target = f"/meetings/requests/{r.id}"
        if action == "accept":
            await requests.accept(session, n, user, r)
        elif action == "decline":
            await requests.decline(session, n, user, r)
        elif action == "withdraw":
            await requests.withdraw(session, user, r)
        elif action == "propose":
            ids = [int_field(v) for v in form.getlist("slot_id")]
            await requests.propose(session, n, user, r, ids)
        elif action == "book":
            booked = await requests.book_request(session, n, user, r, int_field(form.get("slot_id")))
            target = f"/meetings/{booked.meeting.id}?booked=1"
        else:
            raise HTTPException(404)
    await n.ping(request.state.bus)
    return RedirectResponse(target, status_code=303)


@domain_errors
async def book_pair(request: Request) -> Response:
    """Books straight from a suggestion when the other side has marked the pair
    must-meet or would-meet (their mark is their consent)."""
    user: User = request.state.user
    side = _side(user)
    form = await read_form(request)
    other_id, slot_id = int_field(form.get("other_id")), int_field(form.get("slot_id"))
    n = notifier(request)
    async with request.state.db.session() as session:
        investor, team = await _load_pair(session, user, other_id)
        other_side = "team" if side == "investor" else "investor"
        theirs = await session.scalar(
            select(Mark.mark).where(
                Mark.investor_user_id == investor.id, Mark.team_id == team.id, Mark.side == other_side
            )
        )
        if theirs not in ("must", "would"):
            raise MeetingError(N_("Send a request first: the other side has not marked that they want to meet."), 409)
        booked = await booking.book(
            session,
            n,
            investor_user_id=investor.id,
            team_id=team.id,
            slot_id=slot_id,
            by=user,
            source="suggestion",
            notify_sides=(other_side,),
        )
    await n.ping(request.state.bus)
    return RedirectResponse(f"/meetings/{booked.meeting.id}?booked=1", status_code=303)


async def _meeting_for(session: Any, request: Request) -> Meeting:
    user: User = request.state.user
    meeting = await session.get(Meeting, request.path_params["meeting_id"])
    if meeting is None or not (user.role == "organizer" or is_party(user, meeting.investor_user_id, meeting.team_id)):
        raise HTTPException(404, N_("This meeting does not exist."))
    return meeting


@domain_errors
async def meeting_page(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        meeting = await _meeting_for(session, request)
        view = await agenda.meeting_view(session, meeting, request.state.settings.home_tz)
        free = (
            await booking.free_for_both(session, meeting.investor_user_id, meeting.team_id)
            if meeting.status == "booked"
            else []
        )
        await session.commit()
    return render(
        request,
        "meetings/meeting.html",
        {
            "v": view,
            "m": meeting,
            "local_times": view.local_times(request.state.locale, gettext(request)),
            "other": view.other_name(user, request.state.locale, request.state.settings.default_locale),
            "free": free,
            "booked": request.query_params.get("booked") == "1",
        },
    )


@domain_errors
async def change_meeting(request: Request) -> Response:
    user: User = request.state.user
    form = await read_form(request)
    n = notifier(request)
    async with request.state.db.session() as session:
        meeting = await _meeting_for(session, request)
        action = request.url.path.rsplit("/", 1)[-1]
        if action == "cancel":
            await booking.cancel(session, n, meeting, user)
        elif action == "move":
            await booking.move(session, n, meeting, int_field(form.get("slot_id")), user)
        else:
            raise HTTPException(404)
        meeting_id = meeting.id
    await n.ping(request.state.bus)
    return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)


def _entries(request: Request, views: list[agenda.MeetingView], user: User) -> list[calendar.Entry]:
    g = gettext(request)
    base = request.state.settings.public_url.rstrip("/")
    locale, default = request.state.locale, request.state.settings.default_locale
    out = []
    for v in views:
        other = v.other_name(user, locale, default)
        summary = g("Meeting with %(name)s") % {"name": other}
        description = v.local_times(locale, g)
        out.append(calendar.Entry(v.meeting, summary, description, f"{base}/meetings/{v.meeting.id}/room"))
    return out


@domain_errors
async def meeting_ics(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        meeting = await _meeting_for(session, request)
        view = await agenda.meeting_view(session, meeting, request.state.settings.home_tz)
    body = calendar.build(_entries(request, [view], user), gettext(request)(CALENDAR_NAME))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


async def feed(request: Request) -> Response:
    """The private feed: anyone with the token (a calendar app) reads it; no cookie."""
    token = request.path_params["token"]
    async with request.state.db.session() as session:
        user_id = await calendar.user_for_token(session, token)
        user = await session.get(User, user_id) if user_id is not None else None
        if user is None:
            raise HTTPException(404)
        views = await agenda.meetings_of(session, user, request.state.settings.home_tz)
    # The feed is read by a calendar app, not a browser: texts in the owner's language.
    request.state.locale = user.locale if user.locale in request.state.templates._gettext else request.state.locale  # noqa: SLF001
    body = calendar.build(_entries(request, views, user), gettext(request)(CALENDAR_NAME))
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"})


async def feed_token(request: Request) -> Response:
    user: User = request.state.user
    form = await read_form(request)
    async with request.state.db.session() as session:
        if form.get("revoke") == "1":
            await calendar.revoke(session, user.id)
            token = None
        else:
            token = await calendar.new_token(session, user.id)
        await session.commit()
    if token is None:
        return RedirectResponse("/meetings#calendar", status_code=303)
    request.session["meetings_feed"] = token  # shown once on the next page
    return RedirectResponse("/meetings#calendar", status_code=303)


async def agenda_page(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        views = await agenda.meetings_of(session, user, request.state.settings.home_tz)
        reqs = await agenda.requests_of(session, user)
        has_feed = await calendar.has_token(session, user.id)
        items = await notify.recent(
            session, user, gettext(request), request.state.fmt, request.state.settings.default_locale, 10
        )
        pitches = await agenda_programme.sessions_added_by(session, user.id)
        await session.commit()
    token = request.session.pop("meetings_feed", None)
    base = request.state.settings.public_url.rstrip("/")
    g = gettext(request)
    locale, default = request.state.locale, request.state.settings.default_locale
    return render(
        request,
        "meetings/agenda.html",
        {
            "meetings": [
                {"v": v, "times": v.local_times(locale, g), "other": v.other_name(user, locale, default)} for v in views
            ],
            "requests": reqs,
            "side": side_of(user),
            "status_labels": REQUEST_STATUS_LABELS,
            "has_feed": has_feed,
            "feed_url": f"{base}/meetings/feed/{token}.ics" if token else None,
            "notifications": items,
            "pitches": pitches,
            "team_label": lambda t: team_name(t, locale, default),
        },
    )


async def availability_page(request: Request) -> Response:
    user: User = request.state.user
    participant = participant_of(user)
    assert participant is not None
    async with request.state.db.session() as session:
        slots = await grid.ensure_slots(session, request.state.settings.home_tz)
        mine = await booking.available_slots(session, participant)
        booked = await booking.claimed_slots(session, participant)
        await session.commit()
    return render(
        request,
        "meetings/availability.html",
        {
            "days": grid.local_days(slots, request.state.timezone),
            "mine": mine,
            "booked": booked,
            "saved": request.query_params.get("saved") == "1",
        },
    )


@domain_errors
async def save_availability(request: Request) -> Response:
    user: User = request.state.user
    participant = participant_of(user)
    assert participant is not None
    form = await read_form(request)
    ids = [int_field(v) for v in form.getlist("slot_id")]
    async with request.state.db.session() as session:
        await booking.set_availability(session, participant, ids)
        await session.commit()
    return RedirectResponse("/meetings/availability?saved=1", status_code=303)


def _profile_data(user: User, profile: Any, team: ProjectTeam | None) -> dict[str, Any]:
    if user.role == "investor":
        return {
            "sectors": user.sectors or [],
            "ticket_min_usd": user.ticket_min_usd,
            "ticket_max_usd": user.ticket_max_usd,
            "shares_profile": user.shares_profile,
            "stages": profile.stages or [],
            "regions": profile.regions or [],
            "languages": profile.languages or [],
            "thesis": profile.thesis or "",
        }
    assert team is not None
    return {
        "sector": team.sector,
        "funding_amount": team.funding_amount,
        "funding_currency": team.funding_currency,
        "stage": profile.stage or "",
        "languages": profile.languages or [],
        "hidden": profile.hidden,
    }


def _form_data(values: dict[str, list[str]]) -> dict[str, Any]:
    first = {k: (v[0] if v else "") for k, v in values.items()}
    return {
        **first,
        "sectors": values.get("sectors", []),
        "stages": values.get("stages", []),
        "regions": values.get("regions", []),
        "languages": values.get("languages", []),
        "thesis": first.get("thesis", ""),
        "shares_profile": first.get("shares_profile") == "1",
        "hidden": first.get("hidden") == "1",
    }


async def _profile_render(
    request: Request, session: Any, data: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    user: User = request.state.user
    districts = list((await session.scalars(select(District).order_by(District.id))).all())
    names = {d.slug: pick(d.name, request.state.locale, request.state.settings.default_locale).text for d in districts}
    g = gettext(request)
    return render(
        request,
        "meetings/profile.html",
        {
            "data": data,
            "team": await session.get(ProjectTeam, user.team_id) if user.team_id else None,
            "districts": districts,
            "district_label": lambda slug: names.get(slug, slug),
            "lambda_stage": lambda code: g(STAGES[code]),
            "stages": STAGES,
            "languages": LANGUAGES,
            "currencies": tuple(USD_PER_UNIT),
            "errors": errors,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status,
    )


async def profile_page(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        if user.role == "investor":
            data = _profile_data(user, await profiles.investor_profile(session, user.id), None)
        else:
            team = await session.get(ProjectTeam, user.team_id)
            data = _profile_data(user, await profiles.team_profile(session, int(user.team_id or 0)), team)
        return await _profile_render(request, session, data, {})


async def save_profile(request: Request) -> Response:
    user: User = request.state.user
    form = await read_form(request)
    values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    async with request.state.db.session() as session:
        if user.role == "investor":
            me = await session.get(User, user.id)
            problems = await profiles.save_investor(session, me, values)
        else:
            team = await session.get(ProjectTeam, user.team_id)
            problems = await profiles.save_team(session, team, values)
        if problems:
            await session.rollback()
            return await _profile_render(request, session, _form_data(values), problems.errors, 422)
        await session.commit()
    suggest.invalidate(request.state.cache)
    return RedirectResponse("/meetings/profile?saved=1", status_code=303)


async def notifications_page(request: Request) -> Response:
    user: User = request.state.user
    async with request.state.db.session() as session:
        items = await notify.recent(
            session, user, gettext(request), request.state.fmt, request.state.settings.default_locale, 50
        )
        await notify.mark_read(session, user.id)
        await session.commit()
    await request.state.bus.publish(notify.CHANNEL.format(user.id), {"type": "notification"})
    return render(request, "meetings/notifications.html", {"items": items})


routes = [
    route("/meetings", agenda_page, allow=PARTICIPANTS),
    route("/meetings/suggestions", suggestions_page, allow=PARTICIPANTS),
    route("/meetings/pair/{other_id:int}", pair_page, allow=PARTICIPANTS),
    route("/meetings/marks", mark, allow=PARTICIPANTS, methods=("POST",)),
    route("/meetings/requests", send_request, allow=PARTICIPANTS, methods=("POST",)),
    route("/meetings/requests/{request_id:int}", request_page, allow=PARTICIPANTS | {Role.ORGANIZER}),
    *(
        route(
            f"/meetings/requests/{{request_id:int}}/{action}",
            answer_request,
            allow=PARTICIPANTS,
            methods=("POST",),
            name=f"request_{action}",
        )
        for action in ("accept", "decline", "propose", "withdraw", "book")
    ),
    route("/meetings/book", book_pair, allow=PARTICIPANTS, methods=("POST",)),
    route("/meetings/availability", availability_page, allow=PARTICIPANTS),
    route("/meetings/availability", save_availability, allow=PARTICIPANTS, methods=("POST",), name="save_availability"),
    route("/meetings/profile", profile_page, allow=PARTICIPANTS),
    route("/meetings/profile", save_profile, allow=PARTICIPANTS, methods=("POST",), name="save_profile"),
    route("/meetings/notifications", notifications_page, allow=PARTICIPANTS | {Role.ORGANIZER, Role.HOST}),
    route("/meetings/feed", feed_token, allow=PARTICIPANTS, methods=("POST",)),
    route("/meetings/feed/{token:str}.ics", feed, allow=EVERYONE),
    route("/meetings/{meeting_id:int}", meeting_page, allow=PARTICIPANTS | {Role.ORGANIZER}),
    route("/meetings/{meeting_id:int}/meeting.ics", meeting_ics, allow=PARTICIPANTS | {Role.ORGANIZER}),
    *(
        route(
            f"/meetings/{{meeting_id:int}}/{action}",
            change_meeting,
            allow=PARTICIPANTS | {Role.ORGANIZER},
            methods=("POST",),
            name=f"meeting_{action}",
        )
        for action in ("cancel", "move")
    ),
]
