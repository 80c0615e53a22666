"""Meeting-room figures: join time (opening the room's socket → first remote video frame
decoded) over N joins on loopback, direct and through the expo's coturn (relay only); and
the server's cost of signaling with R rooms open at once (2R joined sockets) against the
same number of idle ``/ws/live`` sockets, measured on the same server process in the same run.

    .venv/bin/python bench/rooms.py [--joins 20] [--rooms 200] [--seconds 20]

The peers are aiortc (streaming/room_client.py) in this process; the server is a real
``expo serve`` subprocess on SQLite. Numbers go in docs/performance.md ("Meeting rooms").
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http: drop this folder from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402

from expo.migrate import upgrade  # noqa: E402
from streaming.room_client import RoomClient  # noqa: E402
from streaming.testpattern import PatternTrack  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.streaming.coturn import Coturn  # noqa: E402
from tests.streaming.rooms_setup import make_meeting, sign_in  # noqa: E402

TURN_SECRET = "bench-turn-secret"


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "expo", "serve"],
            env={**os.environ, **env, "EXPO_PORT": str(self.port), "EXPO_HOST": "127.0.0.1"},
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{self.host}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(log.read_text()[-2000:])

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._log.close()


def pct(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


async def join_times(host: str, url: str, joins: int, relay: bool) -> tuple[list[float], int]:
    setup = await make_meeting(url)
    base = f"http://{host}"
    investor_cookie = await sign_in(base, setup.emails["investor"])
    team_cookie = await sign_in(base, setup.emails["team"])
    ws = f"ws://{host}/ws/meetings/{setup.meeting_id}"
    investor = RoomClient(ws, investor_cookie, lambda: [PatternTrack()], relay_only=relay)
    await investor.connect()
    times: list[float] = []
    failed = 0
    try:
        for _ in range(joins):
            team = RoomClient(ws, team_cookie, lambda: [PatternTrack()], relay_only=relay)
            started = time.perf_counter()
            await team.connect()
            try:
                track = await team.video_from(investor.peer_id)  # type: ignore[arg-type]
                await asyncio.wait_for(track.recv(), 15)
                times.append(time.perf_counter() - started)
            except TimeoutError:
                failed += 1  # no frame within 15 s: counted, not timed
            await team.close()
            await investor.next("left")
    finally:
        await investor.close()
    return times, failed


async def hold_sockets(server: Server, open_one, count: int, seconds: float) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Opens ``count`` sockets with ``open_one(i)``, then measures the server's CPU seconds per
    second and RSS over ``seconds`` while they stay open; returns (cpu/s, rss MB, open s)."""
    started = time.perf_counter()
    sockets = []
    for start in range(0, count, 50):
        sockets += await asyncio.gather(*(open_one(i) for i in range(start, min(count, start + 50))))
    opened = time.perf_counter() - started
    await asyncio.sleep(1)
    cpu0 = server.cpu_seconds()
    await asyncio.sleep(seconds)
    cpu = (server.cpu_seconds() - cpu0) / seconds
    rss = server.rss_mb()
    for socket in sockets:
        await socket.close()
    await asyncio.sleep(2)
    return cpu, rss, opened


async def signaling_cost(server: Server, url: str, rooms: int, seconds: float) -> dict[str, tuple[float, float, float]]:
    base = f"http://{server.host}"
    first = await make_meeting(url, tag="bench-rooms")
    meetings = [first.meeting_id]
    from expo.db import Database
    from expo.meetings import Meeting
    from expo.meetings.models import Slot

    db = Database(url)
    async with db.session() as session:
        template = await session.get(Meeting, first.meeting_id)
        assert template is not None
        for i in range(1, rooms):
            slot = Slot(starts_at=template.starts_at + timedelta(microseconds=i), ends_at=template.ends_at)
            session.add(slot)
            await session.flush()
            meeting = Meeting(
                uid=f"bench-{i}@rooms",
                investor_user_id=template.investor_user_id,
                team_id=template.team_id,
                district_id=template.district_id,
                slot_id=slot.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
            session.add(meeting)
            await session.flush()
            meetings.append(meeting.id)
        await session.commit()
    await db.close()
    cookies = [await sign_in(base, first.emails["investor"]), await sign_in(base, first.emails["team"])]

    async def live(i: int):  # type: ignore[no-untyped-def]
        socket = await websockets.connect(f"ws://{server.host}/ws/live", additional_headers={"Cookie": cookies[i % 2]})
        await socket.send(json.dumps({"type": "hello"}))
        await socket.recv()
        return socket

    async def room(i: int):  # type: ignore[no-untyped-def]
        meeting_id = meetings[i // 2]
        socket = await websockets.connect(
            f"ws://{server.host}/ws/meetings/{meeting_id}", additional_headers={"Cookie": cookies[i % 2]}
        )
        await socket.send(json.dumps({"type": "join"}))
        welcome = json.loads(await socket.recv())
        assert welcome["type"] == "welcome", welcome
        return socket

    results = {}
    cpu0 = server.cpu_seconds()
    await asyncio.sleep(seconds)
    results["idle server"] = ((server.cpu_seconds() - cpu0) / seconds, server.rss_mb(), 0.0)
    results[f"{2 * rooms} idle /ws/live sockets"] = await hold_sockets(server, live, 2 * rooms, seconds)
    results[f"{rooms} rooms, {2 * rooms} joined sockets"] = await hold_sockets(server, room, 2 * rooms, seconds)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-rooms-"))
    url = f"sqlite+aiosqlite:///{directory}/expo.db"
    await asyncio.to_thread(upgrade, url)
    env = {
        "EXPO_DATABASE_URL": url,
        "EXPO_VAR_DIR": str(directory / "var"),
        "EXPO_SECRET_KEY": "bench-rooms-secret",
        "EXPO_LOG_LEVEL": "WARNING",
    }
    with Coturn(directory, TURN_SECRET) as coturn:
        turn_env = {**env, "EXPO_TURN_URLS": ",".join(coturn.urls), "EXPO_TURN_SECRET": TURN_SECRET}
        direct_server = Server(env, directory / "direct.log")
        turn_server = Server(turn_env, directory / "turn.log")
        try:
            direct, direct_failed = await join_times(direct_server.host, url, args.joins, relay=False)
            relayed, relayed_failed = await join_times(turn_server.host, url, args.joins, relay=True)
            turn_server.stop()
            cost = await signaling_cost(direct_server, url, args.rooms, args.seconds)
        finally:
            for server in (direct_server, turn_server):
                if server.process.poll() is None:
                    server.stop()
    print(f"join → first remote frame over {args.joins} joins (loopback, aiortc peers):")
    d50, d95 = pct(direct)
    r50, r95 = pct(relayed)
    print(f"  direct          median {d50:7.0f} ms   p95 {d95:7.0f} ms   no frame in 15 s: {direct_failed}")
    print(
        f"  through TURN    median {r50:7.0f} ms   p95 {r95:7.0f} ms   no frame in 15 s: {relayed_failed}"
        f"   ratio to direct {r50 / d50:.2f}× (median)"
    )
    print(f"server cost over {args.seconds:.0f} s (one expo serve process, SQLite):")
    base_cpu, base_rss, _ = next(iter(cost.values()))
    live_cpu, live_rss, _ = list(cost.values())[1]
    for name, (cpu, rss, opened) in cost.items():
        extra = f"   opened in {opened:5.1f} s" if opened else ""
        print(f"  {name:34s} CPU {cpu:6.3f} s/s   RSS {rss:6.1f} MB (+{rss - base_rss:5.1f}){extra}")
    room_cpu, room_rss, _ = list(cost.values())[2]
    print(
        f"  rooms vs /ws/live: CPU {(room_cpu - base_cpu) / max(live_cpu - base_cpu, 1e-3):.2f}× the idle-socket "
        f"increment, memory {(room_rss - base_rss) / max(live_rss - base_rss, 0.1):.2f}×"
    )


if __name__ == "__main__":
    asyncio.run(main())
