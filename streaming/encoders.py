"""Encoders that run once per outgoing stream of a hub (never per viewer).

``VideoEncoder`` turns decoded frames into VP8 ``av.Packet``s, ``AudioEncoder`` turns audio
frames into Opus ``av.Packet``s. Both stamp packets with the hub's own clock (90 kHz for
video, 48 kHz for audio) so that timestamps keep running when the presenter reconnects or
switches from camera to screen. Both are called from a worker thread (``encode`` holds no
event-loop state); one encoder is only ever used by one thread at a time.
"""

import fractions
import multiprocessing

import av
from av.audio.resampler import AudioResampler
from av.video.frame import PictureType, VideoFrame

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_RATE = 48000
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)
AUDIO_FRAME = 960  # 20 ms
DEFAULT_VIDEO_BITRATE = 1_200_000


def encoder_threads(width: int, height: int) -> int:
    """libvpx threads for one VP8 encode: one up to 1280×720.

    VP8's multi-threaded encoder synchronises its rows by spinning: on a loaded machine, when
    the other thread is descheduled, one 640×480 frame took up to 130 ms instead of 3 ms and
    twice the CPU (measured on the 2-core bench machine), and the hub fell behind by seconds.
    A single thread encodes 640×480 in ~3 ms and 1280×720 in ~7 ms (test pattern), inside a 33 ms
    frame; only larger pictures get a second thread.
    """
    if width * height > 1280 * 720 and multiprocessing.cpu_count() > 2:
        return 2
    return 1


class VideoEncoder:
    """VP8, real-time, constant bit rate; a new codec context when the size changes."""

    def __init__(self, bitrate: int = DEFAULT_VIDEO_BITRATE) -> None:
        self.bitrate = bitrate
        self.codec: av.CodecContext | None = None
        self.frames = 0
        self.keyframes = 0

    def _open(self, width: int, height: int) -> av.CodecContext:
        codec = av.CodecContext.create("libvpx", "w")
        codec.width = width
        codec.height = height
        codec.bit_rate = self.bitrate
        codec.pix_fmt = "yuv420p"
        codec.time_base = VIDEO_TIME_BASE
        codec.gop_size = 3000  # key frames only when asked for (see Hub)
        codec.qmin = 2
        codec.qmax = 56
        codec.options = {
            "bufsize": str(self.bitrate),
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(self.bitrate),
            "maxrate": str(self.bitrate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        codec.thread_count = encoder_threads(width, height)
        return codec

    def encode(self, frame: VideoFrame, pts: int, keyframe: bool) -> list[av.Packet]:
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        if self.codec is None or (frame.width, frame.height) != (
            self.codec.width,
            self.codec.height,
        ):
            self.codec = self._open(frame.width, frame.height)
            keyframe = True
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        frame.pict_type = PictureType.I if keyframe else PictureType.NONE
        packets = list(self.codec.encode(frame))
        for packet in packets:
            packet.pts = pts
            packet.dts = pts
            packet.time_base = VIDEO_TIME_BASE
            if packet.is_keyframe:
                self.keyframes += 1
        self.frames += 1
        return packets


class AudioEncoder:
    """Opus, 20 ms packets, stereo 48 kHz; input frames of any layout/rate are resampled."""

    def __init__(self, bitrate: int = 64000) -> None:
        self.codec = av.CodecContext.create("libopus", "w")
        self.codec.bit_rate = bitrate
        self.codec.format = "s16"
        self.codec.layout = "stereo"
        self.codec.sample_rate = AUDIO_RATE
        self.codec.time_base = AUDIO_TIME_BASE
        self.codec.options = {"application": "voip"}
        self.resampler = AudioResampler(format="s16", layout="stereo", rate=AUDIO_RATE, frame_size=AUDIO_FRAME)
        self.next_pts: int | None = None

    def encode(self, frame: av.AudioFrame, pts: int) -> list[av.Packet]:
        """``pts`` is the hub clock (48 kHz) at this frame; it re-anchors after a gap."""
        if self.next_pts is None or abs(pts - self.next_pts) > AUDIO_RATE // 5:
            self.next_pts = pts
        frame.pts = None
        out: list[av.Packet] = []
        for chunk in self.resampler.resample(frame):
            chunk.pts = self.next_pts
            chunk.time_base = AUDIO_TIME_BASE
            self.next_pts += chunk.samples
            for packet in self.codec.encode(chunk):
                packet.time_base = AUDIO_TIME_BASE
                out.append(packet)
        return out
