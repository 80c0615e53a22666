"""Static files and cached pages under wrk (issue 13, item 4): the anonymous booth page's
tail when its cache entry expires, static assets fingerprinted or not, gzip or not.

    flock /tmp/bench.lock .venv/bin/python bench/pages.py [--seconds 12] [--clients 50]

One server process (uvicorn + the app, SQLite, demo data, the bare route of bench/http.py);
the load is wrk (C, its own process, 1 thread). Every figure sits next to the bare route's in
the same run. The page cache holds an entry 5 s, so a 12 s run crosses two expiries: with
every client missing at once, each renders the page itself and the tail shows it.
Numbers go in docs/performance.md ("Static files and page caches").
"""

import sys
from pathlib import Path

# bench/http.py sits next to this file; keep it from shadowing the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wrk(port: int, path: str, clients: int, seconds: float, headers: dict[str, str] | None = None) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    return {
        "rps": rps,
        "p50": ms("50"),
        "p99": ms("99"),
        "non2xx": float(errors[1]) if errors else 0.0,
        "transfer": f"{transfer[1]}{transfer[2]}" if transfer else "?",  # type: ignore[dict-item]
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()

    import httpx

    from expo.demo import seed
    from expo.migrate import upgrade
    from tests.conftest import free_port

    spec = __import__("importlib.util").util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
    bench_http = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(bench_http)

    import asyncio

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/expo.db"
        upgrade(url)
        asyncio.run(seed(url))
        env = {
            **os.environ,
            "EXPO_DATABASE_URL": url,
            "EXPO_VAR_DIR": tmp,
            "EXPO_SECRET_KEY": "bench",
            "EXPO_LOG_LEVEL": "WARNING",
        }
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", bench_http.SERVER, str(port)], env=env, cwd=ROOT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    httpx.get(base + "/_bare", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            items = httpx.get(base + "/api/booths?per_page=100&lang=en").json()["items"]
            booth = next(b["id"] for b in items if b["name"]["text"] == "Nova Antibody Therapeutics")
            page = httpx.get(f"{base}/booths/{booth}?lang=en").text
            found = re.search(r'href="(/static/css/app[^"]*\.css)"', page)
            css_url = found[1] if found else "/static/css/app.css"
            gz = {"Accept-Encoding": "gzip"}
            runs = [
                ("bare route", "/_bare", {}),
                ("booth page, anonymous", f"/booths/{booth}", {}),
                ("booth page, anonymous, gzip", f"/booths/{booth}", gz),
                ("css, plain URL", "/static/css/app.css", {}),
                (f"css, page's URL{' (fingerprinted)' if css_url != '/static/css/app.css' else ''}", css_url, gz),
            ]
            results = []
            for name, path, headers in runs:
                wrk(port, path, 4, 1, headers)  # warm-up
                results.append((name, path, wrk(port, path, args.clients, args.seconds, headers)))
            head = httpx.get(base + css_url, headers=gz)
            cache_control = head.headers.get("cache-control", "(none)")
            encoding = head.headers.get("content-encoding", "identity")
        finally:
            server.terminate()
            server.wait()
    print(f"\nwrk, {args.clients} connections, {args.seconds:.0f} s per route, one server process (SQLite)")
    bare = results[0][2]["rps"]
    for name, path, r in results:
        print(
            f"{name:>34}: {r['rps']:7.0f} req/s ({r['rps'] / bare:4.2f}× bare)  p50 {r['p50']:7.1f} ms  "
            f"p99 {r['p99']:7.1f} ms  {r['transfer']}/s  non-2xx {r['non2xx']:.0f}   {path}"
        )
    print(f"{css_url}: Cache-Control: {cache_control}; Content-Encoding: {encoding}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
