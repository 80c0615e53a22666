"""Writing booths and projects: checking the editor's forms, saving one language's texts at
a time, the draft → submitted → published lifecycle, and keeping the search index current.

Errors are msgids in ``InvalidInput.errors`` (as the core's account forms do)."""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from booths import review, search
from booths.models import Booth, Project
from booths.taxonomy import CURRENCIES, MAX_AMOUNT, STAGES, to_usd
from expo.accounts.validation import Checker, InvalidInput
from expo.db import utcnow
from expo.fair.models import District
from expo.fair.sectors import SECTORS
from i18n import N_, SHIPPED_LOCALES

BOOTH_TEXTS = {"name": 160, "tagline": 240, "description": 8000}
PROJECT_TEXTS = {"title": 200, "summary": 600, "description": 8000, "incentives": 4000, "site": 300}
REQUIRED = {"name", "title"}


class LifecycleError(ValueError):
    """The booth cannot move to that state from where it is."""


def missing_languages(fields: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    """For each shipped language, the text fields (that have content in some language)
    that are still empty in it."""
    used = [name for name, values in fields.items() if any(values.values())]
    return {code: [name for name in used if not fields[name].get(code)] for code in SHIPPED_LOCALES}


MULTILINE = {"description", "incentives", "summary"}  # textareas: line breaks are kept


def _texts(c: Checker, data: Mapping[str, object], limits: Mapping[str, int]) -> dict[str, str]:
    return {
        name: c.text(data, name, max_len=limit, required=False, multiline=name in MULTILINE)
        for name, limit in limits.items()
    }


def _set_language(obj: object, lang: str, texts: Mapping[str, str]) -> None:
    for name, value in texts.items():
        current = dict(getattr(obj, name) or {})
        if value:
            current[lang] = value
        else:
            current.pop(lang, None)
        setattr(obj, name, current)


def check_language(data: Mapping[str, object]) -> str:
    lang = data.get("lang", "")
    if not isinstance(lang, str) or lang not in SHIPPED_LOCALES:
        raise InvalidInput({"lang": N_("Choose one of the offered values.")})
    return lang


def update_booth(booth: Booth, data: Mapping[str, object], *, reviewed: bool = False) -> None:
    """Applies the booth editor's form (one language's texts + the shared fields). With
    ``reviewed`` (``booths.review.reviewed``: a published booth, edited by its staff) a
    changed name waits for an organizer; the other fields go live at once."""
    c = Checker()
    lang = check_language(data)
    texts = _texts(c, data, BOOTH_TEXTS)
    email = c.text(data, "contact_email", max_len=254, required=False).lower()
    if email and "contact_email" not in c.errors:
        email = c.email(data, "contact_email")
    sector = data.get("sector") or ""
    if sector and sector not in SECTORS:
        c.fail("sector", N_("Unknown sector."))
    name = review.current_name(booth)
    if texts["name"]:
        name[lang] = texts["name"]
    else:
        name.pop(lang, None)
    if not any(name.values()) and "name" not in c.errors:
        c.fail("name", N_("A booth needs a name in at least one language."))
    c.raise_if_any()
    del texts["name"]
    _set_language(booth, lang, texts)
    if reviewed:
        review.propose_name(booth, name)
    else:
        booth.name, booth.pending_name = name, None
    booth.contact_email = email
    booth.sector = str(sector) or None
    booth.updated_at = utcnow()


@dataclass(frozen=True)
class ProjectFacts:
    sector: str
    stage: str
    amount: int
    currency: str
    district_id: int


def check_project(
    data: Mapping[str, object],
    districts: Mapping[str, int],
    existing_title: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, str], ProjectFacts]:
    c = Checker()
    lang = check_language(data)
    texts = _texts(c, data, PROJECT_TEXTS)
    if not texts["title"] and not any(v for k, v in (existing_title or {}).items() if k != lang):
        c.fail("title", N_("This field is required."))
    sector = data.get("sector")
    if sector not in SECTORS:
        c.fail("sector", N_("Unknown sector."))
    stage = data.get("stage")
    if stage not in STAGES:
        c.fail("stage", N_("Unknown investment stage."))
    currency = data.get("funding_currency")
    if currency not in CURRENCIES:
        c.fail("funding_currency", N_("Unknown currency."))
    raw = str(data.get("funding_amount") or "").replace(",", "").replace("_", "").strip()
    amount = 0
    try:
        amount = int(raw or "0")
    except ValueError:
        c.fail("funding_amount", N_("Enter a whole number."))
    if amount < 0:
        c.fail("funding_amount", N_("Amounts cannot be negative."))
    elif amount > MAX_AMOUNT:
        c.fail("funding_amount", N_("This amount is too large."))
    district = data.get("district")
    if district not in districts:
        c.fail("district", N_("Unknown district or zone."))
    c.raise_if_any()
    return (
        lang,
        texts,
        ProjectFacts(str(sector), str(stage), amount, str(currency), districts[str(district)]),
    )


def apply_project(project: Project, lang: str, texts: Mapping[str, str], facts: ProjectFacts) -> None:
    _set_language(project, lang, texts)
    project.sector = facts.sector
    project.stage = facts.stage
    project.funding_amount = facts.amount
    project.funding_currency = facts.currency
    project.funding_usd = to_usd(facts.amount, facts.currency)
    project.district_id = facts.district_id
    project.languages = "," + ",".join(sorted(code for code, v in project.title.items() if v)) + ","
    project.updated_at = utcnow()


async def index_project(session: AsyncSession, project: Project) -> None:
    """Writes the project's search entry: all its languages, its sector's labels in every
    language and its district's names."""
    district = await session.get(District, project.district_id)
    toks = search.document_tokens(
        [
            project.title,
            project.summary,
            project.description,
            project.incentives,
            project.site,
            search.sector_words(project.sector),
            district.name if district else None,
        ]
    )
    await search.reindex(session, project.id, toks)


TRANSITIONS = {
    "submit": ({"draft"}, "submitted"),
    "publish": ({"draft", "submitted"}, "published"),
    "reject": ({"submitted", "published"}, "draft"),
}


def move(booth: Booth, action: str) -> None:
    """submit (staff), publish or reject (organizers): the lifecycle step, or LifecycleError."""
    if action not in TRANSITIONS:
        raise LifecycleError(action)
    sources, target = TRANSITIONS[action]
    if booth.status not in sources:
        raise LifecycleError(action)
    booth.status = target
    if target == "published":
        booth.published_at = utcnow()
    booth.updated_at = utcnow()
