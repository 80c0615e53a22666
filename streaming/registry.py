"""The app's live pitches: one ``Hub`` per live pitch, kept in the app's lifespan state
(``request.state.cache["streaming.hubs"]``, created on first use), never a module global.

The registry starts a hub when a presenter connects, records it, reports its changes on the
bus (``pitch:{id}``: viewer count, whether the presenter is sending, interpretation
languages) and, when the host ends the pitch, closes every peer and finishes the recording.
A hub lives in the process that took the presenter's WHIP request: with several processes,
route ``/pitches/{id}/wh*`` of one pitch to one process (docs/streaming.md).
"""

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from expo.db import Database, utcnow
from streaming import pitches
from streaming.hub import Hub
from streaming.models import Recording
from streaming.recorder import Recorder
from streaming.sfu import SfuPool

log = logging.getLogger("streaming.registry")
CACHE_KEY = "streaming.hubs"


def channel(pitch_id: int) -> str:
    return f"pitch:{pitch_id}"


class Registry:
    def __init__(self, *, db: Database, bus: Any, settings: Any) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.hubs: dict[int, Hub] = {}
        self.recorders: dict[int, tuple[Recorder, int]] = {}
        self._lock = asyncio.Lock()
        self._guard: asyncio.Task[None] | None = None
        self._last_count: dict[int, tuple[float, int]] = {}
        urls = tuple(getattr(settings, "sfu_urls", ()) or ())
        self.sfu: SfuPool | None = (
            SfuPool(
                urls,
                admin_key=getattr(settings, "sfu_admin_key", ""),
                max_viewers=int(getattr(settings, "sfu_max_viewers", 2000)),
            )
            if urls
            else None
        )

    @property
    def max_viewers(self) -> int:
        return int(getattr(self.settings, "max_viewers", 200))

    @property
    def recordings_dir(self) -> Path:
        return Path(getattr(self.settings, "recordings_dir", None) or Path(self.settings.var_dir) / "recordings")

    def get(self, pitch_id: int) -> Hub | None:
        return self.hubs.get(pitch_id)

    async def open(self, pitch_id: int) -> Hub:
        async with self._lock:
            hub = self.hubs.get(pitch_id)
            if hub is None:
                hub = Hub(
                    pitch_id,
                    ice_servers=tuple(self.settings.ice_servers),
                    max_viewers=self.max_viewers,
                    on_change=self._changed,
                    fanout=getattr(self.settings, "pitch_fanout", "hub"),
                    legacy=bool(getattr(self.settings, "pitch_legacy", False)),
                )
                self.hubs[pitch_id] = hub
                self._ensure_guard()
            return hub

    async def end(self, pitch_id: int) -> None:
        """The pitch is over: close its hub and finish its recording."""
        hub = self.hubs.pop(pitch_id, None)
        if hub is not None:
            await hub.close()
        if self.sfu is not None:
            await self.sfu.forget(pitch_id)
        await self._stop_recording(pitch_id)
        self._last_count.pop(pitch_id, None)

    async def close(self) -> None:
        for pitch_id in list(self.hubs):
            await self.end(pitch_id)
        if self.sfu is not None:
            await self.sfu.close()

    def peer_count(self) -> int:
        return sum(len(h.peers) for h in self.hubs.values())

    # ---- recording -------------------------------------------------------------------------
    async def _start_recording(self, hub: Hub) -> None:
        if hub.pitch_id in self.recorders or hub.video_size is None:
            return
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"pitch-{hub.pitch_id}-{stamp}.webm"
        recorder = Recorder(self.recordings_dir / name, *hub.video_size)
        async with self.db.session() as session:
            row = Recording(pitch_id=hub.pitch_id, filename=name)
            session.add(row)
            await session.commit()
            self.recorders[hub.pitch_id] = (recorder, row.id)
        hub.video.taps.append(recorder.video)
        hub.audio[""].taps.append(recorder.audio)
        hub.request_keyframe()

    async def _stop_recording(self, pitch_id: int) -> None:
        entry = self.recorders.pop(pitch_id, None)
        if entry is None:
            return
        recorder, row_id = entry
        await asyncio.to_thread(recorder.stop)
        try:
            async with self.db.session() as session:
                row = await session.get(Recording, row_id)
                if row is not None:
                    row.ended_at = utcnow()
                    row.duration_ms = recorder.duration_ms
                    row.size_bytes = recorder.path.stat().st_size if recorder.path.exists() else 0
                    await session.commit()
        except Exception:  # the database may already be gone at shutdown
            log.exception("could not record the end of recording %s", row_id)

    # ---- reporting -----------------------------------------------------------------------
    async def _changed(self, hub: Hub) -> None:
        snapshot = hub.snapshot()
        if snapshot["publishing"]:
            if hub.video_size is None:  # the first frame decides the recording's size
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if hub.video_size is not None or hub.closed:
                        break
            if not hub.closed:
                await self._start_recording(hub)
            async with self.db.session() as session:
                await pitches.set_state(session, hub.pitch_id, "live")
        await self.bus.publish(channel(hub.pitch_id), {"type": "live", **snapshot})

    async def publish_state(self, pitch_id: int, **extra: Any) -> None:
        hub = self.hubs.get(pitch_id)
        snapshot = hub.snapshot() if hub else {"pitch_id": pitch_id, "publishing": False, "viewers": 0, "languages": []}
        await self.bus.publish(channel(pitch_id), {"type": "live", **snapshot, **extra})

    # ---- shutdown --------------------------------------------------------------------------
    def _ensure_guard(self) -> None:
        """The app's lifespan has no hook for us: a task that closes every hub when the event
        loop cancels it at shutdown (uvicorn and the test client both cancel leftover tasks)."""
        if self._guard is None or self._guard.done():
            self._guard = asyncio.get_running_loop().create_task(self._wait_for_shutdown())

    async def _wait_for_shutdown(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await self.close()


def registry(state: Any) -> Registry:
    """The registry of this app (``request.state`` or ``websocket.state``)."""
    cache: dict[str, Any] = state.cache
    found = cache.get(CACHE_KEY)
    if found is None:
        found = cache[CACHE_KEY] = Registry(db=state.db, bus=state.bus, settings=state.settings)
    return found
