"""Setting up an expo: ``expo init`` on an empty database, then the console's edits of the
expo, its districts/zones, project teams and halls. No HTTP here; messages are msgids.

Every ``check_*`` function reads a plain mapping (a form or a CLI's flags), reports every bad
field at once (``InvalidInput``) and returns clean values; ``save_*`` writes them.
"""

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts import Role, User
from expo.accounts.service import create_user
from expo.accounts.validation import Checker, InvalidInput
from expo.db import Database
from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.fair.sectors import SECTORS
from expo.settings import Settings
from i18n import SHIPPED_LOCALES, valid_timezone


def _(text: str) -> str:
    return text


SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
CURRENCIES = ("CNY", "USD", "EUR", "JPY", "HKD", "KRW", "SGD", "GBP", "IDR", "AED")
MAX_DAYS = 60
MAX_FUNDING = 10**13


class ExpoExists(Exception):
    """`expo init` found an expo in the database."""

    def __init__(self, title: Mapping[str, str]) -> None:
        super().__init__(next(iter(title.values()), ""))
        self.title = dict(title)


def slugify(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:64].strip("-")


def check_slug(c: Checker, data: Mapping[str, object], name: str = "slug") -> str:
    value = c.text(data, name, max_len=64).lower()
    if value and name not in c.errors and not SLUG.match(value):
        c.fail(name, _("Use lower-case letters, digits and hyphens (for example harbour-district)."))
    return value


def translated(c: Checker, data: Mapping[str, object], prefix: str, *, max_len: int, required: bool) -> dict[str, str]:
    """``{locale: text}`` from fields ``<prefix>_<locale>``; ``required``: at least one."""
    values: dict[str, str] = {}
    for code in SHIPPED_LOCALES:
        text = c.text(data, f"{prefix}_{code}", max_len=max_len, required=False)
        if text:
            values[code] = text
    if required and not values and not any(k.startswith(prefix + "_") for k in c.errors):
        c.fail(f"{prefix}_en", _("Write it in at least one language."))
    return values


def _day(c: Checker, data: Mapping[str, object], name: str) -> date | None:
    raw = c.text(data, name, max_len=10)
    if not raw or name in c.errors:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        c.fail(name, _("Enter a date as YYYY-MM-DD."))
        return None


@dataclass(frozen=True)
class ExpoFacts:
    title: dict[str, str]
    tagline: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    home_tz: str
    default_locale: str


def check_expo(data: Mapping[str, object]) -> ExpoFacts:
    """Title/tagline per language, first and last day (in the home zone), zone, language."""
    c = Checker()
    title = translated(c, data, "title", max_len=200, required=True)
    tagline = translated(c, data, "tagline", max_len=300, required=False)
    zone = c.text(data, "home_tz", max_len=64)
    if zone and "home_tz" not in c.errors and not valid_timezone(zone):
        c.fail("home_tz", _("Choose a time zone from the list."))
    locale = c.choice(data, "default_locale", SHIPPED_LOCALES)
    first, last = _day(c, data, "first_day"), _day(c, data, "last_day")
    if first and last and last < first:
        c.fail("last_day", _("The last day must not be before the first day."))
    elif first and last and (last - first).days >= MAX_DAYS:
        c.fail("last_day", _("An expo lasts at most 60 days."))
    c.raise_if_any()
    assert first and last
    tz = ZoneInfo(zone)
    starts = datetime.combine(first, time(0), tz).astimezone(UTC)
    ends = datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC)
    return ExpoFacts(title, tagline, starts, ends, zone, locale)


async def current_expo(session: AsyncSession) -> Expo | None:
    return await session.scalar(select(Expo).order_by(Expo.id).limit(1))


async def init_expo(session: AsyncSession, data: Mapping[str, object]) -> tuple[Expo, User]:
    """Creates the expo and its first organizer on an empty database (one transaction).
    Raises ``ExpoExists`` if an expo is there, ``InvalidInput`` naming every bad field."""
    existing = await current_expo(session)
    if existing is not None:
        raise ExpoExists(existing.title)
    errors: dict[str, str] = {}
    facts = None
    try:
        facts = check_expo(data)
    except InvalidInput as exc:
        errors.update(exc.errors)
    c = Checker()
    c.email(data)
    c.password(data)
    c.text(data, "name", max_len=120)
    errors.update(c.errors)
    if errors:
        raise InvalidInput(errors)
    assert facts is not None
    slug = slugify(str(data.get("slug") or "")) or slugify(next(iter(facts.title.values()))) or "expo"
    expo = Expo(slug=slug, **facts.__dict__)
    session.add(expo)
    await session.flush()
    organizer = await create_user(  # commits the expo with the account, or raises (nothing kept)
        session,
        email=str(data.get("email", "")),
        password=str(data.get("password", "")),
        name=str(data.get("name", "")),
        role=Role.ORGANIZER,
        timezone=facts.home_tz,
        locale=facts.default_locale,
    )
    return expo, organizer


def apply_expo(expo: Expo, facts: ExpoFacts) -> None:
    for key, value in facts.__dict__.items():
        setattr(expo, key, value)


async def _slug_taken(session: AsyncSession, model: type, slug: str, own_id: int | None) -> bool:
    statement = select(func.count()).select_from(model).where(model.slug == slug)  # type: ignore[attr-defined]
    if own_id is not None:
        statement = statement.where(model.id != own_id)  # type: ignore[attr-defined]
    return bool(await session.scalar(statement))


async def save_district(session: AsyncSession, district: District | None, data: Mapping[str, object]) -> District:
    c = Checker()
    slug = check_slug(c, data)
    kind = c.choice(data, "kind", ("district", "zone"))
    name = translated(c, data, "name", max_len=160, required=True)
    summary = translated(c, data, "summary", max_len=2000, required=False)
    if slug and "slug" not in c.errors and await _slug_taken(session, District, slug, district and district.id):
        c.fail("slug", _("This short name is taken; choose another."))
    c.raise_if_any()
    if district is None:
        district = District(slug=slug, kind=kind, name=name, summary=summary)
        session.add(district)
    else:
        district.slug, district.kind, district.name, district.summary = slug, kind, name, summary
    await session.commit()
    return district


def check_funding(c: Checker, data: Mapping[str, object]) -> tuple[int, str]:
    raw = str(data.get("funding_amount") or "").replace(",", "").replace("_", "").strip()
    amount = 0
    try:
        amount = int(raw or "0")
    except ValueError:
        c.fail("funding_amount", _("Enter a whole number."))
    if not 0 <= amount <= MAX_FUNDING:
        c.fail("funding_amount", _("This amount is too large."))
    currency = str(data.get("funding_currency") or "CNY").upper()
    if currency not in CURRENCIES:
        c.fail("funding_currency", _("Unknown currency."))
    return amount, currency


async def save_team(session: AsyncSession, team: ProjectTeam | None, data: Mapping[str, object]) -> ProjectTeam:
    c = Checker()
    slug = check_slug(c, data)
    sector = c.choice(data, "sector", SECTORS)
    name = translated(c, data, "name", max_len=160, required=True)
    summary = translated(c, data, "summary", max_len=2000, required=False)
    amount, currency = check_funding(c, data)
    district_id = _id(data.get("district"))
    if district_id is None or await session.get(District, district_id) is None:
        c.fail("district", _("Choose one of the offered values."))
    if slug and "slug" not in c.errors and await _slug_taken(session, ProjectTeam, slug, team and team.id):
        c.fail("slug", _("This short name is taken; choose another."))
    c.raise_if_any()
    values = {
        "slug": slug,
        "sector": sector,
        "name": name,
        "summary": summary,
        "funding_amount": amount,
        "funding_currency": currency,
        "district_id": district_id,
    }
    if team is None:
        team = ProjectTeam(**values)
        session.add(team)
    else:
        for key, value in values.items():
            setattr(team, key, value)
    await session.commit()
    return team


async def save_hall(session: AsyncSession, hall: Hall | None, data: Mapping[str, object]) -> Hall:
    c = Checker()
    slug = check_slug(c, data)
    kind = c.choice(data, "kind", ("district", "sector"))
    name = translated(c, data, "name", max_len=160, required=True)
    position = _id(data.get("position") or "0")
    if position is None:
        c.fail("position", _("Enter a whole number."))
    district_id, sector = None, None
    if kind == "district":
        district_id = _id(data.get("district"))
        if district_id is None or await session.get(District, district_id) is None:
            c.fail("district", _("Choose one of the offered values."))
    elif kind == "sector":
        sector = c.choice(data, "sector", SECTORS)
    if slug and "slug" not in c.errors and await _slug_taken(session, Hall, slug, hall and hall.id):
        c.fail("slug", _("This short name is taken; choose another."))
    c.raise_if_any()
    values = {
        "slug": slug,
        "kind": kind,
        "name": name,
        "district_id": district_id,
        "sector": sector,
        "position": position or 0,
    }
    if hall is None:
        hall = Hall(**values)
        session.add(hall)
    else:
        for key, value in values.items():
            setattr(hall, key, value)
    await session.commit()
    return hall


def _id(raw: object) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 10 else None


async def set_active(session: AsyncSession, user: User, active: bool) -> None:
    """Deactivating signs the account out everywhere at once (its session epoch moves on)
    and stops it signing in; reactivating lets it sign in again."""
    if user.active == active:
        return
    user.active = active
    user.session_epoch += 1
    await session.commit()


async def effective_settings(db: Database, settings: Settings) -> Settings:
    """``settings`` with the expo's home zone and default language when the expo sets them
    (``expo init``, the console); read once at start by the app's lifespan."""
    try:
        async with db.session() as session:
            expo = await current_expo(session)
    except SQLAlchemyError:  # a database not migrated yet: the settings as they are
        return settings
    if expo is None:
        return settings
    changes = {}
    if expo.home_tz and valid_timezone(expo.home_tz):
        changes["home_tz"] = expo.home_tz
    if expo.default_locale in SHIPPED_LOCALES:
        changes["default_locale"] = expo.default_locale
    return dataclasses.replace(settings, **changes) if changes else settings


SETTINGS_CHANNEL = "console.settings"  # {"changed": "expo"}: the expo's zone or language moved


async def follow_settings(db: Database, bus: Any, settings: Settings, cache: dict[str, Any]) -> None:
    """Keeps ``cache["settings"]`` (what VisitorMiddleware uses) equal to the database in
    every process: re-read when any process saved the expo (a lifespan task)."""
    async with bus.subscribe(SETTINGS_CHANNEL) as subscription:
        async for _message in subscription:
            cache["settings"] = await effective_settings(db, settings)
