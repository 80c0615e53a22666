"""Overload stays with whoever causes it: one viewer's key-frame requests are budgeted, and a
starved decoder of the presenter drops its backlog (then waits for a key frame) instead of
making every viewer seconds late (docs/performance.md, issue 15)."""

import queue
import time
from types import SimpleNamespace

from aiortc.jitterbuffer import JitterFrame

from streaming import aiortc_compat
from streaming.fanout import Channel, KeyframeBudget, PacketTrack

KEY = bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])  # VP8: P bit 0
DELTA = bytes([0x11, 0x02, 0x00])  # P bit 1
VP8 = SimpleNamespace(name="VP8")


def test_one_viewer_passes_on_its_first_request_then_one_per_interval() -> None:
    made: list[float] = []
    budget = KeyframeBudget(lambda: made.append(time.monotonic()), interval=0.2)
    for _ in range(5):
        budget()
    assert (len(made), budget.passed, budget.ignored) == (1, 1, 4)
    time.sleep(0.25)
    budget()
    budget()
    assert (len(made), budget.passed, budget.ignored) == (2, 2, 5)


def test_a_lagging_track_asks_through_its_own_budget_not_the_channel() -> None:
    channel_requests: list[int] = []
    viewer_requests: list[int] = []
    channel = Channel("video", "video", lambda: channel_requests.append(1))
    budget = KeyframeBudget(lambda: viewer_requests.append(1), interval=60)
    track = PacketTrack(channel, budget)
    track._started = True
    track._need_key = False
    key, delta = SimpleNamespace(is_keyframe=True), SimpleNamespace(is_keyframe=False)
    for _ in range(4):  # nobody reads: after each key frame it overflows again
        channel.publish(key)  # type: ignore[arg-type]
        for _ in range(track.limit + 1):
            channel.publish(delta)  # type: ignore[arg-type]
    assert track.dropped == 4
    assert (channel_requests, viewer_requests, budget.ignored) == ([], [1], 3)
    track.stop()


def test_a_starved_decoder_drops_its_backlog_and_resumes_at_a_key_frame() -> None:
    receiver = SimpleNamespace(_RTCRtpReceiver__decoder_queue=queue.Queue())
    flushes: list[int] = []
    bounded = aiortc_compat.bound_decoder_queue(receiver, lambda: flushes.append(1), limit=3)
    bounded.put((VP8, JitterFrame(KEY, 0)))
    for n in range(1, 3):
        bounded.put((VP8, JitterFrame(DELTA, n)))
    assert (bounded.qsize(), flushes) == (3, [])
    bounded.put((VP8, JitterFrame(DELTA, 3)))  # the decoder is 3 frames behind: drop them all
    assert (bounded.qsize(), flushes, bounded.dropped) == (0, [1], 4)
    bounded.put((VP8, JitterFrame(DELTA, 4)))  # undecodable without what was dropped
    bounded.put((VP8, JitterFrame(KEY, 5)))
    bounded.put((VP8, JitterFrame(DELTA, 6)))
    assert [bounded.get()[1].timestamp for _ in range(2)] == [5, 6]
    assert (bounded.dropped, flushes) == (5, [1])
    bounded.put(None)  # the end marker always goes through
    assert bounded.get() is None
