"""Matchmaking figures: "Projects for you" for one investor with 2,000 investors x 1,000
teams in the database at 20 concurrent clients, and the organizer's scheduler run on 10,000
requests (2,000 x 1,000, 48 slots) from the organizer pages, with the lobby's p99 measured
meanwhile.

    .venv/bin/python bench/meetings.py [--investors 2000] [--teams 1000] [--requests 10000]
        [--clients 20] [--seconds 10]

A real server process (uvicorn, SQLite) on a generated expo. Baselines measured in the same
run: a bare route and the lobby at the same concurrency. Numbers go in docs/performance.md
("Matchmaking").
"""

import argparse
import asyncio
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http package (httpx needs it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
bench_http = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench_http)  # type: ignore[union-attr]

PASSWORD = "bench-password-1"
SECTORS = ["biomedicine", "medical_devices", "semiconductors", "new_energy", "logistics", "software"]
STAGES = ["seed", "growth", "expansion", "site_ready", "construction", "real_estate", "m_and_a"]
LANGS = ["en", "zh", "ja", "ko", "ar", "id", "fr", "de"]
ZONES = ["Asia/Seoul", "Asia/Tokyo", "Europe/Paris", "America/New_York", "Asia/Dubai", "Asia/Jakarta"]


async def generate(url: str, investors: int, teams: int, requests: int, rng: random.Random) -> None:
    from sqlalchemy import insert

    from expo.accounts.models import User
    from expo.accounts.passwords import hash_password
    from expo.activity.models import Event
    from expo.db import Database
    from expo.fair.models import District, Expo, ProjectTeam
    from expo.meetings.grid import GridPlan, slot_times
    from expo.meetings.models import Availability, Grid, InvestorProfile, Mark, Request, Slot, TeamProfile

    db = Database(url)
    now = datetime.now(UTC)
    start_day = (now + timedelta(days=1)).astimezone().date()
    days = tuple(start_day + timedelta(days=k) for k in range(3))
    plan = GridPlan(days, clock(9), clock(17), 30, None)  # 3 days x 16 = 48 slots
    password = hash_password(PASSWORD)
    chunk = 2000

    async def bulk(session, model, rows):  # type: ignore[no-untyped-def]
        for k in range(0, len(rows), chunk):
            await session.execute(insert(model), rows[k : k + chunk])

    try:
        async with db.session() as session:
            session.add(Expo(slug="bench", title={"en": "Bench"}, starts_at=now, ends_at=now + timedelta(days=4)))
            session.add_all(District(id=k + 1, slug=f"d{k}", kind="district", name={"en": f"D{k}"}) for k in range(8))
            await session.flush()
            await bulk(
                session,
                ProjectTeam,
                [
                    {
                        "id": k + 1,
                        "slug": f"team-{k}",
                        "district_id": k % 8 + 1,
                        "sector": rng.choice(SECTORS),
                        "name": {"en": f"Team {k}"},
                        "summary": {"en": "A project."},
                        "funding_amount": rng.choice([20, 50, 100, 300]) * 1_000_000,
                        "funding_currency": rng.choice(["CNY", "USD"]),
                    }
                    for k in range(teams)
                ],
            )
            users = [
                {
                    "id": 1,
                    "email": "organizer@bench.example",
                    "password_hash": password,
                    "name": "Org",
                    "role": "organizer",
                    "timezone": "Asia/Shanghai",
                    "locale": "en",
                    "sectors": [],
                    "shares_profile": False,
                    "session_epoch": 0,
                    "organization": "",
                    "country": "CN",
                    "created_at": now,
                }
            ]
            for k in range(investors):
                users.append(
                    {
                        "id": 10 + k,
                        "email": f"investor{k}@bench.example",
                        "password_hash": password,
                        "name": f"Investor {k}",
                        "role": "investor",
                        "timezone": rng.choice(ZONES),
                        "locale": "en",
                        "sectors": rng.sample(SECTORS, 2),
                        "ticket_min_usd": 1_000_000,
                        "ticket_max_usd": 20_000_000,
                        "shares_profile": True,
                        "session_epoch": 0,
                        "organization": f"Fund {k}",
                        "country": "KR",
                        "created_at": now,
                    }
                )
            for k in range(teams):
                users.append(
                    {
                        "id": 10 + investors + k,
                        "email": f"member{k}@bench.example",
                        "password_hash": password,
                        "name": f"Member {k}",
                        "role": "team",
                        "team_id": k + 1,
                        "timezone": "Asia/Shanghai",
                        "locale": "zh_Hans",
                        "sectors": [],
                        "shares_profile": False,
                        "session_epoch": 0,
                        "organization": "",
                        "country": "CN",
                        "created_at": now,
                    }
                )
            await bulk(session, User, users)
            await bulk(
                session,
                InvestorProfile,
                [
                    {
                        "user_id": 10 + k,
                        "stages": rng.sample(STAGES, 2),
                        "regions": [f"d{rng.randrange(8)}"],
                        "languages": rng.sample(LANGS, 2),
                        "thesis": "",
                        "updated_at": now,
                    }
                    for k in range(investors)
                ],
            )
            await bulk(
                session,
                TeamProfile,
                [
                    {
                        "team_id": k + 1,
                        "stage": rng.choice(STAGES),
                        "languages": ["zh", rng.choice(LANGS)],
                        "hidden": False,
                        "updated_at": now,
                    }
                    for k in range(teams)
                ],
            )
            await bulk(
                session,
                Event,
                [
                    {
                        "kind": rng.choice(["booth.visit", "booth.visit", "booth.chat", "booth.bookmark"]),
                        "at": now,
                        "user_id": 10 + k % investors,
                        "team_id": rng.randrange(teams) + 1,
                        "district_id": None,
                        "subject_id": None,
                        "country": "KR",
                        "sector": "",
                        "data": {"on": True},
                    }
                    for k in range(investors * 10)
                ],
            )
            session.add(
                Grid(
                    id=1,
                    days=[d.isoformat() for d in days],
                    day_start="09:00",
                    day_end="17:00",
                    slot_minutes=30,
                    tables=None,
                    weights={},
                )
            )
            times = slot_times(plan, "Asia/Shanghai")
            await bulk(
                session,
                Slot,
                [{"id": k + 1, "starts_at": s, "ends_at": e, "active": True} for k, (s, e) in enumerate(times)],
            )
            free = []
            for participant in [f"user:{10 + k}" for k in range(investors)] + [f"team:{k + 1}" for k in range(teams)]:
                free.extend(
                    {"participant": participant, "slot_id": s + 1} for s in range(len(times)) if rng.random() < 0.6
                )
            await bulk(session, Availability, free)
            pairs: set[tuple[int, int]] = set()
            while len(pairs) < requests:
                pairs.add((10 + rng.randrange(investors), rng.randrange(teams) + 1))
            await bulk(
                session,
                Request,
                [
                    {
                        "investor_user_id": i,
                        "team_id": t,
                        "district_id": (t - 1) % 8 + 1,
                        "from_side": "investor",
                        "sender_user_id": i,
                        "message": "",
                        "status": "accepted",
                        "open_key": f"{i}:{t}",
                        "proposed_slots": [],
                        "created_at": now,
                        "expires_at": now + timedelta(days=14),
                        "answered_at": now,
                    }
                    for i, t in sorted(pairs)
                ],
            )
            await bulk(
                session,
                Mark,
                [
                    {
                        "investor_user_id": 10 + rng.randrange(investors),
                        "team_id": rng.randrange(teams) + 1,
                        "side": "investor",
                        "mark": "would",
                        "updated_at": now,
                    }
                    for _ in range(1)
                ],
            )
            await session.commit()
    finally:
        await db.close()


def sign_in(port: int, email: str) -> str:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        return f"expo_session={client.cookies['expo_session']}"


async def load_many(port: int, path: str, cookies: list[str], seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(bench_http.one_client(port, path, "en", deadline, latencies, c) for c in cookies))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50": cuts[49] * 1000, "p99": cuts[98] * 1000, "n": len(latencies)}


async def lobby_sampler(port: int, stop: asyncio.Event, latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        while not stop.is_set():
            t = time.perf_counter()
            response = await client.get("/", headers={"accept": "text/html"})
            assert response.status_code == 200
            latencies.append(time.perf_counter() - t)
            await asyncio.sleep(0.05)


async def scheduler_run(port: int, cookie: str) -> dict[str, float]:
    stop = asyncio.Event()
    lobby: list[float] = []
    sampler = asyncio.create_task(lobby_sampler(port, stop, lobby))
    out: dict[str, float] = {}
    name, _, value = cookie.partition("=")
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", cookies={name: value}, timeout=120, follow_redirects=True
    ) as c:
        page = await c.get("/organizer/meetings")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        t0 = time.perf_counter()
        started = await c.post("/organizer/meetings/runs", data={"csrf_token": token})
        assert started.status_code == 200 and "/runs/" in str(started.url), (started.status_code, started.text[:300])
        run_url = str(started.url)
        out["start_s"] = time.perf_counter() - t0
        while True:
            progress = (await c.get(f"{run_url}/progress")).json()
            if progress["status"] != "running":
                break
            await asyncio.sleep(0.25)
        draft = await c.get(run_url)
        out["draft_shown_s"] = time.perf_counter() - t0
        placed = re.search(r"<dd data-placed>([\d,]+) / ([\d,]+)</dd>", draft.text)
        out["placed"] = float(placed.group(1).replace(",", "")) if placed else -1
        out["requested"] = float(placed.group(2).replace(",", "")) if placed else -1
        out["objective"] = float(progress["progress"].get("objective", -1))
        out["bound"] = float(progress["progress"].get("bound", -1))
        t1 = time.perf_counter()
        published = await c.post(f"{run_url}/publish", data={"csrf_token": token})
        out["publish_s"] = time.perf_counter() - t1
        out["published"] = float(re.search(r"published=(\d+)", str(published.url)).group(1))
    stop.set()
    await sampler
    cuts = statistics.quantiles(lobby, n=100)
    out["lobby_p50_ms"], out["lobby_p99_ms"], out["lobby_n"] = cuts[49] * 1000, cuts[98] * 1000, len(lobby)
    return out


def cold_catalogue_ms(url: str) -> float:
    from expo.db import Database
    from expo.meetings import suggest

    async def go() -> float:
        db = Database(url)
        try:
            async with db.session() as session:
                t = time.perf_counter()
                await suggest._catalogue(session, {})  # noqa: SLF001 - the cache-miss cost itself
                return (time.perf_counter() - t) * 1000
        finally:
            await db.close()

    return asyncio.run(go())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--investors", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--part", choices=("all", "suggestions", "scheduler"), default="all")
    args = parser.parse_args()

    from expo.migrate import upgrade
    from tests.conftest import free_port

    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/expo.db"
        upgrade(url)
        t = time.perf_counter()
        asyncio.run(generate(url, args.investors, args.teams, args.requests, rng))
        print(
            f"generated {args.investors} investors x {args.teams} teams, {args.requests} requests "
            f"in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        result: dict[str, object] = {"clients": args.clients, "cold_catalogue_ms": cold_catalogue_ms(url)}
        port = free_port()
        env = {
            **os.environ,
            "EXPO_DATABASE_URL": url,
            "EXPO_VAR_DIR": tmp,
            "EXPO_SECRET_KEY": "bench",
            "EXPO_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen([sys.executable, "-c", bench_http.SERVER, str(port)], env=env, cwd=ROOT)
        try:
            for _ in range(100):
                try:
                    asyncio.run(bench_http.load(port, "/_bare", 1, 0.05))
                    break
                except OSError:
                    time.sleep(0.1)
            cookies = [sign_in(port, f"investor{k}@bench.example") for k in range(args.clients)]
            if args.part in ("all", "suggestions"):
                asyncio.run(load_many(port, "/meetings/suggestions", cookies, 1.0))  # warm-up
                for name, path in (
                    ("bare", "/_bare"),
                    ("lobby", "/"),
                    ("projects_for_you", "/meetings/suggestions"),
                    ("api_suggestions", "/api/suggestions"),
                ):
                    result[name] = asyncio.run(load_many(port, path, cookies, args.seconds))
                result["ratio_p99_projects_vs_lobby"] = result["projects_for_you"]["p99"] / result["lobby"]["p99"]
                result["ratio_p99_projects_vs_bare"] = result["projects_for_you"]["p99"] / result["bare"]["p99"]
                print(json.dumps(result), flush=True)
            if args.part in ("all", "scheduler"):
                result["scheduler"] = asyncio.run(scheduler_run(port, sign_in(port, "organizer@bench.example")))
        finally:
            server.terminate()
            server.wait(10)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
