"""aiortc clients against the real server over WHIP/WHEP: one publisher with a frame-counter
pattern, three viewers decoding it; the counter advances for each."""

import asyncio

import pytest

from streaming import client
from streaming.testpattern import PatternTrack, ToneTrack, read_pattern
from tests.streaming.conftest import Served, add_pitch, token_for

pytestmark = pytest.mark.anyio


async def counters(track, frames: int, limit: float = 15.0) -> list[int]:  # noqa: ANN001
    seen: list[int] = []

    async def read() -> None:
        while len(seen) < frames:
            frame = await track.recv()
            seen.append(read_pattern(frame)[0])

    await asyncio.wait_for(read(), limit)
    return seen


async def test_three_viewers_decode_the_publishers_counter(served: Served) -> None:
    pitch_id = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch_id)
    publisher = await client.publish(served.http, f"/pitches/{pitch_id}/whip", token, [PatternTrack(), ToneTrack(440)])
    viewers = [await client.view(served.http, f"/pitches/{pitch_id}/whep") for _ in range(3)]
    try:
        for viewer in viewers:
            video = next(t for t in viewer.tracks if t.kind == "video")
            seen = await counters(video, 20)
            assert seen == sorted(seen) and seen[-1] - seen[0] >= 10, seen
        hub = served.registry.get(pitch_id)
        assert hub is not None and hub.viewer_count == 3
        assert hub._encoder.frames > 0
        # Encoded once: the hub's encoder produced each frame once, whatever the viewer count.
        assert hub._encoder.frames <= hub.frames_in
    finally:
        for viewer in viewers:
            await viewer.close(served.http)
        await publisher.close(served.http)
