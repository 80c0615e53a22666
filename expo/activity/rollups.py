"""Rollups of the activity log: counts per hour and per day, kept as events are recorded.

:func:`bump` runs inside :func:`expo.activity.record` (the caller's transaction), as one
multi-row ``INSERT … ON CONFLICT DO UPDATE SET count = count + 1`` on SQLite and PostgreSQL:
an event and its counts are committed together or not at all. Seven cells per event:

- (hour, kind, district)            totals over time (charts by hour or day);
- (day, kind, district)             totals of a period;
- (day, kind, district, sector)     the breakdown by sector;
- (day, kind, district, country)    the breakdown by investor country;
- the same three per month             (a year's figures read ~12 buckets, not 365).

:func:`rebuild` recomputes every cell from the log (after a bulk load, or to check them).
Readers query :class:`~expo.activity.models.Rollup` through :func:`series` and
:func:`breakdown`; figures that need distinct people ("visitors now") read the log itself
over a few minutes, which the ``(kind, at)`` index answers quickly.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from expo.activity.models import Event, Rollup

DIMENSIONS = ("sector", "country")


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def day_of(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def month_of(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


BUCKET = {"hour": hour_of, "day": day_of, "month": month_of}


def cells(kind: str, at: datetime, district_id: int | None, sector: str, country: str) -> list[dict[str, object]]:
    base = {"kind": kind, "district_id": district_id or 0, "count": 1}
    result = [{**base, "grain": "hour", "bucket": hour_of(at), "dim": "", "value": ""}]
    for grain in ("day", "month"):
        bucket = BUCKET[grain](at)
        result += [
            {**base, "grain": grain, "bucket": bucket, "dim": "", "value": ""},
            {**base, "grain": grain, "bucket": bucket, "dim": "sector", "value": sector or ""},
            {**base, "grain": grain, "bucket": bucket, "dim": "country", "value": country or ""},
        ]
    return result


def _upsert(dialect: str, rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Rollup).values(rows)
    return statement.on_conflict_do_update(
        index_elements=["grain", "kind", "bucket", "district_id", "dim", "value"],
        set_={"count": Rollup.count + statement.excluded.count},
    )


async def bump(session: AsyncSession, event: Event) -> None:
    rows = cells(event.kind, event.at, event.district_id, event.sector, event.country)
    await session.execute(_upsert(session.bind.dialect.name, rows))


async def rebuild(session: AsyncSession) -> int:
    """Recomputes every rollup cell from the log in SQL (in the caller's transaction);
    returns the number of cells."""
    await session.execute(delete(Rollup))
    district = func.coalesce(Event.district_id, 0)
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        truncs = {g: func.date_trunc(g, Event.at) for g in ("hour", "day", "month")}
    else:  # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"
        truncs = {
            "hour": func.strftime("%Y-%m-%d %H:00:00.000000", Event.at),
            "day": func.strftime("%Y-%m-%d 00:00:00.000000", Event.at),
            "month": func.strftime("%Y-%m-01 00:00:00.000000", Event.at),
        }
    hour = truncs["hour"]
    parts = [
        select(literal("hour"), hour, Event.kind, district, literal(""), literal(""), func.count()).group_by(
            hour, Event.kind, district
        )
    ]
    for grain in ("day", "month"):
        bucket = truncs[grain]
        parts.append(
            select(literal(grain), bucket, Event.kind, district, literal(""), literal(""), func.count()).group_by(
                bucket, Event.kind, district
            )
        )
        for dim in DIMENSIONS:
            column = getattr(Event, dim)
            parts.append(
                select(literal(grain), bucket, Event.kind, district, literal(dim), column, func.count()).group_by(
                    bucket, Event.kind, district, column
                )
            )
    columns = ["grain", "bucket", "kind", "district_id", "dim", "value", "count"]
    await session.execute(Rollup.__table__.insert().from_select(columns, union_all(*parts)))
    return int(await session.scalar(select(func.count()).select_from(Rollup)) or 0)


def _scoped(statement, district_id: int | None):  # type: ignore[no-untyped-def]
    return statement if district_id is None else statement.where(Rollup.district_id == district_id)


async def series(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    grain: str,
    since: datetime,
    until: datetime,
    district_id: int | None = None,
) -> dict[tuple[str, datetime], int]:
    """{(kind, bucket start): count} for buckets in [since, until)."""
    statement = (
        select(Rollup.kind, Rollup.bucket, func.sum(Rollup.count))
        .where(
            Rollup.grain == grain,
            Rollup.dim == "",
            Rollup.kind.in_(list(kinds)),
            Rollup.bucket >= since,
            Rollup.bucket < until,
        )
        .group_by(Rollup.kind, Rollup.bucket)
    )
    rows = await session.execute(_scoped(statement, district_id))
    return {(kind, bucket): int(n) for kind, bucket, n in rows.all()}


async def breakdown(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    by: str,
    since: datetime,
    until: datetime,
    district_id: int | None = None,
    grain: str = "day",
) -> dict[tuple[str, object], int]:
    """{(kind, value): count} over the days (or months) in [since, until); ``by`` is
    "district", "sector" or "country" (district: the value is the district id, 0 for none)."""
    if by == "district":
        key, dim = Rollup.district_id, ""
    elif by in DIMENSIONS:
        key, dim = Rollup.value, by
    else:
        raise ValueError(by)
    statement = (
        select(Rollup.kind, key, func.sum(Rollup.count))
        .where(
            Rollup.grain == grain,
            Rollup.dim == dim,
            Rollup.kind.in_(list(kinds)),
            Rollup.bucket >= BUCKET[grain](since),
            Rollup.bucket < until,
        )
        .group_by(Rollup.kind, key)
    )
    rows = await session.execute(_scoped(statement, district_id))
    return {(kind, value): int(n) for kind, value, n in rows.all()}


async def peak_hour(
    session: AsyncSession, *, kind: str, since: datetime, district_id: int | None = None
) -> tuple[datetime | None, int]:
    """The busiest hour of ``kind`` since ``since`` (all districts summed) and its count."""
    total = func.sum(Rollup.count).label("n")
    statement = (
        select(Rollup.bucket, total)
        .where(Rollup.grain == "hour", Rollup.kind == kind, Rollup.bucket >= hour_of(since))
        .group_by(Rollup.bucket)
        .order_by(total.desc())
        .limit(1)
    )
    row = (await session.execute(_scoped(statement, district_id))).first()
    return (row[0], int(row[1])) if row else (None, 0)


async def distinct_users(
    session: AsyncSession, *, kinds: Sequence[str], window: timedelta, now: datetime, district_id: int | None = None
) -> int:
    """People (distinct user ids) with an event of ``kinds`` in the last ``window``."""
    statement = select(func.count(func.distinct(Event.user_id))).where(
        Event.kind.in_(list(kinds)), Event.at >= now - window, Event.user_id.is_not(None)
    )
    if district_id is not None:
        statement = statement.where(Event.district_id == district_id)
    return int(await session.scalar(statement) or 0)
