"""The programme's conflict check and the organizer's timetable read, against baselines
measured in the same run.

    .venv/bin/python bench/agenda.py [--sessions 2000]

1. ``conflicts.find`` (sort + sweep per stage and per person) against the naive pairwise
   check of the same sessions (every pair compared), on N sessions over 4 stages and 3
   days, 3 people each out of N/2 people.
2. ``programme.draft`` (every session, its people, teams, conflicts) and the publish
   preview (draft + snapshot + diff against the previous version) on SQLite with N
   sessions, against a plain ``SELECT`` of the same sessions.
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http: keep bench/ off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from expo.agenda import conflicts, programme, publishing, versions  # noqa: E402
from expo.agenda.models import PitchPerson, PitchSession, ProgrammeVersion, Stage  # noqa: E402
from expo.db import Database  # noqa: E402
from expo.fair.models import Expo  # noqa: E402
from expo.migrate import upgrade  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, tzinfo=ZONE).astimezone(UTC)


def stage_count(n: int) -> int:
    return max(4, n // 60)  # about 20 sessions per stage and day, as a real programme


def sessions(n: int, seed: int = 7) -> list[conflicts.Placed]:
    """N sessions of 30 minutes on a half-hour grid from 09:00, a few of them doubled up
    (about 5% collide on a stage), 3 people each out of a pool of N people."""
    rng = random.Random(seed)
    stages = stage_count(n)
    result = []
    for ident in range(1, n + 1):
        slot = (ident - 1) // stages
        day, index = divmod(slot, 20)
        if rng.random() < 0.05:
            index = max(0, index - 1)
        start = START + timedelta(days=day % 3, hours=1, minutes=30 * index)
        people = frozenset(f"user:{rng.randrange(n)}" for _ in range(3))
        stage = (ident - 1) % stages + 1
        result.append(conflicts.Placed(ident, stage, start, start + timedelta(minutes=30), people))
    return result


def naive(items: list[conflicts.Placed]) -> int:
    found = 0
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                found += (a.stage_id == b.stage_id) + len(a.people & b.people)
    return found


def best(function, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return min(times)


async def seed_db(url: str, n: int) -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            session.add(Expo(slug="bench", title={"en": "Bench"}, starts_at=START, ends_at=START + timedelta(days=3)))
            stages = [
                Stage(slug=f"s{i}", name={"en": f"Stage {i}"}, opens_minute=0, closes_minute=1439)
                for i in range(stage_count(n))
            ]
            session.add_all(stages)
            await session.flush()
            for item in sessions(n):
                pitch = PitchSession(
                    stage_id=stages[item.stage_id - 1].id,
                    title={"en": f"Session {item.id}"},
                    language="en",
                    starts_at=item.starts_at,
                    ends_at=item.ends_at,
                    length_minutes=30,
                )
                session.add(pitch)
                await session.flush()
                session.add_all(PitchPerson(session_id=pitch.id, role="speaker", name=p) for p in item.people)
            await session.flush()
            draft = await programme.draft(session, "Asia/Shanghai")
            snapshot, changes = versions.diff_and_snapshot([], publishing.current_entries(draft))
            session.add(ProgrammeVersion(number=1, snapshot=snapshot, changes=changes))
            await session.commit()
    finally:
        await db.close()


async def timed_reads(url: str, repeat: int = 5) -> tuple[float, float, float]:
    db = Database(url)
    try:
        plain, draft_t, preview_t = [], [], []
        for _ in range(repeat):
            async with db.session() as session:
                began = time.perf_counter()
                (await session.scalars(select(PitchSession))).all()
                plain.append(time.perf_counter() - began)
            async with db.session() as session:
                began = time.perf_counter()
                await programme.draft(session, "Asia/Shanghai")
                draft_t.append(time.perf_counter() - began)
            async with db.session() as session:
                began = time.perf_counter()
                await publishing.preview(session, "Asia/Shanghai")
                preview_t.append(time.perf_counter() - began)
        return statistics.median(plain), statistics.median(draft_t), statistics.median(preview_t)
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=2000)
    args = parser.parse_args()
    print("conflict check: sweep vs every pair (best of 5)")
    for n in (200, 1000, args.sessions):
        items = sessions(n)
        hours = {i: conflicts.Hours(0, 1439) for i in range(1, stage_count(n) + 1)}

        def check(items: list[conflicts.Placed] = items, hours: dict = hours) -> list[conflicts.Conflict]:
            return conflicts.find(items, hours, expo_start=START, expo_end=START + timedelta(days=3), zone=ZONE)

        swept = best(check)
        pairs = best(lambda items=items: naive(items), repeat=1 if n > 1000 else 3)
        found = len(check())
        print(f"  n={n:5d}: sweep {swept * 1000:8.1f} ms  pairwise {pairs * 1000:8.1f} ms", end="")
        print(f"  ratio {pairs / swept:6.1f}x  ({found} conflicts)")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/bench.db"
        upgrade(url)
        asyncio.run(seed_db(url, args.sessions))
        plain, draft_t, preview_t = asyncio.run(timed_reads(url))
        print(f"timetable read on SQLite, {args.sessions} sessions (median of 5)")
        print(f"  SELECT sessions {plain * 1000:7.1f} ms  (baseline)")
        print(f"  programme.draft {draft_t * 1000:7.1f} ms  ratio {draft_t / plain:5.1f}x")
        print(f"  publish preview {preview_t * 1000:7.1f} ms  ratio {preview_t / plain:5.1f}x")


if __name__ == "__main__":
    main()
