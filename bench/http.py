"""HTTP throughput and latency: the lobby page against a bare route in the same server.

    .venv/bin/python bench/http.py [--seconds 10] [--clients 50]

Starts one `expo` server process (SQLite, demo data) with an extra bare route `/_bare` that
returns a short text through the same middleware stack, then loads both routes in turn from
this process with N keep-alive connections (a small raw-socket HTTP/1.1 client, so that the
client costs little of the 2 cores). Prints requests/s, p50/p99 latency and the ratio
lobby/bare. Numbers go in docs/performance.md.
"""

import sys
from pathlib import Path

# This file is named http.py (as the issue asks); keep it from shadowing the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
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


async def one_client(
    port: int, path: str, lang: str, deadline: float, latencies: list[float], cookie: str = ""
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: {lang}\r\nAccept: text/html\r\n{extra}\r\n"
    ).encode()
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            latencies.append(time.perf_counter() - start)
    finally:
        writer.close()


async def load(port: int, path: str, clients: int, seconds: float, cookie: str = "") -> dict[str, float]:
    latencies: list[float] = []
    langs = ["en", "zh-CN", "ja", "ar", "ko", "id", "zh-TW"]
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(one_client(port, path, langs[i % len(langs)], deadline, latencies, cookie) for i in range(clients))
    )
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "n": len(latencies),
    }


def session_cookie(port: int) -> str:
    """Signs in a demo investor and returns the session cookie."""
    import re

    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post(
            "/login",
            data={
                "email": "investor@expo.example",
                "password": "expo-demo-2026",
                "csrf_token": token,
            },
        )
        return f"expo_session={client.cookies['expo_session']}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()

    from expo.demo import seed
    from expo.migrate import upgrade
    from tests.conftest import free_port

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/expo.db"
        upgrade(url)
        asyncio.run(seed(url))
        port = free_port()
        env = {
            **os.environ,
            "EXPO_DATABASE_URL": url,
            "EXPO_VAR_DIR": tmp,
            "EXPO_SECRET_KEY": "bench",
            "EXPO_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT)
        try:
            for _ in range(100):
                try:
                    asyncio.run(load(port, "/_bare", 1, 0.05))
                    break
                except OSError:
                    time.sleep(0.1)
            asyncio.run(load(port, "/", 4, 1.0))  # warm-up: templates compiled, caches filled
            bare = asyncio.run(load(port, "/_bare", args.clients, args.seconds))
            lobby = asyncio.run(load(port, "/", args.clients, args.seconds))
            signed_in = asyncio.run(load(port, "/", args.clients, args.seconds, session_cookie(port)))
        finally:
            server.terminate()
            server.wait()
    print(f"{args.clients} keep-alive clients, {args.seconds:.0f} s per route, one server process")
    for name, result in (("bare route", bare), ("lobby", lobby), ("signed in", signed_in)):
        print(
            f"{name:>10}: {result['rps']:8.0f} req/s   p50 {result['p50']:6.1f} ms   p99 {result['p99']:6.1f} ms"
            f"   ({result['n']} requests)"
        )
    print(
        f"lobby / bare throughput: {lobby['rps'] / bare['rps']:.2f} (aim >= 0.30); lobby p99 {lobby['p99']:.1f} ms"
        " (aim < 100 ms)"
    )
    print(
        f"signed-in lobby (rendered per request, no page cache) / bare: {signed_in['rps'] / bare['rps']:.2f};"
        f" p99 {signed_in['p99']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
