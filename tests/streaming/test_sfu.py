"""Large audiences through a real Janus (Debian's 1.1.2, started here from the shipped
configuration): the hub feeds it plain RTP, viewers use the expo's WHEP URL unchanged and are
brokered to Janus; a registered-only pitch still refuses a viewer without a token; a killed
Janus is taken out and new viewers are served by the hub itself."""

import asyncio
import dataclasses
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from expo.app import create_app
from streaming import client
from streaming.sfu import SfuPool
from streaming.testpattern import PatternTrack, ToneTrack
from tests.conftest import REDIS_URL, free_port, make_settings
from tests.streaming.conftest import Served, add_pitch, token_for
from tests.streaming.janus_server import JANUS, JanusServer
from tests.streaming.test_fanout import MAX_LATENCY_MS, MIN_COUNTER_RATE, MIN_DELIVERED_FPS, WINDOW, Watch
from tests.streaming.test_media import interpreter_token, tone

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    pytest.mark.skipif(not JANUS.exists(), reason="Debian's janus is not installed: `make janus`"),
]


@pytest.fixture
def janus(tmp_path: Path) -> AsyncIterator[JanusServer]:
    with JanusServer(tmp_path) as server:
        yield server


@pytest.fixture
async def sfu_served(database_url: str, tmp_path: Path, janus: JanusServer) -> AsyncIterator[Served]:
    settings = make_settings(database_url, tmp_path / "var", REDIS_URL or None)
    settings = dataclasses.replace(settings, sfu_urls=(janus.url,), sfu_admin_key=janus.admin_key)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
        served = Served(f"http://127.0.0.1:{port}", server, settings, http)
        try:
            yield served
        finally:
            await served.registry.close()
            if served.registry._guard is not None:
                served.registry._guard.cancel()
            server.should_exit = True
            await task


def pool(served: Served) -> SfuPool:
    found = served.registry.sfu
    assert found is not None
    return found


def check_keeps_up(watch: Watch, start: float, end: float, n: int) -> None:
    seen = watch.window(start, end)
    counters = [c for _, c, _ in seen]
    latencies = sorted(lat for _, _, lat in seen)
    report = f"viewer {n}: {len(seen)} frames, counters {counters}, latency {latencies}"
    assert len(seen) / WINDOW >= MIN_DELIVERED_FPS, report
    assert sum(b <= a for a, b in zip(counters, counters[1:], strict=False)) <= 3, report
    head, tail = seen[:10], seen[-10:]
    advance = statistics.median(c for _, c, _ in tail) - statistics.median(c for _, c, _ in head)
    elapsed = statistics.median(t for t, _, _ in tail) - statistics.median(t for t, _, _ in head)
    assert advance / elapsed >= MIN_COUNTER_RATE, report
    assert statistics.median(latencies) < MAX_LATENCY_MS / 2, report


async def test_three_viewers_through_janus_keep_up_with_the_publisher(sfu_served: Served) -> None:
    served = sfu_served
    pitch_id = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch_id)
    publisher = await client.publish(served.http, f"/pitches/{pitch_id}/whip", token, [PatternTrack(), ToneTrack(440)])
    viewers = [await client.view(served.http, f"/pitches/{pitch_id}/whep") for _ in range(3)]
    watches = [Watch(next(t for t in v.tracks if t.kind == "video")) for v in viewers]
    try:
        await asyncio.wait_for(asyncio.gather(*(w.first.wait() for w in watches)), 20)
        hub = served.registry.get(pitch_id)
        assert hub is not None
        # Served by Janus, not by the hub: no peer connection of the hub's own per viewer.
        assert (hub.viewer_count, hub.local_viewers, pool(served).snapshot()[0]["viewers"]) == (3, 0, 3)
        live = (await served.http.get("/api/pitches")).json()
        assert next(p for p in live["pitches"] if p["id"] == pitch_id)["live"]["viewers"] == 3
        await asyncio.sleep(2)
        start = time.monotonic()
        await asyncio.sleep(WINDOW)
        end = time.monotonic()
        for n, watch in enumerate(watches):
            check_keeps_up(watch, start, end, n)
        # One mountpoint (aiortc's payload types, original audio), fed once per packet.
        instance = pool(served).instances[0]
        assert len(instance.mountpoints) == 1
        video_feed = pool(served).feeds[pitch_id][0]
        assert video_feed.packets == next(iter(instance.mountpoints.values())).video.sent
        # DELETE still ends the session: Janus' handle is detached, the count drops.
        await viewers[0].close(served.http)
        assert hub.viewer_count == 2 and pool(served).snapshot()[0]["viewers"] == 2
        assert (await served.http.delete(viewers[0].location)).status_code == 404
    finally:
        for watch in watches:
            watch.task.cancel()
        for viewer in viewers[1:]:
            await viewer.close(served.http)
        await publisher.close(served.http)


async def test_a_registered_only_pitch_refuses_a_viewer_without_a_token_before_janus(sfu_served: Served) -> None:
    served = sfu_served
    pitch_id = await add_pitch(served.settings.database_url, public=False)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch_id)
    publisher = await client.publish(served.http, f"/pitches/{pitch_id}/whip", token, [PatternTrack()])
    try:
        with pytest.raises(client.SignalingError) as refused:
            await client.view(served.http, f"/pitches/{pitch_id}/whep", audio=False)
        assert refused.value.status == 401
        assert pool(served).instances[0].viewers == {}  # nothing was brokered to Janus
        with pytest.raises(client.SignalingError) as wrong:
            await client.view(served.http, f"/pitches/{pitch_id}/whep", audio=False, token=f"v{pitch_id}.nope")
        assert wrong.value.status == 401
    finally:
        await publisher.close(served.http)


async def test_a_killed_janus_is_taken_out_and_new_viewers_fall_back_to_the_hub(
    sfu_served: Served, janus: JanusServer
) -> None:
    served = sfu_served
    pitch_id = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch_id)
    publisher = await client.publish(served.http, f"/pitches/{pitch_id}/whip", token, [PatternTrack()])
    first = await client.view(served.http, f"/pitches/{pitch_id}/whep", audio=False)
    hub = served.registry.get(pitch_id)
    assert hub is not None and hub.local_viewers == 0 and hub.viewer_count == 1
    janus.kill()
    try:
        # The health check takes it out (every 2 s): its viewer is forgotten.
        for _ in range(60):
            if not pool(served).instances[0].healthy:
                break
            await asyncio.sleep(0.1)
        assert pool(served).snapshot()[0]["healthy"] is False
        for _ in range(20):
            if hub.viewer_count == 0:
                break
            await asyncio.sleep(0.1)
        assert hub.viewer_count == 0
        # A new viewer (the viewer page reconnecting) is served by the hub itself.
        second = await client.view(served.http, f"/pitches/{pitch_id}/whep", audio=False)
        watch = Watch(second.tracks[0])
        await asyncio.wait_for(watch.first.wait(), 20)
        assert (hub.viewer_count, hub.local_viewers, pool(served).fallbacks) == (1, 1, 1)
        watch.task.cancel()
        await second.close(served.http)
    finally:
        await first.close(served.http)
        await publisher.close(served.http)


async def test_a_viewer_on_janus_switches_to_the_interpretation(sfu_served: Served) -> None:
    served = sfu_served
    url, secret = served.settings.database_url, served.settings.secret_key
    pitch = await add_pitch(url)
    presenter = await client.publish(
        served.http, f"/pitches/{pitch}/whip", await token_for(url, secret, pitch), [PatternTrack(), ToneTrack(440)]
    )
    interpreter = await client.publish(
        served.http, f"/pitches/{pitch}/whip", await interpreter_token(url, secret, pitch, "ja"), [ToneTrack(1000)]
    )
    viewer = await client.view(served.http, f"/pitches/{pitch}/whep")
    try:
        assert served.registry.get(pitch).local_viewers == 0  # type: ignore[union-attr]
        audio = next(t for t in viewer.tracks if t.kind == "audio")
        assert abs(await tone(audio) - 440) < 30
        switched = await served.http.post(f"{viewer.location}/language", json={"language": "ja"})
        assert switched.status_code == 204
        await tone(audio, 25)  # drain what was in flight
        assert abs(await tone(audio) - 1000) < 30
        # The Japanese audio is its own mountpoint on Janus (same video, switched without renegotiating).
        assert sorted(key[1] for key in pool(served).instances[0].mountpoints) == ["", "ja"]
        unknown = await served.http.post(f"{viewer.location}/language", json={"language": "ko"})
        assert unknown.status_code == 404
    finally:
        for session in (viewer, interpreter, presenter):
            await session.close(served.http)


async def test_trickle_to_a_viewer_on_janus_is_forwarded_and_an_ice_restart_refused(sfu_served: Served) -> None:
    served = sfu_served
    pitch_id = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch_id)
    publisher = await client.publish(served.http, f"/pitches/{pitch_id}/whip", token, [PatternTrack()])
    viewer = await client.view(served.http, f"/pitches/{pitch_id}/whep", audio=False)
    try:
        ufrag = viewer.pc.localDescription.sdp.split("a=ice-ufrag:")[1].split()[0]
        fragment = f"a=ice-ufrag:{ufrag}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
        fragment += "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
        headers = {"Content-Type": "application/trickle-ice-sdpfrag"}
        forwarded = await served.http.patch(viewer.location, content=fragment, headers=headers)
        assert forwarded.status_code == 204
        restart = fragment.replace(f"a=ice-ufrag:{ufrag}", "a=ice-ufrag:other")
        assert (await served.http.patch(viewer.location, content=restart, headers=headers)).status_code == 422
        bad = await served.http.patch(viewer.location, content="a=candidate:x y z\r\n", headers=headers)
        assert bad.status_code == 400
        assert pool(served).snapshot()[0]["viewers"] == 1
    finally:
        await viewer.close(served.http)
        await publisher.close(served.http)
