"""Recording a live pitch: the hub's encoded packets (VP8 + original Opus) muxed into a
WebM file under ``var/recordings/`` by a writer thread; no second encode.

The first video packet written is a key frame; timestamps are rebased to the recording's
start. Packets are copied (bytes, pts) before they cross to the thread, because the packet
objects are shared with the viewers' senders and muxing rescales them in place.
"""

import fractions
import logging
import queue
import threading
import time
from pathlib import Path

import av

from streaming.encoders import AUDIO_TIME_BASE, VIDEO_TIME_BASE

log = logging.getLogger("streaming.recorder")
QUEUE_LIMIT = 2000


class Recorder:
    def __init__(self, path: Path, width: int, height: int) -> None:
        self.path = path
        self.width = width
        self.height = height
        self._queue: queue.Queue[tuple[str, bytes, int, bool] | None] = queue.Queue(QUEUE_LIMIT)
        self._video_origin: int | None = None
        self._audio_origin: int | None = None
        self.started = time.monotonic()
        self.dropped = 0
        self.duration_ms = 0
        self.error: str | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name=f"recorder-{path.stem}", daemon=True)
        self._thread.start()

    # Called on the event loop by the hub's channels.
    def video(self, packet: av.Packet) -> None:
        if self._video_origin is None:
            if not packet.is_keyframe:
                return
            self._video_origin = packet.pts
        self._put(("video", bytes(packet), packet.pts - self._video_origin, bool(packet.is_keyframe)))

    def audio(self, packet: av.Packet) -> None:
        if self._video_origin is None:
            return  # start both streams together, at the first key frame
        if self._audio_origin is None:
            self._audio_origin = packet.pts
        self._put(("audio", bytes(packet), packet.pts - self._audio_origin, True))

    def _put(self, item: tuple[str, bytes, int, bool]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def stop(self) -> None:
        """Finish the file (blocking: call from a thread)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        try:
            container = av.open(str(self.path), "w", format="webm")
        except OSError as exc:
            self.error = str(exc)
            return
        video = container.add_stream("libvpx", rate=30)
        video.width, video.height = self.width, self.height
        video.pix_fmt = "yuv420p"
        video.time_base = fractions.Fraction(1, 1000)
        audio = container.add_stream("libopus", rate=48000)
        audio.layout = "stereo"
        audio.time_base = fractions.Fraction(1, 1000)
        last = {"video": -1, "audio": -1}
        try:
            while (item := self._queue.get()) is not None:
                kind, data, pts, key = item
                packet = av.Packet(data)
                source_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE
                # The muxer wants strictly increasing timestamps; two frames within one
                # millisecond are nudged apart, never dropped (a missing VP8 inter frame
                # breaks decoding until the next key frame).
                ms = max(int(pts * source_base * 1000), last[kind] + 1)
                last[kind] = ms
                packet.time_base = fractions.Fraction(1, 1000)
                packet.pts = packet.dts = ms
                if kind == "video" and key:
                    packet.is_keyframe = True
                stream = video if kind == "video" else audio
                packet.stream = stream
                self.duration_ms = max(self.duration_ms, ms)
                container.mux(packet)
        except Exception as exc:  # a broken recording must not take the pitch down
            log.exception("recording %s failed", self.path)
            self.error = str(exc)
        finally:
            container.close()
