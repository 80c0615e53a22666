"""Fan-out of encoded packets: a ``Channel`` (one encoded stream) and the ``PacketTrack``
each viewer's ``RTCRtpSender`` reads from.

A track returns ``av.Packet``s from ``recv()``, so aiortc only packetizes them (see
``streaming.aiortc_compat``). Every viewer of a channel receives the *same* packet objects:
nothing in the send path mutates them (``pack`` reads bytes, pts and time_base).

Each track has a small bounded queue. A video track that falls behind (its queue is full)
drops everything and waits for the next key frame, asking for one through its viewer's
``KeyframeBudget``; a new video track also starts at a key frame. Audio has no key frames: a
full audio queue drops its oldest packet.

A key frame is made for everybody (there is one encoder), so a viewer's requests are budgeted:
its first (joining) passes, then at most one per ``VIEWER_KEY_INTERVAL``; the others are
dropped and that viewer waits for the next key frame (the hub makes one at least every few
seconds, or another viewer's). A slow viewer then costs only itself: before, every lagging
viewer's requests reached the encoder (PLI from its jitter buffer, overflowing queue), key
frames came every 0.5 s for all, and their size made everyone lag (docs/performance.md).
"""

import asyncio
import time
from collections import deque
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

VIDEO_QUEUE = 30  # about one second at 30 fps
AUDIO_QUEUE = 50  # one second of 20 ms packets
VIEWER_KEY_INTERVAL = 3.0  # seconds between one viewer's key-frame requests that are passed on


class KeyframeBudget:
    """One viewer's key-frame requests (its PLI/FIR, its track falling behind): the first is
    passed on, then at most one per ``interval`` seconds; the rest are counted in ``ignored``."""

    def __init__(self, request: Callable[[], None], interval: float = VIEWER_KEY_INTERVAL) -> None:
        self.request = request
        self.interval = interval
        self.passed = 0
        self.ignored = 0
        self._last: float | None = None

    def __call__(self) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.interval:
            self.ignored += 1
            return
        self._last = now
        self.passed += 1
        self.request()


class Channel:
    """One encoded stream (the video, the original audio, or one interpretation)."""

    def __init__(self, kind: str, name: str, request_keyframe: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.tracks: set[PacketTrack] = set()
        self.taps: list[Callable[[av.Packet], None]] = []  # e.g. the recorder
        self._request_keyframe = request_keyframe or (lambda: None)
        self.packets = 0

    def request_keyframe(self) -> None:
        self._request_keyframe()

    def publish(self, packet: av.Packet) -> None:
        self.packets += 1
        keyframe = bool(packet.is_keyframe) if self.kind == "video" else True
        for track in tuple(self.tracks):
            track.offer(packet, keyframe)
        for tap in self.taps:
            tap(packet)


class PacketTrack(MediaStreamTrack):
    """A viewer's track: the packets of one channel, switchable (audio language)."""

    def __init__(self, channel: Channel, request_keyframe: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.kind = channel.kind
        self.channel = channel
        self._request_keyframe = request_keyframe or channel.request_keyframe
        self._queue: deque[av.Packet] = deque()
        self._ready = asyncio.Event()
        self._started = False
        self._need_key = channel.kind == "video"
        self.limit = VIDEO_QUEUE if channel.kind == "video" else AUDIO_QUEUE
        self.dropped = 0
        self.sent = 0
        channel.tracks.add(self)

    def switch(self, channel: Channel) -> None:
        if channel is self.channel or channel.kind != self.kind:
            return
        self.channel.tracks.discard(self)
        self.channel = channel
        self._queue.clear()
        if self.readyState == "live":
            channel.tracks.add(self)

    def offer(self, packet: av.Packet, keyframe: bool) -> None:
        if not self._started:
            return  # the sender has not started reading yet (DTLS still connecting)
        if self._need_key:
            if not keyframe:
                return
            self._need_key = False
        if len(self._queue) >= self.limit:
            self.dropped += 1
            if self.kind == "video":
                self._queue.clear()
                if not keyframe:
                    self._need_key = True
                    self._request_keyframe()
                    return
            else:
                self._queue.popleft()
        self._queue.append(packet)
        self._ready.set()

    async def recv(self) -> av.Packet:  # type: ignore[override]
        if not self._started:
            self._started = True
            if self._need_key:
                self._request_keyframe()
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        self.sent += 1
        return self._queue.popleft()

    def stop(self) -> None:
        self.channel.tracks.discard(self)
        self._queue.clear()
        super().stop()
        self._ready.set()
