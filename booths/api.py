"""The JSON API: ``/api/booths``, ``/api/booths/{id}``, ``/api/projects``,
``/api/projects/{id}``, ``/api/booths/{id}/leads`` (staff). ``lang`` picks the language of
text fields (each says which language it is in); paging with ``page``/``per_page``; the
catalogue's filters apply (docs/booths.md)."""

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booths import leads as lead_domain
from booths.access import can_view
from booths.catalogue import Filters, InvalidFilter, booths, district_slugs, projects
from booths.models import Booth, Document, Project
from booths.web import bad_filter, load_booth, path_int
from expo.accounts.roles import EVERYONE, STAFF
from expo.fair.models import District
from expo.fair.sectors import SECTORS
from expo.web.routing import route
from i18n import N_, SHIPPED_LOCALES, pick


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.state.locale
    if lang not in SHIPPED_LOCALES:
        raise HTTPException(400, N_("Unknown language."))
    return lang


def _text(field: dict[str, str] | None, lang: str) -> dict[str, Any]:
    chosen = pick(field, lang)
    return {"text": chosen.text, "lang": chosen.locale, "fallback": chosen.is_fallback}


def _district(d: District, lang: str) -> dict[str, Any]:
    return {"slug": d.slug, "kind": d.kind, "name": _text(d.name, lang)}


def _project(p: Project, d: District, lang: str, full: bool = False) -> dict[str, Any]:
    out = {
        "id": p.id,
        "booth_id": p.booth_id,
        "url": f"/projects/{p.id}",
        "title": _text(p.title, lang),
        "summary": _text(p.summary, lang),
        "sector": p.sector,
        "stage": p.stage,
        "funding": {"amount": p.funding_amount, "currency": p.funding_currency},
        "district": _district(d, lang),
        "languages": [c for c in p.languages.split(",") if c],
    }
    if full:
        out.update(
            description=_text(p.description, lang),
            incentives=_text(p.incentives, lang),
            site=_text(p.site, lang),
        )
    return out


def _booth(b: Booth, d: District, lang: str) -> dict[str, Any]:
    return {
        "id": b.id,
        "slug": b.slug,
        "kind": b.kind,
        "url": f"/booths/{b.id}",
        "name": _text(b.name, lang),
        "tagline": _text(b.tagline, lang),
        "sector": b.sector,
        "district": _district(d, lang),
        "status": b.status,
    }


def _page(request: Request) -> tuple[int, int]:
    try:
        f = Filters.parse({k: v for k, v in request.query_params.items() if k in ("page", "per_page")}, {})
    except InvalidFilter as exc:
        raise bad_filter(exc) from None
    return f.page, f.per_page


async def api_booths(request: Request) -> Response:
    lang = _lang(request)
    page, per_page = _page(request)
    sector = request.query_params.get("sector") or None
    if sector and sector not in SECTORS:
        raise HTTPException(400, N_("Unknown sector."))
    async with request.state.db.session() as session:
        slugs = await district_slugs(session)
        district = request.query_params.get("district") or None
        if district and district not in slugs:
            raise HTTPException(400, N_("Unknown district or zone."))
        rows, total = await booths(
            session,
            district_id=slugs.get(district or ""),
            sector=sector,
            page=page,
            per_page=per_page,
        )
    return JSONResponse(
        {
            "lang": lang,
            "page": page,
            "per_page": per_page,
            "total": total,
            "items": [_booth(b, d, lang) for b, d in rows],
        }
    )


async def api_booth(request: Request) -> Response:
    lang = _lang(request)
    async with request.state.db.session() as session:
        booth = await load_booth(session, request)
        district = await session.get(District, booth.district_id)
        rows = (
            await session.execute(
                select(Project, District)
                .join(District, District.id == Project.district_id)
                .where(Project.booth_id == booth.id)
                .order_by(Project.id)
            )
        ).all()
        docs = (
            await session.scalars(select(Document).where(Document.booth_id == booth.id).order_by(Document.id))
        ).all()
    body = _booth(booth, district, lang)
    body.update(
        description=_text(booth.description, lang),
        projects=[_project(p, d, lang) for p, d in rows],
        documents=[
            {
                "id": doc.id,
                "kind": doc.kind,
                "role": doc.role,
                "filename": doc.filename,
                "title": _text(doc.title, lang),
                "size": doc.size,
                "content_type": doc.content_type,
                "downloads": doc.downloads,
                "url": f"/files/{doc.id}/{doc.filename}",
            }
            for doc in docs
        ],
    )
    return JSONResponse(body)


async def api_projects(request: Request) -> Response:
    lang = _lang(request)
    async with request.state.db.session() as session:
        slugs = await district_slugs(session)
        try:
            f = Filters.parse(request.query_params, slugs)
        except InvalidFilter as exc:
            raise bad_filter(exc) from None
        found = await projects(session, f, slugs)
    return JSONResponse(
        {
            "lang": lang,
            "page": f.page,
            "per_page": f.per_page,
            "total": found.total,
            # True when more than `total` projects match (a broad search): `total` is then a
            # lower bound and only the first `total` matches are ranked and paged.
            "total_capped": found.capped,
            "has_more": f.page * f.per_page < found.total,
            "items": [_project(p, d, lang) for p, _b, d in found.rows],
        }
    )


async def api_project(request: Request) -> Response:
    lang = _lang(request)
    async with request.state.db.session() as session:
        project = await session.get(Project, path_int(request, "project_id"))
        booth = await session.get(Booth, project.booth_id) if project else None
        if project is None or booth is None or not can_view(request.state.user, booth):
            raise HTTPException(404)
        district = await session.get(District, project.district_id)
    return JSONResponse(_project(project, district, lang, full=True))


async def api_leads(request: Request) -> Response:
    sort = request.query_params.get("sort", "score")
    if sort not in lead_domain.SORTS:
        raise HTTPException(400, N_("Unknown sort order."))
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        rows = (await session.execute(lead_domain.query([booth.id], sort))).all()
    items = []
    for lead, user, _booth in rows:
        shared = user.shares_profile
        items.append(
            {
                "investor": {
                    "id": user.id,
                    "name": user.name,
                    "organization": user.organization if shared else None,
                    "country": user.country if shared else None,
                    "sectors": user.sectors if shared else None,
                },
                "visits": lead.visits,
                "downloads": lead.downloads,
                "chats": lead.chats,
                "bookmarked": lead.bookmarked,
                "meeting_requests": lead.meeting_requests,
                "first_at": lead.first_at.isoformat(),
                "last_at": lead.last_at.isoformat(),
            }
        )
    return JSONResponse({"booth_id": booth.id, "sort": sort, "items": items})


routes = [
    route("/api/booths", api_booths, allow=EVERYONE),
    route("/api/booths/{booth_id:int}", api_booth, allow=EVERYONE),
    route("/api/booths/{booth_id:int}/leads", api_leads, allow=STAFF),
    route("/api/projects", api_projects, allow=EVERYONE),
    route("/api/projects/{project_id:int}", api_project, allow=EVERYONE),
]
