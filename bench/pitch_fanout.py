"""Pitch fan-out benchmark: server CPU per wall-second against the number of viewers, for the
hub (encode once, share packets) and aiortc's MediaRelay (one encode per viewer, baseline).

One run: a real server process (uvicorn + the expo app, SQLite) per mode; an aiortc publisher
sending a 640×480@30 pattern that carries a frame counter and its send time (ms); viewer
worker processes, each holding N "sink" viewers (RTP counted, not decoded: frames/s from
marker bits) and one "probe" viewer that decodes to read the painted send time
(glass-to-glass latency = receive wall clock - painted wall clock, same machine).

    .venv/bin/python bench/pitch_fanout.py [--viewers 1,4,16,64,128] [--relay-max 16] [--seconds 8]
"""

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py (another benchmark) would shadow the standard library's http package.
sys.path = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def serve(mode: str, port: int, directory: str) -> None:
    """The server process: the expo app with the hub in ``mode``."""
    import uvicorn

    from expo.app import create_app
    from expo.settings import Settings
    from tests.conftest import fresh_database

    url = fresh_database("sqlite", Path(directory))

    @dataclasses.dataclass(frozen=True)
    class BenchSettings(Settings):
        pitch_fanout: str = "hub"
        max_viewers: int = 1000

    base = Settings.from_env(
        {
            "EXPO_DATABASE_URL": url,
            "EXPO_VAR_DIR": f"{directory}/var",
            "EXPO_SECRET_KEY": "bench",
            "EXPO_LOG_LEVEL": "WARNING",
        }
    )
    settings = BenchSettings(**{f.name: getattr(base, f.name) for f in dataclasses.fields(Settings)}, pitch_fanout=mode)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def viewer_worker(url: str, sinks: int, seconds: float, start_at: float, out: "multiprocessing.Queue[str]") -> None:
    asyncio.run(_viewers(url, sinks, seconds, start_at, out))


async def _viewers(url: str, sinks: int, seconds: float, start_at: float, out: "multiprocessing.Queue[str]") -> None:
    import httpx
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    from streaming import client
    from streaming.testpattern import now_ms, read_pattern

    frames: dict[int, int] = {}
    original = RTCRtpReceiver._handle_rtp_packet

    async def counting(self, packet, arrival_time_ms):  # noqa: ANN001, ANN202
        if getattr(self, "_bench_sink", None) is not None:
            if packet.marker and self._bench_sink >= 0:
                frames[self._bench_sink] = frames.get(self._bench_sink, 0) + 1
            return None  # a sink: counted, not decoded
        return await original(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = counting
    sessions = []
    latencies: list[int] = []
    async with httpx.AsyncClient(timeout=60) as http:
        probe = await client.view(http, url, audio=False)
        sessions.append(probe)
        for n in range(sinks):
            session = await client.view(http, url, audio=False)
            session.pc.getTransceivers()[0].receiver._bench_sink = -1  # not counting yet
            sessions.append(session)
        video = probe.tracks[0]
        counted = {"frames": 0, "on": False}

        async def drain() -> None:  # read every frame from the start, so no backlog builds up
            while True:
                frame = await video.recv()
                if counted["on"]:
                    counted["frames"] += 1
                    latencies.append((now_ms() - read_pattern(frame)[1]) & 0xFFFFFFFF)

        reader = asyncio.create_task(drain())
        await asyncio.sleep(max(0.0, start_at - time.time()))
        for n, session in enumerate(sessions[1:]):
            session.pc.getTransceivers()[0].receiver._bench_sink = n
        counted["on"] = True
        await asyncio.sleep(seconds)
        counted["on"] = False
        window = dict(frames)
        probe_frames = counted["frames"]
        reader.cancel()
        for session in sessions:
            session.pc.getTransceivers()[0].receiver._bench_sink = -1
            await session.close(http)
    frames = window
    fps = [frames.get(n, 0) / seconds for n in range(sinks)] + [probe_frames / seconds]
    out.put(json.dumps({"fps": fps, "latency": latencies}))


async def run_level(base: str, pid: int, viewers: int, seconds: float) -> dict[str, float]:
    workers = 1 if viewers <= 2 else 2
    sinks = [(viewers - workers) // workers + (1 if i < (viewers - workers) % workers else 0) for i in range(workers)]
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    start_at = time.time() + 6 + viewers * 0.08
    procs = [
        multiprocessing.Process(target=viewer_worker, args=(f"{base}/pitches/1/whep", s, seconds, start_at, queue))
        for s in sinks
    ]
    for p in procs:
        p.start()
    await asyncio.sleep(max(0.0, start_at - time.time()))
    c0, t0 = cpu_seconds(pid), time.time()
    await asyncio.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.time()
    results = [json.loads(await asyncio.to_thread(queue.get, True, 120)) for _ in procs]
    for p in procs:
        p.join(30)
    fps = [f for r in results for f in r["fps"]]
    latency = sorted(x for r in results for x in r["latency"] if x < 60_000)
    return {
        "viewers": viewers,
        "cpu": (c1 - c0) / (t1 - t0),
        "worst_fps": min(fps),
        "median_fps": statistics.median(fps),
        "lat_median": statistics.median(latency) if latency else float("nan"),
        "lat_p95": latency[int(len(latency) * 0.95)] if latency else float("nan"),
    }


async def bench_mode(mode: str, levels: list[int], seconds: float) -> list[dict[str, float]]:
    import httpx

    from streaming import client
    from streaming.testpattern import PatternTrack
    from tests.conftest import free_port
    from tests.streaming.conftest import add_pitch, token_for

    directory = tempfile.mkdtemp(prefix=f"fanout-{mode}-")
    port = free_port()
    server = multiprocessing.Process(target=serve, args=(mode, port, directory))
    server.start()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(200):
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        url = f"sqlite+aiosqlite:///{directory}/expo.db"
        pitch = await add_pitch(url)
        token = await token_for(url, "bench", pitch)
        publisher = await client.publish(http, f"{base}/pitches/{pitch}/whip", token, [PatternTrack()])
        await asyncio.sleep(2)
        rows = []
        c0, t0 = cpu_seconds(server.pid), time.time()
        await asyncio.sleep(seconds)
        rows.append(
            {
                "viewers": 0,
                "cpu": (cpu_seconds(server.pid) - c0) / (time.time() - t0),
                "worst_fps": 0,
                "median_fps": 0,
                "lat_median": float("nan"),
                "lat_p95": float("nan"),
            }
        )
        for viewers in levels:
            row = await run_level(base, server.pid, viewers, seconds)
            rows.append(row)
            print(
                f"{mode:5} {viewers:4d} viewers: {row['cpu']:.3f} CPU-s/s, worst {row['worst_fps']:.1f} fps, "
                f"median {row['median_fps']:.1f} fps, latency median {row['lat_median']:.0f} ms "
                f"p95 {row['lat_p95']:.0f} ms",
                flush=True,
            )
            await asyncio.sleep(2)
        await publisher.close(http)
    server.terminate()
    server.join(10)
    return rows


def per_viewer(rows: list[dict[str, float]]) -> float:
    """Least-squares slope of CPU-s/s against viewers (the cost of one more viewer)."""
    xs = [r["viewers"] for r in rows]
    ys = [r["cpu"] for r in rows]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", default="1,4,16,64,128")
    parser.add_argument("--relay-max", type=int, default=16, help="largest baseline level (it falls over)")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    levels = [int(v) for v in args.viewers.split(",")]
    print(f"machine: {os.cpu_count()} CPUs; 640x480@30 VP8; {args.seconds:.0f} s per level")
    hub = asyncio.run(bench_mode("hub", levels, args.seconds))
    relay = asyncio.run(bench_mode("relay", [v for v in levels if v <= args.relay_max], args.seconds))
    hub_slope = per_viewer([r for r in hub if r["viewers"] <= 64])
    relay_slope = per_viewer(relay)
    print(
        f"\nper added viewer: hub {hub_slope:.4f} CPU-s/s, MediaRelay {relay_slope:.4f} CPU-s/s, "
        f"ratio 1/{relay_slope / hub_slope:.1f}"
    )
    single = next(r for r in hub if r["viewers"] == 1)
    for r in hub[1:]:
        print(
            f"hub {int(r['viewers']):4d}: median latency {r['lat_median'] - single['lat_median']:+.0f} ms vs one viewer,"
            f" worst fps {r['worst_fps']:.1f}"
        )


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    main()
