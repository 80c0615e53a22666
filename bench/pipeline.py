"""The deal pipeline at city scale: 100,000 deals and 1 million stage-log entries.

    .venv/bin/python bench/pipeline.py [--deals 100000] [--log 1000000] [--runs 60]
                                       [--database-url postgresql+asyncpg://…/db]

Builds a fresh database (SQLite file by default; the PostgreSQL database given is DROPPED and
rebuilt), fills it in bulk, then times, with the domain functions the pages call:

- a district's board (``figures.board``: per-column totals from one GROUP BY over the
  ``(district_id, status, stage)`` index, then the first cards of each column);
- the city ranking of the current month (``ranking.ranking``, live: the month's log entries by
  the ``(at, kind, to_stage)`` index, the current stages from the deals table);
- a closed month's ranking (read from its frozen snapshot).

Baselines measured in the same run, on the same data:

- board, naive: load every open deal of the district and total the columns in Python;
- ranking, naive: recompute the month as of its end from the whole log (what every request
  would cost without the live/snapshot split).

Prints p50 and p99 (ms) for each and the ratio naive ÷ ours. Numbers go in docs/performance.md.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http package: drop bench/ from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from expo.db import Database  # noqa: E402
from expo.migrate import upgrade  # noqa: E402
from expo.pipeline import figures, ranking  # noqa: E402
from expo.pipeline.config import Config  # noqa: E402
from expo.pipeline.models import Deal, StageChange  # noqa: E402
from expo.pipeline.stages import OPEN_STATUSES, STAGES  # noqa: E402

DISTRICTS = 16
NOW = datetime.now(UTC)


async def reset_postgres(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def fill(db: Database, deals: int, entries: int) -> None:
    rng = random.Random(7)
    async with db.session() as session:
        await session.execute(
            text("INSERT INTO districts (id, slug, kind, name, summary) VALUES (:id, :slug, 'zone', :name, :summary)"),
            [{"id": i, "slug": f"d{i}", "name": '{"en": "D"}', "summary": "{}"} for i in range(1, DISTRICTS + 1)],
        )
        await session.commit()
    per_deal = max(entries // deals, 2)
    deal_rows, log_rows = [], []
    log_id = 0
    for deal_id in range(1, deals + 1):
        district = rng.randint(1, DISTRICTS)
        start = NOW - timedelta(days=rng.uniform(5, 365))
        final = rng.choices(range(len(STAGES)), weights=[30, 25, 20, 12, 8, 5])[0]
        status = rng.choices(["active", "delayed", "dormant", "lost", "abandoned"], weights=[70, 10, 8, 7, 5])[0]
        times = sorted(start + (NOW - start) * rng.random() for _ in range(per_deal - 1))
        kinds = ["create"] + ["edit"] * (per_deal - 1)
        for k in range(1, final + 1):  # the stage changes among the entries
            kinds[min(k, per_deal - 1)] = "stage"
        stage, at_list = "target", [start, *times]
        for position, (kind, at) in enumerate(zip(kinds, at_list, strict=True)):
            log_id += 1
            to_stage = stage
            if kind == "stage":
                to_stage = STAGES[STAGES.index(stage) + 1]
            log_rows.append(
                {
                    "id": log_id,
                    "deal_id": deal_id,
                    "district_id": district,
                    "at": at,
                    "kind": kind,
                    "from_stage": "" if position == 0 else stage,
                    "to_stage": to_stage,
                    "from_status": "",
                    "to_status": "active",
                    "reason": "",
                    "how": "hand",
                    "currency": "CNY",
                    "amount_agreed": 10_000_000,
                    "amount_arrived": 0,
                    "by_user_id": None,
                }
            )
            if kind == "stage" and to_stage in ("signed", "funded"):
                log_id += 1
                log_rows.append(
                    {
                        **log_rows[-1],
                        "id": log_id,
                        "kind": "confirm",
                        "from_stage": to_stage,
                        "at": at + timedelta(hours=1),
                    }
                )
            stage = to_stage
        deal_rows.append(
            {
                "id": deal_id,
                "ref": None,
                "title": f"Deal {deal_id}",
                "investor_company": "Co",
                "investor_country": "JP",
                "contact_name": "",
                "contact_email": "",
                "contact_phone": "",
                "investor_user_id": None,
                "district_id": district,
                "team_id": None,
                "sector": "biomedicine",
                "currency": rng.choice(["CNY", "USD"]),
                "amount_agreed": rng.randint(1, 500) * 1_000_000,
                "amount_arrived": 0,
                "jobs": 10,
                "land_needed": False,
                "site": "",
                "likelihood": 50,
                "expected_date": None,
                "owner_id": None,
                "service_city_lead": "",
                "service_district_lead": "",
                "service_liaison": "",
                "source": "typed",
                "stage": stage,
                "status": status,
                "lost_reason": "",
                "lost_to": "",
                "confirmed": True,
                "stage_entered_at": at_list[min(final, per_deal - 1)],
                "next_action": "call" if deal_id % 3 else "",
                "next_action_due": (NOW + timedelta(days=rng.randint(-30, 30))).date(),
                "created_at": start,
                "updated_at": NOW,
                "version": len(kinds),
            }
        )
    async with db.session() as session:
        for chunk in range(0, len(deal_rows), 5000):
            await session.execute(insert(Deal), deal_rows[chunk : chunk + 5000])
        for chunk in range(0, len(log_rows), 10000):
            await session.execute(insert(StageChange), log_rows[chunk : chunk + 10000])
        await session.commit()
        await session.commit()
    if db.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with db.session() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()
    print(f"filled: {len(deal_rows):,} deals, {len(log_rows):,} log entries, {DISTRICTS} districts")


async def naive_board(session, district: int, config: Config) -> dict[str, float]:  # type: ignore[no-untyped-def]
    rows = (await session.scalars(select(Deal).where(Deal.district_id == district))).all()
    totals = dict.fromkeys(STAGES, 0.0)
    for deal in rows:
        if deal.status in OPEN_STATUSES:
            totals[deal.stage] += config.cny(deal.amount_agreed, deal.currency)
    return totals


async def timed(label: str, runs: int, make) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await make()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p50, p99 = statistics.median(times), times[min(int(len(times) * 0.99), len(times) - 1)]
    print(f"{label:<42} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms")
    return [p50, p99]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--log", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reuse", action="store_true", help="measure a database an earlier run filled")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='bench-pipeline-')}/bench.db"
    if not args.reuse:
        if url.startswith("postgresql"):
            await reset_postgres(url)
        await asyncio.to_thread(upgrade, url)
    db = Database(url)
    config = Config()
    start = time.perf_counter()
    if not args.reuse:
        await fill(db, args.deals, args.log)
        print(f"database kept at {url} (measure it again with --database-url … --reuse)")
    print(f"fill took {time.perf_counter() - start:.0f} s; database: {db.engine.dialect.name}; cpus: {os.cpu_count()}")
    month = NOW.date().replace(day=1)
    last = ranking.previous_month(month)
    end = ranking.parse_month(ranking.month_key(month), month)[1]
    async with db.session() as session:
        await ranking.close_month(session, last, config, NOW)  # the snapshot a closed month reads
        await session.commit()
    rng = random.Random(3)
    results = {}
    async with db.session() as session:
        results["select1"] = await timed(
            "SELECT 1 round trip (machine load)", args.runs, lambda: session.execute(text("SELECT 1"))
        )
        results["board"] = await timed(
            "district board (ours)", args.runs, lambda: figures.board(session, rng.randint(1, DISTRICTS), config)
        )
        results["board_naive"] = await timed(
            "district board (naive: all deals in Python)",
            max(args.runs // 4, 5),
            lambda: naive_board(session, rng.randint(1, DISTRICTS), config),
        )
        results["ranking"] = await timed(
            "city ranking, this month (live)", args.runs, lambda: ranking.ranking(session, month, config, NOW)
        )
        results["frozen"] = await timed(
            "city ranking, last month (snapshot)", args.runs, lambda: ranking.snapshot(session, ranking.month_key(last))
        )
        weight = await ranking.weights(session)
        results["ranking_naive"] = await timed(
            "city ranking (naive: as of, whole log)",
            max(args.runs // 6, 5),
            lambda: ranking.compute(session, month, end, config, weight, live=False),
        )
    await db.close()
    print(f"ratio board naive/ours (p99):   {results['board_naive'][1] / results['board'][1]:.1f}x")
    print(f"ratio ranking naive/ours (p99): {results['ranking_naive'][1] / results['ranking'][1]:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
