"""Profiles that matching reads: an investor's (sectors, ticket, sharing on the account;
stages, regions, languages, thesis here) and a team's (sector, funding on the team; stage,
languages, hidden here). Validation reports every problem at once."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import utcnow
from expo.fair.models import District, ProjectTeam
from expo.fair.sectors import SECTORS
from i18n import N_

from .models import InvestorProfile, TeamProfile
from .vocab import LANGUAGES, MAX_THESIS, STAGES, USD_PER_UNIT

MAX_AMOUNT = 10**13


@dataclass
class Problems:
    errors: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.errors)


def _choices(values: list[str], allowed: object, field: str, errors: dict[str, str]) -> list[str]:
    chosen = sorted({v for v in values if v})
    if any(v not in allowed for v in chosen):  # type: ignore[operator]
        errors[field] = N_("Choose one of the offered values.")
    return [v for v in chosen if v in allowed]  # type: ignore[operator]


def _amount(raw: str, field: str, errors: dict[str, str]) -> int | None:
    raw = raw.strip().replace(",", "").replace("_", "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_AMOUNT:
        errors[field] = N_("Enter a whole amount, without currency signs.")
        return None
    return int(raw)


async def investor_profile(session: AsyncSession, user_id: int) -> InvestorProfile:
    profile = await session.get(InvestorProfile, user_id)
    return profile or InvestorProfile(user_id=user_id, stages=[], regions=[], languages=[], thesis="")


async def team_profile(session: AsyncSession, team_id: int) -> TeamProfile:
    profile = await session.get(TeamProfile, team_id)
    return profile or TeamProfile(team_id=team_id, stage="", languages=[], hidden=False)


async def district_slugs(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(District.slug))).all())


async def save_investor(session: AsyncSession, user: User, form: dict[str, list[str]]) -> Problems:
    """Checks the whole form; saves nothing unless every field is valid."""
    errors: dict[str, str] = {}
    first = {k: (v[0] if v else "") for k, v in form.items()}
    sectors = _choices(form.get("sectors", []), SECTORS, "sectors", errors)
    stages = _choices(form.get("stages", []), STAGES, "stages", errors)
    regions = _choices(form.get("regions", []), await district_slugs(session), "regions", errors)
    languages = _choices(form.get("languages", []), LANGUAGES, "languages", errors)
    low = _amount(first.get("ticket_min_usd", ""), "ticket_min_usd", errors)
    high = _amount(first.get("ticket_max_usd", ""), "ticket_max_usd", errors)
    if low is not None and high is not None and high < low:
        errors["ticket_max_usd"] = N_("The largest ticket must not be below the smallest.")
    thesis = first.get("thesis", "").strip()
    if len(thesis) > MAX_THESIS:
        errors["thesis"] = N_("At most 600 characters.")
    if errors:
        return Problems(errors)
    user.sectors = sectors
    user.ticket_min_usd, user.ticket_max_usd = low, high
    user.shares_profile = first.get("shares_profile") == "1"
    profile = await session.get(InvestorProfile, user.id)
    if profile is None:
        profile = InvestorProfile(user_id=user.id)
        session.add(profile)
    profile.stages, profile.regions, profile.languages, profile.thesis = stages, regions, languages, thesis
    profile.updated_at = utcnow()
    return Problems({})


async def save_team(session: AsyncSession, team: ProjectTeam, form: dict[str, list[str]]) -> Problems:
    errors: dict[str, str] = {}
    first = {k: (v[0] if v else "") for k, v in form.items()}
    sector = first.get("sector", "")
    if sector not in SECTORS:
        errors["sector"] = N_("Choose one of the offered values.")
    stage = first.get("stage", "")
    if stage and stage not in STAGES:
        errors["stage"] = N_("Choose one of the offered values.")
    currency = first.get("funding_currency", "")
    if currency not in USD_PER_UNIT:
        errors["funding_currency"] = N_("Choose one of the offered values.")
    amount = _amount(first.get("funding_amount", ""), "funding_amount", errors)
    languages = _choices(form.get("languages", []), LANGUAGES, "languages", errors)
    if errors:
        return Problems(errors)
    team.sector, team.funding_currency, team.funding_amount = sector, currency, amount or 0
    profile = await session.get(TeamProfile, team.id)
    if profile is None:
        profile = TeamProfile(team_id=team.id)
        session.add(profile)
    profile.stage, profile.languages = stage, languages
    profile.hidden = first.get("hidden") == "1"
    profile.updated_at = utcnow()
    return Problems({})
