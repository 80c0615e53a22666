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
