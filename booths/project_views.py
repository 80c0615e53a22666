"""The project catalogue (filters + full-text search), a project's page and the
investment map."""

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from booths import geo
from booths.access import can_view, is_staff
from booths.catalogue import Filters, InvalidFilter, Results, district_slugs, projects
from booths.models import Booth, Document, Project
from booths.taxonomy import CURRENCIES, STAGES
from booths.web import path_int
from expo.accounts.roles import EVERYONE
from expo.fair.models import District, ProjectTeam
from expo.web.routing import route
from expo.web.templates import render


async def _filtered(request: Request, *, paged: bool = True) -> dict[str, Any]:
    """The filtered projects; with a bad filter value, none, and the form shown again with
    the values as typed and each field's message (``filter_errors``, status 400)."""
    errors: dict[str, str] = {}
    async with request.state.db.session() as session:
        slugs = await district_slugs(session)
        try:
            filters = Filters.parse(request.query_params, slugs)
            found = await projects(session, filters, slugs, paged=paged)
        except InvalidFilter as exc:
            filters, found, errors = Filters.typed(request.query_params), Results([], 0), exc.errors
        districts = (await session.scalars(select(District).order_by(District.id))).all()
    return {
        "rows": found.rows,
        "total": found.total,
        "capped": found.capped,
        "filters": filters,
        "filter_errors": errors,
        "districts": districts,
        "stages": STAGES,
        "currencies": CURRENCIES,
    }


def _page(request: Request, name: str, context: dict[str, Any]) -> Response:
    return render(request, name, context, status_code=400 if context["filter_errors"] else 200)


async def catalogue(request: Request) -> Response:
    context = await _filtered(request)
    f = context["filters"]
    context["pages"] = max(1, -(-context["total"] // f.per_page))
    return _page(request, "booths/catalogue.html", context)


async def project_page(request: Request) -> Response:
    user = request.state.user
    async with request.state.db.session() as session:
        project = await session.get(Project, path_int(request, "project_id"))
        booth = await session.get(Booth, project.booth_id) if project else None
        if project is None or booth is None or not can_view(user, booth):
            raise HTTPException(404)
        district = await session.get(District, project.district_id)
        team = await session.get(ProjectTeam, project.team_id) if project.team_id else None
        documents = (
            await session.scalars(
                select(Document).where(
                    Document.project_id == project.id, Document.role == "document", Document.pending.is_(False)
                )
            )
        ).all()
    return render(
        request,
        "booths/project.html",
        {
            "project": project,
            "booth": booth,
            "district": district,
            "team": team,
            "documents": documents,
            "stages": STAGES,
            "can_edit": is_staff(user, booth),
        },
    )


async def investment_map(request: Request) -> Response:
    context = await _filtered(request, paged=False)
    pins = []
    unplaced = []
    for project, booth, district in context["rows"]:
        area = geo.BY_SLUG.get(district.slug)
        if area is None:
            unplaced.append((project, booth, district))
            continue
        x, y = geo.pin(area, project.id)
        pins.append((x, y, project, booth, district))
    areas = [(area, next((d for d in context["districts"] if d.slug == area.slug), None)) for area in geo.AREAS]
    context.update(pins=pins, unplaced=unplaced, areas=areas, geo=geo)
    return _page(request, "booths/map.html", context)


routes = [
    route("/projects", catalogue, allow=EVERYONE, name="project_catalogue"),
    route("/projects/{project_id:int}", project_page, allow=EVERYONE, name="project"),
    route("/map", investment_map, allow=EVERYONE, name="investment_map"),
]
