"""Fan-out of encoded packets: a ``Channel`` (one encoded stream) and the ``PacketTrack``
each viewer's ``RTCRtpSender`` reads from.

A track returns ``av.Packet``s from ``recv()``, so aiortc only packetizes them (see
``streaming.aiortc_compat``). Every viewer of a channel receives the *same* packet objects:
nothing in the send path mutates them (``pack`` reads bytes, pts and time_base).

Each track has a small bounded queue. A video track that falls behind (its queue is full)
drops everything and waits for the next key frame, asking the channel for one; a new video
track also starts at a key frame. Audio has no key frames: a full audio queue drops its oldest
packet.
"""

import asyncio
from collections import deque
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

VIDEO_QUEUE = 30  # about one second at 30 fps
AUDIO_QUEUE = 50  # one second of 20 ms packets


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

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.kind = channel.kind
        self.channel = channel
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
                    self.channel.request_keyframe()
                    return
            else:
                self._queue.popleft()
        self._queue.append(packet)
        self._ready.set()

    async def recv(self) -> av.Packet:  # type: ignore[override]
        if not self._started:
            self._started = True
            if self._need_key:
                self.channel.request_keyframe()
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
