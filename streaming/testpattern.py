"""Synthetic media for tests, the benchmark and operators checking a setup: a video pattern
that carries a frame counter and the sender's wall clock (milliseconds) as big black/white
blocks that survive VP8 compression, and a sine tone whose pitch names the audio channel.

``read_pattern(frame)`` gets (counter, sent_ms) back from a decoded frame.
"""

import fractions
import math
import time

import numpy as np
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame

BLOCK = 20
BITS = 32


def now_ms() -> int:
    return int(time.time() * 1000) & 0xFFFFFFFF


def pattern(counter: int, width: int = 640, height: int = 480, sent_ms: int | None = None) -> VideoFrame:
    y = np.full((height, width), 96, np.uint8)
    y[BLOCK * 2 :, :] = (np.arange(width, dtype=np.uint16)[None, :] + (counter * 4) % 160) % 160 + 48
    for row, value in enumerate((counter, now_ms() if sent_ms is None else sent_ms)):
        for bit in range(BITS):
            on = (value >> (BITS - 1 - bit)) & 1
            y[row * BLOCK : (row + 1) * BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 235 if on else 16
    chroma = np.full((height // 2, width), 128, np.uint8)
    return VideoFrame.from_ndarray(np.vstack([y, chroma]), format="yuv420p")


def read_pattern(frame: VideoFrame) -> tuple[int, int]:
    y = frame.to_ndarray(format="gray")
    values = []
    for row in range(2):
        value = 0
        for bit in range(BITS):
            block = y[row * BLOCK + 5 : (row + 1) * BLOCK - 5, bit * BLOCK + 5 : (bit + 1) * BLOCK - 5]
            value = (value << 1) | int(block.mean() > 128)
        values.append(value)
    return values[0], values[1]


class PatternTrack(VideoStreamTrack):
    """30 fps frames carrying their own number and send time."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        super().__init__()
        self.width = width
        self.height = height
        self.counter = 0

    async def recv(self) -> VideoFrame:  # type: ignore[override]
        pts, time_base = await self.next_timestamp()
        frame = pattern(self.counter, self.width, self.height)
        frame.pts = pts
        frame.time_base = time_base
        self.counter += 1
        return frame


class ToneTrack(AudioStreamTrack):
    """A sine tone of ``frequency`` Hz, 20 ms stereo frames at 48 kHz."""

    def __init__(self, frequency: float = 440.0) -> None:
        super().__init__()
        self.frequency = frequency
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:  # type: ignore[override]
        if self._start is None:
            self._start = time.time()
        else:
            wait = self._start + self._samples / 48000 - time.time()
            if wait > 0:
                import asyncio

                await asyncio.sleep(wait)
        t = (np.arange(960) + self._samples) / 48000
        tone = (np.sin(2 * math.pi * self.frequency * t) * 8000).astype(np.int16)
        frame = AudioFrame.from_ndarray(np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, 48000)
        self._samples += 960
        return frame


def dominant_frequency(frames: list[AudioFrame]) -> float:
    """The strongest frequency (Hz) in decoded audio frames (first channel)."""
    samples = np.concatenate([f.to_ndarray().reshape(-1)[:: len(f.layout.channels)] for f in frames])
    samples = samples.astype(np.float64) - samples.mean()
    spectrum = np.abs(np.fft.rfft(samples))
    rate = frames[0].sample_rate
    return float(np.argmax(spectrum) * rate / len(samples))
