"""Plain RTP out of the hub: the already-encoded VP8 and Opus packets, sent by UDP to SFU
mountpoints (``streaming.sfu``), with RTCP back from them (key-frame requests).

A ``Feed`` is one channel's tap (``Channel.taps``): it packetizes each encoded packet once
(VP8 payload descriptors by aiortc's own packetizer, Opus as is) and writes one RTP packet per
payload and destination, each destination with its own payload type, SSRC and sequence
numbers. Sending is a non-blocking ``sendto`` on the event loop (no queue: a datagram the
kernel cannot take is dropped, as on the wire). A video feed's socket also receives RTCP:
a PLI or FIR from any destination calls ``on_keyframe`` (the hub rate-limits it). Janus sends
its feedback to the address its RTCP port last heard from, so the feed sends an empty
receiver report to each destination's RTCP port every second from the same socket.
"""

import asyncio
import contextlib
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av

from streaming import aiortc_compat

RTCP_EVERY = 1.0  # seconds between the receiver reports that tell Janus where to send PLI


@dataclass
class Destination:
    host: str
    port: int
    payload_type: int
    rtcp_port: int | None = None
    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    sequence: int = field(default_factory=lambda: secrets.randbits(16))
    sent: int = 0


def rtp_header(marker: bool, payload_type: int, sequence: int, timestamp: int, ssrc: int) -> bytes:
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, sequence, timestamp, ssrc)


def is_keyframe_request(data: bytes) -> bool:
    """A compound RTCP packet holding a PLI (206/1) or FIR (206/4)."""
    offset = 0
    while offset + 4 <= len(data):
        first, kind, words = struct.unpack_from("!BBH", data, offset)
        if first >> 6 != 2:
            return False
        if kind == 206 and (first & 0x1F) in (1, 4):
            return True
        offset += (words + 1) * 4
    return False


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, feed: "Feed") -> None:
        self.feed = feed

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if is_keyframe_request(data):
            self.feed.keyframe_requests += 1
            self.feed.on_keyframe()

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable: the SFU is gone
        self.feed.errors += 1


class Feed:
    """One encoded channel to many SFU destinations. ``await feed.start()``, then add it to
    the channel's taps; ``close()`` when done."""

    def __init__(self, kind: str, on_keyframe: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self.on_keyframe = on_keyframe or (lambda: None)
        self.destinations: dict[str, Destination] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self._packetizer = aiortc_compat.packetizer(kind)
        self._reporter: asyncio.Task[None] | None = None
        self.keyframe_requests = 0
        self.errors = 0
        self.packets = 0

    async def start(self) -> "Feed":
        loop = asyncio.get_running_loop()
        # Any interface: the SFU may be on another machine and sends its RTCP back here.
        local = ("0.0.0.0", 0)  # noqa: S104
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=local)
        self.transport = transport  # type: ignore[assignment]
        if self.kind == "video":
            self._reporter = asyncio.ensure_future(self._report())
        return self

    def add(self, key: str, destination: Destination) -> None:
        self.destinations[key] = destination
        self._send_report(destination)

    def remove(self, key: str) -> None:
        self.destinations.pop(key, None)

    def __call__(self, packet: av.Packet) -> None:
        """The channel tap: packetize once, send to every destination."""
        if self.transport is None or not self.destinations:
            return
        payloads, timestamp = self._packetizer(packet)
        last = len(payloads) - 1
        send = self.transport.sendto
        for destination in tuple(self.destinations.values()):
            for n, payload in enumerate(payloads):
                marker = n == last if self.kind == "video" else n == 0
                header = rtp_header(marker, destination.payload_type, destination.sequence, timestamp, destination.ssrc)
                destination.sequence = (destination.sequence + 1) & 0xFFFF
                send(header + payload, (destination.host, destination.port))
                destination.sent += 1
                self.packets += 1

    def _send_report(self, destination: Destination) -> None:
        if self.transport is None or destination.rtcp_port is None:
            return
        # An empty receiver report (RFC 3550 6.4.2): version 2, RC 0, PT 201, length 1.
        self.transport.sendto(
            struct.pack("!BBHI", 0x80, 201, 1, destination.ssrc), (destination.host, destination.rtcp_port)
        )

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(RTCP_EVERY)
            for destination in tuple(self.destinations.values()):
                self._send_report(destination)

    def close(self) -> None:
        if self._reporter is not None:
            self._reporter.cancel()
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.close()
            self.transport = None
        self.destinations.clear()
