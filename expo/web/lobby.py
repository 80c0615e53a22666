"""The lobby (the expo's home) and the hall pages."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from expo import announcements
from expo.accounts.models import User
from expo.accounts.roles import EVERYONE, Role
from expo.agenda import PitchSession, Stage, listed
from expo.db import utcnow
from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.web.pagecache import PageCache, cached_for_anonymous
from expo.web.routing import route
from expo.web.templates import render, render_fragment

CACHE_SECONDS = 5.0


@dataclass
class LobbyData:
    """What the lobby shows, language-neutral, shared by all visitors for a few seconds."""

    expo: Expo | None
    district_halls: list[Hall]
    sector_halls: list[Hall]
    pitches: list[tuple[PitchSession, Stage, District | None]]
    figures: dict[str, int]
    funding_cny: int
    loaded_at: float = field(default_factory=time.monotonic)


async def load_lobby(session: AsyncSession) -> LobbyData:
    expo = await session.scalar(select(Expo).order_by(Expo.id).limit(1))
    halls = (await session.scalars(select(Hall).order_by(Hall.position, Hall.id))).all()
    pitches = (
        await session.execute(
            select(PitchSession, Stage, District)
            .join(Stage, PitchSession.stage_id == Stage.id)
            .outerjoin(District, PitchSession.district_id == District.id)
            .where(PitchSession.ends_at > utcnow(), listed())
            .order_by(PitchSession.starts_at)
            .limit(4)
        )
    ).all()
    districts = await session.scalar(select(func.count()).select_from(District)) or 0
    teams = await session.scalar(select(func.count()).select_from(ProjectTeam)) or 0
    investors, countries = (
        await session.execute(
            select(func.count(), func.count(func.distinct(User.country))).where(User.role == Role.INVESTOR)
        )
    ).one()
    funding = (
        await session.scalar(
            select(func.coalesce(func.sum(ProjectTeam.funding_amount), 0)).where(ProjectTeam.funding_currency == "CNY")
        )
        or 0
    )
    pitch_count = await session.scalar(select(func.count()).select_from(PitchSession)) or 0
    return LobbyData(
        expo=expo,
        district_halls=[h for h in halls if h.kind == "district"],
        sector_halls=[h for h in halls if h.kind == "sector"],
        pitches=list(pitches),
        figures={
            "districts": districts,
            "teams": teams,
            "investors": investors,
            "countries": countries,
            "pitches": pitch_count,
        },
        funding_cny=int(funding),
    )


STALE_SECONDS = 5.0  # an expired entry is still served this long while one request reloads it


async def _reloaded_once(request: Request, name: str, load: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """``cache[name]`` = (loaded at, value), kept CACHE_SECONDS and reloaded by one request at
    a time: meanwhile the others get the expired value (at most STALE_SECONDS more), or wait
    for the load when there is none. Without it every open connection reloaded together when
    the entry expired (the signed-in lobby's ~1 s p99 every 5 s, bench/signed_in.py)."""
    cache: dict[str, Any] = request.state.cache
    loading: dict[str, asyncio.Future[bool]] = cache.setdefault("lobby.loading", {})
    entry = cache.get(name)
    age = time.monotonic() - entry[0] if entry is not None else None
    if age is not None and (age <= CACHE_SECONDS or (name in loading and age <= CACHE_SECONDS + STALE_SECONDS)):
        return entry[1]  # type: ignore[index]
    if name in loading:
        await asyncio.shield(loading[name])
        entry = cache.get(name)
        if entry is not None:
            return entry[1]
    done = loading[name] = asyncio.get_running_loop().create_future()
    try:
        async with request.state.db.session() as session:
            value = await load(session)
        cache[name] = (time.monotonic(), value)
        return value
    finally:
        loading.pop(name, None)
        done.set_result(True)


async def cached_lobby(request: Request) -> LobbyData:
    return await _reloaded_once(request, "lobby", load_lobby)


NOTICES = 10


async def cached_notices(request: Request) -> list[announcements.Announcement]:
    """The notice board: the latest announcements, newest first (cached like the lobby)."""

    async def load(session: AsyncSession) -> list[announcements.Announcement]:
        return list(reversed(await announcements.since(session, 0, limit=NOTICES)))

    return await _reloaded_once(request, "notices", load)


async def lobby(request: Request) -> Response:
    async def page() -> Response:
        data = await cached_lobby(request)
        cache = request.state.cache
        fragments: PageCache = cache.setdefault("lobby_main", PageCache(CACHE_SECONDS))
        signed_in = "signed-in" if request.state.user else "anonymous"
        key = (request.state.locale, request.state.timezone, signed_in)
        main = fragments.get(key)
        if main is None:
            main = render_fragment(request, "expo/_lobby_main.html", {"data": data}).encode()
            fragments.put(key, main)
        # Our own template's autoescaped output, kept as bytes in the cache.
        body = Markup(main.decode())  # noqa: S704
        notices = await cached_notices(request)
        return render(request, "expo/lobby.html", {"data": data, "main_html": body, "notices": notices})

    return await cached_for_anonymous(request, "lobby", CACHE_SECONDS, page)


async def hall(request: Request) -> Response:
    slug = request.path_params["slug"]
    async with request.state.db.session() as session:
        found = await session.scalar(select(Hall).where(Hall.slug == slug))
        if found is None:
            raise HTTPException(404)
        query = select(ProjectTeam, District).join(District, ProjectTeam.district_id == District.id)
        if found.kind == "district":
            query = query.where(ProjectTeam.district_id == found.district_id)
        else:
            query = query.where(ProjectTeam.sector == found.sector)
        rows = (await session.execute(query.order_by(ProjectTeam.id))).all()
        district = await session.get(District, found.district_id) if found.district_id else None
        # The booths package tells which booths are published (expo.app gives us its
        # function): only teams with a published booth are shown, each linked to it.
        published = await request.state.published_booths(session)
    teams = [(team, where, published[("team", team.id)]) for team, where in rows if ("team", team.id) in published]
    district_booth = published.get(("district", district.id)) if district else None
    return render(
        request,
        "expo/hall.html",
        {"hall": found, "teams": teams, "district": district, "district_booth": district_booth},
    )


routes = [
    route("/", lobby, allow=EVERYONE, name="lobby"),
    route("/halls/{slug:str}", hall, allow=EVERYONE, name="hall"),
]
