"""Large audiences through Janus (Streaming plugin) instances behind the hub.

When ``EXPO_SFU_URLS`` names one or more Janus HTTP APIs, the hub still receives and encodes
the presenter once; ``SfuPool`` sends those encoded packets as plain RTP to ``rtp``
mountpoints on every instance that has viewers of the pitch (``streaming.rtp_feed``), and WHEP
viewers are brokered to the least loaded healthy instance (``view``): the expo creates a Janus
handle, asks it to ``watch`` the mountpoint, bridges the two offers (``streaming.sfu_sdp``)
and answers the viewer with its own ``Location``; ``DELETE`` detaches the handle.

Mountpoints are made on first use per (pitch, audio language, VP8 payload type, Opus payload
type) on one instance: Janus sends with the mountpoint's payload types and every viewer
receives with those of its own offer (Chrome, Firefox and aiortc all differ). A language
switch is the Streaming plugin's ``switch`` to the mountpoint of the other language (no
renegotiation). Janus asks for key frames with RTCP PLI/FIR (new viewers, losses) on the
video RTCP port; the feed hands them to the hub, which rate-limits them like its own.

Health: every ``HEALTH_EVERY`` seconds each instance's ``/info`` is read; an instance that does
not answer (or whose event poll or a request failed) is taken out: its viewers are forgotten
(their peer connections fail and the viewer page reconnects) and its mountpoints dropped, and
new viewers go to the other instances, or to the hub itself when none is left. A recovered
instance is used again after a new session. The hub knows nothing about Janus: it holds a
``Peer`` without a peer connection whose ``remote`` is the ``SfuViewer``.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streaming import sfu_sdp
from streaming.hub import CONNECT_TIMEOUT, ORIGINAL, Hub
from streaming.janus import Janus, JanusError
from streaming.rtp_feed import Destination, Feed
from streaming.sdp import HubError, ice_ufrag

log = logging.getLogger("streaming.sfu")
HEALTH_EVERY = 2.0
DEFAULT_PT = {"video": 96, "audio": 111}  # for a mountpoint's section the viewer did not offer


@dataclass
class Mountpoint:
    id: int
    key: tuple[int, str, int, int]  # pitch, language, video pt, audio pt
    video: Destination
    audio: Destination


@dataclass
class SfuViewer:
    instance: "Instance"
    hub: Hub
    handle: int
    key: tuple[int, str, int, int]
    peer_id: str = ""
    ufrag: str | None = None  # the viewer's ICE ufrag (a trickle with another one is a restart)
    connected: bool = False
    created: float = field(default_factory=time.monotonic)

    async def switch(self, language: str) -> bool:
        pitch, _, vpt, apt = self.key
        if language != ORIGINAL and language not in self.hub.audio:
            return False
        try:
            mountpoint = await self.instance.pool.mountpoint(self.instance, self.hub, (pitch, language, vpt, apt))
            await self.instance.janus.message(self.handle, {"request": "switch", "id": mountpoint.id})
        except JanusError as exc:
            self.instance.pool.take_out(self.instance, exc)
            return False
        self.key = mountpoint.key
        return True

    async def close(self) -> None:
        self.instance.viewers.pop(self.handle, None)
        if self.instance.healthy:
            with contextlib.suppress(JanusError):
                await self.instance.janus.detach(self.handle)


class Instance:
    def __init__(self, pool: "SfuPool", url: str) -> None:
        self.pool = pool
        self.url = url
        self.host = urlsplit(url).hostname or "127.0.0.1"  # where the RTP goes
        self.janus = Janus(url, on_event=self._event)
        self.healthy = False
        self.control: int | None = None
        self.viewers: dict[int, SfuViewer] = {}
        self.mountpoints: dict[tuple[int, str, int, int], Mountpoint] = {}

    @property
    def load(self) -> int:
        return len(self.viewers)

    async def connect(self) -> None:
        await self.janus.close()
        self.janus = Janus(self.url, on_event=self._event)
        await self.janus.connect()
        self.control = await self.janus.attach()
        self.healthy = True

    def _event(self, handle: int, kind: str) -> None:
        viewer = self.viewers.get(handle)
        if viewer is None:
            return
        if kind == "webrtcup":
            viewer.connected = True
            viewer.hub.request_keyframe()
        else:  # hangup / detached: the viewer's connection is over
            self.viewers.pop(handle, None)
            self.pool.spawn(viewer.hub.leave(viewer.peer_id))


class SfuPool:
    def __init__(self, urls: tuple[str, ...], *, admin_key: str = "", max_viewers: int = 2000) -> None:
        self.admin_key = admin_key
        self.max_viewers = max_viewers
        self.instances = [Instance(self, url) for url in urls]
        self.feeds: dict[int, tuple[Feed, dict[str, Feed]]] = {}  # per pitch: video, audio by language
        self._health: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.fallbacks = 0  # viewers sent to the hub because no instance could take them
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- instances -------------------------------------------------------------------------
    async def start(self) -> None:
        if self._health is None:
            await asyncio.gather(*(self._check(i) for i in self.instances))
            self._health = asyncio.ensure_future(self._watch())

    async def _check(self, instance: Instance) -> None:
        try:
            await instance.janus.info()
            if not instance.healthy or instance.janus.failed:
                if instance.healthy:
                    raise JanusError("event poll failed")
                await instance.connect()
                log.info("SFU %s is in", instance.url)
        except JanusError as exc:
            self.take_out(instance, exc)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_EVERY)
            try:
                await asyncio.gather(*(self._check(i) for i in self.instances))
                now = time.monotonic()
                for instance in self.instances:
                    for viewer in list(instance.viewers.values()):
                        if not viewer.connected and now - viewer.created > CONNECT_TIMEOUT:
                            await viewer.hub.leave(viewer.peer_id)  # never connected: forgotten
            except Exception:  # the health check must outlive any one failure
                log.exception("SFU health check")

    def take_out(self, instance: Instance, reason: object) -> None:
        if instance.healthy:
            log.warning("SFU %s taken out: %s", instance.url, reason)
        instance.healthy = False
        for mountpoint in instance.mountpoints.values():
            self._unfeed(mountpoint)
        instance.mountpoints.clear()
        viewers, instance.viewers = list(instance.viewers.values()), {}
        for viewer in viewers:
            self.spawn(viewer.hub.leave(viewer.peer_id))

    def choose(self) -> Instance | None:
        """The healthy instance with the fewest viewers that has room, or None."""
        room = [i for i in self.instances if i.healthy and not i.janus.failed and i.load < self.max_viewers]
        return min(room, key=lambda i: i.load, default=None)

    def viewer_count(self, pitch_id: int) -> int:
        return sum(1 for i in self.instances for v in i.viewers.values() if v.hub.pitch_id == pitch_id)

    # ---- feeds and mountpoints ---------------------------------------------------------------
    async def _feeds(self, hub: Hub, language: str) -> tuple[Feed, Feed]:
        entry = self.feeds.get(hub.pitch_id)
        if entry is None:
            video = await Feed("video", hub.request_keyframe).start()
            hub.video.taps.append(video)
            entry = self.feeds[hub.pitch_id] = (video, {})
        video, audios = entry
        channel = hub.audio.get(language) or hub.audio[ORIGINAL]
        audio = audios.get(channel.name)
        if audio is None:
            audio = audios[channel.name] = await Feed("audio").start()
            channel.taps.append(audio)
        return video, audio

    async def mountpoint(self, instance: Instance, hub: Hub, key: tuple[int, str, int, int]) -> Mountpoint:
        async with self._lock:
            found = instance.mountpoints.get(key)
            if found is not None:
                return found
            pitch, language, vpt, apt = key
            number = secrets.randbelow(2**31 - 1) + 1
            data, _ = await instance.janus.message(
                instance.control,  # type: ignore[arg-type]
                {
                    "request": "create",
                    "type": "rtp",
                    "id": number,
                    "description": f"pitch {pitch} {language or 'original'}",
                    "admin_key": self.admin_key,
                    "media": [
                        {"type": "video", "mid": "v", "codec": "vp8", "pt": vpt, "port": 0, "rtcpport": 0},
                        {"type": "audio", "mid": "a", "codec": "opus", "pt": apt, "port": 0},
                    ],
                },
            )
            ports = {p["type"]: p for p in data["stream"]["ports"]}
            found = Mountpoint(
                number,
                key,
                Destination(instance.host, ports["video"]["port"], vpt, ports["video"].get("rtcp_port")),
                Destination(instance.host, ports["audio"]["port"], apt),
            )
            video, audio = await self._feeds(hub, language)
            video.add(f"{instance.url}#{number}", found.video)
            audio.add(f"{instance.url}#{number}", found.audio)
            instance.mountpoints[key] = found
            return found

    def _unfeed(self, mountpoint: Mountpoint) -> None:
        entry = self.feeds.get(mountpoint.key[0])
        if entry is None:
            return
        video, audios = entry
        for feed in (video, *audios.values()):
            for name, destination in list(feed.destinations.items()):
                if destination in (mountpoint.video, mountpoint.audio):
                    feed.remove(name)

    # ---- viewers -----------------------------------------------------------------------------
    async def view(self, hub: Hub, offer: str, language: str) -> tuple[str, str] | None:
        """Broker a WHEP viewer to an instance: (peer id, answer), or None when no instance
        can take it (the caller serves it from the hub)."""
        await self.start()
        while (instance := self.choose()) is not None:
            try:
                return await self._view_on(instance, hub, offer, language)
            except JanusError as exc:
                self.take_out(instance, exc)
        self.fallbacks += 1
        return None

    async def _view_on(self, instance: Instance, hub: Hub, offer: str, language: str) -> tuple[str, str]:
        vpt, apt = sfu_sdp.payload_types(offer)
        key = (hub.pitch_id, language, vpt or DEFAULT_PT["video"], apt or DEFAULT_PT["audio"])
        mountpoint = await self.mountpoint(instance, hub, key)
        handle = await instance.janus.attach()
        try:
            _, jsep = await instance.janus.message(handle, {"request": "watch", "id": mountpoint.id})
            if jsep is None:
                raise JanusError("watch: no offer from the Streaming plugin")
            viewer_answer, sfu_answer = sfu_sdp.bridge(offer, jsep["sdp"])
            await instance.janus.message(handle, {"request": "start"}, {"type": "answer", "sdp": sfu_answer})
        except (JanusError, HubError):
            with contextlib.suppress(JanusError):
                await instance.janus.detach(handle)
            raise
        viewer = SfuViewer(instance, hub, handle, key, ufrag=ice_ufrag(offer))
        instance.viewers[handle] = viewer
        viewer.peer_id = hub.add_remote_viewer(language, viewer)
        return viewer.peer_id, viewer_answer

    async def trickle(self, viewer: SfuViewer, fragment: str) -> None:
        candidates = [{"sdpMLineIndex": 0, "candidate": c} for c in sfu_sdp.candidate_lines(fragment)]
        if candidates:
            try:
                await viewer.instance.janus.trickle(viewer.handle, candidates)
            except JanusError as exc:  # the viewer's connection will fail; the page reconnects
                log.warning("SFU %s: trickle failed: %s", viewer.instance.url, exc)

    async def forget(self, pitch_id: int) -> None:
        """The pitch ended: its mountpoints and feeds go."""
        for instance in self.instances:
            for key, mountpoint in list(instance.mountpoints.items()):
                if key[0] != pitch_id:
                    continue
                instance.mountpoints.pop(key)
                if instance.healthy:
                    with contextlib.suppress(JanusError):
                        await instance.janus.message(
                            instance.control,  # type: ignore[arg-type]
                            {"request": "destroy", "id": mountpoint.id, "admin_key": self.admin_key},
                        )
        entry = self.feeds.pop(pitch_id, None)
        if entry is not None:
            video, audios = entry
            for feed in (video, *audios.values()):
                feed.close()

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"url": i.url, "healthy": i.healthy, "viewers": i.load} for i in self.instances]

    async def close(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._health is not None:
            self._health.cancel()
            with contextlib.suppress(BaseException):
                await self._health
        for pitch_id in list(self.feeds):
            await self.forget(pitch_id)
        for instance in self.instances:
            await instance.janus.close()
