"""Organizer tools of the core: invitations, the mail outbox (dev), announcements."""

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo import announcements, outbox
from expo.accounts import service
from expo.accounts.models import Invitation
from expo.accounts.roles import Role
from expo.accounts.validation import Checker, InvalidInput
from expo.fair.models import District, ProjectTeam
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render, translate
from i18n import N_, SHIPPED_LOCALES

ORGANIZERS = frozenset({Role.ORGANIZER})


async def _choices(request: Request) -> dict[str, object]:
    async with request.state.db.session() as session:
        districts = (await session.scalars(select(District).order_by(District.id))).all()
        teams = (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.id))).all()
        invitations = (await session.scalars(select(Invitation).order_by(Invitation.id.desc()).limit(50))).all()
    return {"districts": districts, "teams": teams, "invitations": invitations}


def _optional_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


async def invitations(request: Request) -> Response:
    if request.method == "GET":
        return render(
            request,
            "expo/invitations.html",
            {**await _choices(request), "errors": {}, "link": None, "values": {}},
        )
    data = fields(await read_form(request))
    checker = Checker()
    role = checker.choice(data, "role", {Role.HOST, Role.TEAM, Role.ORGANIZER})
    district_id, team_id = _optional_id(data.get("district")), _optional_id(data.get("team"))
    settings = request.state.settings
    try:
        checker.raise_if_any()
        async with request.state.db.session() as session:
            if district_id is not None and await session.get(District, district_id) is None:
                raise InvalidInput({"district": N_("Choose one of the offered values.")})
            if team_id is not None and await session.get(ProjectTeam, team_id) is None:
                raise InvalidInput({"team": N_("Choose one of the offered values.")})
            token = await service.invite(
                session,
                by=request.state.user,
                email=data.get("email", ""),
                role=Role(role),
                district_id=district_id,
                team_id=team_id,
            )
            link = f"{settings.public_url}/invitations/{token}"
            outbox.queue(
                session,
                data.get("email", "").strip().lower(),
                translate(request, N_("You are invited to staff the online investment expo")),
                translate(
                    request,
                    N_("Open this link to create your account (it works once, for 14 days):"),
                )
                + f"\n\n{link}\n",
            )
            await session.commit()
    except InvalidInput as exc:
        return render(
            request,
            "expo/invitations.html",
            {**await _choices(request), "errors": exc.errors, "link": None, "values": data},
            status_code=422,
        )
    return render(
        request,
        "expo/invitations.html",
        {**await _choices(request), "errors": {}, "link": link, "values": {}},
    )


async def mail_outbox(request: Request) -> Response:
    if not request.state.settings.dev:  # in production mail goes out by SMTP; links stay private
        raise HTTPException(404)
    async with request.state.db.session() as session:
        mails = (await session.scalars(select(outbox.Mail).order_by(outbox.Mail.id.desc()).limit(100))).all()
    return render(request, "expo/outbox.html", {"mails": mails})


async def announce(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "expo/announce.html", {"errors": {}, "values": {}, "sent": False})
    data = fields(await read_form(request))
    checker = Checker()
    text = {}
    for code in SHIPPED_LOCALES:
        value = checker.text(data, f"text_{code}", max_len=announcements.MAX_LENGTH, required=False)
        if value:
            text[code] = value
    if not text:
        checker.fail(f"text_{request.state.locale}", N_("This field is required."))
    if checker.errors:
        return render(
            request,
            "expo/announce.html",
            {"errors": checker.errors, "values": data, "sent": False},
            status_code=422,
        )
    async with request.state.db.session() as session:
        await announcements.announce(session, request.state.bus, request.state.user.id, text)
    return RedirectResponse("/organizer/announce?sent=1", status_code=303)


routes = [
    route("/organizer/invitations", invitations, allow=ORGANIZERS, methods=("GET", "POST")),
    route("/organizer/outbox", mail_outbox, allow=ORGANIZERS),
    route("/organizer/announce", announce, allow=ORGANIZERS, methods=("GET", "POST")),
]
