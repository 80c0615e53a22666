"""Importing the office's lists: districts and zones, project teams with their projects, and
investors to invite; exporting the same lists back in the same columns.

:func:`plan` reads a :class:`~expo.spreadsheets.Sheet` against the database and decides, row
by row, what would be created, updated, left unchanged or refused, and why (untranslated
msgids with values). :func:`apply` runs that same plan's writes in the caller's transaction:
the view commits once, so a failure anywhere keeps nothing. The dry run is ``plan`` alone, so
the report a user reads is the one that is applied. Importing the same file again plans only
"unchanged" rows (the keys are slugs, team slug + project title, and emails).

Columns: see :data:`COLUMNS`; translated texts are one column per language
(``name_en``, ``name_zh_hans`` …). Cells left empty keep what is stored.
"""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import booths
from expo import outbox
from expo.accounts import User
from expo.accounts.validation import COUNTRIES, EMAIL
from expo.console.models import InvestorInvite
from expo.console.setup import SLUG
from expo.db import utcnow
from expo.fair.models import District, ProjectTeam
from expo.fair.sectors import SECTORS
from expo.spreadsheets import Sheet
from i18n import SHIPPED_LOCALES


def _(text: str) -> str:
    return text


LANGS = {code.lower(): code for code in SHIPPED_LOCALES}  # column suffix → locale code


def _lang_columns(prefix: str) -> list[str]:
    return [f"{prefix}_{suffix}" for suffix in LANGS]


COLUMNS: dict[str, list[str]] = {
    "districts": ["slug", "kind", *_lang_columns("name"), *_lang_columns("summary")],
    "teams": [
        "team_slug",
        "district",
        "sector",
        *_lang_columns("team_name"),
        "funding_amount",
        "funding_currency",
        *_lang_columns("project_title"),
        *_lang_columns("project_summary"),
        "project_stage",
        "project_funding_amount",
        "project_funding_currency",
    ],
    "investors": ["email", "name", "organization", "country", "language", "sectors"],
}
REQUIRED: dict[str, list[str]] = {
    "districts": ["slug", "kind"],
    "teams": ["team_slug", "district", "sector"],
    "investors": ["email", "name"],
}
EXAMPLES: dict[str, list[dict[str, str]]] = {
    "districts": [
        {"slug": "harbour", "kind": "district", "name_en": "Harbour District", "name_zh_hans": "港区"},
        {"slug": "hi-tech-zone", "kind": "zone", "name_en": "Hi-Tech Zone", "name_zh_hans": "高新区"},
    ],
    "teams": [
        {
            "team_slug": "bluewave-bio",
            "district": "harbour",
            "sector": "biomedicine",
            "team_name_en": "Bluewave Bio",
            "team_name_zh_hans": "蓝波生物",
            "funding_amount": "50000000",
            "funding_currency": "CNY",
            "project_title_en": "Antibody pilot plant",
            "project_title_zh_hans": "抗体中试基地",
            "project_stage": "growth",
            "project_funding_amount": "30000000",
            "project_funding_currency": "CNY",
        }
    ],
    "investors": [
        {
            "email": "investor@example.com",
            "name": "Aiko Tanaka",
            "organization": "Example Capital",
            "country": "JP",
            "language": "ja",
            "sectors": "biomedicine;medical_devices",
        }
    ],
}
MAX_REASONS = 5


@dataclass
class Row:
    line: int
    key: str
    action: str = "unchanged"  # create | update | unchanged | refuse
    reasons: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def refuse(self, message: str, **values: object) -> None:
        self.action = "refuse"
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append((message, values))


@dataclass
class Plan:
    kind: str
    rows: list[Row] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    # (phase, write): teams (0) are flushed before the booths (1) that point to them, and
    # booths before their projects (2).
    writes: list[tuple[int, Callable[[AsyncSession], Any]]] = field(default_factory=list)
    reindex: list[Any] = field(default_factory=list)  # projects whose search entry is rewritten
    public_url: str = ""  # for the links in invitation mails

    def counts(self) -> dict[str, int]:
        result = {"create": 0, "update": 0, "unchanged": 0, "refuse": 0}
        for row in self.rows:
            result[row.action] += 1
        return result


def _texts(record: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {code: record[f"{prefix}_{suffix}"] for suffix, code in LANGS.items() if record.get(f"{prefix}_{suffix}")}


def _merged(stored: Mapping[str, str], given: Mapping[str, str]) -> dict[str, str]:
    return {**stored, **given}


def _check_texts(row: Row, texts: Mapping[str, str], column: str, max_len: int) -> None:
    for code, value in texts.items():
        if len(value) > max_len:
            row.refuse(
                _("%(column)s is longer than %(limit)s characters."), column=f"{column}_{code.lower()}", limit=max_len
            )
        elif any(ord(c) < 32 and c != "\t" for c in value):
            row.refuse(_("%(column)s contains control characters."), column=f"{column}_{code.lower()}")


def _amount(row: Row, record: Mapping[str, str], column: str) -> int:
    raw = record.get(column, "").replace(",", "").replace("_", "").replace(" ", "")
    if not raw:
        return 0
    try:
        value = int(float(raw)) if raw.replace(".", "", 1).isdigit() else int(raw)
    except ValueError:
        row.refuse(_("%(column)s is not a whole number: “%(value)s”."), column=column, value=raw[:40])
        return 0
    if not 0 <= value <= 10**13:
        row.refuse(_("%(column)s is out of range: “%(value)s”."), column=column, value=raw[:40])
    return value


def _currency(row: Row, record: Mapping[str, str], column: str) -> str:
    value = (record.get(column) or "CNY").upper()
    if value not in booths.CURRENCIES:
        row.refuse(_("Unknown currency “%(value)s” in %(column)s."), value=value[:12], column=column)
    return value


SECTOR_NAMES = {**{code: code for code in SECTORS}, **{label.lower(): code for code, label in SECTORS.items()}}


def _header_problems(plan: Plan, sheet: Sheet) -> bool:
    known = set(COLUMNS[plan.kind])
    plan.ignored_columns = [c for c in sheet.header if c and c not in known]
    plan.missing_columns = [c for c in REQUIRED[plan.kind] if c not in sheet.header]
    return bool(plan.missing_columns)


async def plan(
    session: AsyncSession, kind: str, sheet: Sheet, *, translate: Callable[[str, str], str], public_url: str = ""
) -> Plan:
    """The row-by-row plan of importing ``sheet`` as ``kind``; nothing is written.
    ``translate(locale, msgid)`` writes invitation mails in each investor's language."""
    result = Plan(kind, public_url=public_url)
    if _header_problems(result, sheet):
        return result
    planner = {"districts": _plan_districts, "teams": _plan_teams, "investors": _plan_investors}[kind]
    await planner(session, sheet, result, translate)
    return result


def _records(sheet: Sheet, result: Plan, key: str) -> Iterable[tuple[Row, dict[str, str]]]:
    width = len(sheet.header)
    for line, cells in sheet.rows:
        record = dict(zip(sheet.header, cells + [""] * (width - len(cells)), strict=False))
        row = Row(line, record.get(key, "")[:80])
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            row.refuse(
                _("This row has more cells than the header has columns (a comma inside a value without quotes?).")
            )
        result.rows.append(row)
        yield row, record


async def _plan_districts(session: AsyncSession, sheet: Sheet, result: Plan, translate: object) -> None:
    stored = {d.slug: d for d in (await session.scalars(select(District))).all()}
    seen: dict[str, int] = {}
    for row, record in _records(sheet, result, "slug"):
        slug = record.get("slug", "").lower()
        kind = record.get("kind", "").lower()
        names, summaries = _texts(record, "name"), _texts(record, "summary")
        if not SLUG.match(slug):
            row.refuse(
                _("slug “%(value)s” must be lower-case letters, digits and hyphens."), value=record.get("slug", "")[:70]
            )
        elif slug in seen:
            row.refuse(_("slug “%(value)s” is already on row %(line)s."), value=slug, line=seen[slug])
        if kind not in ("district", "zone"):
            row.refuse(_("kind must be “district” or “zone”, not “%(value)s”."), value=kind[:40])
        _check_texts(row, names, "name", 160)
        _check_texts(row, summaries, "summary", 2000)
        existing = stored.get(slug)
        if existing is None and not names:
            row.refuse(_("A new district needs a name in at least one language (name_en, name_zh_hans …)."))
        if row.action == "refuse":
            continue
        seen[slug] = row.line
        if existing is None:
            row.action = "create"
            result.writes.append((0, _adder(_New(District, slug=slug, kind=kind, name=names, summary=summaries))))
            continue
        new = (kind, _merged(existing.name, names), _merged(existing.summary, summaries))
        if new != (existing.kind, existing.name, existing.summary):
            row.action = "update"
            result.writes.append((0, _setter(existing, kind=new[0], name=new[1], summary=new[2])))


class _New:
    """A row to insert (in bulk, by apply()): its values as attributes, ``id`` once inserted.
    Lighter than an ORM instance, which matters for 100,000 rows."""

    def __init__(self, model: type, **values: object) -> None:
        self.model, self.id = model, None
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> object:  # columns not given read as unset
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def _adder(obj: object) -> Callable[[AsyncSession], object]:
    def write(session: AsyncSession) -> object:
        return obj  # inserted in bulk by apply()

    return write


def _setter(obj: object, **values: object) -> Callable[[AsyncSession], None]:
    def write(session: AsyncSession) -> None:
        for key, value in values.items():
            setattr(obj, key, value)

    return write


@dataclass
class _TeamPlan:
    team: ProjectTeam
    line: int
    facts: tuple[object, ...]
    booth: Any = None
    projects: list[Any] = field(default_factory=list)


async def _plan_teams(session: AsyncSession, sheet: Sheet, result: Plan, translate: object) -> None:
    districts = {d.slug: d for d in (await session.scalars(select(District))).all()}
    teams = {t.slug: t for t in (await session.scalars(select(ProjectTeam))).all()}
    team_booths = {
        b.team_id: b for b in (await session.scalars(select(booths.Booth).where(booths.Booth.kind == "team"))).all()
    }
    booth_slugs = set((await session.scalars(select(booths.Booth.slug))).all())
    projects_by_booth: dict[int, list[Any]] = {}
    for project in (await session.scalars(select(booths.Project))).all():
        projects_by_booth.setdefault(project.booth_id, []).append(project)
    planned: dict[str, _TeamPlan] = {}
    seen_projects: dict[tuple[str, str, str], int] = {}
    for row, record in _records(sheet, result, "team_slug"):
        slug = record.get("team_slug", "").lower()
        if not SLUG.match(slug):
            row.refuse(
                _("team_slug “%(value)s” must be lower-case letters, digits and hyphens."),
                value=record.get("team_slug", "")[:70],
            )
        district = districts.get(record.get("district", "").lower())
        if district is None:
            row.refuse(
                _("Unknown district “%(value)s”: import it first or use a slug from the districts list."),
                value=record.get("district", "")[:70],
            )
        sector = SECTOR_NAMES.get(record.get("sector", "").strip().lower())
        if sector is None:
            row.refuse(
                _("Unknown sector “%(value)s”: use one of the codes in the template."),
                value=record.get("sector", "")[:70],
            )
        names = _texts(record, "team_name")
        _check_texts(row, names, "team_name", 160)
        amount = _amount(row, record, "funding_amount")
        currency = _currency(row, record, "funding_currency")
        titles, summaries = _texts(record, "project_title"), _texts(record, "project_summary")
        _check_texts(row, titles, "project_title", 200)
        _check_texts(row, summaries, "project_summary", 600)
        has_project = bool(titles or summaries or record.get("project_stage"))
        stage = record.get("project_stage", "").strip().lower()
        if has_project:
            if not titles:
                row.refuse(_("A project needs a title in at least one language (project_title_en …)."))
            if stage not in booths.STAGES:
                row.refuse(
                    _("Unknown project_stage “%(value)s”: use one of %(choices)s."),
                    value=stage[:40],
                    choices=", ".join(booths.STAGES),
                )
        p_amount = _amount(row, record, "project_funding_amount")
        p_currency = _currency(row, record, "project_funding_currency")
        existing = teams.get(slug)
        if existing is None and slug not in planned and not names:
            row.refuse(_("A new team needs a name in at least one language (team_name_en …)."))
        if row.action == "refuse" or district is None or sector is None:
            continue
        facts = (district.id, sector, tuple(sorted(names.items())), amount, currency)
        if slug in planned and planned[slug].facts != facts:
            row.refuse(
                _("Team “%(value)s” is already on row %(line)s with other details."),
                value=slug,
                line=planned[slug].line,
            )
            continue
        project_key = (slug, *next(iter(sorted(titles.items())), ("", "")))
        if has_project and project_key in seen_projects:
            row.refuse(
                _("Project “%(value)s” of this team is already on row %(line)s."),
                value=project_key[2][:70],
                line=seen_projects[project_key],
            )
            continue
        if slug not in planned:
            planned[slug] = _plan_team(result, row, existing, slug, district, sector, names, amount, currency)
            team_plan = planned[slug]
            team_plan.booth = team_booths.get(existing.id) if existing is not None else None
            team_plan.projects = projects_by_booth.get(team_plan.booth.id, []) if team_plan.booth is not None else []
        team_plan = planned[slug]
        if has_project:
            seen_projects[project_key] = row.line
            _plan_project(result, row, team_plan, booth_slugs, titles, summaries, stage, p_amount, p_currency)


def _plan_team(
    result: Plan,
    row: Row,
    existing: ProjectTeam | None,
    slug: str,
    district: District,
    sector: str,
    names: dict[str, str],
    amount: int,
    currency: str,
) -> _TeamPlan:
    facts = (district.id, sector, tuple(sorted(names.items())), amount, currency)
    if existing is None:
        team = _New(
            ProjectTeam,
            slug=slug,
            district_id=district.id,
            sector=sector,
            name=names,
            funding_amount=amount,
            funding_currency=currency,
        )
        row.action = "create"
        result.writes.append((0, _adder(team)))
        return _TeamPlan(team, row.line, facts)
    values = {
        "district_id": district.id,
        "sector": sector,
        "name": _merged(existing.name, names),
        "funding_amount": amount,
        "funding_currency": currency,
    }
    if any(getattr(existing, k) != v for k, v in values.items()):
        row.action = "update"
        result.writes.append((0, _setter(existing, **values)))
    return _TeamPlan(existing, row.line, facts)


def _plan_project(
    result: Plan,
    row: Row,
    team_plan: _TeamPlan,
    booth_slugs: set[str],
    titles: dict[str, str],
    summaries: dict[str, str],
    stage: str,
    amount: int,
    currency: str,
) -> None:
    team = team_plan.team
    if team_plan.booth is None:  # the team's booth, created as a draft for its projects
        slug = f"team-{team.slug}"[:64]
        n = 2
        while slug in booth_slugs:
            slug, n = f"team-{team.slug}"[:60] + f"-{n}", n + 1
        booth_slugs.add(slug)
        team_plan.booth = _New(booths.Booth, slug=slug, kind="team", status="draft", name={}, sector=None)
        booth = team_plan.booth

        def add_booth(session: AsyncSession) -> object:
            booth.team_id, booth.district_id, booth.sector, booth.name = (
                team.id,
                team.district_id,
                team.sector,
                dict(team.name),
            )
            return booth

        result.writes.append((1, add_booth))
    match = next(
        (p for p in team_plan.projects if any(p.title.get(code) == text for code, text in titles.items())),
        None,
    )
    usd = booths.to_usd(amount, currency)
    values = {"stage": stage, "funding_amount": amount, "funding_currency": currency, "funding_usd": usd}
    if match is None:
        project = _New(booths.Project, title=titles, summary=summaries, **values)
        team_plan.projects.append(project)
        booth = team_plan.booth
        if row.action == "unchanged":
            row.action = "create"

        def add_project(session: AsyncSession) -> object:
            project.booth_id, project.team_id = booth.id, team.id
            project.district_id, project.sector = team.district_id, team.sector
            project.languages = "," + ",".join(sorted(code for code, v in project.title.items() if v)) + ","
            return project

        result.reindex.append(project)
        result.writes.append((2, add_project))
        return
    new = {**values, "title": _merged(match.title, titles), "summary": _merged(match.summary, summaries)}
    if match.id is not None and any(getattr(match, k) != v for k, v in new.items()):
        if row.action == "unchanged":
            row.action = "update"
        result.writes.append((0, _setter(match, **new, updated_at=utcnow())))
        result.reindex.append(match)


async def _plan_investors(
    session: AsyncSession, sheet: Sheet, result: Plan, translate: Callable[[str, str], str]
) -> None:
    invited = {i.email: i for i in (await session.scalars(select(InvestorInvite))).all()}
    accounts = set((await session.scalars(select(User.email))).all())
    seen: dict[str, int] = {}
    for row, record in _records(sheet, result, "email"):
        email = record.get("email", "").strip().lower()
        if not EMAIL.match(email):
            row.refuse(_("“%(value)s” is not an email address."), value=email[:80])
        elif email in seen:
            row.refuse(_("%(value)s is already on row %(line)s."), value=email, line=seen[email])
        name = record.get("name", "").strip()
        if not name or len(name) > 120:
            row.refuse(_("name is required (at most 120 characters)."))
        organization = record.get("organization", "").strip()[:160]
        country = record.get("country", "").strip().upper()
        if country and country not in COUNTRIES:
            row.refuse(_("Unknown country “%(value)s”: use a two-letter code such as JP or DE."), value=country[:20])
        language = LANGS.get(record.get("language", "").strip().lower().replace("-", "_"), "")
        if record.get("language") and not language:
            row.refuse(
                _("Unknown language “%(value)s”: use one of %(choices)s."),
                value=record["language"][:20],
                choices=", ".join(SHIPPED_LOCALES),
            )
        sectors = [s.strip().lower() for s in record.get("sectors", "").replace(",", ";").split(";") if s.strip()]
        unknown = [s for s in sectors if s not in SECTOR_NAMES]
        if unknown:
            row.refuse(_("Unknown sector “%(value)s”: use one of the codes in the template."), value=unknown[0][:70])
        if row.action == "refuse":
            continue
        seen[email] = row.line
        codes = sorted({SECTOR_NAMES[s] for s in sectors})
        if email in accounts:
            row.reasons.append((_("Already has an account: not invited again."), {}))
            continue
        values = {
            "name": name,
            "organization": organization,
            "country": country,
            "locale": language or "en",
            "sectors": codes,
        }
        existing = invited.get(email)
        if existing is None:
            row.action = "create"
            result.writes.append(
                (0, _invite(_New(InvestorInvite, email=email, **values), translate, result.public_url))
            )
        elif any(getattr(existing, k) != v for k, v in values.items()):
            row.action = "update"
            result.writes.append((0, _setter(existing, **values, updated_at=utcnow())))


REGISTER_PATH = "/register"


def _invite(
    invite: InvestorInvite, translate: Callable[[str, str], str], public_url: str
) -> Callable[[AsyncSession], object]:
    def write(session: AsyncSession) -> object:
        gettext = lambda message: translate(invite.locale, message)  # noqa: E731
        outbox.queue(
            session,
            invite.email,
            gettext(_("You are invited to the online investment expo")),
            gettext(_("Meet the districts and project teams of the expo online. Register here:"))
            + f"\n\n{public_url}{REGISTER_PATH}?email={invite.email}&lang={invite.locale}\n",
        )
        return invite

    return write


async def apply(session: AsyncSession, result: Plan) -> None:
    """Runs the plan's writes in the caller's transaction (flushing; the caller commits).
    Teams and booths are flushed before the projects that point to them."""
    for phase in (0, 1, 2):
        new: dict[type, list[Any]] = {}
        for when, write in result.writes:
            if when == phase:
                obj = write(session)
                if isinstance(obj, _New):
                    new.setdefault(obj.model, []).append(obj)
        await session.flush()
        for model, objs in new.items():
            await _insert_all(session, model, objs)
    for project in result.reindex:
        await booths.index_project(session, project)


BATCH = 200


async def _insert_all(session: AsyncSession, model: type, objs: list[Any]) -> None:
    """Inserts new rows in batches with Core (the ORM's one round trip per row is ~50x
    slower on aiosqlite), then gives each object its id: looked up by the table's unique
    key (slug, email), or for projects returned with their booth and title (unique within
    one import: the plan refuses a second project of the same title in a team)."""
    table = model.__table__  # type: ignore[attr-defined]
    columns = [c for c in table.c if c.key != "id"]
    key = next((k for k in ("slug", "email") if k in table.c), None)
    for start in range(0, len(objs), BATCH):
        chunk = objs[start : start + BATCH]
        rows = [{c.key: _value(o, c) for c in columns} for o in chunk]
        if key is not None:
            await session.execute(table.insert(), rows)
            found = select(table.c[key], table.c.id).where(table.c[key].in_([getattr(o, key) for o in chunk]))
            ids = dict((await session.execute(found)).all())
            for o in chunk:
                o.id = ids[getattr(o, key)]
            continue
        statement = table.insert().values(rows).returning(table.c.id, table.c.booth_id, table.c.title)
        returned = {(b, json.dumps(t, sort_keys=True)): i for i, b, t in (await session.execute(statement)).all()}
        for o in chunk:
            o.id = returned[(o.booth_id, json.dumps(o.title, sort_keys=True))]


def _value(obj: object, column: Any) -> object:
    value = getattr(obj, column.key)
    if value is None and column.default is not None:  # what the ORM would have filled in
        arg = column.default.arg
        return arg(None) if column.default.is_callable else arg
    return value


# --- exports: the same columns, so an export imports back as "unchanged" ---------------


def _text_cells(value: Mapping[str, str]) -> list[str]:
    return [value.get(code, "") for code in LANGS.values()]


async def export_rows(session: AsyncSession, kind: str) -> tuple[list[str], list[list[object]]]:
    header = COLUMNS[kind]
    rows: list[list[object]] = []
    if kind == "districts":
        for d in (await session.scalars(select(District).order_by(District.slug))).all():
            rows.append([d.slug, d.kind, *_text_cells(d.name), *_text_cells(d.summary or {})])
    elif kind == "teams":
        districts = {d.id: d.slug for d in (await session.scalars(select(District))).all()}
        team_booths = {
            b.id: b.team_id
            for b in (await session.scalars(select(booths.Booth).where(booths.Booth.kind == "team"))).all()
        }
        projects: dict[int, list[Any]] = {}
        for p in (await session.scalars(select(booths.Project).order_by(booths.Project.id))).all():
            team_id = team_booths.get(p.booth_id)
            if team_id is not None:
                projects.setdefault(team_id, []).append(p)
        for t in (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.slug))).all():
            team_cells = [
                t.slug,
                districts.get(t.district_id, ""),
                t.sector,
                *_text_cells(t.name),
                t.funding_amount,
                t.funding_currency,
            ]
            for p in projects.get(t.id) or [None]:
                if p is None:
                    rows.append([*team_cells, *[""] * (len(header) - len(team_cells))])
                else:
                    rows.append(
                        [
                            *team_cells,
                            *_text_cells(p.title),
                            *_text_cells(p.summary or {}),
                            p.stage,
                            p.funding_amount,
                            p.funding_currency,
                        ]
                    )
    else:
        for i in (await session.scalars(select(InvestorInvite).order_by(InvestorInvite.email))).all():
            rows.append([i.email, i.name, i.organization, i.country, i.locale, ";".join(i.sectors)])
    return header, rows


def template_rows(kind: str) -> tuple[list[str], list[list[object]]]:
    header = COLUMNS[kind]
    return header, [[example.get(column, "") for column in header] for example in EXAMPLES[kind]]
