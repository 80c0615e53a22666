"""The soak (issue 13, item 5): 5,000 concurrent connections against ``expo serve --workers 2``
on PostgreSQL + Redis for 10 minutes; errors, memory per minute, leaked tasks and descriptors.

    flock /tmp/bench.lock .venv/bin/python bench/soak.py --postgres postgresql+asyncpg://…/db \\
        --redis redis://127.0.0.1:6379/3 [--minutes 10] [--connections 5000] [--clients 2]

The database is emptied, migrated and seeded with the demo. The server is the real command
(``python -m expo serve --workers 2``); the load runs in ``--clients`` processes of its own
(multiprocessing), each holding its share of the connections:

- page views: ``--http`` keep-alive HTTP connections in all, each fetching the lobby, a booth
  page, the programme, a static file (anonymous) or the signed-in lobby in turn, one request
  every ``--think`` seconds;
- WebSockets, the rest, spread over ``/ws/live`` (what every page opens), a booth's chat
  (signed-in investors), a pitch's Q&A socket (anonymous viewers) and the signed-in
  ``/ws/live``; each socket sends a ``ping`` every 30 s and expects its ``pong``;
- traffic: one chat message every 2 s (every chat socket of that investor, on both
  workers, must receive it) and one Q&A question every 26 s.

Errors counted: refused or failed connections, unexpected closes, non-200 answers, error
frames, pings without a pong within 10 s, chat messages not delivered. Each minute the
bench prints every worker's RSS, open descriptors and (from ``/metrics``, loopback only)
asyncio tasks; at the end, after every client has gone and 15 s have passed, the same counts
against those taken before the load: what is left over is a leak.
"""

import sys
from pathlib import Path

# bench/http.py sits next to this file; keep it from shadowing the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PING_EVERY = 30.0
PONG_TIMEOUT = 10.0


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


# --- the server side: processes, memory, descriptors, tasks ---------------------------------


def children(pid: int) -> list[int]:
    """The worker processes of the supervisor ``pid`` (not multiprocessing's resource tracker)."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if line.strip() and "resource_tracker" not in line]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def tasks_by_worker(port: int, workers: list[int]) -> dict[int, int]:
    """asyncio tasks per worker from /metrics (each request on a new connection lands on
    whichever worker accepts it; ask until every worker has answered)."""
    import httpx

    seen: dict[int, int] = {}
    for _ in range(60):
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10, headers={"connection": "close"})
        except httpx.HTTPError:
            continue
        pid = int(r.headers.get("x-expo-worker", "0") or 0)
        found = re.search(r"^expo_asyncio_tasks (\S+)$", r.text, re.M)
        if found and pid:
            seen[pid] = int(float(found[1]))
        if all(w in seen for w in workers):
            break
    return seen


def snapshot(port: int, supervisor: int) -> dict[int, dict[str, float]]:
    workers = sorted(children(supervisor))
    tasks = tasks_by_worker(port, workers)
    return {w: {"rss": rss_mb(w), "fds": fds(w), "tasks": tasks.get(w, -1)} for w in workers}


def show(label: str, snap: dict[int, dict[str, float]]) -> str:
    parts = [f"pid {w}: RSS {v['rss']:6.1f} MB, fds {v['fds']:5.0f}, tasks {v['tasks']:5.0f}" for w, v in snap.items()]
    return f"{label:>10} | " + " | ".join(parts)


# --- the load: one client process ------------------------------------------------------------


class Counts:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + n


async def _socket(
    url: str, cookie: str, counts: Counts, stop: asyncio.Event, kind: str, inbox: dict[str, int] | None
) -> None:
    import websockets

    headers = {"Cookie": cookie} if cookie else {}
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=60, max_queue=None) as ws:
            counts.add(f"open {kind}")
            if kind.startswith("live"):
                await ws.send(json.dumps({"type": "hello"}))
            pong = asyncio.Event()
            pong.set()

            async def reader() -> None:
                async for raw in ws:
                    frame = json.loads(raw)
                    kind_ = frame.get("type")
                    if kind_ == "pong":
                        pong.set()
                    elif kind_ == "error":
                        counts.add(f"error frame {kind}: {frame.get('code')}")
                    elif kind_ == "message" and inbox is not None:
                        inbox[frame.get("body", "")] = inbox.get(frame.get("body", ""), 0) + 1
                    elif kind_ == "reconnect":
                        counts.add("reconnect frame")

            task = asyncio.create_task(reader())
            await asyncio.sleep(random.uniform(0, PING_EVERY))
            while not stop.is_set():
                if not pong.is_set():
                    counts.add(f"no pong {kind}")
                pong.clear()
                await ws.send(json.dumps({"type": "ping"}))
                try:
                    await asyncio.wait_for(stop.wait(), PING_EVERY)
                except TimeoutError:
                    pass
                if task.done():
                    counts.add(f"closed early {kind}")
                    return
            task.cancel()
    except Exception as exc:  # noqa: BLE001 - every failure is counted
        if not stop.is_set():
            counts.add(f"failed {kind}: {type(exc).__name__}")


async def _pages(base: str, paths: list[tuple[str, str]], counts: Counts, stop: asyncio.Event, think: float) -> None:
    import httpx

    await asyncio.sleep(random.uniform(0, think))
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"accept-encoding": "gzip"}) as client:
        i = random.randrange(len(paths))
        while not stop.is_set():
            path, cookie = paths[i % len(paths)]
            i += 1
            try:
                r = await client.get(path, headers={"cookie": cookie} if cookie else {})
                counts.add("page views")
                if r.status_code != 200:
                    counts.add(f"page {r.status_code}")
            except httpx.HTTPError as exc:
                counts.add(f"page failed: {type(exc).__name__}")
            try:
                await asyncio.wait_for(stop.wait(), think)
            except TimeoutError:
                pass


async def _client(spec: dict[str, Any], results: Any) -> None:
    counts = Counts()
    stop = asyncio.Event()
    inbox: dict[str, int] = {}
    ws = spec["ws_base"]
    kinds = [
        ("live", f"{ws}/ws/live", ""),
        ("chat", f"{ws}/ws/booths/{spec['booth']}/chat", spec["cookie"]),
        ("qa", f"{ws}/ws/pitches/{spec['pitch']}", ""),
        ("live signed-in", f"{ws}/ws/live", spec["cookie"]),
    ]
    sockets = []
    for i in range(spec["sockets"]):
        kind, url, cookie = kinds[i % len(kinds)]
        sockets.append(asyncio.create_task(_socket(url, cookie, counts, stop, kind, inbox if kind == "chat" else None)))
        if i % 100 == 99:
            await asyncio.sleep(0.25)  # ramp: ~400 connections/s per client process
    pages = [
        asyncio.create_task(_pages(spec["http_base"], spec["paths"], counts, stop, spec["think"]))
        for _ in range(spec["http"])
    ]
    deadline = time.monotonic() + spec["seconds"]
    while time.monotonic() < deadline:
        await asyncio.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
        results.put(("counts", spec["index"], dict(counts.values), dict(inbox)))
    stop.set()
    await asyncio.gather(*sockets, *pages, return_exceptions=True)
    results.put(("done", spec["index"], dict(counts.values), dict(inbox)))


def client_process(spec: dict[str, Any], results: Any) -> None:
    raise_fd_limit()
    asyncio.run(_client(spec, results))


async def _traffic(spec: dict[str, Any], seconds: float, sent: list[str], counts: Counts) -> None:
    """The talking: one chat message every 2 s in the chat sockets' investor's own
    conversation (a visitor's socket receives only that), one question every 26 s by another
    investor (both within the per-person budgets)."""
    import websockets

    ws = spec["ws_base"]
    start = time.monotonic()
    async with (
        websockets.connect(
            f"{ws}/ws/booths/{spec['booth']}/chat", additional_headers={"Cookie": spec["cookie"]}
        ) as chat,
        websockets.connect(f"{ws}/ws/pitches/{spec['pitch']}", additional_headers={"Cookie": spec["sender"]}) as qa,
    ):

        async def drain(sock: Any, name: str) -> None:
            async for raw in sock:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    counts.add(f"error frame {name} sender: {frame.get('code')}")

        drains = [asyncio.create_task(drain(chat, "chat")), asyncio.create_task(drain(qa, "qa"))]
        n = 0
        while time.monotonic() - start < seconds:
            body = f"soak {n} {random.random():.6f}"
            sent.append(body)
            await chat.send(json.dumps({"type": "send", "body": body}))
            if n % 13 == 0:  # within the Q&A budget (3 questions a minute per person)
                await qa.send(json.dumps({"type": "ask", "text": f"Soak question {n}: what is the land price?"}))
            n += 1
            await asyncio.sleep(2.0)
        await asyncio.sleep(3.0)
        for d in drains:
            d.cancel()


async def lookups(url: str) -> tuple[int, list[str]]:
    """A public accepted pitch, and two demo investors' e-mails."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            pitch = (
                await conn.execute(
                    text("SELECT id FROM pitch_sessions WHERE status = 'accepted' AND public ORDER BY id LIMIT 1")
                )
            ).scalar_one()
            rows = await conn.execute(text("SELECT email FROM users WHERE role = 'investor' ORDER BY id LIMIT 2"))
            return pitch, [row[0] for row in rows]
    finally:
        await engine.dispose()


def sign_in(base: str, email: str) -> str:
    import httpx

    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        client.post("/login", data={"email": email, "password": "expo-demo-2026", "csrf_token": token})
        return f"expo_session={client.cookies['expo_session']}"


def main() -> int:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--http", type=int, default=100, help="page-view connections among them")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between one connection's page views")
    parser.add_argument("--clients", type=int, default=2, help="load processes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("EXPO_BENCH_DATABASE_URL"))
    parser.add_argument("--redis", default=os.environ.get("EXPO_BENCH_REDIS_URL"))
    args = parser.parse_args()
    if not args.postgres or not args.redis:
        print("bench/soak.py needs --postgres and --redis (expo serve --workers refuses SQLite)", file=sys.stderr)
        return 2
    limit = raise_fd_limit()

    import httpx

    from expo.demo import seed
    from expo.migrate import upgrade
    from tests.conftest import _reset_postgres, free_port

    _reset_postgres(args.postgres)
    upgrade(args.postgres)
    asyncio.run(seed(args.postgres))
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    port = free_port()
    env = {
        **os.environ,
        "EXPO_DATABASE_URL": args.postgres,
        "EXPO_REDIS_URL": args.redis,
        "EXPO_SECRET_KEY": "soak",
        "EXPO_LOG_LEVEL": "WARNING",
        "EXPO_VAR_DIR": "/tmp/expo-soak-var",
    }
    command = [sys.executable, "-m", "expo", "serve", "--workers", str(args.workers), "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if (
                    httpx.get(base + "/readyz", timeout=5).status_code == 200
                    and len(children(server.pid)) >= args.workers
                ):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        items = httpx.get(base + "/api/booths?per_page=100&lang=en").json()["items"]
        booth = next(b["id"] for b in items if b["name"]["text"] == "Nova Antibody Therapeutics")
        pitch, investors = asyncio.run(lookups(args.postgres))
        cookie, sender = sign_in(base, investors[0]), sign_in(base, investors[-1])
        for path in ("/", f"/booths/{booth}", "/schedule"):  # warm the caches and templates
            httpx.get(base + path)
        css = re.search(r'href="(/static/css/app[^"]*\.css)"', httpx.get(base + "/").text)
        paths = [
            ("/", ""),
            (f"/booths/{booth}", ""),
            ("/schedule", ""),
            (css[1] if css else "/static/css/app.css", ""),
            ("/", cookie),
        ]
        seconds = args.minutes * 60
        before = snapshot(port, server.pid)
        print(
            f"ulimit -n {limit}; {args.connections} connections ({args.http} page-view connections, "
            f"{args.connections - args.http} WebSockets) from {args.clients} client processes, "
            f"{args.workers} workers, {args.minutes:g} min; load: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        print(show("before", before), flush=True)
        results: Any = mp.get_context("spawn").Queue()
        per = args.connections - args.http
        specs = [
            {
                "index": i,
                "ws_base": f"ws://127.0.0.1:{port}",
                "http_base": base,
                "booth": booth,
                "pitch": pitch,
                "cookie": cookie,
                "sockets": per // args.clients + (1 if i < per % args.clients else 0),
                "http": args.http // args.clients + (1 if i < args.http % args.clients else 0),
                "paths": paths,
                "think": args.think,
                "seconds": seconds,
            }
            for i in range(args.clients)
        ]
        procs = [mp.get_context("spawn").Process(target=client_process, args=(s, results)) for s in specs]
        for p in procs:
            p.start()
        time.sleep(30)  # the ramp: connections open
        sent: list[str] = []
        counts = Counts()
        import threading

        talker = threading.Thread(
            target=lambda: asyncio.run(_traffic({**specs[0], "sender": sender}, seconds - 45, sent, counts)),
            daemon=True,
        )
        talker.start()
        latest: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
        done: set[int] = set()
        started = time.monotonic()
        next_minute = started + 60 - 30
        minute = 1
        while len(done) < len(procs):
            try:
                kind, index, values, inbox = results.get(timeout=1)
                latest[index] = (values, inbox)
                if kind == "done":
                    done.add(index)
            except Exception:  # noqa: BLE001, S110 - queue.Empty: time to look at the clock
                pass
            if time.monotonic() >= next_minute and len(done) < len(procs):
                totals: dict[str, int] = {}
                for values, _ in latest.values():
                    for k, v in values.items():
                        totals[k] = totals.get(k, 0) + v
                errors = sum(v for k, v in totals.items() if not k.startswith(("open ", "page views")))
                opened = sum(v for k, v in totals.items() if k.startswith("open "))
                print(
                    show(f"min {minute}", snapshot(port, server.pid))
                    + f" || sockets opened {opened}, page views {totals.get('page views', 0)}, errors {errors}; "
                    f"load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                minute += 1
                next_minute += 60
        for p in procs:
            p.join()
        talker.join(timeout=30)
        totals = {}
        for values, _ in latest.values():
            for k, v in values.items():
                totals[k] = totals.get(k, 0) + v
        for k, v in counts.values.items():
            totals[k] = totals.get(k, 0) + v
        chat_sockets = sum(1 for s in specs for i in range(s["sockets"]) if i % 4 == 1)
        delivered = sum(sum(inbox.get(b, 0) for b in sent) for _, inbox in latest.values())
        expected = len(sent) * chat_sockets
        time.sleep(15)  # the server notices the closes, tasks end
        after = snapshot(port, server.pid)
        print(show("after", after), flush=True)
        print("counts: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
        print(f"chat: {len(sent)} messages × {chat_sockets} sockets: delivered {delivered}/{expected}")
        errors = sum(v for k, v in totals.items() if not k.startswith(("open ", "page views")))
        errors += expected - delivered
        for w in after:
            b = before.get(w)
            if b:
                print(
                    f"pid {w}: left over after the load: tasks {after[w]['tasks'] - b['tasks']:+.0f}, "
                    f"fds {after[w]['fds'] - b['fds']:+.0f}, RSS {after[w]['rss'] - b['rss']:+.1f} MB"
                )
        print(f"errors: {errors}; load average at the end: {os.getloadavg()}")
        return 0 if errors == 0 else 1
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    raise SystemExit(main())
