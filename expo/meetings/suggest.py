"""Suggestions: "Projects for you" (an investor's best-fitting teams) and "Investors for
you" (a team's best-fitting investors among those who share their profile).

Computed per request: the other side's facts (1,000 teams or 2,000 investors with their
profiles) come from a per-process cache refreshed every ``CACHE_SECONDS`` and dropped when a
profile is saved in this process; the viewer's own facts, marks and booth activity are read
fresh. Scoring a thousand pairs is pure Python arithmetic (about a millisecond); see
docs/performance.md for the measured cost."""

import asyncio
import heapq
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.activity.models import Event
from expo.fair.models import District, ProjectTeam

from .models import InvestorProfile, Mark, TeamProfile
from .scoring import Fit, InvestorFacts, Signals, TeamFacts, quick_score, score
from .vocab import DEFAULT_WEIGHTS, to_usd

CACHE_SECONDS = 10.0
CACHE_KEY = "meetings.suggest"
REFRESH_KEY = "meetings.suggest.refresh"
SIGNAL_KINDS = ("booth.visit", "booth.bookmark", "booth.chat")


@dataclass(frozen=True)
class Suggestion:
    investor: InvestorFacts
    team: TeamFacts
    fit: Fit
    mark: str | None  # the viewer's own mark on the pair
    other_id: int  # the team id (investor viewer) or the investor's user id (team viewer)


def invalidate(cache: dict[str, Any]) -> None:
    cache.pop(CACHE_KEY, None)


async def _district_ids(session: AsyncSession) -> dict[str, int]:
    return {slug: i for i, slug in (await session.execute(select(District.id, District.slug))).all()}


def _investor_facts(user: User, profile: InvestorProfile | None, districts: dict[str, int]) -> InvestorFacts:
    return InvestorFacts(
        user_id=user.id,
        sectors=frozenset(user.sectors or ()),
        ticket_min_usd=user.ticket_min_usd,
        ticket_max_usd=user.ticket_max_usd,
        stages=frozenset(profile.stages if profile else ()),
        regions=frozenset(districts[s] for s in (profile.regions if profile else ()) if s in districts),
        languages=frozenset(profile.languages if profile else ()),
    )


def _team_facts(team: ProjectTeam, profile: TeamProfile | None) -> TeamFacts:
    return TeamFacts(
        team_id=team.id,
        district_id=team.district_id,
        sector=team.sector,
        funding_amount=team.funding_amount,
        funding_currency=team.funding_currency,
        stage=profile.stage if profile else "",
        languages=frozenset(profile.languages if profile else ()),
    )


async def _load_catalogue(session: AsyncSession) -> dict[str, Any]:
    """The other sides' facts, read with plain column queries (no ORM objects: about ten
    times cheaper for thousands of rows)."""
    districts = await _district_ids(session)
    teams = (
        await session.execute(
            select(
                ProjectTeam.id,
                ProjectTeam.district_id,
                ProjectTeam.sector,
                ProjectTeam.funding_amount,
                ProjectTeam.funding_currency,
                TeamProfile.stage,
                TeamProfile.languages,
                TeamProfile.hidden,
            ).outerjoin(TeamProfile, TeamProfile.team_id == ProjectTeam.id)
        )
    ).all()
    investors = (
        await session.execute(
            select(
                User.id,
                User.sectors,
                User.ticket_min_usd,
                User.ticket_max_usd,
                InvestorProfile.stages,
                InvestorProfile.regions,
                InvestorProfile.languages,
            )
            .outerjoin(InvestorProfile, InvestorProfile.user_id == User.id)
            .where(User.role == "investor", User.shares_profile.is_(True))
        )
    ).all()
    team_facts = [
        TeamFacts(
            t.id,
            t.district_id,
            t.sector,
            t.funding_amount,
            t.funding_currency,
            t.stage or "",
            frozenset(t.languages or ()),
        )
        for t in teams
        if not t.hidden
    ]
    investor_facts = [
        InvestorFacts(
            i.id,
            frozenset(i.sectors or ()),
            i.ticket_min_usd,
            i.ticket_max_usd,
            frozenset(i.stages or ()),
            frozenset(districts[r] for r in (i.regions or ()) if r in districts),
            frozenset(i.languages or ()),
        )
        for i in investors
    ]
    return {
        "until": time.monotonic() + CACHE_SECONDS,
        "districts": districts,
        "teams": team_facts,
        "sought": {t.team_id: to_usd(t.funding_amount, t.funding_currency) for t in team_facts},
        "investors": investor_facts,
    }


async def _catalogue(session: AsyncSession, cache: dict[str, Any], db: Any = None) -> dict[str, Any]:
    """The cached catalogue. Past ``CACHE_SECONDS`` the stale one is still served while one
    background task (per process) reads a fresh one, so no visitor waits for the reload;
    only the very first request of a process builds it inline."""
    entry = cache.get(CACHE_KEY)
    if entry is None:
        entry = await _load_catalogue(session)
        cache[CACHE_KEY] = entry
        return entry
    if entry["until"] <= time.monotonic() and db is not None and not cache.get(REFRESH_KEY):

        async def refresh() -> None:
            try:
                async with db.session() as fresh:
                    cache[CACHE_KEY] = await _load_catalogue(fresh)
            finally:
                cache.pop(REFRESH_KEY, None)

        cache[REFRESH_KEY] = asyncio.ensure_future(refresh())
    return entry  # type: ignore[no-any-return]


def _signals(rows: list[tuple[int | None, str, dict[str, Any]]]) -> dict[int, Signals]:
    visits: dict[int, int] = defaultdict(int)
    chats: dict[int, int] = defaultdict(int)
    bookmarked: dict[int, bool] = {}
    for key, kind, data in rows:  # oldest first: the last bookmark event wins
        if key is None:
            continue
        if kind == "booth.visit":
            visits[key] += 1
        elif kind == "booth.chat":
            chats[key] += 1
        else:
            bookmarked[key] = bool((data or {}).get("on", True))
    keys = set(visits) | set(chats) | set(bookmarked)
    return {k: Signals(visits.get(k, 0), bookmarked.get(k, False), chats.get(k, 0)) for k in keys}


async def _ranked(
    session: AsyncSession,
    marks_query: Any,
    signals_query: Any,
    others: list[Any],
    other_id: Callable[[Any], int],
    pair: Callable[[Any], tuple[InvestorFacts, TeamFacts]],
    sought: Callable[[Any], int],
    weights: dict[str, float],
    limit: int,
) -> list[Suggestion]:
    """The viewer's best `limit` others: marked "must" first, then by a quick score; the full
    fit is computed only for those kept. `marks_query` selects (other id, mark) and
    `signals_query` (other id, kind, data) of the viewer's side."""
    marks = dict((await session.execute(marks_query)).all())
    signals = _signals([tuple(r) for r in (await session.execute(signals_query)).all()])  # type: ignore[misc]
    w = {**DEFAULT_WEIGHTS, **weights}
    ranked = []
    for other in others:
        key = other_id(other)
        mark = marks.get(key)
        if mark == "no":
            continue
        points = quick_score(*pair(other), signals.get(key), w, sought(other))
        if points > 0 or mark:
            ranked.append((mark == "must", points, -key, other))
    out = []
    for _must, _points, _key, other in heapq.nlargest(limit, ranked, key=lambda r: r[:3]):
        key = other_id(other)
        investor, team = pair(other)
        fit = score(investor, team, signals.get(key, Signals()), w)
        out.append(Suggestion(investor, team, fit, marks.get(key), key))
    return out


async def for_investor(
    session: AsyncSession,
    user: User,
    weights: dict[str, float],
    cache: dict[str, Any],
    limit: int = 20,
    db: Any = None,
) -> list[Suggestion]:
    catalogue = await _catalogue(session, cache, db)
    me = _investor_facts(user, await session.get(InvestorProfile, user.id), catalogue["districts"])
    return await _ranked(
        session,
        select(Mark.team_id, Mark.mark).where(Mark.investor_user_id == user.id, Mark.side == "investor"),
        select(Event.team_id, Event.kind, Event.data)
        .where(Event.user_id == user.id, Event.kind.in_(SIGNAL_KINDS))
        .order_by(Event.id),
        catalogue["teams"],
        lambda team: team.team_id,
        lambda team: (me, team),
        lambda team: catalogue["sought"][team.team_id],
        weights,
        limit,
    )


async def for_team(
    session: AsyncSession,
    team: ProjectTeam,
    weights: dict[str, float],
    cache: dict[str, Any],
    limit: int = 20,
    db: Any = None,
) -> list[Suggestion]:
    catalogue = await _catalogue(session, cache, db)
    me = _team_facts(team, await session.get(TeamProfile, team.id))
    sought = to_usd(me.funding_amount, me.funding_currency)
    return await _ranked(
        session,
        select(Mark.investor_user_id, Mark.mark).where(Mark.team_id == team.id, Mark.side == "team"),
        select(Event.user_id, Event.kind, Event.data)
        .where(Event.team_id == team.id, Event.kind.in_(SIGNAL_KINDS))
        .order_by(Event.id),
        catalogue["investors"],
        lambda investor: investor.user_id,
        lambda investor: (investor, me),
        lambda _investor: sought,
        weights,
        limit,
    )


async def set_mark(session: AsyncSession, user: User, investor_user_id: int, team_id: int, mark: str | None) -> None:
    """The user's side marks the pair (must/would/no), or clears its mark (None)."""
    side = "investor" if user.role == "investor" else "team"
    row = await session.scalar(
        select(Mark).where(Mark.investor_user_id == investor_user_id, Mark.team_id == team_id, Mark.side == side)
    )
    if row is not None and row.mark == "no":
        return  # "No thanks" hides the pair for good
    if mark is None:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(Mark(investor_user_id=investor_user_id, team_id=team_id, side=side, mark=mark, marked_by=user.id))
    else:
        row.mark, row.marked_by = mark, user.id
