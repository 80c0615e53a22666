"""Booths figures: booth page vs bare route, chat fan-out to 1,000 sockets (one process,
and two processes through Redis), catalogue search over 10,000 projects in 7 languages.

    .venv/bin/python bench/booths.py [--seconds 8] [--sockets 1000] [--projects 10000]
        [--redis redis://127.0.0.1:6379/7] [--postgres postgresql+asyncpg://…/db]

Prints absolute numbers and the ratios against a baseline measured in the same run.
Numbers go in docs/performance.md ("Booths").
"""

import argparse
import asyncio
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
bench_http = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench_http)  # type: ignore[union-attr]


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


# bench/http.py's server plus a trivial broadcast socket, the fan-out baseline: the same
# client and number of sockets, the same server process, a message sent to every socket
# by a plain loop (no database, no bus, no auth), so that what it costs is the client's
# share and the websocket protocol's, which no change to the chat can remove.
BASELINE_WS = """
import json
from starlette.routing import WebSocketRoute
_sockets = set()

async def bare_ws(websocket):
    await websocket.accept()
    await websocket.send_text('{"type": "welcome"}')
    _sockets.add(websocket)
    try:
        while True:
            raw = await websocket.receive_text()
            body = json.loads(raw)["body"]
            text = json.dumps({"type": "message", "body": body}, ensure_ascii=False)
            for ws in tuple(_sockets):
                await ws.send_text(text)
    except Exception:
        pass
    finally:
        _sockets.discard(websocket)

app.router.routes.insert(0, WebSocketRoute("/_bare_ws", bare_ws))

# The floor for several processes: the same, through the app's bus (Redis): a message is
# published once, each process's one subscriber hands it to its sockets in a plain loop.
import asyncio
_bus_sockets = set()
_bus_reader = []

async def _bus_forward(bus):
    async with bus.subscribe("bench.bare") as subscription:
        async for message in subscription:
            text = json.dumps(message, ensure_ascii=False)
            for ws in tuple(_bus_sockets):
                try:
                    await ws.send_text(text)
                except Exception:
                    pass

async def bare_bus_ws(websocket):
    await websocket.accept()
    bus = websocket.state.bus
    if not _bus_reader:
        _bus_reader.append(asyncio.create_task(_bus_forward(bus)))
        await asyncio.sleep(0.2)
    await websocket.send_text('{"type": "welcome"}')
    _bus_sockets.add(websocket)
    try:
        while True:
            raw = await websocket.receive_text()
            await bus.publish("bench.bare", {"type": "message", "body": json.loads(raw)["body"]})
    except Exception:
        pass
    finally:
        _bus_sockets.discard(websocket)

app.router.routes.insert(0, WebSocketRoute("/_bare_bus_ws", bare_bus_ws))
"""
SERVER = bench_http.SERVER.replace("uvicorn.run(", BASELINE_WS + "uvicorn.run(")


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env={**os.environ, **env}, cwd=ROOT)  # noqa: E501
    import httpx

    for _ in range(150):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_bare", timeout=5)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def booth_id(port: int, slug_name: str = "Nova Antibody Therapeutics") -> int:
    import httpx

    items = httpx.get(f"http://127.0.0.1:{port}/api/booths?per_page=100&lang=en").json()["items"]
    return next(b["id"] for b in items if b["name"]["text"] == slug_name)


def page_figures(port: int, seconds: float, clients: int) -> None:
    nova = booth_id(port)
    asyncio.run(bench_http.load(port, f"/booths/{nova}", 4, 1.0))
    bare = asyncio.run(bench_http.load(port, "/_bare", clients, seconds))
    booth = asyncio.run(bench_http.load(port, f"/booths/{nova}", clients, seconds))
    cookie = bench_http.session_cookie(port)
    asyncio.run(bench_http.load(port, f"/booths/{nova}", 4, 1.0, cookie))
    bare_signed = asyncio.run(bench_http.load(port, "/_bare", clients, seconds, cookie))
    signed = asyncio.run(bench_http.load(port, f"/booths/{nova}", clients, seconds, cookie))
    catalogue = asyncio.run(bench_http.load(port, "/projects?q=%E6%8A%97%E4%BD%93", clients, seconds))  # noqa: E501
    print(f"\nBooth page, {clients} keep-alive clients, {seconds:.0f} s each, one process (SQLite)")
    for name, r in (
        ("bare route", bare),
        ("booth page", booth),
        ("bare, investor", bare_signed),
        ("booth, investor", signed),
        ("catalogue q=抗体", catalogue),
    ):
        print(f"{name:>16}: {r['rps']:7.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms")
    print(
        f"booth / bare: {booth['rps'] / bare['rps']:.2f} (aim >= 0.30); "
        f"signed-in investor booth / bare: {signed['rps'] / bare['rps']:.2f}; "
        f"signed-in investor booth / signed-in bare: {signed['rps'] / bare_signed['rps']:.2f}"
    )


async def fanout(ports: list[int], cookie: str, booth: int, sockets: int, messages: int, path: str = "") -> list[float]:
    import websockets

    received: list[float] = []
    sent_at: dict[str, float] = {}
    ready = 0

    async def listener(port: int, done: asyncio.Event) -> None:
        nonlocal ready
        async with websockets.connect(
            f"ws://127.0.0.1:{port}{path or f'/ws/booths/{booth}/chat'}",
            additional_headers={"Cookie": cookie},
            max_queue=None,  # noqa: E501
        ) as ws:
            await ws.recv()  # welcome
            ready += 1
            count = 0
            while count < messages:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "message" and frame["body"] in sent_at:
                    received.append(time.perf_counter() - sent_at[frame["body"]])
                    count += 1
            await done.wait()

    done = asyncio.Event()
    tasks = []
    for i in range(sockets):
        tasks.append(asyncio.create_task(listener(ports[i % len(ports)], done)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    while ready < sockets:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    async with websockets.connect(
        f"ws://127.0.0.1:{ports[0]}{path or f'/ws/booths/{booth}/chat'}",
        additional_headers={"Cookie": cookie},
    ) as sender:
        await sender.recv()
        for n in range(messages):
            body = f"fan-out {n} {random.random()}"
            sent_at[body] = time.perf_counter()
            await sender.send(json.dumps({"type": "send", "body": body}))
            await asyncio.sleep(1.2)
    await asyncio.sleep(2.0)
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return received


def chat_figures(env: dict[str, str], ports: list[int], sockets: int, messages: int, label: str) -> None:  # noqa: E501
    cookie = bench_http.session_cookie(ports[0])
    booth = booth_id(ports[0])
    expected = sockets * messages
    # The baseline: a trivial broadcast to as many sockets, same client (through the bus
    # when there are several processes).
    base = asyncio.run(
        fanout(ports, cookie, booth, sockets, messages, "/_bare_ws" if len(ports) == 1 else "/_bare_bus_ws")
    )
    b50, b99 = quantiles(base)
    print(
        f"\nFan-out baseline, trivial broadcast {'socket' if len(ports) == 1 else 'through the bus'}, {label}: "
        f"{messages} × {sockets}; delivered {len(base)}/{expected}; p50 {b50:.1f} ms  p99 {b99:.1f} ms"
    )
    got = asyncio.run(fanout(ports, cookie, booth, sockets, messages))
    p50, p99 = quantiles(got)
    print(
        f"\nChat fan-out, {label}: {messages} messages × {sockets} sockets; delivered "
        f"{len(got)}/{expected}; p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {max(got) * 1000:.1f} ms "
        f"(aim p99 < 100 ms)"
    )
    print(f"chat / trivial broadcast: p50 {p50 / b50:.2f}×, p99 {p99 / b99:.2f}×")


WORDS = {
    "en": "antibody biomedicine clinical plant wafer battery port logistics software cloud marine peptide "  # noqa: E501
    "hydrogen wind turbine sensor implant vaccine diagnostics factory land incentive export".split(),  # noqa: E501
    "zh_Hans": "抗体 生物医药 临床 厂房 晶圆 电池 港口 物流 软件 云平台 海洋 多肽 氢能 风电 传感器 植入物 疫苗 诊断 工厂 用地 优惠 出口".split(),  # noqa: E501
    "zh_Hant": "抗體 生物醫藥 臨床 廠房 晶圓 電池 港口 物流 軟體 雲平台 海洋 多肽 氫能 風電 感測器 植入物 疫苗 診斷 工廠 用地 優惠 出口".split(),  # noqa: E501
    "ja": "抗体 バイオ医薬 臨床 工場 ウエハー 電池 港湾 物流 ソフトウェア クラウド 海洋 ペプチド 水素 風力 センサー インプラント ワクチン 診断 用地 優遇 輸出".split(),  # noqa: E501
    "ko": "항체 바이오의약품 임상 공장 웨이퍼 배터리 항만 물류 소프트웨어 클라우드 해양 펩타이드 수소 풍력 센서 임플란트 백신 진단 부지 인센티브 수출".split(),  # noqa: E501
    "id": "antibodi biomedis klinis pabrik wafer baterai pelabuhan logistik perangkat lunak awan laut peptida hidrogen angin sensor implan vaksin diagnostik lahan insentif ekspor".split(),  # noqa: E501
    "ar": "أجسام مضادة طب حيوي سريري مصنع رقاقة بطارية ميناء لوجستيات برمجيات سحابة بحري ببتيد هيدروجين رياح مستشعر زرعة لقاح تشخيص أرض حوافز تصدير".split(),  # noqa: E501
}
QUERIES = [
    "antibody",
    "bio",
    "wind turbine",
    "抗体",
    "生物医药",
    "電池",
    "バイオ",
    "水素",
    "항체",
    "물류",
    "vaksin",
    "pelabuhan",
    "ميناء",
    "لقاح",
    "医",
    "cloud sensor",
    "港口 物流",
    "クラウド",
]


async def build_catalogue(url: str, count: int) -> None:
    from sqlalchemy import insert, select

    from booths import search
    from booths.models import Booth, Project
    from expo.db import Database
    from expo.fair.models import District
    from expo.fair.sectors import SECTORS

    rng = random.Random(7)
    db = Database(url)
    async with db.session() as session:
        district = await session.scalar(select(District).limit(1))
        booth = await session.scalar(select(Booth).where(Booth.status == "published").limit(1))
        sectors = list(SECTORS)
        rows = []
        for i in range(count):
            texts = {lang: " ".join(rng.choices(words, k=12)) for lang, words in WORDS.items()}
            titles = {lang: " ".join(rng.choices(words, k=3)) + f" {i}" for lang, words in WORDS.items()}  # noqa: E501
            amount = rng.randrange(1, 2000) * 1_000_000
            rows.append(
                {
                    "booth_id": booth.id,
                    "district_id": district.id,
                    "sector": rng.choice(sectors),
                    "stage": "growth",
                    "funding_amount": amount,
                    "funding_currency": "CNY",
                    "funding_usd": amount // 7,
                    "title": titles,
                    "summary": texts,
                    "description": texts,
                    "incentives": {},
                    "site": {},
                    "languages": ",ar,en,id,ja,ko,zh_Hans,zh_Hant,",
                }
            )
        for start in range(0, count, 1000):
            result = await session.execute(insert(Project).returning(Project.id), rows[start : start + 1000])  # noqa: E501
            ids = list(result.scalars())
            for pid, row in zip(ids, rows[start : start + 1000], strict=True):
                toks = search.document_tokens([row["title"], row["summary"], row["description"]])
                await search.reindex(session, pid, toks)
        await session.commit()
    await db.close()


async def time_search(url: str, rounds: int) -> tuple[list[float], int]:
    from booths.catalogue import Filters, district_slugs, projects
    from expo.db import Database

    db = Database(url)
    times: list[float] = []
    hits = 0
    async with db.session() as session:
        slugs = await district_slugs(session)
        for r in range(rounds):
            for q in QUERIES:
                f = Filters.parse({"q": q, "sector": "biomedicine" if r % 3 == 0 else ""}, slugs)
                start = time.perf_counter()
                found = await projects(session, f, slugs)
                times.append(time.perf_counter() - start)
                hits += found.total
    await db.close()
    return times, hits


def search_figures(url: str, count: int, label: str) -> None:
    from expo.demo import seed
    from expo.migrate import upgrade

    upgrade(url)
    asyncio.run(seed(url))
    started = time.perf_counter()
    asyncio.run(build_catalogue(url, count))
    built = time.perf_counter() - started
    times, hits = asyncio.run(time_search(url, 12))
    p50, p99 = quantiles(times)
    print(
        f"\nCatalogue search, {label}: {count} projects × 7 languages (indexed in {built:.0f} s); "
        f"{len(times)} queries (count + first page, ranked), mixed scripts: p50 {p50:.1f} ms  "
        f"p99 {p99:.1f} ms  (aim p99 < 50 ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--redis", default=os.environ.get("EXPO_BENCH_REDIS_URL"))
    parser.add_argument("--postgres", default=os.environ.get("EXPO_BENCH_DATABASE_URL"))
    parser.add_argument("--only", choices=("pages", "chat", "search"))
    args = parser.parse_args()

    from expo.demo import seed
    from expo.migrate import upgrade
    from tests.conftest import free_port

    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "pages", "chat"):
            url = f"sqlite+aiosqlite:///{tmp}/expo.db"
            upgrade(url)
            asyncio.run(seed(url))
            env = {
                "EXPO_DATABASE_URL": url,
                "EXPO_VAR_DIR": tmp,
                "EXPO_SECRET_KEY": "bench",
                "EXPO_LOG_LEVEL": "WARNING",
            }
            port = free_port()
            server = start_server(env, port)
            try:
                if args.only in (None, "pages"):
                    page_figures(port, args.seconds, args.clients)
                if args.only in (None, "chat"):
                    chat_figures(env, [port], args.sockets, args.messages, "one process")
            finally:
                server.terminate()
                server.wait()
            if args.only in (None, "chat") and args.redis:
                env2 = {**env, "EXPO_REDIS_URL": args.redis}
                ports = [free_port(), free_port()]
                servers = [start_server(env2, p) for p in ports]
                try:
                    chat_figures(
                        env2,
                        ports,
                        args.sockets,
                        args.messages,
                        "two processes through Redis (SQLite shared)",  # noqa: E501
                    )
                finally:
                    for s in servers:
                        s.terminate()
                        s.wait()
        if args.only in (None, "search"):
            search_figures(f"sqlite+aiosqlite:///{tmp}/search.db", args.projects, "SQLite FTS5")
            if args.postgres:
                from tests.conftest import _reset_postgres

                _reset_postgres(args.postgres)
                search_figures(args.postgres, args.projects, "PostgreSQL tsvector + GIN")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
