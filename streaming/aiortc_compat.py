"""The one place that touches aiortc internals (pinned: aiortc==1.16.0, see pyproject).

Verified in aiortc 1.16.0's ``rtcrtpsender.py``:

- ``RTCRtpSender._next_encoded_frame`` calls ``encoder.pack(data)`` (packetization only) when
  the track's ``recv()`` returns an ``av.Packet``, and ``encoder.encode(frame)`` for a frame.
- A PLI or FIR from the remote peer calls ``sender._send_keyframe()``, which only sets a flag
  read on the *encode* path: with pre-encoded packets it is silently dropped. We replace that
  bound method on the sender instance so the request reaches the shared encoder instead.
- The answerer negotiates codecs inside ``setRemoteDescription`` using the transceiver's
  ``_preferred_codecs``: to pin VP8 on a viewer, the transceiver must exist (with
  ``setCodecPreferences``) *before* the remote offer is applied.
"""

import asyncio
import queue
from collections.abc import Callable
from typing import Any

import aiortc
from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

TESTED_VERSION = "1.16.0"


def check_version() -> None:
    """Refuse to run the hub on an aiortc whose internals we have not verified."""
    if aiortc.__version__ != TESTED_VERSION:
        raise RuntimeError(
            f"streaming.aiortc_compat was verified against aiortc {TESTED_VERSION}, "
            f"found {aiortc.__version__}: re-check the sender internals, then update the pin"
        )


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote peer asks this sender for a key frame (PLI/FIR)."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise RuntimeError("aiortc RTCRtpSender has no _send_keyframe: internals changed")
    sender._send_keyframe = callback  # type: ignore[method-assign]


def codecs(kind: str, mime_type: str) -> list[RTCRtpCodecCapability]:
    """The sender capabilities for one codec (plus its RTX entry) in preference order."""
    caps = RTCRtpSender.getCapabilities(kind).codecs
    chosen = [c for c in caps if c.mimeType.lower() == mime_type.lower()]
    rtx = [c for c in caps if c.mimeType.lower().endswith("/rtx")]
    return chosen + rtx


def packetizer(kind: str) -> Callable[[Any], tuple[list[bytes], int]]:
    """aiortc's own RTP packetizer for an encoded ``av.Packet``: (payloads, RTP timestamp).

    ``Vp8Encoder.pack`` / ``OpusEncoder.pack`` (aiortc 1.16.0 ``codecs/vpx.py``, ``opus.py``)
    write the VP8 payload descriptors (with a running picture id) or pass Opus through, and
    open no codec: ``streaming.rtp_feed`` sends their payloads to an SFU as plain RTP."""
    from aiortc.codecs.opus import OpusEncoder
    from aiortc.codecs.vpx import Vp8Encoder

    if kind == "video":
        return Vp8Encoder().pack
    encoder = OpusEncoder.__new__(OpusEncoder)  # pack() needs no codec; __init__ would open one
    return encoder.pack


DECODE_BACKLOG = 6  # encoded presenter frames waiting for the decoder (0.2 s at 30 fps)


def bound_decoder_queue(receiver: Any, on_flush: Callable[[], None], limit: int = DECODE_BACKLOG) -> Any:
    """Bound the encoded frames waiting in front of a receiver's VP8 decoder thread.

    aiortc 1.16.0's ``RTCRtpReceiver`` puts every depayloaded frame into an unbounded
    ``queue.Queue`` (``__decoder_queue``) that its decoder thread empties; when the thread is
    starved (a busy event loop holds the GIL and the CPU), that queue grows and everything the
    hub sends is late by seconds (measured: 2.6 s at 96 viewers on the loaded 2-core machine).
    The queue object's class is switched to one whose ``put`` drops the whole backlog past
    ``limit`` frames and then every frame until the next VP8 key frame (a delta frame without
    its predecessors would decode to garbage), calling ``on_flush`` (the hub sends a PLI to the
    presenter). Returns the queue (its ``dropped`` counts frames dropped)."""
    found = getattr(receiver, "_RTCRtpReceiver__decoder_queue", None)
    if not isinstance(found, queue.Queue):
        raise RuntimeError("aiortc RTCRtpReceiver has no __decoder_queue: internals changed")
    found.__class__ = _BoundedDecoderQueue
    found.limit = limit  # type: ignore[attr-defined]
    found.on_flush = on_flush  # type: ignore[attr-defined]
    found.dropped = 0  # type: ignore[attr-defined]
    found.waiting_key = False  # type: ignore[attr-defined]
    return found


def _vp8_keyframe(data: bytes) -> bool:
    return bool(data) and not data[0] & 0x01  # RFC 6386 9.1: P bit 0 = key frame


class _BoundedDecoderQueue(queue.Queue):  # type: ignore[type-arg]
    limit: int
    on_flush: Callable[[], None]
    dropped: int
    waiting_key: bool

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None or getattr(item[0], "name", "") != "VP8":
            super().put(item, block, timeout)
            return
        key = _vp8_keyframe(bytes(item[1].data))
        if self.waiting_key and not key:
            self.dropped += 1
            return
        self.waiting_key = False
        if self.qsize() >= self.limit:
            with self.mutex:
                kept = [task for task in self.queue if task is None]
                self.dropped += len(self.queue) - len(kept)
                self.queue.clear()
                self.queue.extend(kept)
            if not key:
                self.dropped += 1
                self.waiting_key = True
                self.on_flush()
                return
        super().put(item, block, timeout)


def send_pli(receiver: Any) -> None:
    """Ask the remote sender of ``receiver`` for a key frame (RTCP PLI), from the event loop."""
    for source in receiver.getSynchronizationSources():
        asyncio.ensure_future(receiver._send_rtcp_pli(source.source))
