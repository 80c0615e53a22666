"""A meeting-room participant on aiortc + websockets (tests, bench/rooms.py, and operators
checking a setup): joins ``/ws/meetings/{id}`` with a session cookie, keeps one peer
connection per other participant, and negotiates with the same perfect-negotiation rule as
the browser (static/js/rooms/room.js): of two peers, the one whose peer id sorts first is
*polite*. An impolite peer ignores an offer that collides with its own; a polite one yields.
aiortc has no rollback, so a polite aiortc peer yields by replacing its not-yet-answered
connection with a fresh one that takes the other's offer (same tracks, made anew).
See docs/protocols.md for the messages.
"""

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.sdp import candidate_from_sdp

TrackFactory = Callable[[], list[MediaStreamTrack]]


@dataclass
class Remote:
    peer_id: str
    pc: RTCPeerConnection
    polite: bool
    making_offer: bool = False
    tracks: list[MediaStreamTrack] = field(default_factory=list)


class RoomClient:
    def __init__(
        self,
        ws_url: str,
        cookie: str,
        tracks: TrackFactory,
        *,
        relay_only: bool = False,
        offer_on_join: bool = True,
    ) -> None:
        self.ws_url = ws_url
        self.cookie = cookie
        self.make_tracks = tracks
        self.relay_only = relay_only
        self.offer_on_join = offer_on_join
        self.socket: Any = None
        self.peer_id: str | None = None
        self.welcome: dict[str, Any] = {}
        self.remotes: dict[str, Remote] = {}
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.collisions = 0
        self.ice_servers: list[dict[str, Any]] = []
        self._reader: asyncio.Task[None] | None = None
        self._joined_peers = asyncio.Event()

    async def connect(self, **join: Any) -> dict[str, Any]:
        """Opens the socket and joins; returns the welcome (or raises with the error frame)."""
        self.socket = await websockets.connect(self.ws_url, additional_headers={"Cookie": self.cookie}, max_size=2**20)
        await self.socket.send(json.dumps({"type": "join", **join}))
        first = json.loads(await self.socket.recv())
        if first["type"] != "welcome":
            raise RoomRefused(first)
        self.welcome = first
        self.peer_id = first["peer_id"]
        self.ice_servers = first["ice_servers"]
        self._reader = asyncio.create_task(self._read())
        for peer in first["peers"]:
            remote = self._remote(peer["peer_id"])
            if self.offer_on_join:
                await self.negotiate(remote.peer_id)
        return first

    def _configuration(self) -> RTCConfiguration:
        return RTCConfiguration(
            iceServers=[RTCIceServer(**s) for s in self.ice_servers],
            iceTransportPolicy=RTCIceTransportPolicy.RELAY if self.relay_only else RTCIceTransportPolicy.ALL,
        )

    def _remote(self, peer_id: str, replace: bool = False) -> Remote:
        old = self.remotes.get(peer_id)
        if old is not None and not replace:
            return old
        pc = RTCPeerConnection(self._configuration())
        assert self.peer_id is not None
        remote = Remote(peer_id, pc, polite=self.peer_id < peer_id)
        for track in self.make_tracks():
            pc.addTransceiver(track, direction="sendrecv")

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            remote.tracks.append(track)

        self.remotes[peer_id] = remote
        return remote

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def negotiate(self, peer_id: str) -> None:
        remote = self._remote(peer_id)
        remote.making_offer = True
        try:
            await remote.pc.setLocalDescription(await remote.pc.createOffer())
            await self.send({"type": "offer", "to": peer_id, "sdp": remote.pc.localDescription.sdp})
        finally:
            remote.making_offer = False

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
            async for raw in self.socket:
                message = json.loads(raw)
                try:
                    await self._handle(message)
                except Exception as exc:  # noqa: BLE001 - one bad exchange must not stop the reader
                    self.inbox.put_nowait({"type": "client_error", "error": repr(exc)})
                self.inbox.put_nowait(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "joined":
            remote = self._remote(message["from"])
            if self.offer_on_join:
                await self.negotiate(remote.peer_id)
        elif kind == "left":
            remote = self.remotes.pop(message["from"], None)
            if remote is not None:
                await _close(remote.pc)
        elif kind == "offer":
            remote = self._remote(message["from"])
            collision = remote.making_offer or remote.pc.signalingState != "stable"
            if collision:
                self.collisions += 1
                if not remote.polite:
                    return  # the impolite peer keeps its own offer; the other side yields
                await _close(remote.pc)
                remote = self._remote(message["from"], replace=True)
            await remote.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
            await remote.pc.setLocalDescription(await remote.pc.createAnswer())
            await self.send({"type": "answer", "to": remote.peer_id, "sdp": remote.pc.localDescription.sdp})
        elif kind == "answer":
            remote = self.remotes.get(message["from"])
            if remote is not None and remote.pc.signalingState == "have-local-offer":
                await remote.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
        elif kind == "candidate":
            remote = self.remotes.get(message["from"])
            found = message.get("candidate") or {}
            if remote is not None and found.get("candidate"):
                candidate = candidate_from_sdp(found["candidate"].removeprefix("candidate:"))
                candidate.sdpMid = found.get("sdpMid")
                candidate.sdpMLineIndex = found.get("sdpMLineIndex")
                await remote.pc.addIceCandidate(candidate)

    async def next(self, kind: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message of ``kind`` this client received (others are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.inbox.get()
                if message["type"] == kind:
                    return message

    async def video_from(self, peer_id: str, timeout: float = 15) -> MediaStreamTrack:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                remote = self.remotes.get(peer_id)  # may be replaced meanwhile (a polite yield)
                for track in remote.tracks if remote is not None else ():
                    if track.kind == "video":
                        return track
                await asyncio.sleep(0.02)

    def candidate_pair_types(self, peer_id: str) -> set[tuple[str, str]]:
        """(local, remote) candidate types of the nominated pair(s) with ``peer_id``."""
        pc = self.remotes[peer_id].pc
        connection = pc.getTransceivers()[0].sender.transport.transport._connection
        return {(p.local_candidate.type, p.remote_candidate.type) for p in connection._nominated.values()}

    async def drop(self) -> None:
        """Loses the socket without saying goodbye (a network drop); peer connections close too."""
        if self._reader:
            self._reader.cancel()
        with contextlib.suppress(Exception):
            await self.socket.close()
        for remote in list(self.remotes.values()):
            await _close(remote.pc)
        self.remotes.clear()
        self.peer_id = None

    async def close(self) -> None:
        if self.socket is not None and self.peer_id is not None:
            with contextlib.suppress(Exception):
                await self.send({"type": "leave"})
        await self.drop()


async def _close(pc: RTCPeerConnection) -> None:
    """Closes ``pc`` even when the reader task is cancelled meanwhile (a close cut short
    leaves aiortc's later ``close()`` calls waiting for it forever)."""
    with contextlib.suppress(Exception, asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(pc.close()), 5)


class RoomRefused(Exception):
    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.frame = frame
