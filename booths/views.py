"""Visitor pages: the booth directory, a booth, bookmarking, asking for a meeting, and
downloading a booth's files."""

import asyncio
import time
from typing import Any

from markupsafe import Markup
from sqlalchemy import select, update
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from booths import chat, leads
from booths.access import can_view, is_staff, staff_of
from booths.catalogue import booths as list_booths
from booths.catalogue import district_slugs
from booths.models import Booth, Document, Lead, Project
from booths.uploads import content_disposition, path_of
from booths.web import booth_context, booth_id, load_booth, path_int
from expo import meetings
from expo.accounts.models import User
from expo.accounts.roles import EVERYONE, STAFF, Role
from expo.accounts.validation import Checker
from expo.fair.models import District
from expo.fair.sectors import SECTORS
from expo.web.forms import read_form
from expo.web.pagecache import PageCache, cached_for_anonymous
from expo.web.routing import route
from expo.web.templates import render, render_fragment
from i18n import N_, SHIPPED_LOCALES, Formatter


async def directory(request: Request) -> Response:
    params = request.query_params
    sector = params.get("sector") or ""
    kind = params.get("kind") or ""
    if sector and sector not in SECTORS:
        raise HTTPException(400, N_("Unknown sector."))
    if kind and kind not in ("district", "team"):
        raise HTTPException(400, N_("Choose one of the offered values."))
    async with request.state.db.session() as session:
        slugs = await district_slugs(session)
        district = params.get("district") or ""
        if district and district not in slugs:
            raise HTTPException(400, N_("Unknown district or zone."))
        rows, total = await list_booths(
            session,
            district_id=slugs.get(district),
            sector=sector or None,
            kind=kind or None,
            per_page=200,
        )
        districts = (await session.scalars(select(District).order_by(District.id))).all()
    return render(
        request,
        "booths/directory.html",
        {
            "rows": rows,
            "total": total,
            "districts": districts,
            "chosen": {"sector": sector, "district": district, "kind": kind},
        },
    )


CACHE_SECONDS = 5.0


STALE_SECONDS = 5.0  # an expired entry is still served this long while one request reloads it


async def _single_flight(request: Request, key: object) -> "asyncio.Future[bool] | None":
    """None when a load of ``key`` is already running (after waiting for it); else the
    future this caller must resolve when its own load is done (see _done)."""
    running: dict[object, asyncio.Future[bool]] = request.state.cache.setdefault("booths.loading", {})
    if key in running:
        await asyncio.shield(running[key])
        return None
    running[key] = asyncio.get_running_loop().create_future()
    return running[key]


def _done(request: Request, key: object) -> None:
    future = request.state.cache.setdefault("booths.loading", {}).pop(key, None)
    if future is not None and not future.done():
        future.set_result(True)


async def _booth_data(request: Request, booth: Booth) -> dict[str, object]:
    """What every visitor of a published booth sees, language-neutral, kept per process for
    a few seconds (as the lobby is): edits and presence show within CACHE_SECONDS. One load
    per booth at a time: when the entry expires, one request reloads it while the others get
    the expired one (at most STALE_SECONDS more), instead of every open connection running
    the same four queries at once (the signed-in page's ~1 s tail every 5 s)."""
    cache = request.state.cache.setdefault("booths.page", {})
    key = ("booth", booth.id)
    hit = cache.get(booth.id)
    if hit is not None and hit[1] == booth.updated_at:
        age = time.monotonic() - hit[0]
        loading = key in request.state.cache.get("booths.loading", {})
        if age < CACHE_SECONDS or (loading and age < CACHE_SECONDS + STALE_SECONDS):
            return hit[2]
    if await _single_flight(request, key) is None:  # waited for another request's load
        hit = cache.get(booth.id)
        if hit is not None and hit[1] == booth.updated_at:
            return hit[2]
        return await _load_booth_data(request, booth, cache)  # that load was of another version
    try:
        return await _load_booth_data(request, booth, cache)
    finally:
        _done(request, key)


async def _load_booth_data(request: Request, booth: Booth, cache: dict[int, Any]) -> dict[str, object]:
    async with request.state.db.session() as session:
        context = await booth_context(session, booth)
        context["projects"] = (
            await session.scalars(select(Project).where(Project.booth_id == booth.id).order_by(Project.id))
        ).all()
        context["staff"] = await staff_of(session, booth)
        context["online"] = await chat.online_staff(session, booth.id)
    if len(cache) > 1000:
        cache.clear()
    cache[booth.id] = (time.monotonic(), booth.updated_at, context)
    return context


VISIT_WINDOW = 600.0  # seconds: page views of one investor at one booth closer than this are one visit
_VISITS_KEEP = 50_000


async def _counts_as_visit(request: Request, booth_id: int, investor_id: int) -> bool:
    """Whether this page view starts a new visit to record on the lead: at most one write
    per investor × booth per VISIT_WINDOW (reloads and tab hopping are one visit), so that a
    busy booth page costs no database write per view. The window is shared by every server
    process (the limiter: Redis with EXPO_REDIS_URL); this process remembers what it saw,
    so only its first view of a pair in a window asks."""
    seen: dict[tuple[int, int], float] = request.state.cache.setdefault("booths.visits", {})
    now = time.monotonic()
    key = (booth_id, investor_id)
    last = seen.get(key)
    if last is not None and now - last < VISIT_WINDOW:
        return False
    if len(seen) >= _VISITS_KEEP:
        for old in [k for k, at in seen.items() if now - at >= VISIT_WINDOW]:
            del seen[old]
        if len(seen) >= _VISITS_KEEP:
            seen.clear()
    seen[key] = now
    if VISIT_WINDOW <= 0:
        return True
    return await request.state.limiter.take(f"visit:{booth_id}:{investor_id}", 1, 1 / VISIT_WINDOW)


BOOKMARKS_CHANNEL = "booths.bookmarks"  # {"booth": id, "investor": id}: drop the cached state
_STATES_KEEP = 50_000


def _states(request: Request) -> dict[tuple[int, int], tuple[float, Booth, bool]]:
    return request.state.cache.setdefault("booths.investor_state", {})


async def follow_bookmarks(bus: Any, cache: dict[str, Any]) -> None:
    """Drops an investor's cached booth state in this process when any process changed
    their bookmark there (a lifespan task)."""
    async with bus.subscribe(BOOKMARKS_CHANNEL) as subscription:
        async for message in subscription:
            cache.setdefault("booths.investor_state", {}).pop((message["booth"], message["investor"]), None)
            await bus.ack(message)


async def _visitor_state(request: Request, preview: str | None) -> tuple[Booth, bool]:
    """The booth (404/403 checked) and, for an investor, whether they bookmarked it; records
    the visit on the lead when a new visit starts (see _counts_as_visit). An investor's
    (booth, bookmarked) is kept per process for CACHE_SECONDS, as the booth's page is, and
    dropped at once on every process when they bookmark (BOOKMARKS_CHANNEL): a reload costs
    no database trip."""
    user = request.state.user
    investor = user is not None and user.role == Role.INVESTOR and preview is None
    if investor:
        key = (booth_id(request), user.id)
        hit = _states(request).get(key)
        if hit is None or time.monotonic() - hit[0] >= CACHE_SECONDS:
            # One load per (booth, investor) at a time (an investor's several tabs at once).
            if await _single_flight(request, ("state", *key)) is None:
                hit = _states(request).get(key)
            else:
                try:
                    return await _load_visitor_state(request, user, preview)
                finally:
                    _done(request, ("state", *key))
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            if await _counts_as_visit(request, hit[1].id, user.id):
                async with request.state.db.session() as session:
                    await leads.record(session, hit[1].id, user.id, "visits")
                    await session.commit()
            return hit[1], hit[2]
    return await _load_visitor_state(request, user, preview)


async def _load_visitor_state(request: Request, user: Any, preview: str | None) -> tuple[Booth, bool]:
    investor = user is not None and user.role == Role.INVESTOR and preview is None
    async with request.state.db.session() as session:
        if not investor:
            return await load_booth(session, request, staff=preview is not None), False
        found = (
            await session.execute(
                select(Booth, Lead.bookmarked)
                .outerjoin(Lead, (Lead.booth_id == Booth.id) & (Lead.investor_id == user.id))
                .where(Booth.id == booth_id(request))
            )
        ).first()
        if found is None or not can_view(user, found[0]):
            raise HTTPException(404)
        booth, bookmarked = found
        if await _counts_as_visit(request, booth.id, user.id):
            await leads.record(session, booth.id, user.id, "visits")
            await session.commit()
    states = _states(request)
    if len(states) >= _STATES_KEEP:
        states.clear()
    states[(booth.id, user.id)] = (time.monotonic(), booth, bool(bookmarked))
    return booth, bool(bookmarked)


def _shared_part(request: Request, booth: Booth, context: dict[str, object]) -> Markup:
    """The page without the visitor's own forms, rendered once per booth, language, time
    zone and signed-in-or-not every CACHE_SECONDS (and whenever the booth changes)."""
    fragments: PageCache = request.state.cache.setdefault("booths.page_main", PageCache(CACHE_SECONDS))
    key = (
        str(booth.id),
        str(booth.updated_at),
        request.state.locale,
        request.state.timezone,
        "signed-in" if request.state.user else "anonymous",
    )
    html = fragments.get(key)
    if html is None:
        html = render_fragment(request, "booths/_booth_main.html", {**context, "can_edit": False}).encode()
        fragments.put(key, html)
    return Markup(html.decode())  # noqa: S704 - our own template's autoescaped output


async def _booth_page(request: Request, preview: str | None = None) -> Response:
    user = request.state.user
    booth, bookmarked = await _visitor_state(request, preview)
    staff_view = is_staff(user, booth)
    if staff_view or preview:
        request.state.cache.get("booths.page", {}).pop(booth.id, None)  # staff see edits at once
    context = await _booth_data(request, booth)
    if preview:
        request.state.locale = preview
        request.state.fmt = Formatter(preview, request.state.timezone)
    shared = None if staff_view or preview else _shared_part(request, booth, context)
    return render(
        request,
        "booths/booth.html",
        {
            **context,
            "main_html": shared,
            "bookmarked": bookmarked,
            "preview": preview,
            "can_edit": staff_view,
            "requested": request.query_params.get("requested") == "1",
        },
    )


async def booth_page(request: Request) -> Response:
    """A booth. Anonymous visitors get the whole page from a per-process cache (key: path,
    query, language, time zone); signed-in visitors get the cached shared part and only
    their own forms (bookmark, meeting, chat, CSRF token) rendered per request."""
    return await cached_for_anonymous(request, "booths.booth", CACHE_SECONDS, lambda: _booth_page(request))


async def preview(request: Request) -> Response:
    """The booth as a visitor reading ``?as=<locale>`` sees it (staff only, also drafts)."""
    wanted = request.query_params.get("as", "")
    if wanted not in SHIPPED_LOCALES:
        raise HTTPException(400, N_("Unknown language."))
    return await _booth_page(request, preview=wanted)


async def bookmark(request: Request) -> Response:
    form = await read_form(request)
    on = form.get("on") != "0"
    async with request.state.db.session() as session:
        booth = await load_booth(session, request)
        await leads.record(session, booth.id, request.state.user.id, "bookmark", bookmarked=on)
        await session.commit()
    _states(request).pop((booth.id, request.state.user.id), None)  # this process: at once
    # Every process has dropped it when this returns: the next page anywhere shows the bookmark.
    await request.state.bus.publish_acked(
        BOOKMARKS_CHANNEL, {"booth": booth.id, "investor": request.state.user.id}, 0.25
    )
    return RedirectResponse(f"/booths/{booth.id}", status_code=303)


async def request_meeting(request: Request) -> Response:
    """The booth's "request a meeting" is a matchmaking request (expo.meetings) to the
    booth's team, or to the team of the chosen project; its page says what happened."""
    form = await read_form(request)
    c = Checker()
    message = c.text(form, "message", max_len=2000, required=False)
    project_raw = form.get("project_id") or ""
    if c.errors:
        raise HTTPException(422, c.errors.get("message", N_("Some values need correcting.")))
    user: User = request.state.user
    async with request.state.db.session() as session:
        booth = await load_booth(session, request)
        project_id = None
        if project_raw:
            project = (
                await session.get(Project, int(project_raw))
                if str(project_raw).isdigit() and len(str(project_raw)) < 10
                else None
            )
            if project is None or project.booth_id != booth.id:
                raise HTTPException(422, N_("Choose one of the offered values."))
            project_id = project.id
        team_id = booth.team_id or (project.team_id if project_id else None)
        booth_pk = booth.id
    response = await meetings.request_from_booth(request, team_id, message)
    if response.status_code == 303:
        async with request.state.db.session() as session:
            await leads.record(session, booth_pk, user.id, "meeting_requests")
            await session.commit()
    return response


async def download(request: Request) -> Response:
    """A booth's file. Images (logos, banners) are public with a visible booth; documents
    and videos need an account, and each download by an investor counts on the lead."""
    user = request.state.user
    async with request.state.db.session() as session:
        doc = await session.get(Document, path_int(request, "doc_id"))
        booth = await session.get(Booth, doc.booth_id) if doc else None
        visible = booth is not None and booth.status == "published" and not doc.pending  # type: ignore[union-attr]
        if doc is None or booth is None or not (visible or is_staff(user, booth)):
            raise HTTPException(404)
        if doc.kind != "image" and user is None:
            raise HTTPException(401, N_("Please sign in first."))
        counted = doc.kind != "image" and not is_staff(user, booth) and "range" not in request.headers
        if counted:
            await session.execute(
                update(Document).where(Document.id == doc.id).values(downloads=Document.downloads + 1)
            )
            if user.role == Role.INVESTOR:
                await leads.record(session, booth.id, user.id, "downloads")
            await session.commit()
    path = path_of(request.state.settings.var_dir, doc.stored_name)
    if not path.is_file():
        raise HTTPException(404)
    inline = doc.kind in ("image", "video")
    return FileResponse(
        path,
        media_type=doc.content_type,
        headers={
            "content-disposition": content_disposition(doc.filename, inline),
            "cache-control": "private, max-age=3600" if doc.kind == "image" else "private, no-store",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
        },
    )


routes = [
    route("/booths", directory, allow=EVERYONE, name="booth_directory"),
    route("/booths/{booth_id:int}", booth_page, allow=EVERYONE, name="booth"),
    route("/booths/{booth_id:int}/preview", preview, allow=STAFF, name="booth_preview"),
    route("/booths/{booth_id:int}/bookmark", bookmark, allow={Role.INVESTOR}, methods=("POST",)),
    route("/booths/{booth_id:int}/meeting", request_meeting, allow={Role.INVESTOR}, methods=("POST",)),
    route("/files/{doc_id:int}/{name:str}", download, allow=EVERYONE, name="booth_file"),
]
