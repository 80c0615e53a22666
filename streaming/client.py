"""A small WHIP/WHEP client on aiortc + httpx (tests, the benchmark, and scripts that
publish or watch a pitch). See docs/protocols.md for the wire format."""

from dataclasses import dataclass, field

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack


class SignalingError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text.strip()}")
        self.status = status
        self.text = text


@dataclass
class Session:
    pc: RTCPeerConnection
    location: str
    tracks: list[MediaStreamTrack] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # sent again on DELETE (WHIP: the token)

    async def close(self, http: httpx.AsyncClient | None = None) -> None:
        if http is not None:
            try:
                await http.delete(self.location, headers=self.headers)
            except httpx.HTTPError:
                pass
        await self.pc.close()


async def _exchange(http: httpx.AsyncClient, url: str, pc: RTCPeerConnection, headers: dict[str, str]) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    response = await http.post(
        url, content=pc.localDescription.sdp, headers={"Content-Type": "application/sdp", **headers}
    )
    if response.status_code != 201:
        await pc.close()
        raise SignalingError(response.status_code, response.text)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))
    return str(response.url.join(response.headers["location"]))


async def publish(http: httpx.AsyncClient, url: str, token: str, tracks: list[MediaStreamTrack]) -> Session:
    """WHIP: send ``tracks`` to ``url`` (``…/pitches/{id}/whip``)."""
    pc = RTCPeerConnection()
    for track in tracks:
        pc.addTransceiver(track, direction="sendonly")
    headers = {"Authorization": f"Bearer {token}"}
    location = await _exchange(http, url, pc, headers)
    return Session(pc, location, headers=headers)


async def view(
    http: httpx.AsyncClient, url: str, *, audio: bool = True, video: bool = True, token: str | None = None
) -> Session:
    """WHEP: receive a pitch from ``url`` (``…/pitches/{id}/whep``); tracks arrive in
    ``session.tracks`` once the answer is applied. ``token``: the pitch's viewer token, for
    a registered-only pitch watched without a signed-in session."""
    pc = RTCPeerConnection()
    session = Session(pc, "")

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        session.tracks.append(track)

    if video:
        pc.addTransceiver("video", direction="recvonly")
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    session.location = await _exchange(http, url, pc, {"Authorization": f"Bearer {token}"} if token else {})
    return session
