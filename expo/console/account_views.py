"""Accounts in the console: organizers list and find accounts, and deactivate (or reactivate)
them. A deactivated account is signed out at once (its session epoch moves on) and cannot
sign in until reactivated."""

from sqlalchemy import func, or_, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo.accounts import Role, User
from expo.console import setup
from expo.fair.models import District, ProjectTeam
from expo.web.forms import read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_

ORGANIZERS = frozenset({Role.ORGANIZER})
PAGE = 50


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def accounts(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()[:100]
    role = request.query_params.get("role", "")
    status = request.query_params.get("status", "")
    page = request.query_params.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < len(page) < 6 else 1
    statement = select(User)
    if q:
        pattern = _like(q.lower())
        statement = statement.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.organization).like(pattern, escape="\\"),
            )
        )
    if role in tuple(Role):
        statement = statement.where(User.role == role)
    if status in ("active", "inactive"):
        statement = statement.where(User.active.is_(status == "active"))
    async with request.state.db.session() as session:
        total = int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
        users = (await session.scalars(statement.order_by(User.email).offset((page_no - 1) * PAGE).limit(PAGE))).all()
        districts = {d.id: d for d in (await session.scalars(select(District))).all()}
        teams = {t.id: t for t in (await session.scalars(select(ProjectTeam))).all()}
    return render(
        request,
        "console/accounts.html",
        {
            "users": users,
            "total": total,
            "q": q,
            "role": role,
            "status": status,
            "page": page_no,
            "pages": max(1, -(-total // PAGE)),
            "districts": districts,
            "teams": teams,
            "done": request.query_params.get("done", ""),
        },
    )


async def _set(request: Request, active: bool) -> Response:
    await read_form(request)
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 9:
        raise HTTPException(404)
    async with request.state.db.session() as session:
        user = await session.get(User, int(raw))
        if user is None:
            raise HTTPException(404)
        if user.id == request.state.user.id:
            raise HTTPException(409, N_("You cannot deactivate your own account."))
        await setup.set_active(session, user, active)
    return RedirectResponse(f"/organizer/accounts?done={'activated' if active else 'deactivated'}", status_code=303)


async def deactivate(request: Request) -> Response:
    return await _set(request, False)


async def activate(request: Request) -> Response:
    return await _set(request, True)


routes = [
    route("/organizer/accounts", accounts, allow=ORGANIZERS),
    route("/organizer/accounts/{id}/deactivate", deactivate, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/accounts/{id}/activate", activate, allow=ORGANIZERS, methods=("POST",)),
]
