"""The project catalogue and the booth directory: filters, full-text search, paging.

``Filters.parse`` turns query parameters into checked filters (``InvalidFilter`` names the
bad one: unknown sector, stage, currency, district or language, negative amount…);
``projects``/``booths`` run them. Only published booths and their projects are listed.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths import search
from booths.models import Booth, Project
from booths.taxonomy import CURRENCIES, MAX_AMOUNT, STAGES, to_usd
from expo.fair.models import District
from expo.fair.sectors import SECTORS
from i18n import N_, SHIPPED_LOCALES

MAX_PER_PAGE = 100


class InvalidFilter(ValueError):
    """A bad filter value: ``name``/``message`` of the first, ``errors`` of every field
    (``Filters.parse`` reports all of them at once, for the form)."""

    def __init__(self, name: str, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.errors = dict(errors or {name: message})


def _amount(raw: str, name: str) -> int | None:
    raw = raw.replace(",", "").replace("_", "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidFilter(name, N_("Enter a whole number.")) from None
    if value < 0:
        raise InvalidFilter(name, N_("Amounts cannot be negative."))
    if value > MAX_AMOUNT:
        raise InvalidFilter(name, N_("This amount is too large."))
    return value


def _int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidFilter(name, N_("Enter a whole number.")) from None
    if not low <= value <= high:
        raise InvalidFilter(name, N_("This number is out of range."))
    return value


@dataclass
class Filters:
    q: str = ""
    sector: str = ""
    stage: str = ""
    district: str = ""  # slug
    content_lang: str = ""
    currency: str = "USD"
    amount_min: int | None = None
    amount_max: int | None = None
    page: int = 1
    per_page: int = 20
    args: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params: Mapping[str, str], districts: Mapping[str, int]) -> "Filters":
        """The filters of a query string, or InvalidFilter naming every bad field."""
        f = cls.typed(params)
        errors: dict[str, str] = {}

        def check(name: str, bad: bool, message: str) -> None:
            if bad:
                errors.setdefault(name, message)

        check("sector", bool(f.sector) and f.sector not in SECTORS, N_("Unknown sector."))
        check("stage", bool(f.stage) and f.stage not in STAGES, N_("Unknown investment stage."))
        check("district", bool(f.district) and f.district not in districts, N_("Unknown district or zone."))
        check("content_lang", bool(f.content_lang) and f.content_lang not in SHIPPED_LOCALES, N_("Unknown language."))
        check("currency", f.currency not in CURRENCIES, N_("Unknown currency."))
        for name in ("amount_min", "amount_max"):
            try:
                setattr(f, name, _amount(params.get(name) or "", name))
            except InvalidFilter as exc:
                errors[name] = exc.message
        if f.amount_min is not None and f.amount_max is not None and f.amount_min > f.amount_max:
            errors["amount_max"] = N_("The maximum must not be below the minimum.")
        for name, default, high in (("page", 1, 100_000), ("per_page", 20, MAX_PER_PAGE)):
            try:
                setattr(f, name, _int(params.get(name), name, default, 1, high))
            except InvalidFilter as exc:
                errors[name] = exc.message
        if errors:
            first = next(iter(errors))
            raise InvalidFilter(first, errors[first], errors)
        return f

    @classmethod
    def typed(cls, params: Mapping[str, str]) -> "Filters":
        """The values as typed (unchecked), to show the form again with a bad value."""
        get = lambda name: (params.get(name) or "").strip()  # noqa: E731
        f = cls(q=get("q")[: search.MAX_QUERY_CHARS])
        f.sector, f.stage, f.district = get("sector"), get("stage"), get("district")
        f.content_lang = get("content_lang")
        f.currency = get("currency") or "USD"
        f.args = {
            k: v
            for k, v in (
                ("q", f.q),
                ("sector", f.sector),
                ("stage", f.stage),
                ("district", f.district),
                ("content_lang", f.content_lang),
                ("currency", get("currency")),
                ("amount_min", get("amount_min")[:40]),
                ("amount_max", get("amount_max")[:40]),
            )
            if v
        }
        return f


async def district_slugs(session: AsyncSession) -> dict[str, int]:
    return {slug: id_ for slug, id_ in (await session.execute(select(District.slug, District.id))).all()}


CANDIDATES = 500  # a search counts, ranks and pages at most this many matching projects


def _project_query(f: Filters, districts: Mapping[str, int], dialect: str) -> tuple[Select, search.Query]:
    query = (
        select(Project, Booth, District)
        .join(Booth, Booth.id == Project.booth_id)
        .join(District, District.id == Project.district_id)
        .where(Booth.status == "published")
    )
    if f.sector:
        query = query.where(Project.sector == f.sector)
    if f.stage:
        query = query.where(Project.stage == f.stage)
    if f.district:
        query = query.where(Project.district_id == districts[f.district])
    if f.content_lang:
        query = query.where(Project.languages.contains(f",{f.content_lang},"))
    if f.amount_min is not None:
        query = query.where(Project.funding_usd >= to_usd(f.amount_min, f.currency))
    if f.amount_max is not None:
        query = query.where(Project.funding_usd <= to_usd(f.amount_max, f.currency))
    parsed = search.Query(f.q)
    if parsed:
        query = query.where(search.matching(dialect, parsed))
    return query, parsed


@dataclass
class Results:
    """A page of projects. ``total`` is exact unless ``capped``: then more than ``total``
    (= CANDIDATES) projects match the search, and only the first CANDIDATES of them that
    the engine finds are ranked and reachable by paging; the visitor is asked to narrow
    the search."""

    rows: list[tuple[Project, Booth, District]]
    total: int
    capped: bool = False


async def projects(session: AsyncSession, f: Filters, districts: Mapping[str, int], *, paged: bool = True) -> Results:
    """Published projects matching ``f`` (best match first when searching), and the count.

    Without a search: ordered by funding sought, exact count. With a search: the first
    CANDIDATES + 1 matching ids (cheap on both engines) give the count (capped)
    and the candidate set; only the candidates are ranked (bm25 / ts_rank), so a broad
    query (one CJK character, a short prefix) costs no more than a narrow one."""
    dialect = session.bind.dialect.name
    query, parsed = _project_query(f, districts, dialect)
    limit = f.per_page if paged else None
    offset = (f.page - 1) * f.per_page if paged else 0
    if not parsed:
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.order_by(Project.funding_usd.desc(), Project.id)
        if paged:
            query = query.limit(limit).offset(offset)
        return Results(list((await session.execute(query)).all()), total)
    ids_query = query.with_only_columns(Project.id).limit(CANDIDATES + 1)
    if dialect != "postgresql":
        # SQLite walks the matches in id order anyway. On PostgreSQL an ORDER BY would make
        # it fetch and recheck every match (40 ms for "医"); without it the bitmap scan stops
        # after CANDIDATES + 1 rows, in table order (stable for a given query and plan).
        ids_query = ids_query.order_by(Project.id)
    ids = list((await session.scalars(ids_query)).all())
    capped = len(ids) > CANDIDATES
    ids = ids[:CANDIDATES]
    if not ids:
        return Results([], 0)
    rows_query = (
        select(Project, Booth, District)
        .join(Booth, Booth.id == Project.booth_id)
        .join(District, District.id == Project.district_id)
    )
    if dialect == "postgresql":  # the filters are already applied: rank the candidates only
        page = rows_query.where(Project.id.in_(ids)).order_by(search.rank_order(dialect, parsed), Project.id)
        if paged:
            page = page.limit(limit).offset(offset)
        rows = list((await session.execute(page)).all())
    else:
        best = await search.ranked_ids(session, parsed, ids, limit, offset)
        found = {row[0].id: row for row in (await session.execute(rows_query.where(Project.id.in_(best)))).all()}
        rows = [found[i] for i in best if i in found]
    return Results(rows, len(ids), capped)


async def booths(
    session: AsyncSession,
    *,
    district_id: int | None = None,
    sector: str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[tuple[Booth, District]], int]:
    """Published booths, optionally of one district/zone, sector or kind."""
    query = select(Booth, District).join(District, District.id == Booth.district_id).where(Booth.status == "published")
    if district_id is not None:
        query = query.where(Booth.district_id == district_id)
    if sector:
        query = query.where(Booth.sector == sector)
    if kind:
        query = query.where(Booth.kind == kind)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(Booth.kind, Booth.id).limit(per_page).offset((page - 1) * per_page)
    return list((await session.execute(query)).all()), total
