"""The numbers: the board's columns, the city office's figures, and what time in stage and
conversion the stage log says.

Counting rule everywhere: a signed or funded deal counts only once the city office confirmed
it; until then it shows on the board marked "awaiting confirmation" and is left out of totals.
Amounts are summed per currency by the database and converted to CNY (and USD) here, at the
rates of ``Config`` (stated on every page that shows a total).
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.pipeline.config import Config
from expo.pipeline.flags import flag_condition
from expo.pipeline.models import Deal, Problem, StageChange
from expo.pipeline.stages import CONFIRMED_BY_CITY, OPEN_STATUSES, ORDER, STAGES

CARDS_PER_COLUMN = 25
# What a card shows: read as plain rows (no ORM objects), the cards index gives the order.
CARD_COLUMNS = (
    Deal.id, Deal.title, Deal.investor_company, Deal.investor_country, Deal.amount_agreed, Deal.currency,
    Deal.owner_id, Deal.next_action, Deal.next_action_due, Deal.stage, Deal.status, Deal.confirmed,
    Deal.version, Deal.stage_entered_at,
)  # fmt: skip


def counts_condition() -> ColumnElement[bool]:
    """A deal counts at its stage: open (or landed/funded) and, for signed/funded, confirmed."""
    return or_(Deal.confirmed.is_(True), Deal.stage.not_in(sorted(CONFIRMED_BY_CITY)))


@dataclass
class Column:
    stage: str
    count: int = 0
    awaiting: int = 0
    cny: float = 0.0
    cards: list[Any] = field(default_factory=list)  # rows of CARD_COLUMNS


async def board(
    session: AsyncSession, district_id: int | None, config: Config, *, owner_id: int | None = None
) -> list[Column]:
    """The board: one column per stage with its open deals (the first cards, by next action
    date) and its totals (count, agreed amount in CNY) over every open deal of the column."""
    where: list[ColumnElement[bool]] = [Deal.status.in_(sorted(OPEN_STATUSES))]
    if district_id is not None:
        where.append(Deal.district_id == district_id)
    if owner_id is not None:
        where.append(Deal.owner_id == owner_id)
    columns = {stage: Column(stage) for stage in STAGES}
    # Grouped by status as well and filtered here, so that the query reads only the covering
    # board index from its district prefix (an IN on status would make SQLite pick another).
    scope = where[1:]  # the district / owner conditions
    totals = select(
        Deal.status,
        Deal.stage,
        Deal.confirmed,
        Deal.currency,
        func.count(),
        func.coalesce(func.sum(Deal.amount_agreed), 0),
    ).where(*scope)
    grouped = totals.group_by(Deal.status, Deal.stage, Deal.confirmed, Deal.currency)
    for status, stage, confirmed, currency, n, amount in (await session.execute(grouped)).all():
        if status not in OPEN_STATUSES:
            continue
        column = columns[stage]
        if stage in CONFIRMED_BY_CITY and not confirmed:
            column.awaiting += n
            continue
        column.count += n
        column.cny += config.cny(amount, currency)
    for stage in STAGES:
        columns[stage].cards = await _cards(session, where, stage)
    return list(columns.values())


async def _cards(session: AsyncSession, where: list[ColumnElement[bool]], stage: str) -> list[Any]:
    """The first cards of a column: dated next actions first (soonest first), then the undated."""
    dated = (
        select(*CARD_COLUMNS)
        .where(*where, Deal.stage == stage, Deal.next_action_due.is_not(None))
        .order_by(Deal.next_action_due, Deal.id)
        .limit(CARDS_PER_COLUMN)
    )
    cards = list((await session.execute(dated)).all())
    if len(cards) < CARDS_PER_COLUMN:
        undated = (
            select(*CARD_COLUMNS)
            .where(*where, Deal.stage == stage, Deal.next_action_due.is_(None))
            .order_by(Deal.id)
            .limit(CARDS_PER_COLUMN - len(cards))
        )
        cards += list((await session.execute(undated)).all())
    return cards


# ---- figures from the log ----------------------------------------------------------------

STAGE_ORDER = case({stage: position for stage, position in ORDER.items()}, value=StageChange.to_stage, else_=-1)


async def reached(session: AsyncSession, district_id: int | None) -> dict[str, int]:
    """How many deals ever reached each stage or a later one (from the log)."""
    furthest = (
        select(StageChange.deal_id, func.max(STAGE_ORDER).label("furthest"))
        .where(StageChange.kind.in_(("create", "stage")))
        .group_by(StageChange.deal_id)
    )
    if district_id is not None:
        furthest = furthest.where(StageChange.district_id == district_id)
    sub = furthest.subquery()
    grouped = await session.execute(select(sub.c.furthest, func.count()).group_by(sub.c.furthest))
    rows: dict[int | None, int] = {position: int(n) for position, n in grouped.all()}
    out = {}
    for stage, position in ORDER.items():
        out[stage] = sum(n for p, n in rows.items() if p is not None and p >= position)
    return out


def conversion(reach: dict[str, int]) -> dict[str, float | None]:
    """Share of the deals that reached a stage which went on to reach the next one."""
    out: dict[str, float | None] = {}
    for here, there in zip(STAGES, STAGES[1:], strict=False):
        out[here] = reach[there] / reach[here] if reach[here] else None
    return out


def stays(entries: list[tuple[int, str, datetime]], now: datetime) -> dict[str, list[float]]:
    """Days spent in each stage, from (deal id, stage entered, when) log entries ordered by
    deal and time. A stay ends when the deal enters another stage; stays still running are
    left out, so the median is over finished stays."""
    finished: dict[str, list[float]] = defaultdict(list)
    previous: tuple[int, str, datetime] | None = None
    for entry in entries:
        if previous is not None and previous[0] == entry[0]:
            finished[previous[1]].append((entry[2] - previous[2]).total_seconds() / 86400)
        previous = entry
    return finished


async def median_days(session: AsyncSession, district_id: int | None, now: datetime) -> dict[str, float | None]:
    statement = (
        select(StageChange.deal_id, StageChange.to_stage, StageChange.at)
        .where(StageChange.kind.in_(("create", "stage")))
        .order_by(StageChange.deal_id, StageChange.at, StageChange.id)
    )
    if district_id is not None:
        statement = statement.where(StageChange.district_id == district_id)
    finished = stays([tuple(row) for row in (await session.execute(statement)).all()], now)  # type: ignore[misc]
    return {stage: (statistics.median(finished[stage]) if finished.get(stage) else None) for stage in STAGES}


@dataclass
class Numbers:
    by_stage: dict[str, int]
    awaiting: int
    by_district: dict[int, dict[str, int]]
    agreed_cny: float
    arrived_cny: float
    jobs: int
    open_problems: int
    overdue_problems: int
    no_next_action: int
    overdue_actions: int
    stale: int
    conversion: dict[str, float | None]
    median_days: dict[str, float | None]
    reached: dict[str, int]
    history_at: datetime


@dataclass(frozen=True)
class LogFigures:
    """What only the whole stage log can say (slow on a big log: the views cache it)."""

    reached: dict[str, int]
    conversion: dict[str, float | None]
    median_days: dict[str, float | None]
    computed_at: datetime


async def log_figures(session: AsyncSession, district_id: int | None, now: datetime) -> LogFigures:
    reach = await reached(session, district_id)
    return LogFigures(reach, conversion(reach), await median_days(session, district_id, now), now)


async def numbers(
    session: AsyncSession,
    district_id: int | None,
    config: Config,
    today: date,
    now: datetime,
    history: LogFigures | None = None,
) -> Numbers:
    scope = [Deal.district_id == district_id] if district_id is not None else []
    live = [*scope, Deal.status.in_(sorted(OPEN_STATUSES))]
    by_stage = dict.fromkeys(STAGES, 0)
    by_district: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STAGES, 0))
    awaiting = 0
    for district, stage, confirmed, n in (
        await session.execute(
            select(Deal.district_id, Deal.stage, Deal.confirmed, func.count())
            .where(*live)
            .group_by(Deal.district_id, Deal.stage, Deal.confirmed)
        )
    ).all():
        if stage in CONFIRMED_BY_CITY and not confirmed:
            awaiting += n
            continue
        by_stage[stage] += n
        by_district[district][stage] += n
    agreed = arrived = 0.0
    jobs = 0
    for currency, a, b, j in (
        await session.execute(
            select(
                Deal.currency,
                func.coalesce(func.sum(Deal.amount_agreed), 0),
                func.coalesce(func.sum(Deal.amount_arrived), 0),
                func.coalesce(func.sum(Deal.jobs), 0),
            )
            .where(*live, counts_condition(), Deal.stage.in_(("signed", "landed", "funded")))
            .group_by(Deal.currency)
        )
    ).all():
        agreed += config.cny(a, currency)
        arrived += config.cny(b, currency)
        jobs += int(j)
    problem_scope = [Problem.district_id == district_id] if district_id is not None else []
    open_problems, overdue_problems = (
        await session.execute(
            select(func.count(), func.count().filter(Problem.deadline < today)).where(
                Problem.closed_at.is_(None), *problem_scope
            )
        )
    ).one()

    async def flagged(flag: str) -> int:
        return int(await session.scalar(select(func.count()).where(*scope, flag_condition(flag, today, config))) or 0)

    history = history or await log_figures(session, district_id, now)
    return Numbers(
        by_stage=by_stage,
        awaiting=awaiting,
        by_district=dict(by_district),
        agreed_cny=agreed,
        arrived_cny=arrived,
        jobs=jobs,
        open_problems=int(open_problems),
        overdue_problems=int(overdue_problems),
        no_next_action=await flagged("no_next_action"),
        overdue_actions=await flagged("overdue"),
        stale=await flagged("stale"),
        conversion=history.conversion,
        median_days=history.median_days,
        reached=history.reached,
        history_at=history.computed_at,
    )


def deals_filter(
    *,
    district_id: int | None = None,
    stage: str | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    sector: str | None = None,
    flag: str | None = None,
    awaiting: bool = False,
    query: str = "",
    today: date,
    config: Config,
) -> list[ColumnElement[bool]]:
    """The list's and the API's filters as SQL conditions."""
    where: list[ColumnElement[bool]] = []
    if district_id is not None:
        where.append(Deal.district_id == district_id)
    if stage:
        where.append(Deal.stage == stage)
    if status:
        where.append(Deal.status == status)
    if owner_id is not None:
        where.append(Deal.owner_id == owner_id)
    if sector:
        where.append(Deal.sector == sector)
    if flag:
        where.append(flag_condition(flag, today, config))
    if awaiting:
        where.append(and_(Deal.confirmed.is_(False), Deal.stage.in_(sorted(CONFIRMED_BY_CITY))))
    if query:
        like = f"%{query.replace('%', '').replace('_', '')}%"
        where.append(or_(Deal.title.ilike(like), Deal.investor_company.ilike(like), Deal.ref.ilike(like)))
    return where
