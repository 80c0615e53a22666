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
from expo.web.openapi import operation, param
from expo.web.routing import route
from i18n import N_, pick, shipped


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    lang = shipped(asked[:35]) if asked else request.state.locale  # codes and BCP 47 tags
    if lang is None:
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
            await session.scalars(
                select(Document)
                .where(Document.booth_id == booth.id, Document.pending.is_(False))  # booths.review
                .order_by(Document.id)
            )
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


TEXT = {
    "type": "object",
    "required": ["text", "lang", "fallback"],
    "properties": {"text": {"type": "string"}, "lang": {"type": ["string", "null"]}, "fallback": {"type": "boolean"}},
}
DISTRICT = {
    "type": "object",
    "required": ["slug", "kind", "name"],
    "properties": {"slug": {"type": "string"}, "kind": {"type": "string"}, "name": TEXT},
}
BOOTH = {
    "type": "object",
    "required": ["id", "slug", "kind", "url", "name", "tagline", "sector", "district", "status"],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "kind": {"type": "string"},
        "url": {"type": "string"},
        "name": TEXT,
        "tagline": TEXT,
        "sector": {"type": ["string", "null"]},
        "district": DISTRICT,
        "status": {"type": "string"},
    },
}
PROJECT = {
    "type": "object",
    "required": ["id", "booth_id", "url", "title", "summary", "sector", "stage", "funding", "district", "languages"],
    "properties": {
        "id": {"type": "integer"},
        "booth_id": {"type": "integer"},
        "url": {"type": "string"},
        "title": TEXT,
        "summary": TEXT,
        "sector": {"type": ["string", "null"]},
        "stage": {"type": "string"},
        "funding": {
            "type": "object",
            "properties": {"amount": {"type": ["integer", "null"]}, "currency": {"type": ["string", "null"]}},
        },
        "district": DISTRICT,
        "languages": {"type": "array", "items": {"type": "string"}},
        "description": TEXT,
        "incentives": TEXT,
        "site": TEXT,
    },
}
DOCUMENT = {
    "type": "object",
    "required": ["id", "kind", "role", "filename", "title", "size", "content_type", "downloads", "url"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "role": {"type": "string"},
        "filename": {"type": "string"},
        "title": TEXT,
        "size": {"type": "integer"},
        "content_type": {"type": "string"},
        "downloads": {"type": "integer"},
        "url": {"type": "string"},
    },
}
LANG = param("lang", {"type": "string"}, "Language of text fields (a shipped code or BCP 47 tag).")
PAGING = [
    param("page", {"type": "integer", "minimum": 1}, "Page number, from 1."),
    param("per_page", {"type": "integer", "minimum": 1}, "Items per page."),
]
BAD = {400: "An unknown language, filter value or paging value."}


def _listing(items: dict[str, object], **more: object) -> dict[str, object]:
    properties = {
        "lang": {"type": "string"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
        "items": {"type": "array", "items": items},
        **more,
    }
    return {"type": "object", "required": list(properties), "properties": properties}


routes = [
    route(
        "/api/booths",
        api_booths,
        allow=EVERYONE,
        openapi=operation(
            "Published booths",
            query=[LANG, *PAGING, param("sector", {"type": "string"}), param("district", {"type": "string"})],
            response=_listing(BOOTH),
            errors=BAD,
            tags=["booths"],
        ),
    ),
    route(
        "/api/booths/{booth_id:int}",
        api_booth,
        allow=EVERYONE,
        openapi=operation(
            "One booth with its projects and documents",
            query=[LANG],
            response={
                **BOOTH,
                "required": [*BOOTH["required"], "description", "projects", "documents"],
                "properties": {
                    **BOOTH["properties"],
                    "description": TEXT,
                    "projects": {"type": "array", "items": PROJECT},
                    "documents": {"type": "array", "items": DOCUMENT},
                },
            },
            errors=BAD,
            tags=["booths"],
        ),
    ),
    route(
        "/api/booths/{booth_id:int}/leads",
        api_leads,
        allow=STAFF,
        openapi=operation(
            "The booth's leads (its staff only)",
            query=[param("sort", {"type": "string", "enum": sorted(lead_domain.SORTS)})],
            response={
                "type": "object",
                "required": ["booth_id", "sort", "items"],
                "properties": {
                    "booth_id": {"type": "integer"},
                    "sort": {"type": "string"},
                    "items": {"type": "array", "items": {"type": "object", "required": ["investor", "visits"]}},
                },
            },
            errors={400: "Unknown sort order."},
            tags=["booths"],
        ),
    ),
    route(
        "/api/projects",
        api_projects,
        allow=EVERYONE,
        openapi=operation(
            "Projects matching the catalogue's filters (docs/booths.md)",
            query=[
                LANG,
                *PAGING,
                param("q", {"type": "string"}, "Search words."),
                param("sector", {"type": "string"}),
                param("district", {"type": "string"}),
                param("stage", {"type": "string"}),
                param("content_lang", {"type": "string"}, "Only projects written in this language."),
                param("currency", {"type": "string"}),
                param("amount_min", {"type": "integer", "minimum": 0}),
                param("amount_max", {"type": "integer", "minimum": 0}),
            ],
            response=_listing(PROJECT, total_capped={"type": "boolean"}, has_more={"type": "boolean"}),
            errors=BAD,
            tags=["booths"],
        ),
    ),
    route(
        "/api/projects/{project_id:int}",
        api_project,
        allow=EVERYONE,
        openapi=operation("One project", query=[LANG], response=PROJECT, errors=BAD, tags=["booths"]),
    ),
]
