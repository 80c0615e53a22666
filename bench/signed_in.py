"""Signed-in pages against anonymous ones, and one worker against two.

    flock /tmp/bench.lock .venv/bin/python bench/signed_in.py [--seconds 8] [--clients 50]
        [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/bench_x --redis redis://127.0.0.1:6379/9]

Part 1 (one server process, SQLite, demo data, a bare route `/_bare` added): wrk with N
keep-alive connections on the bare route, the anonymous (cached) booth page, the signed-in
investor's booth page and the signed-in lobby, in one run; requests/s, p50/p99 and the ratio
against the anonymous booth page.

Part 2 (with --pg and --redis; the database is dropped, created, migrated and seeded):
`expo serve --workers 1` and then `--workers 2` on PostgreSQL + Redis, the signed-in booth
page; requests/s and the ratio, with the CPU the load generator (wrk, its own process) and the
server processes used during the run, as shares of the machine's cores.

wrk must be installed (apt-get install wrk). Numbers go in docs/performance.md.
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http package: keep bench/ off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

SERVER = """
import sys, uvicorn
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from expo.app import create_app
from expo.settings import Settings

async def bare(request):
    return PlainTextResponse("ok")

app = create_app(Settings.from_env())
app.router.routes.insert(0, Route("/_bare", bare))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (workers), from /proc."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError):
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def worker_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each worker process (the children of the ``expo serve`` parent)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return {}
    return {int(child): cpu_seconds(int(child)) for child in children}


def spread(port: int, connections: int = 40) -> dict[str, int]:
    """Which worker answers each of ``connections`` new connections (X-Expo-Worker)."""
    import httpx

    counts: dict[str, int] = {}
    for _ in range(connections):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            worker = client.get("/healthz").headers.get("x-expo-worker", "?")
        counts[worker] = counts.get(worker, 0) + 1
    return counts


def wait_up(port: int, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def sign_in(port: int) -> tuple[str, int]:
    """The demo investor's session cookie and a published booth's id."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post(
            "/login", data={"email": "investor@expo.example", "password": "expo-demo-2026", "csrf_token": token}
        )
        booth = int(re.search(r'href="/booths/(\d+)"', client.get("/booths").text).group(1))
        assert client.get(f"/booths/{booth}").status_code == 200
        return f"expo_session={client.cookies['expo_session']}", booth


def wrk(port: int, path: str, clients: int, seconds: float, cookie: str = "", server_pid: int = 0) -> dict:
    command = ["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency", "-H", "Accept-Language: en"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    workers_before = worker_cpu(server_pid) if server_pid else {}
    before = os.times()
    started = time.monotonic()
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
    wall = time.monotonic() - started
    after = os.times()
    workers_after = worker_cpu(server_pid) if server_pid else {}
    load_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "non2xx": int(errors.group(1)) if errors else 0,
        "load_cpu": load_cpu / wall,
        "server_cpu": (cpu_seconds(server_pid) - server_before) / wall if server_pid else 0.0,
        "worker_cpu": {
            pid: round((workers_after[pid] - workers_before.get(pid, 0.0)) / wall, 2) for pid in workers_after
        },
    }


def line(name: str, result: dict, base: float | None = None) -> str:
    ratio = f"   x{result['rps'] / base:5.2f}" if base else ""
    bad = f"   ({result['non2xx']} non-2xx)" if result["non2xx"] else ""
    return (
        f"{name:>28}: {result['rps']:8.0f} req/s   p50 {result['p50']:7.1f} ms   p99 {result['p99']:7.1f} ms"
        f"   cpu: server {result['server_cpu']:4.2f}, wrk {result['load_cpu']:4.2f} cores{ratio}{bad}"
    )


def part_one(clients: int, seconds: float) -> None:
    from expo.demo import seed
    from expo.migrate import upgrade
    from tests.conftest import free_port

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/expo.db"
        upgrade(url)
        asyncio.run(seed(url))
        port = free_port()
        env = {**os.environ, "EXPO_DATABASE_URL": url, "EXPO_VAR_DIR": tmp, "EXPO_SECRET_KEY": "bench"}
        env["EXPO_LOG_LEVEL"] = "WARNING"
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT)
        try:
            wait_up(port)
            cookie, booth = sign_in(port)
            for path in ("/_bare", f"/booths/{booth}", "/"):  # warm-up: templates, caches
                wrk(port, path, 4, 1, cookie)
            results = {
                "bare route": wrk(port, "/_bare", clients, seconds, server_pid=server.pid),
                "anonymous booth page": wrk(port, f"/booths/{booth}", clients, seconds, server_pid=server.pid),
                "signed-in booth page": wrk(port, f"/booths/{booth}", clients, seconds, cookie, server.pid),
                "signed-in lobby": wrk(port, "/", clients, seconds, cookie, server.pid),
            }
        finally:
            server.terminate()
            server.wait()
    print(f"Part 1: one process, SQLite, {clients} keep-alive connections, {seconds:.0f} s per route")
    base = results["anonymous booth page"]["rps"]
    for name, result in results.items():
        print(line(name, result, base))
    print("(ratios against the anonymous booth page; aim: signed-in >= 0.5, p99 < 100 ms)")


def reset_postgres(url: str) -> None:
    import asyncpg

    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    head, name = plain.rsplit("/", 1)

    async def run() -> None:
        admin = await asyncpg.connect(f"{head}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(run())


def part_two(pg: str, redis: str, clients: int, seconds: float) -> None:
    from expo.demo import seed
    from expo.migrate import upgrade
    from tests.conftest import free_port

    reset_postgres(pg)
    upgrade(pg)
    asyncio.run(seed(pg))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            port = free_port()
            env = {**os.environ, "EXPO_DATABASE_URL": pg, "EXPO_REDIS_URL": redis, "EXPO_VAR_DIR": tmp}
            env.update(EXPO_SECRET_KEY="bench", EXPO_LOG_LEVEL="WARNING", EXPO_PORT=str(port), EXPO_HOST="127.0.0.1")
            server = subprocess.Popen(
                [sys.executable, "-m", "expo", "serve", "--workers", str(workers)], env=env, cwd=ROOT
            )
            try:
                wait_up(port)
                time.sleep(2 if workers > 1 else 0)  # every worker up
                cookie, booth = sign_in(port)
                wrk(port, f"/booths/{booth}", clients, 2, cookie)  # warm-up: every worker's caches
                results[workers] = wrk(port, f"/booths/{booth}", clients, seconds, cookie, server.pid)
                results[workers]["spread"] = spread(port)
            finally:
                server.terminate()
                server.wait()
    print(f"Part 2: PostgreSQL + Redis, signed-in booth page, {clients} connections, {seconds:.0f} s")
    for workers, result in results.items():
        print(line(f"--workers {workers}", result, results[1]["rps"]))
        print(f"{'':>30}CPU per worker (cores): {result['worker_cpu']}; 40 new connections: {result['spread']}")
    print(f"(aim: 2 workers >= 1.6 x 1 worker on {os.cpu_count()} cores, wrk in its own process)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pg", help="a PostgreSQL URL for part 2 (the database is recreated)")
    parser.add_argument("--redis", help="a Redis URL for part 2")
    parser.add_argument("--skip-one", action="store_true", help="only part 2")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    if not args.skip_one:
        part_one(args.clients, args.seconds)
    if args.pg and args.redis:
        part_two(args.pg, args.redis, args.clients, args.seconds)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
