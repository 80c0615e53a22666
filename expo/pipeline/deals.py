"""Deals: who may see which, reading a deal's form, and every change to a deal (each one
appended to the stage log, each one refused from a stale version).

No HTTP here: refusals are exceptions (``Forbidden``, ``NotFound``, ``Refused`` naming every
missing thing, ``Conflict`` carrying what changed since the caller's version) that views map
to 403/404/422/409.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.accounts.validation import COUNTRIES, EMAIL
from expo.db import utcnow
from expo.fair.models import District, ProjectTeam
from expo.fair.sectors import SECTORS
from expo.pipeline.config import MAX_AMOUNT_CNY, Config
from expo.pipeline.models import Deal, Document, Signing, StageChange
from expo.pipeline.stages import (
    CONFIRMED_BY_CITY,
    ORDER,
    SOURCES,
    STAGES,
    STATUSES,
    Facts,
    Missing,
    is_skip,
    validate,
)
from i18n import N_


class Forbidden(Exception):
    pass


class NotFound(Exception):
    pass


class Refused(Exception):
    """A change the rules do not allow; ``missing`` lists every reason (msgids)."""

    def __init__(self, missing: list[Missing]) -> None:
        super().__init__(", ".join(m.fact for m in missing))
        self.missing = missing


class Conflict(Exception):
    """The deal changed since the caller's version: ``changes`` are the log entries since."""

    def __init__(self, deal: Deal, changes: list[StageChange]) -> None:
        super().__init__(f"deal {deal.id} is at version {deal.version}")
        self.deal = deal
        self.changes = changes


class InvalidFields(Exception):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def scope(user: User) -> int | None:
    """The district a user's pipeline is limited to; None for the city office (all)."""
    if user.role == "organizer":
        return None
    if user.role == "host" and user.district_id is not None:
        return user.district_id
    raise Forbidden()


def may_see(user: User, district_id: int) -> bool:
    limit = scope(user)
    return limit is None or limit == district_id


async def get_deal(session: AsyncSession, user: User, deal_id: int) -> Deal:
    deal = await session.get(Deal, deal_id)
    if deal is None:
        raise NotFound()
    if not may_see(user, deal.district_id):
        raise Forbidden()
    return deal


# ---- reading the form ------------------------------------------------------------------

TEXT_FIELDS = {
    "title": 200,
    "investor_company": 200,
    "contact_name": 120,
    "contact_email": 254,
    "contact_phone": 40,
    "site": 300,
    "service_city_lead": 120,
    "service_district_lead": 120,
    "service_liaison": 120,
    "next_action": 300,
}


@dataclass
class FormReader:
    data: Mapping[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str, max_len: int) -> str:
        value = (self.data.get(name) or "").strip()
        if len(value) > max_len:
            self.errors[name] = N_("This is too long.")
        elif any(ord(c) < 32 for c in value):
            self.errors[name] = N_("This contains control characters.")
        return value

    def number(self, name: str, high: int) -> int:
        raw = (self.data.get(name) or "").replace(",", "").replace(" ", "").strip()
        if not raw:
            return 0
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = N_("Enter a whole number.")
            return 0
        if value < 0:
            self.errors[name] = N_("This cannot be negative.")
        elif value > high:
            self.errors[name] = N_("This number is not plausible.")
        return value

    def day(self, name: str) -> date | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = N_("Enter a date as YYYY-MM-DD.")
            return None
        if not 2000 <= value.year <= 2100:
            self.errors[name] = N_("This date is not plausible.")
            return None
        return value

    def ident(self, name: str) -> int | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or len(raw) > 9:
            self.errors[name] = N_("Choose one of the offered values.")
            return None
        return int(raw)


async def read_deal_form(
    session: AsyncSession, user: User, data: Mapping[str, str], config: Config, deal: Deal | None = None
) -> dict[str, object]:
    """The deal's fields from a form, or ``InvalidFields`` naming each bad one."""
    form = FormReader(data)
    values: dict[str, object] = {name: form.text(name, size) for name, size in TEXT_FIELDS.items()}
    if not values["title"]:
        form.errors["title"] = N_("This field is required.")
    email = str(values["contact_email"]).lower()
    values["contact_email"] = email
    if email and not EMAIL.match(email):
        form.errors["contact_email"] = N_("Enter a valid email address.")
    country = (data.get("investor_country") or "").strip().upper()
    if country and country not in COUNTRIES:
        form.errors["investor_country"] = N_("Choose one of the offered values.")
    values["investor_country"] = country
    sector = (data.get("sector") or "").strip()
    if sector and sector not in SECTORS:
        form.errors["sector"] = N_("Choose one of the offered values.")
    values["sector"] = sector
    currency = (data.get("currency") or "CNY").strip().upper()
    if currency not in config.rates:
        form.errors["currency"] = N_("This currency is not one the office converts.")
        currency = "CNY"
    values["currency"] = currency
    high = int(MAX_AMOUNT_CNY / max(config.rates.get(currency, 1.0), 1e-9))
    values["amount_agreed"] = form.number("amount_agreed", high)
    values["amount_arrived"] = form.number("amount_arrived", high)
    values["jobs"] = form.number("jobs", 1_000_000)
    values["likelihood"] = form.number("likelihood", 100)
    values["land_needed"] = data.get("land_needed") in ("1", "on", "yes", "true")
    values["expected_date"] = form.day("expected_date")
    values["next_action_due"] = form.day("next_action_due")
    source = (data.get("source") or (deal.source if deal else "typed")).strip()
    if source not in SOURCES:
        form.errors["source"] = N_("Choose one of the offered values.")
    values["source"] = source
    limit = scope(user)
    district_id = form.ident("district") if limit is None else limit
    if deal is not None and limit is not None:
        district_id = deal.district_id
    if district_id is None or await session.get(District, district_id) is None:
        form.errors["district"] = N_("Choose one of the offered values.")
    values["district_id"] = district_id
    team_id = form.ident("team")
    if team_id is not None:
        team = await session.get(ProjectTeam, team_id)
        if team is None or team.district_id != district_id:
            form.errors["team"] = N_("Choose a project team of this district.")
    values["team_id"] = team_id
    owner_id = form.ident("owner")
    if owner_id is not None:
        owner = await session.get(User, owner_id)
        if owner is None or owner.role != "host" or owner.district_id != district_id:
            form.errors["owner"] = N_("The owner must be a host of this district.")
    values["owner_id"] = owner_id
    investor_id = form.ident("investor_user")
    if investor_id is not None:
        investor = await session.get(User, investor_id)
        if investor is None or investor.role != "investor":
            form.errors["investor_user"] = N_("Choose one of the offered values.")
        elif not investor.shares_profile:
            form.errors["investor_user"] = N_("This investor has not agreed to share their profile.")
    values["investor_user_id"] = investor_id
    if form.errors:
        raise InvalidFields(form.errors)
    return values


# ---- the facts the stage rules read ------------------------------------------------------


async def facts_of(session: AsyncSession, deal: Deal) -> Facts:
    kinds = set((await session.scalars(select(Document.kind).where(Document.deal_id == deal.id).distinct())).all())
    signing = await session.get(Signing, deal.id)
    entered_signed = await session.scalar(
        select(StageChange.at)
        .where(StageChange.deal_id == deal.id, StageChange.kind == "stage", StageChange.to_stage == "signed")
        .order_by(StageChange.at.desc(), StageChange.id.desc())
        .limit(1)
    )
    confirmed_signed = await session.scalar(
        select(StageChange.at)
        .where(StageChange.deal_id == deal.id, StageChange.kind == "confirm", StageChange.to_stage == "signed")
        .order_by(StageChange.at.desc(), StageChange.id.desc())
        .limit(1)
    )
    investor = await session.get(User, deal.investor_user_id) if deal.investor_user_id else None
    return Facts(
        investor_company=deal.investor_company,
        investor_country=deal.investor_country,
        contact=deal.contact_name or deal.contact_email,
        sector=deal.sector,
        owner_id=deal.owner_id,
        expected_date=deal.expected_date,
        likelihood=deal.likelihood,
        amount_agreed=deal.amount_agreed,
        amount_arrived=deal.amount_arrived,
        jobs=deal.jobs,
        land_needed=deal.land_needed,
        site=deal.site,
        service_team=bool(deal.service_city_lead and deal.service_district_lead and deal.service_liaison),
        agreement=bool(kinds & {"agreement", "countersigned"}),
        countersigned="countersigned" in kinds and bool(signing and signing.countersigned_on),
        funds_evidence="funds_evidence" in kinds,
        signed_confirmed=bool(confirmed_signed and (entered_signed is None or confirmed_signed >= entered_signed)),
        investor_linked=investor is not None,
        investor_consents=bool(investor and investor.shares_profile),
    )


# ---- changes -----------------------------------------------------------------------------


def log_entry(deal: Deal, by: User | None, kind: str, how: str, at: datetime, **values: object) -> StageChange:
    """A stage-log entry for ``deal`` carrying its amounts of this moment (the caller adds it)."""
    return StageChange(
        deal_id=deal.id,
        district_id=deal.district_id,
        at=at,
        by_user_id=by.id if by else None,
        kind=kind,
        how=how,
        currency=deal.currency,
        amount_agreed=deal.amount_agreed,
        amount_arrived=deal.amount_arrived,
        **values,
    )


async def _check_version(session: AsyncSession, deal: Deal, version: int | None) -> None:
    """Every change bumps the version and appends one log entry, so the entries after the
    caller's version are exactly what changed since they loaded the deal."""
    if version is not None and version != deal.version:
        entries = await log_of(session, deal.id)
        raise Conflict(deal, entries[max(version, 0) :])


def _touch(deal: Deal, at: datetime) -> None:
    deal.version += 1
    deal.updated_at = at


async def create(
    session: AsyncSession,
    by: User | None,
    values: Mapping[str, object],
    *,
    how: str = "hand",
    at: datetime | None = None,
) -> Deal:
    at = at or utcnow()
    deal = Deal(**values, stage="target", status="active", stage_entered_at=at, created_at=at, updated_at=at)
    deal.version = 1
    missing = validate(await _facts_for_new(session, deal), "target")
    if missing:
        raise Refused(missing)
    session.add(deal)
    await session.flush()
    session.add(log_entry(deal, by, "create", how, at, to_stage="target", to_status="active"))
    return deal


async def _facts_for_new(session: AsyncSession, deal: Deal) -> Facts:
    investor = await session.get(User, deal.investor_user_id) if deal.investor_user_id else None
    return Facts(
        investor_company=deal.investor_company,
        owner_id=deal.owner_id,
        investor_linked=investor is not None,
        investor_consents=bool(investor and investor.shares_profile),
    )


EDITABLE = (
    "title investor_company investor_country contact_name contact_email contact_phone investor_user_id "
    "district_id team_id sector currency amount_agreed amount_arrived jobs land_needed site likelihood "
    "expected_date owner_id service_city_lead service_district_lead service_liaison source next_action "
    "next_action_due"
).split()


async def edit(
    session: AsyncSession, deal: Deal, by: User, values: Mapping[str, object], version: int | None
) -> list[str]:
    """Changes a deal's facts; the fields that changed are logged. The facts must still meet
    what the current stage needs (an edit cannot take away the signed agreement amount)."""
    await _check_version(session, deal, version)
    changed = [name for name in EDITABLE if name in values and getattr(deal, name) != values[name]]
    if not changed:
        return []
    before = {name: getattr(deal, name) for name in changed}
    for name in changed:
        setattr(deal, name, values[name])
    missing = validate(await facts_of(session, deal), deal.stage)
    if missing:
        for name, value in before.items():
            setattr(deal, name, value)
        raise Refused(missing)
    at = utcnow()
    _touch(deal, at)
    session.add(
        log_entry(deal, by, "edit", "hand", at, from_stage=deal.stage, to_stage=deal.stage, reason=", ".join(changed))
    )
    return changed


async def move(
    session: AsyncSession,
    deal: Deal,
    by: User | None,
    to_stage: str,
    *,
    version: int | None,
    reason: str = "",
    how: str = "hand",
    at: datetime | None = None,
) -> StageChange:
    """Moves a deal to another stage, after every check; appends the log entry."""
    if to_stage not in ORDER:
        raise Refused([Missing("stage", N_("Choose one of the offered values."))])
    await _check_version(session, deal, version)
    if to_stage == deal.stage:
        raise Refused([Missing("stage", N_("The deal is already at this stage."))])
    if deal.status not in ("active", "delayed"):
        raise Refused([Missing("status", N_("Reopen the deal (status active) before moving it."))])
    missing = validate(await facts_of(session, deal), to_stage) if ORDER[to_stage] > ORDER[deal.stage] else []
    if is_skip(deal.stage, to_stage) and not reason.strip():
        missing.append(Missing("reason", N_("Skipping a stage needs a reason.")))
    if missing:
        raise Refused(missing)
    at = at or utcnow()
    entry = log_entry(deal, by, "stage", how, at, from_stage=deal.stage, to_stage=to_stage, reason=reason.strip()[:500])
    entry.from_status = entry.to_status = deal.status
    deal.stage = to_stage
    deal.stage_entered_at = at
    deal.confirmed = to_stage not in CONFIRMED_BY_CITY
    _touch(deal, at)
    session.add(entry)
    return entry


async def confirm(
    session: AsyncSession, deal: Deal, by: User, *, version: int | None, at: datetime | None = None
) -> StageChange:
    """The city office confirms a signed or funded deal: from now on it counts."""
    if by.role != "organizer":
        raise Forbidden()
    await _check_version(session, deal, version)
    if deal.stage not in CONFIRMED_BY_CITY or deal.confirmed:
        raise Refused([Missing("stage", N_("There is nothing to confirm at this stage."))])
    missing = validate(await facts_of(session, deal), deal.stage)
    if missing:
        raise Refused(missing)
    at = at or utcnow()
    entry = log_entry(deal, by, "confirm", "confirm", at, from_stage=deal.stage, to_stage=deal.stage)
    deal.confirmed = True
    _touch(deal, at)
    session.add(entry)
    return entry


async def set_status(
    session: AsyncSession,
    deal: Deal,
    by: User | None,
    status: str,
    *,
    version: int | None,
    reason: str = "",
    lost_to: str = "",
    how: str = "hand",
    at: datetime | None = None,
) -> StageChange:
    if status not in STATUSES:
        raise Refused([Missing("status", N_("Choose one of the offered values."))])
    await _check_version(session, deal, version)
    if status == deal.status:
        raise Refused([Missing("status", N_("The deal already has this status."))])
    missing = []
    if status == "lost" and not reason.strip():
        missing.append(Missing("reason", N_("Say why the deal was lost.")))
    if status == "lost" and not lost_to.strip():
        missing.append(Missing("lost_to", N_("Say who it was lost to (another city, a country, nobody).")))
    if status in ("abandoned", "dormant", "delayed") and not reason.strip():
        missing.append(Missing("reason", N_("Give a reason for this status.")))
    if missing:
        raise Refused(missing)
    at = at or utcnow()
    entry = log_entry(
        deal,
        by,
        "status",
        how,
        at,
        from_stage=deal.stage,
        to_stage=deal.stage,
        from_status=deal.status,
        to_status=status,
        reason=reason.strip()[:500],
    )
    deal.status = status
    deal.lost_reason = reason.strip()[:300] if status == "lost" else ""
    deal.lost_to = lost_to.strip()[:200] if status == "lost" else ""
    _touch(deal, at)
    session.add(entry)
    return entry


async def set_next_action(
    session: AsyncSession, deal: Deal, by: User, text: str, due: date | None, *, version: int | None
) -> None:
    await _check_version(session, deal, version)
    text = text.strip()
    if not text or due is None:
        raise Refused([Missing("next_action", N_("A next action needs what to do and a date."))])
    if len(text) > 300:
        raise Refused([Missing("next_action", N_("This is too long."))])
    deal.next_action, deal.next_action_due = text, due
    at = utcnow()
    _touch(deal, at)
    session.add(
        log_entry(deal, by, "edit", "hand", at, from_stage=deal.stage, to_stage=deal.stage, reason="next_action")
    )


async def log_of(session: AsyncSession, deal_id: int) -> list[StageChange]:
    return list(
        (
            await session.scalars(
                select(StageChange).where(StageChange.deal_id == deal_id).order_by(StageChange.at, StageChange.id)
            )
        ).all()
    )


async def has_deal(session: AsyncSession, investor_id: int, district_id: int) -> bool:
    return bool(
        await session.scalar(
            select(exists().where(Deal.investor_user_id == investor_id, Deal.district_id == district_id))
        )
    )


__all__ = ["STAGES", "Conflict", "Forbidden", "InvalidFields", "NotFound", "Refused"]
