"""The media hub of one live pitch: one publisher (the presenter), interpreters (audio only,
one per language) and many viewers, all aiortc peer connections owned by the hub.

The presenter's tracks are decoded once by aiortc and **encoded once** here (VP8 video, Opus
audio); the packets go to every viewer's sender through ``streaming.fanout``. Key frames are
produced when a viewer asks (a new viewer, a PLI/FIR, a viewer that fell behind), at most
every ``KEY_MIN_INTERVAL`` seconds, and at least every ``KEY_MAX_INTERVAL`` seconds; each
viewer's requests pass a ``fanout.KeyframeBudget`` first, so a slow viewer cannot make key
frames for everybody.

The hub knows nothing about HTTP or the database: ``streaming.signaling`` calls ``publish``,
``view``, ``leave``; ``streaming.registry`` owns the hubs and reports changes.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from streaming import aiortc_compat, sdp
from streaming.encoders import AUDIO_RATE, AudioEncoder, VideoEncoder
from streaming.fanout import Channel, KeyframeBudget, PacketTrack
from streaming.sdp import HubError

log = logging.getLogger("streaming.hub")
KEY_MIN_INTERVAL = 0.5  # at most two forced key frames a second per pitch
KEY_MAX_INTERVAL = 4.0
PTS_DRIFT = 0.5  # seconds between presenter media time and hub clock before re-anchoring
CONNECT_TIMEOUT = 20.0  # a peer that is not connected by then is closed and forgotten
ORIGINAL = ""  # the audio channel of the presenter; interpretations are keyed by language


@dataclass
class Peer:
    id: str
    role: str  # "publisher" | "interpreter" | "viewer"
    pc: RTCPeerConnection | None  # None: a viewer served by an SFU (``remote``)
    language: str = ORIGINAL
    tracks: list[MediaStreamTrack] = field(default_factory=list)
    client: str = ""  # the address of an anonymous viewer (WHEP caps them per address)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    created: float = field(default_factory=time.monotonic)
    remote: Any = None  # streaming.sfu.SfuViewer: has async close() and switch(language)


@dataclass
class VideoStats:
    """What the video pump did: frames encoded, stale frames skipped, encode time, and the
    lag from a frame reaching the hub to its packet being published (seconds)."""

    encoded: int = 0
    skipped: int = 0
    encode_seconds: float = 0.0
    encode_max: float = 0.0
    lag: float = 0.0
    lag_max: float = 0.0


class FreshFrames:
    """The presenter frames waiting for the encoder, at most ``limit``: ``put`` drops the
    oldest beyond that (a frame that went stale), ``take`` waits for the oldest kept one.

    Two absorb the jitter of a busy event loop (two frames arriving together are both
    encoded, so the frame rate holds) while a backlog never exceeds two frames."""

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._items: deque[Any] = deque()
        self._event = asyncio.Event()
        self._closed = False

    def put(self, item: Any) -> bool:
        """Store ``item``; True if that dropped an older one nobody took (a skipped frame)."""
        self._items.append(item)
        self._event.set()
        if len(self._items) > self.limit:
            self._items.popleft()
            return True
        return False

    def close(self) -> None:
        self._closed = True
        self._event.set()

    async def take(self) -> Any:
        while not self._items:
            if self._closed:
                raise MediaStreamError
            self._event.clear()
            await self._event.wait()
        return self._items.popleft()


def ice_configuration(servers: tuple[Any, ...]) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in servers
        ]
    )


class Hub:
    def __init__(
        self,
        pitch_id: int,
        *,
        ice_servers: tuple[Any, ...] = (),
        max_viewers: int = 200,
        on_change: Callable[["Hub"], Awaitable[None]] | None = None,
        fanout: str = "hub",
        legacy: bool = False,
    ) -> None:
        aiortc_compat.check_version()
        self.pitch_id = pitch_id
        self.ice_servers = ice_servers
        self.max_viewers = max_viewers
        self.on_change = on_change
        # "relay": aiortc's MediaRelay, one encode per viewer: only the benchmark's baseline.
        self.fanout = fanout
        self._relay = MediaRelay() if fanout == "relay" else None
        # legacy: as before issue 15 (every viewer's key-frame request reaches the encoder;
        # the presenter's decoder queue unbounded): only the benchmark's comparison uses it.
        self.legacy = legacy
        self.key_min_interval = KEY_MIN_INTERVAL
        self._source_video: MediaStreamTrack | None = None
        self.video = Channel("video", "video", self.request_keyframe)
        self.audio: dict[str, Channel] = {ORIGINAL: Channel("audio", ORIGINAL)}
        self.peers: dict[str, Peer] = {}
        self.started = time.monotonic()
        self.closed = False
        self._encoder = VideoEncoder()
        self._audio_encoders: dict[str, AudioEncoder] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hub-{pitch_id}")
        self._key_wanted = True
        self._last_key = 0.0
        self.keyframe_requests = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self.video_size: tuple[int, int] | None = None
        self.frames_in = 0  # decoded presenter frames read (all of them, skipped or not)
        self.stats = VideoStats()
        self._decode_queues: list[Any] = []  # the presenters' bounded decoder queues
        self._last_pts = -1
        self._pts_anchor: float | None = None  # hub clock - presenter media time (seconds)

    # ---- state ---------------------------------------------------------------------------
    @property
    def publisher(self) -> Peer | None:
        return next((p for p in self.peers.values() if p.role == "publisher"), None)

    @property
    def viewer_count(self) -> int:
        """Every viewer of the pitch: the hub's own and those it hands to an SFU."""
        return sum(1 for p in self.peers.values() if p.role == "viewer")

    @property
    def local_viewers(self) -> int:
        """Viewers this process sends to itself (what ``max_viewers`` bounds)."""
        return sum(1 for p in self.peers.values() if p.role == "viewer" and p.pc is not None)

    def languages(self) -> list[str]:
        return sorted(p.language for p in self.peers.values() if p.role == "interpreter")

    def snapshot(self) -> dict[str, Any]:
        return {
            "pitch_id": self.pitch_id,
            "publishing": self.publisher is not None,
            "viewers": self.viewer_count,
            "languages": self.languages(),
        }

    @property
    def decode_dropped(self) -> int:
        """Encoded presenter frames dropped in front of a starved decoder (see aiortc_compat)."""
        return sum(q.dropped for q in self._decode_queues)

    def clock(self, rate: int) -> int:
        return int((time.monotonic() - self.started) * rate)

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._key_wanted = True

    def _keyframe_due(self) -> bool:
        now = time.monotonic()
        due = (self._key_wanted and now - self._last_key >= self.key_min_interval) or (
            now - self._last_key >= KEY_MAX_INTERVAL
        )
        if due:
            self._key_wanted = False
            self._last_key = now
        return due

    def _spawn(self, coro: Awaitable[Any], peer: Peer | None = None) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        owner = peer.tasks if peer is not None else self._tasks
        owner.add(task)
        task.add_done_callback(owner.discard)
        return task

    def _changed(self) -> None:
        if self.on_change is not None and not self.closed:
            self._spawn(self.on_change(self))

    # ---- signaling -----------------------------------------------------------------------
    async def publish(self, offer: str, language: str = ORIGINAL) -> tuple[str, str]:
        """The presenter (``language`` empty) or an interpreter sends: (peer id, answer)."""
        role = "interpreter" if language else "publisher"
        kinds = sdp.check_offer(offer, sending=True)
        if role == "interpreter" and "audio" not in kinds:
            raise HubError(400, "an interpretation offer must send audio")
        if any(p.role == role and p.language == language for p in self.peers.values()):
            raise HubError(
                409,
                "this pitch already has a publisher"
                if not language
                else f"an interpreter for {language} is already publishing",
            )
        peer = self._new_peer(role, language)

        @peer.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and role == "publisher" and self._relay is not None:
                self._source_video = track
                self._changed()
            elif track.kind == "video" and role == "publisher":
                self._key_wanted = True
                receiver = next((t.receiver for t in peer.pc.getTransceivers() if t.receiver.track is track), None)
                if receiver is not None and not self.legacy:  # a starved decoder drops its backlog
                    queue = aiortc_compat.bound_decoder_queue(receiver, lambda: aiortc_compat.send_pli(receiver))
                    self._decode_queues.append(queue)
                self._spawn(self._pump_video(track), peer)
            elif track.kind == "audio":
                self._spawn(self._pump_audio(track, language), peer)

        if language and language not in self.audio:
            self.audio[language] = Channel("audio", language)
        return peer.id, await self._answer(peer, offer)

    async def view(self, offer: str, language: str = ORIGINAL) -> tuple[str, str]:
        """A viewer receives the video and one audio channel: returns (id, answer)."""
        kinds = sdp.check_offer(offer, sending=False)
        if self.local_viewers >= self.max_viewers:
            raise HubError(503, "this pitch has as many viewers as it can take; try again soon")
        peer = self._new_peer("viewer", language)
        budget = self.request_keyframe if self.legacy else KeyframeBudget(self.request_keyframe)
        # Transceivers exist before the offer is applied so the codec pins take effect.
        for kind in kinds:
            if kind == "video" and self._relay is not None:
                if self._source_video is None:
                    await self.leave(peer.id)
                    raise HubError(409, "no video yet")
                track = self._relay.subscribe(self._source_video, buffered=False)
                codecs = aiortc_compat.codecs("video", "video/VP8")
            elif kind == "video":
                track = PacketTrack(self.video, budget)
                codecs = aiortc_compat.codecs("video", "video/VP8")
            else:
                track = PacketTrack(self.audio.get(language) or self.audio[ORIGINAL])
                codecs = aiortc_compat.codecs("audio", "audio/opus")
            transceiver = peer.pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(codecs)
            if isinstance(track, PacketTrack):  # relay tracks are encoded by their own sender
                aiortc_compat.on_keyframe_request(transceiver.sender, budget)
            peer.tracks.append(track)
        answer = await self._answer(peer, offer)
        self._changed()
        return peer.id, answer

    def add_remote_viewer(self, language: str, remote: Any) -> str:
        """A viewer served by an SFU (``streaming.sfu``): counted, closed with the hub."""
        if self.closed:
            raise HubError(409, "this pitch has ended")
        peer = Peer(id=secrets.token_urlsafe(12), role="viewer", pc=None, language=language, remote=remote)
        self.peers[peer.id] = peer
        self._changed()
        return peer.id

    def set_language(self, peer_id: str, language: str) -> bool:
        peer = self.peers.get(peer_id)
        channel = self.audio.get(language)
        if peer is None or peer.role != "viewer" or channel is None:
            return False
        peer.language = language
        for track in peer.tracks:
            if isinstance(track, PacketTrack) and track.kind == "audio":
                track.switch(channel)
        return True

    async def add_candidates(self, peer_id: str, candidates: list[Any]) -> None:
        peer = self.peers[peer_id]
        for candidate in candidates:
            await peer.pc.addIceCandidate(candidate)

    def remote_ufrag(self, peer_id: str) -> str | None:
        pc = self.peers[peer_id].pc
        description = pc.remoteDescription if pc is not None else None
        return sdp.ice_ufrag(description.sdp) if description is not None else None

    async def leave(self, peer_id: str) -> bool:
        peer = self.peers.pop(peer_id, None)
        if peer is None:
            return False
        for track in peer.tracks:
            track.stop()
        others = [t for t in peer.tasks if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        with contextlib.suppress(Exception):
            if peer.pc is not None:
                await peer.pc.close()
            else:
                await peer.remote.close()
        for task in others:
            with contextlib.suppress(BaseException):
                await task
        if peer.role == "interpreter" and not any(
            p.language == peer.language for p in self.peers.values() if p.role == "interpreter"
        ):
            self._audio_encoders.pop(peer.language, None)
        self._changed()
        return True

    async def close(self) -> None:
        if self.closed:
            return
        for peer_id in list(self.peers):
            await self.leave(peer_id)
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        self._executor.shutdown(wait=True)

    # ---- internals -----------------------------------------------------------------------
    def _new_peer(self, role: str, language: str) -> Peer:
        if self.closed:
            raise HubError(409, "this pitch has ended")
        pc = RTCPeerConnection(ice_configuration(self.ice_servers))
        peer = Peer(id=secrets.token_urlsafe(12), role=role, pc=pc, language=language)
        self.peers[peer.id] = peer

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed") and peer.id in self.peers:
                self._spawn(self.leave(peer.id))
            elif pc.connectionState == "connected" and role != "viewer":
                self._changed()

        self._spawn(self._expire_unconnected(peer), peer)
        return peer

    async def _answer(self, peer: Peer, offer: str) -> str:
        try:
            await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await peer.pc.setLocalDescription(await peer.pc.createAnswer())
        except Exception as exc:  # aiortc: ValueError, OperationError, InvalidStateError…
            await self.leave(peer.id)
            raise HubError(400, f"the SDP offer cannot be used: {exc}") from None
        return peer.pc.localDescription.sdp

    async def _expire_unconnected(self, peer: Peer) -> None:
        await asyncio.sleep(CONNECT_TIMEOUT)
        if peer.id in self.peers and peer.pc.connectionState != "connected":
            log.info("pitch %s: closing %s %s that never connected", self.pitch_id, peer.role, peer.id)
            await self.leave(peer.id)

    async def _pump_video(self, track: MediaStreamTrack) -> None:
        """Read the presenter's decoded frames and encode the newest ones, never a backlog.

        aiortc's receiver queues every decoded frame without bound. A reader task empties it
        as fast as frames arrive into ``FreshFrames`` (the newest two); the encode loop takes
        from there, so when encodes fall behind (a loaded machine) older frames are skipped
        (``stats.skipped``) instead of queueing: latency stays within two frames plus one
        encode. Encodes run one at a time on the hub's single worker thread (the event loop
        keeps serving viewers), in arrival order. (Encoding on the event loop was measured
        worse at 128 viewers: the loop then has no slack to read the presenter.)
        """
        loop = asyncio.get_running_loop()
        mailbox = FreshFrames()
        self._pts_anchor = None  # a new presenter track: its own media clock
        stats = self.stats
        self._changed()

        async def read() -> None:
            try:
                while True:
                    frame = await track.recv()
                    self.frames_in += 1
                    if mailbox.put((frame, time.monotonic())):
                        stats.skipped += 1
            except MediaStreamError:
                pass
            finally:
                mailbox.close()

        reader = self._spawn(read())
        try:
            while True:
                frame, arrived = await mailbox.take()
                self.video_size = (frame.width, frame.height)
                pts = self._video_pts(frame, arrived)
                keyframe = self._keyframe_due()
                began = time.monotonic()
                packets = await loop.run_in_executor(self._executor, self._encoder.encode, frame, pts, keyframe)
                done = time.monotonic()
                stats.encoded += 1
                stats.encode_seconds += done - began
                stats.encode_max = max(stats.encode_max, done - began)
                stats.lag = done - arrived
                stats.lag_max = max(stats.lag_max, stats.lag)
                for packet in packets:
                    self.video.publish(packet)
        except MediaStreamError:
            pass
        finally:
            reader.cancel()

    def _video_pts(self, frame: av.VideoFrame, arrived: float) -> int:
        """A frame's time on the hub's 90 kHz clock, strictly increasing across presenters.

        The presenter's own timestamps (capture spacing) are kept, mapped onto the hub clock
        by the smallest offset seen (arrival - media time: the least delayed frame, so a frame
        is never stamped later than it arrived); a new presenter track, a timestamp jump or a
        drift of more than ``PTS_DRIFT`` seconds re-anchors. Arrival times alone bunch up when
        the event loop is late (two frames 0 ms apart: receivers and the recorder stutter)."""
        now = arrived - self.started
        media = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
        if media is None:
            at = now
        else:
            offset = now - media
            anchor = self._pts_anchor
            if anchor is None or offset < anchor or offset - anchor > PTS_DRIFT:
                self._pts_anchor = anchor = offset
            at = media + anchor
        pts = max(int(at * 90000), self._last_pts + 1)
        self._last_pts = pts
        return pts

    async def _pump_audio(self, track: MediaStreamTrack, language: str) -> None:
        encoder = self._audio_encoders.setdefault(language, AudioEncoder())
        channel = self.audio[language]
        try:
            while True:
                frame = await track.recv()
                packet: av.Packet
                for packet in encoder.encode(frame, self.clock(AUDIO_RATE)):
                    channel.publish(packet)
        except MediaStreamError:
            pass
