"""The district ranking (晾晒): a published formula over figures the stage log gives, and the
monthly snapshot frozen when a month closes.

Figures of a district for a month [start, end):

- ``signed``: signings the city office confirmed in the month;
- ``landed``: deals that entered the landed stage in the month;
- ``funds``: funds arrived (CNY) of the fundings the city office confirmed in the month, at the
  amounts the log recorded with the confirmation;
- ``start_rate``: of the deals at signed, landed or funded at the month's end, the share
  already landed or funded (the notice's 开工率);
- ``overdue``: problems open and past their deadline at the month's end (a penalty).

score = Σ weight × (figure ÷ the largest value of that figure among districts), with
``start_rate`` used as it is (already 0…1) and ``overdue`` subtracted. Weights are the
organizer's (``RankingWeights``); the page shows them and this formula. Districts with equal
scores share a rank.

The current month is computed live from the log (an index on ``at``) and the deals table; a
month that has ended is computed once, as of its end, from the log alone, and stored in
``RankingMonth`` (so later edits never change it), then read from there.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import utcnow
from expo.fair.models import District
from expo.pipeline.config import Config
from expo.pipeline.models import Deal, Problem, RankingMonth, RankingWeights, StageChange
from expo.pipeline.stages import OPEN_STATUSES
from i18n import N_

FIGURES = ("signed", "landed", "funds", "start_rate", "overdue")
FIGURE_LABELS = {
    "signed": N_("Signings confirmed"),
    "landed": N_("Deals landed"),
    "funds": N_("Funds arrived (CNY)"),
    "start_rate": N_("Start rate"),
    "overdue": N_("Overdue problems"),
}
PENALTIES = frozenset({"overdue"})
RATIOS = frozenset({"start_rate"})
DEFAULT_WEIGHTS = {"signed": 30.0, "landed": 20.0, "funds": 30.0, "start_rate": 20.0, "overdue": 10.0}
MAX_WEIGHT = 1000.0


def parse_month(text: str | None, today: date) -> tuple[date, date]:
    """(first day, first day of the next month) of ``YYYY-MM``; ValueError when malformed."""
    if not text:
        start = today.replace(day=1)
    else:
        if len(text) != 7 or text[4] != "-":
            raise ValueError(text)
        start = date(int(text[:4]), int(text[5:]), 1)
        if not 2000 <= start.year <= 2100:
            raise ValueError(text)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def month_key(start: date) -> str:
    return f"{start.year:04d}-{start.month:02d}"


def previous_month(start: date) -> date:
    return date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)


def _instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def weights(session: AsyncSession) -> dict[str, float]:
    row = await session.scalar(select(RankingWeights).order_by(RankingWeights.id.desc()).limit(1))
    out = dict(DEFAULT_WEIGHTS)
    if row is not None:
        out.update({k: float(v) for k, v in row.weights.items() if k in FIGURES})
    return out


def check_weights(data: dict[str, str]) -> dict[str, float]:
    """The weights of a form; ValueError naming the first bad one."""
    out = {}
    for figure in FIGURES:
        raw = (data.get(figure) or "").strip()
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(figure) from None
        if not 0 <= value <= MAX_WEIGHT or value != value:
            raise ValueError(figure)
        out[figure] = value
    return out


async def set_weights(session: AsyncSession, by: User, values: dict[str, float]) -> None:
    session.add(RankingWeights(weights=values, set_by=by.id, set_at=utcnow()))


@dataclass
class Row:
    district_id: int
    figures: dict[str, float]
    score: float
    rank: int
    deal_ids: dict[str, list[int]]


def score(rows: dict[int, dict[str, float]], weight: dict[str, float]) -> dict[int, float]:
    """The published formula (see the module's docstring)."""
    largest = {f: max((r[f] for r in rows.values()), default=0.0) for f in FIGURES}
    out = {}
    for district, figures in rows.items():
        total = 0.0
        for figure in FIGURES:
            if figure in RATIOS:
                part = figures[figure]
            else:
                part = figures[figure] / largest[figure] if largest[figure] else 0.0
            total += (-1 if figure in PENALTIES else 1) * weight.get(figure, 0.0) * part
        out[district] = round(total, 4)
    return out


def ranked(
    rows: dict[int, dict[str, float]], ids: dict[int, dict[str, list[int]]], weight: dict[str, float]
) -> list[Row]:
    scores = score(rows, weight)
    order = sorted(rows, key=lambda d: (-scores[d], d))
    out: list[Row] = []
    for position, district in enumerate(order, start=1):
        rank = out[-1].rank if out and out[-1].score == scores[district] else position
        out.append(Row(district, rows[district], scores[district], rank, ids.get(district, {})))
    return out


async def _logged(
    session: AsyncSession, start: datetime, end: datetime, config: Config
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, list[int]]]]:
    """signed, landed and funds of each district in [start, end) from the log."""
    figures: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0.0))
    ids: dict[int, dict[str, list[int]]] = defaultdict(lambda: {f: [] for f in FIGURES})
    statement = select(
        StageChange.district_id,
        StageChange.deal_id,
        StageChange.kind,
        StageChange.to_stage,
        StageChange.currency,
        StageChange.amount_arrived,
    ).where(
        StageChange.at >= start,
        StageChange.at < end,
        or_(
            and_(StageChange.kind == "confirm", StageChange.to_stage.in_(("signed", "funded"))),
            and_(StageChange.kind == "stage", StageChange.to_stage == "landed"),
        ),
    )
    for district, deal, kind, stage, currency, arrived in (await session.execute(statement)).all():
        if kind == "confirm" and stage == "signed":
            figures[district]["signed"] += 1
            ids[district]["signed"].append(deal)
        elif kind == "confirm":
            figures[district]["funds"] += config.cny(arrived, currency)
            ids[district]["funds"].append(deal)
        else:
            figures[district]["landed"] += 1
            ids[district]["landed"].append(deal)
    return figures, ids


async def _stages_now(session: AsyncSession) -> dict[int, dict[str, int]]:
    """How many deals are at signed / landed / funded now, per district (one GROUP BY over the
    board index; the deal ids behind it are read only when someone drills down)."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Grouped by status too and filtered here: the (stage, status, district_id) index covers it.
    statement = (
        select(Deal.stage, Deal.status, Deal.district_id, func.count())
        .where(Deal.stage.in_(("signed", "landed", "funded")))
        .group_by(Deal.stage, Deal.status, Deal.district_id)
    )
    for stage, status, district, n in (await session.execute(statement)).all():
        if status in OPEN_STATUSES:
            out[district][stage] += n
    return out


async def started_now(session: AsyncSession, district_id: int) -> list[int]:
    """The deals behind the live start rate of a district (landed or funded now)."""
    statement = select(Deal.id).where(
        Deal.district_id == district_id, Deal.stage.in_(("landed", "funded")), Deal.status.in_(sorted(OPEN_STATUSES))
    )
    return list((await session.scalars(statement.order_by(Deal.id))).all())


async def _stages_as_of(session: AsyncSession, end: datetime) -> dict[int, dict[str, list[int]]]:
    """The same as of ``end``, from the log alone: each deal's last stage and status entry."""
    last = (
        select(func.max(StageChange.id).label("id"))
        .where(StageChange.at < end, StageChange.kind.in_(("create", "stage", "status")))
        .group_by(StageChange.deal_id)
        .subquery()
    )
    statement = select(StageChange.district_id, StageChange.to_stage, StageChange.to_status, StageChange.deal_id).join(
        last, last.c.id == StageChange.id
    )
    out: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for district, stage, status, deal in (await session.execute(statement)).all():
        if stage in ("signed", "landed", "funded") and (status or "active") in OPEN_STATUSES:
            out[district][stage].append(deal)
    return out


async def _overdue_at(session: AsyncSession, end: datetime) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    statement = select(Problem.district_id, Problem.deal_id).where(
        Problem.created_at < end,
        or_(Problem.closed_at.is_(None), Problem.closed_at >= end),
        Problem.deadline < end.date(),
    )
    for district, deal in (await session.execute(statement)).all():
        out[district].append(deal)
    return out


async def compute(
    session: AsyncSession, start: date, end: date, config: Config, weight: dict[str, float], *, live: bool
) -> list[Row]:
    begin, finish = _instant(start), _instant(end)
    figures, ids = await _logged(session, begin, finish, config)
    stages: dict[int, Any] = await _stages_now(session) if live else await _stages_as_of(session, finish)
    overdue = await _overdue_at(session, min(finish, utcnow()) if live else finish)
    districts = (await session.scalars(select(District.id).order_by(District.id))).all()
    rows: dict[int, dict[str, float]] = {}
    for district in districts:
        row = dict(figures.get(district, dict.fromkeys(FIGURES, 0.0)))
        at = stages.get(district, {})
        count = {stage: (len(v) if isinstance(v, list) else int(v)) for stage, v in at.items()}
        started = count.get("landed", 0) + count.get("funded", 0)
        base = started + count.get("signed", 0)
        row["start_rate"] = round(started / base, 4) if base else 0.0
        row["overdue"] = float(len(overdue.get(district, [])))
        row["funds"] = round(row["funds"], 2)
        rows[district] = row
        entry = ids.setdefault(district, {f: [] for f in FIGURES})
        entry["start_rate"] = [] if live else [*at.get("landed", []), *at.get("funded", [])]  # type: ignore[misc]
        entry["overdue"] = overdue.get(district, [])
    return ranked(rows, {d: dict(v) for d, v in ids.items()}, weight)


async def close_month(
    session: AsyncSession, start: date, config: Config, now: datetime | None = None, *, with_ids: bool = False
) -> list[Row]:
    """Freezes a month that has ended (idempotent: an already frozen month is returned as is)."""
    now = now or utcnow()
    _, end = parse_month(month_key(start), start)
    if _instant(end) > now:
        raise ValueError("the month has not ended")
    frozen = await snapshot(session, month_key(start), with_ids=with_ids)
    if frozen:
        return frozen
    weight = await weights(session)
    rows = await compute(session, start, end, config, weight, live=False)
    for row in rows:
        session.add(
            RankingMonth(
                month=month_key(start),
                district_id=row.district_id,
                rank=row.rank,
                score=row.score,
                figures=row.figures,
                deal_ids=row.deal_ids,
                weights=weight,
                rates=dict(config.rates),
                frozen_at=now,
            )
        )
    await session.flush()
    return rows


async def snapshot(session: AsyncSession, month: str, *, with_ids: bool = False) -> list[Row]:
    """A frozen month's rows; the (large) lists of deal ids only when asked (drill-down)."""
    columns = [RankingMonth.district_id, RankingMonth.figures, RankingMonth.score, RankingMonth.rank]
    if with_ids:
        columns.append(RankingMonth.deal_ids)
    statement = (
        select(*columns).where(RankingMonth.month == month).order_by(RankingMonth.rank, RankingMonth.district_id)
    )
    rows: list[Any] = list((await session.execute(statement)).all())
    return [Row(r[0], dict(r[1]), r[2], r[3], dict(r[4]) if with_ids else {}) for r in rows]


async def ranks(session: AsyncSession, month: str) -> dict[int, int]:
    statement = select(RankingMonth.district_id, RankingMonth.rank).where(RankingMonth.month == month)
    return {district: rank for district, rank in (await session.execute(statement)).all()}


@dataclass
class Ranking:
    month: str
    frozen: bool
    rows: list[Row]
    weights: dict[str, float]
    rates: dict[str, float]
    previous: dict[int, int]  # district → last month's rank


async def ranking(
    session: AsyncSession, start: date, config: Config, now: datetime | None = None, *, with_ids: bool = False
) -> Ranking:
    """A month's ranking: frozen (closing it first if it has ended) or live (this month)."""
    now = now or utcnow()
    _, end = parse_month(month_key(start), start)
    key = month_key(start)
    if _instant(end) <= now:
        rows = await close_month(session, start, config, now, with_ids=with_ids)
        stored = (
            await session.execute(
                select(RankingMonth.weights, RankingMonth.rates).where(RankingMonth.month == key).limit(1)
            )
        ).first()
        weight = dict(stored[0]) if stored else await weights(session)
        rates = dict(stored[1]) if stored else dict(config.rates)
        frozen = True
    elif _instant(start) > now:
        raise ValueError("the month has not started")
    else:
        weight = await weights(session)
        rows = await compute(session, start, end, config, weight, live=True)
        rates, frozen = dict(config.rates), False
    before = previous_month(start)
    previous: dict[int, int] = {}
    if _instant(parse_month(month_key(before), before)[1]) <= now:
        previous = await ranks(session, month_key(before))
        if not previous:  # not frozen yet: freeze it now (once)
            previous = {r.district_id: r.rank for r in await close_month(session, before, config, now)}
    return Ranking(key, frozen, rows, weight, rates, previous)
