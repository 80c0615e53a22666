"""Pitch fan-out benchmark: server CPU per wall-second against the number of viewers, for the
hub (encode once, share packets), the hub feeding a real Janus that serves the viewers
(``sfu``: CPU of the expo process plus the Janus process) and aiortc's MediaRelay (one encode
per viewer, baseline).

One run: a real server process (uvicorn + the expo app, SQLite) per mode; an aiortc publisher
sending a 640×480@30 pattern that carries a frame counter and its send time (ms); viewer
worker processes holding the "sink" viewers (RTP counted, not decoded: frames/s from
marker bits) and one process with a single "probe" viewer that decodes to read the painted
send time (glass-to-glass latency = receive wall clock - painted wall clock, same machine).
The server writes its stage counters (presenter frames in, encoded, skipped, packets sent and
dropped per viewer track, key frames, event-loop lateness) to a file the bench reads.

    .venv/bin/python bench/pitch_fanout.py [--viewers 1,4,16,64,128] [--relay-max 16] [--seconds 8]
        [--modes hub,sfu,relay]
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py (another benchmark) would shadow the standard library's http package.
sys.path = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def serve(mode: str, port: int, directory: str, sfu: tuple[str, str] | None = None) -> None:
    """The server process: the expo app with the hub in ``mode`` (``sfu``: (Janus URL, admin key))."""
    import uvicorn

    from expo.app import create_app
    from expo.settings import Settings
    from tests.conftest import fresh_database

    url = fresh_database("sqlite", Path(directory))

    @dataclasses.dataclass(frozen=True)
    class BenchSettings(Settings):
        pitch_fanout: str = "hub"
        pitch_legacy: bool = False
        max_viewers: int = 1000

    base = Settings.from_env(
        {
            "EXPO_DATABASE_URL": url,
            "EXPO_VAR_DIR": f"{directory}/var",
            "EXPO_SECRET_KEY": "bench",
            "EXPO_LOG_LEVEL": "WARNING",
        }
    )
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(Settings)}
    if sfu is not None:
        fields.update(sfu_urls=(sfu[0],), sfu_admin_key=sfu[1])
    settings = BenchSettings(
        **fields,
        pitch_fanout="relay" if mode == "relay" else "hub",
        pitch_legacy=mode == "hub-before",
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    count_retransmits()

    async def main() -> None:
        monitor = asyncio.create_task(watch(server, Path(directory) / "stats.json"))
        await server.serve()
        monitor.cancel()

    asyncio.run(main())


RETRANSMITS = [0]


def count_retransmits() -> None:
    """Bench instrumentation (server process only): count the RTP packets aiortc's senders
    retransmit for viewers' NACKs."""
    from aiortc import RTCRtpSender

    original = RTCRtpSender._retransmit

    async def counted(self: Any, sequence_number: int) -> None:
        RETRANSMITS[0] += 1
        await original(self, sequence_number)

    RTCRtpSender._retransmit = counted  # type: ignore[method-assign]


async def watch(server: "Any", path: Path) -> None:
    """Every 0.25 s, the server's stage counters to ``path`` (read by ``run_level``): presenter
    frames in / encoded / skipped, encode time, lag, what the viewers' tracks sent and dropped,
    key frames, and how late the event loop wakes up (its lag)."""
    from streaming.fanout import PacketTrack
    from streaming.registry import CACHE_KEY

    late: list[float] = []
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.25)
        late = [*late[-7:], time.monotonic() - before - 0.25]
        loop_late = max(late)  # over the last 2 s
        if not server.started:
            continue
        registry = server.lifespan.state["cache"].get(CACHE_KEY)
        stats: dict[str, float] = {"t": time.time(), "loop_late_max": loop_late, "retransmits": RETRANSMITS[0]}
        for hub in registry.hubs.values() if registry is not None else ():
            tracks = [t for p in hub.peers.values() if p.role == "viewer" for t in p.tracks]
            video = [t for t in tracks if isinstance(t, PacketTrack) and t.kind == "video"]
            stats.update(
                frames_in=hub.frames_in,
                encoded=hub.stats.encoded,
                skipped=hub.stats.skipped,
                encode_seconds=hub.stats.encode_seconds,
                lag=hub.stats.lag,
                keyframes=hub._encoder.keyframes,
                keyframe_requests=hub.keyframe_requests,
                decode_dropped=hub.decode_dropped,
                sent=sum(t.sent for t in video),
                dropped=sum(t.dropped for t in video),
                queued_max=max((len(t._queue) for t in video), default=0),
            )
        path.with_suffix(".tmp").write_text(json.dumps(stats))
        path.with_suffix(".tmp").replace(path)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def viewer_worker(
    url: str, sinks: int, probe: bool, seconds: float, go: Any, out: "multiprocessing.Queue[str]"
) -> None:
    asyncio.run(_viewers(url, sinks, probe, seconds, go, out))


async def _viewers(
    url: str, sinks: int, probe: bool, seconds: float, go: Any, out: "multiprocessing.Queue[str]"
) -> None:
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
    # The expo takes at most 4 anonymous viewers per client address (streaming.signaling):
    # every four viewers of a worker come from their own loopback address, as separate
    # machines would.
    clients: list[httpx.AsyncClient] = []

    def http_for(n: int) -> httpx.AsyncClient:
        while len(clients) <= n // 4:
            k = len(clients)
            address = f"127.{os.getpid() % 200 + 1}.{k // 250}.{k % 250 + 1}"
            clients.append(httpx.AsyncClient(timeout=60, transport=httpx.AsyncHTTPTransport(local_address=address)))
        return clients[n // 4]

    async with httpx.AsyncClient(timeout=60) as http:
        if probe:
            sessions.append(await client.view(http_for(0), url, audio=False))
        for n in range(sinks):
            session = await client.view(http_for(n + 1), url, audio=False)
            session.pc.getTransceivers()[0].receiver._bench_sink = -1  # not counting yet
            sessions.append(session)
        counted = {"frames": 0, "on": False, "seen": 0 if probe else 1}

        async def drain() -> None:  # read every frame from the start, so no backlog builds up
            video = sessions[0].tracks[0]
            while True:
                frame = await video.recv()
                counted["seen"] += 1
                if counted["on"]:
                    counted["frames"] += 1
                    latencies.append((now_ms() - read_pattern(frame)[1]) & 0xFFFFFFFF)

        reader = asyncio.create_task(drain()) if probe else None
        # Measure only once every viewer of every worker is connected (joins ask for key
        # frames) and the probe has pictures.
        while not all(s.pc.connectionState == "connected" for s in sessions) or not counted["seen"]:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        out.put("ready")
        await asyncio.to_thread(go.wait)
        for n, session in enumerate(sessions[1:] if probe else sessions):
            session.pc.getTransceivers()[0].receiver._bench_sink = n
        counted["on"] = True
        await asyncio.sleep(seconds)
        counted["on"] = False
        window = dict(frames)
        probe_frames = counted["frames"]
        if reader is not None:
            reader.cancel()
        for session in sessions:
            session.pc.getTransceivers()[0].receiver._bench_sink = -1
            await session.close(http)
        for each in clients:
            await each.aclose()
    frames = window
    fps = [frames.get(n, 0) / seconds for n in range(sinks)] + ([probe_frames / seconds] if probe else [])
    out.put(json.dumps({"fps": fps, "latency": latencies}))


def slow_worker(url: str, count: int, seconds: float, go: Any, out: "multiprocessing.Queue[str]") -> None:
    asyncio.run(_slow(url, count, seconds, go, out))


async def _slow(url: str, count: int, seconds: float, go: Any, out: "multiprocessing.Queue[str]") -> None:
    """``count`` real viewers in one process: aiortc's whole receive path (jitter buffer, NACK,
    PLI) and a VP8 decode of every frame. Together they need more CPU than they get, so they
    lag, lose packets and ask for key frames, as slow clients do."""
    import httpx

    from streaming import client

    frames = [0] * count
    counting = {"on": False}
    async with httpx.AsyncClient(
        timeout=60, transport=httpx.AsyncHTTPTransport(local_address=f"127.250.{os.getpid() % 250}.1")
    ) as http:
        sessions = []
        for n in range(count):
            if n % 4 == 0 and n:
                await http.aclose()
                address = f"127.250.{os.getpid() % 250}.{n // 4 + 1}"
                http = httpx.AsyncClient(timeout=60, transport=httpx.AsyncHTTPTransport(local_address=address))
            sessions.append(await client.view(http, url, audio=False))

        async def drain(n: int) -> None:
            while True:
                await sessions[n].tracks[0].recv()
                if counting["on"]:
                    frames[n] += 1

        readers = [asyncio.create_task(drain(n)) for n in range(count)]
        out.put("ready")
        await asyncio.to_thread(go.wait)
        counting["on"] = True
        await asyncio.sleep(seconds)
        counting["on"] = False
        for reader in readers:
            reader.cancel()
        for session in sessions:
            await session.pc.close()
    out.put(json.dumps({"slow_fps": [f / seconds for f in frames]}))


def udp_receive_errors() -> int:
    """Datagrams the kernel dropped (machine-wide): a receiver that did not read in time."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")]
    return int(dict(zip(lines[0], lines[1], strict=True))["RcvbufErrors"])


def server_stats(path: Path) -> dict[str, float]:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def cpu_of(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def run_level(
    base: str, pids: list[int], viewers: int, seconds: float, stats_path: Path, slow: int = 0
) -> dict[str, float]:
    # One process holds the probe alone (its latency is not queued behind sink traffic);
    # the other viewers are sinks in up to two more processes.
    workers = 0 if viewers == 1 else 1 if viewers <= 4 else 2
    sinks = [(viewers - 1) // workers + (1 if i < (viewers - 1) % workers else 0) for i in range(workers)]
    plan = [(0, True)] + [(n, False) for n in sinks]
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    go = multiprocessing.Event()
    procs = [
        multiprocessing.Process(target=viewer_worker, args=(f"{base}/pitches/1/whep", n, probe, seconds, go, queue))
        for n, probe in plan
    ]
    if slow:
        procs.append(
            multiprocessing.Process(target=slow_worker, args=(f"{base}/pitches/1/whep", slow, seconds, go, queue))
        )
    for p in procs:
        p.start()
    for _ in procs:
        assert await asyncio.to_thread(queue.get, True, 300) == "ready"
    await asyncio.sleep(2)  # settle: the last joiners' key frames
    go.set()
    parts0 = [cpu_seconds(pid) for pid in pids]
    c0, t0, s0, u0 = cpu_of(pids), time.time(), server_stats(stats_path), udp_receive_errors()
    await asyncio.sleep(seconds)
    c1, t1, s1, u1 = cpu_of(pids), time.time(), server_stats(stats_path), udp_receive_errors()
    parts = [(cpu_seconds(pid) - before) / (t1 - t0) for pid, before in zip(pids, parts0, strict=True)]
    results = [json.loads(await asyncio.to_thread(queue.get, True, 120)) for _ in procs]
    for p in procs:
        p.join(30)
    slow_fps = [f for r in results for f in r.get("slow_fps", [])]
    results = [r for r in results if "fps" in r]
    fps = [f for r in results for f in r["fps"]]
    latency = sorted(x for r in results for x in r["latency"] if x < 60_000)
    span = s1.get("t", 1.0) - s0.get("t", 0.0)
    rate = {
        k: (s1[k] - s0.get(k, 0)) / span
        for k in (
            "frames_in",
            "encoded",
            "skipped",
            "encode_seconds",
            "sent",
            "dropped",
            "keyframe_requests",
            "retransmits",
            "decode_dropped",
        )
        if k in s1
    }
    return {
        "viewers": viewers,
        "server": {
            **rate,
            "lag": s1.get("lag"),
            "queued_max": s1.get("queued_max"),
            "keyframes": s1.get("keyframes", 0) - s0.get("keyframes", 0),
            "loop_late_max": s1.get("loop_late_max"),
            "udp_drops": (u1 - u0) / (t1 - t0),
            **({"cpu_expo": parts[0], "cpu_janus": parts[1]} if len(parts) > 1 else {}),
        },
        "cpu": (c1 - c0) / (t1 - t0),
        "slow_fps": statistics.median(slow_fps) if slow_fps else float("nan"),
        "worst_fps": min(fps),
        "median_fps": statistics.median(fps),
        "lat_median": statistics.median(latency) if latency else float("nan"),
        "lat_p95": latency[int(len(latency) * 0.95)] if latency else float("nan"),
    }


async def bench_mode(mode: str, levels: list[int], seconds: float, slow: int = 0) -> list[dict[str, float]]:
    import httpx

    from streaming import client
    from streaming.testpattern import PatternTrack
    from tests.conftest import free_port
    from tests.streaming.conftest import add_pitch, token_for

    directory = tempfile.mkdtemp(prefix=f"fanout-{mode}-")
    port = free_port()
    janus = None
    if mode == "sfu":
        from tests.streaming.janus_server import JanusServer

        janus = JanusServer(Path(directory)).start()
    sfu = (janus.url, janus.admin_key) if janus is not None else None
    server = multiprocessing.Process(target=serve, args=(mode, port, directory, sfu))
    server.start()
    pids = [server.pid] + ([janus.process.pid] if janus is not None and janus.process is not None else [])
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
        c0, t0 = cpu_of(pids), time.time()
        await asyncio.sleep(seconds)
        rows.append(
            {
                "viewers": 0,
                "cpu": (cpu_of(pids) - c0) / (time.time() - t0),
                "worst_fps": 0,
                "median_fps": 0,
                "lat_median": float("nan"),
                "lat_p95": float("nan"),
            }
        )
        for viewers in levels:
            row = await run_level(base, pids, viewers, seconds, Path(directory) / "stats.json", slow)
            rows.append(row)
            print(
                f"{mode:5} {viewers:4d} viewers (load {os.getloadavg()[0]:.1f}): {row['cpu']:.3f} CPU-s/s, "
                f"worst {row['worst_fps']:.1f} fps, "
                f"median {row['median_fps']:.1f} fps, latency median {row['lat_median']:.0f} ms "
                f"p95 {row['lat_p95']:.0f} ms",
                flush=True,
            )
            if row.get("slow_fps") == row.get("slow_fps"):  # not NaN: there were slow viewers
                print(f"      slow viewers: median {row['slow_fps']:.1f} fps", flush=True)
            if mode != "relay":
                print(
                    "      server per s: "
                    + ", ".join(f"{k} {v:.3g}" for k, v in row["server"].items() if v is not None),
                    flush=True,
                )
            await asyncio.sleep(2)
        await publisher.close(http)
    server.terminate()
    server.join(10)
    if janus is not None:
        janus.stop()
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
    parser.add_argument(
        "--modes",
        default="hub,sfu,relay",
        help="any of hub, sfu (Janus), relay (baseline), hub-before (the hub before issue 15's overload fixes)",
    )
    parser.add_argument("--slow", type=int, default=0, help="extra decoding viewers in one process (slow clients)")
    args = parser.parse_args()
    levels = [int(v) for v in args.viewers.split(",")]
    modes = args.modes.split(",")
    print(f"machine: {os.cpu_count()} CPUs; 640x480@30 VP8; {args.seconds:.0f} s per level; load {os.getloadavg()}")
    results: dict[str, list[dict[str, float]]] = {}
    for mode in modes:
        wanted = [v for v in levels if v <= args.relay_max] if mode == "relay" else levels
        results[mode] = asyncio.run(bench_mode(mode, wanted, args.seconds, args.slow))

    def fitted(rows: list[dict[str, float]]) -> list[dict[str, float]]:
        small = [r for r in rows if r["viewers"] <= 64]
        return small if len({r["viewers"] for r in small}) > 1 else rows  # one level above 64: all

    slopes = {mode: per_viewer(fitted(rows)) for mode, rows in results.items()}
    print()
    for mode, slope in slopes.items():
        print(f"per added viewer ({mode}): {slope:.5f} CPU-s/s -> about {1 / slope:.0f} viewers per core")
    if "hub" in slopes:
        for mode in (m for m in slopes if m != "hub"):
            print(f"{mode} / hub per-viewer CPU: 1/{slopes['hub'] / slopes[mode]:.1f}")
        single = next((r for r in results["hub"] if r["viewers"] == 1), results["hub"][-1])
        for mode, rows in results.items():
            for r in rows[1:]:
                same = next((h for h in results["hub"] if h["viewers"] == r["viewers"]), None)
                versus = f", {r['lat_median'] - same['lat_median']:+.0f} ms vs hub at this level" if same else ""
                print(
                    f"{mode:5} {int(r['viewers']):4d}: median latency {r['lat_median'] - single['lat_median']:+.0f} ms"
                    f" vs one hub viewer{versus}, worst fps {r['worst_fps']:.1f}"
                )
    print(f"load at the end: {os.getloadavg()}")


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    main()
