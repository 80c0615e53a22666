"""Console figures: the /figures page over a year of activity (10 million booth visits by
default), and imports of 10,000 projects from .xlsx against the same rows as CSV.

    .venv/bin/python bench/console.py [--rows 10000000] [--requests 60] [--projects 10000]

The dashboard reads the rollups (expo.activity.rollups). Baseline, measured in the same run
on the same database: the same totals counted from the raw log (``activity.counts`` per
district over the period), which is what the page would cost without rollups.
Prints absolute numbers and ratios; the numbers go in docs/performance.md ("Console").
"""

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http package: run from the root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from expo import activity, spreadsheets  # noqa: E402
from expo.app import create_app  # noqa: E402
from expo.console import imports  # noqa: E402
from expo.db import Database  # noqa: E402
from expo.demo import DEMO_PASSWORD, seed  # noqa: E402
from expo.migrate import upgrade  # noqa: E402
from expo.settings import Settings  # noqa: E402

FMT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def load_events(path: str, rows: int, now: datetime) -> float:
    """``rows`` booth visits over the last 365 days, written straight with sqlite3, then the
    rollups rebuilt from them (the migration's SQL). Returns seconds."""
    started = time.perf_counter()
    db = sqlite3.connect(path)
    users = [r[0] for r in db.execute("SELECT id FROM users WHERE role = 'investor'")]
    countries = dict(db.execute("SELECT id, country FROM users"))
    teams = list(db.execute("SELECT id, district_id, sector FROM project_teams"))
    rng = random.Random(7)
    start = now - timedelta(days=365)
    span = 365 * 86400
    chunk = 200_000
    db.execute("PRAGMA synchronous=OFF")
    for offset in range(0, rows, chunk):
        batch = []
        for _ in range(min(chunk, rows - offset)):
            user = rng.choice(users)
            team_id, district_id, sector = rng.choice(teams)
            at = start + timedelta(seconds=rng.random() * span)
            batch.append((at.strftime(FMT), "booth.visit", user, district_id, team_id, countries[user], sector))
        db.executemany(
            "INSERT INTO activity_events (at, kind, user_id, district_id, team_id, country, sector, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
            batch,
        )
        db.commit()
    db.close()

    async def rebuild() -> int:  # the rollups from the log, as expo.activity.rollups.rebuild does
        engine = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with engine.session() as session:
                cells = await activity.rollups.rebuild(session)
                await session.commit()
                return cells
        finally:
            await engine.close()

    asyncio.run(rebuild())
    db = sqlite3.connect(path)
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


def login(client: TestClient, email: str) -> None:
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})


def time_pages(client: TestClient, url: str, n: int) -> tuple[float, float]:
    client.get(url)  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    return quantiles(times)


def baseline(url: str, days: int, n: int) -> tuple[float, float]:
    """The raw log counted per district and per kind over the period (no rollups)."""

    async def run() -> list[float]:
        db = Database(url)
        times = []
        try:
            for _ in range(n):
                async with db.session() as session:
                    t = time.perf_counter()
                    since = datetime.now(UTC) - timedelta(days=days)
                    await activity.counts(session, kinds=["booth.visit"], by="district_id", since=since)
                    await activity.counts(session, kinds=["booth.visit"], by="country", since=since)
                    times.append(time.perf_counter() - t)
        finally:
            await db.close()
        return times

    times = asyncio.run(run())
    return statistics.median(times) * 1000, max(times) * 1000


def bench_import(url: str, projects: int) -> None:
    header = imports.COLUMNS["teams"]
    rows = []
    for i in range(projects):
        record = {
            "team_slug": f"bench-team-{i // 2}",
            "district": "harbour",
            "sector": "biomedicine",
            "team_name_en": f"Bench team {i // 2}",
            "project_title_en": f"Project {i}",
            "project_title_zh_hans": f"项目 {i}",
            "project_stage": "growth",
            "project_funding_amount": str(1000 * i),
            "project_funding_currency": "CNY",
        }
        rows.append([record.get(c, "") for c in header])
    files = {"csv": spreadsheets.write_csv(header, rows), "xlsx": spreadsheets.write_xlsx(header, rows)}

    async def plan_only(name: str, data: bytes) -> tuple[float, float]:
        t = time.perf_counter()
        sheet = spreadsheets.read(data, f"bench.{name}")
        read_s = time.perf_counter() - t
        db = Database(url)
        try:
            async with db.session() as session:
                t = time.perf_counter()
                plan = await imports.plan(session, "teams", sheet, translate=lambda _l, m: m)
                plan_s = time.perf_counter() - t
                assert plan.counts()["create"] == projects, plan.counts()
                await session.rollback()
        finally:
            await db.close()
        return read_s, plan_s

    def peak_read(name: str, data: bytes) -> float:
        """Peak Python memory of reading the file (a second pass: tracemalloc slows it)."""
        tracemalloc.start()
        spreadsheets.read(data, f"bench.{name}")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / 1e6

    async def apply(data: bytes) -> float:
        db = Database(url)
        try:
            async with db.session() as session:
                t = time.perf_counter()
                plan = await imports.plan(session, "teams", spreadsheets.read(data, "b.csv"), translate=lambda _l, m: m)
                await imports.apply(session, plan)
                await session.commit()
                return time.perf_counter() - t
        finally:
            await db.close()

    results = {name: (*asyncio.run(plan_only(name, data)), peak_read(name, data)) for name, data in files.items()}
    for name, (read_s, plan_s, peak) in results.items():
        print(f"import {projects} projects from .{name}: read {read_s:.2f} s, plan {plan_s:.2f} s, peak {peak:.0f} MB")
    ratio = results["xlsx"][0] / results["csv"][0]
    sizes = f"csv {len(files['csv']) / 1e6:.1f} MB, xlsx {len(files['xlsx']) / 1e6:.1f} MB"
    print(f"  .xlsx read / CSV read: {ratio:.1f}x; file sizes: {sizes}")
    print(f"apply (plan + write, one transaction) from CSV: {asyncio.run(apply(files['csv'])):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--reuse", help="an earlier run's expo.db holding the events: only rebuild the rollups")
    args = parser.parse_args()
    if args.reuse:
        path = Path(args.reuse)
        directory = path.parent
    else:
        directory = Path(tempfile.mkdtemp(prefix="bench-console-"))
        path = directory / "expo.db"
    url = f"sqlite+aiosqlite:///{path}"
    if not args.reuse:
        upgrade(url)
        asyncio.run(seed(url, now=datetime.now(UTC)))
    events = load_events(str(path), 0 if args.reuse else args.rows, datetime.now(UTC))
    count = sqlite3.connect(path).execute("SELECT count(*) FROM activity_events").fetchone()[0]
    print(f"{count:,} events over a year, loaded and rolled up in {events:.0f} s", flush=True)
    rollup_rows = sqlite3.connect(path).execute("SELECT count(*) FROM activity_rollups").fetchone()[0]
    print(f"rollup cells: {rollup_rows:,}")
    settings = Settings.from_env(
        {
            "EXPO_DATABASE_URL": url,
            "EXPO_VAR_DIR": str(directory / "var"),
            "EXPO_SECRET_KEY": "bench",
            "EXPO_LOG_LEVEL": "WARNING",
        }
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as organizer:
        login(organizer, "organizer@expo.example")
        for period in ("1", "30", "365"):
            p50, p99 = time_pages(organizer, f"/figures?period={period}", args.requests)
            print(f"/figures?period={period} (organizer): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as host:
            login(host, "host@expo.example")
            p50, p99 = time_pages(host, "/figures?period=30", args.requests)
            print(f"/figures?period=30 (host, one district): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        p50, p99 = time_pages(organizer, "/healthz", args.requests)
        print(f"/healthz (same client, for scale): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    for days in (30, 365):
        med, worst = baseline(url, days, 3)
        print(f"baseline, raw log counted over {days} days (2 queries): median {med:.0f} ms, max {worst:.0f} ms")
    if args.projects:
        bench_import(url, args.projects)


if __name__ == "__main__":
    main()
