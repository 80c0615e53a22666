"""The cap on anonymous WHEP viewer sessions per client address, shared by every server
process through the app's limiter (Redis when ``EXPO_REDIS_URL`` is set, as the rate limits
are; in-process otherwise).

A new anonymous session first takes a place (``limiter.hold``: atomic, so two processes
cannot both pass at the last place); once the hub has the viewer, the place is kept alive by
one task per process that refreshes its own places every ``REFRESH`` seconds and gives back
those whose viewer has gone. A killed process's places lapse ``LAPSE`` seconds after their
last refresh. Lives in the app's state (``state.cache``), never a module global.
"""

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("streaming.viewer_cap")
PER_ADDRESS = 4
LAPSE = 60.0
REFRESH = 20.0


def _key(address: str) -> str:
    return f"whep-anonymous:{address}"


@dataclass
class Place:
    address: str
    pitch_id: int
    peer_id: str | None = None  # None while the hub is still answering the offer
    taken: float = field(default_factory=time.monotonic)


class ViewerCap:
    KEY = "streaming.viewer_cap"

    def __init__(self, limiter: Any, hubs: dict[int, Any]) -> None:
        self.limiter = limiter
        self.hubs = hubs  # the registry's live hubs of this process (pitch id → Hub)
        self.places: dict[str, Place] = {}
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, state: Any, hubs: dict[int, Any]) -> "ViewerCap":
        cache: dict[str, Any] = state.cache
        found = cache.get(cls.KEY)
        if found is None:
            found = cache[cls.KEY] = cls(state.limiter, hubs)
        return found  # type: ignore[no-any-return]

    def _alive(self, place: Place) -> bool:
        hub = self.hubs.get(place.pitch_id)
        if place.peer_id is None:  # an offer being answered (a failure gives the place back)
            return time.monotonic() - place.taken < LAPSE
        return hub is not None and place.peer_id in hub.peers

    async def _tidy(self, address: str) -> None:
        """Gives back this process's places of ``address`` whose viewer has gone."""
        for member, place in list(self.places.items()):
            if place.address == address and not self._alive(place):
                self.places.pop(member, None)
                await self.limiter.release(_key(address), member)

    async def take(self, address: str, pitch_id: int) -> str | None:
        """A place for a new anonymous viewer from ``address``, or None when it has its
        ``PER_ADDRESS`` live sessions already (on any process)."""
        await self._tidy(address)
        member = secrets.token_hex(8)
        if not await self.limiter.hold(_key(address), member, PER_ADDRESS, LAPSE):
            return None
        self.places[member] = Place(address, pitch_id)
        return member

    async def seated(self, member: str, peer_id: str | None) -> None:
        """The hub has the viewer (``peer_id``), or not (None: the place is given back)."""
        place = self.places.get(member)
        if place is None:
            return
        if peer_id is None:
            self.places.pop(member, None)
            await self.limiter.release(_key(place.address), member)
            return
        place.peer_id = peer_id
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="whep-viewer-cap")

    async def gone(self, peer_id: str) -> None:
        """The viewer ended its session (WHEP DELETE): its place is free at once."""
        for member, place in list(self.places.items()):
            if place.peer_id == peer_id:
                self.places.pop(member, None)
                await self.limiter.release(_key(place.address), member)

    async def close(self) -> None:
        """At shutdown (the lifespan closes what the cache holds): every place given back."""
        if self.task is not None:
            self.task.cancel()
        for member, place in list(self.places.items()):
            self.places.pop(member, None)
            try:
                await self.limiter.release(_key(place.address), member)
            except Exception:  # noqa: BLE001 - they lapse by themselves
                log.warning("viewer cap: could not give a place back at shutdown", exc_info=True)

    async def _run(self) -> None:
        while self.places:
            await asyncio.sleep(REFRESH)
            try:
                for member, place in list(self.places.items()):
                    if self._alive(place):
                        await self.limiter.hold(_key(place.address), member, 2**31, LAPSE)  # a refresh always passes
                    else:
                        self.places.pop(member, None)
                        await self.limiter.release(_key(place.address), member)
            except Exception:  # noqa: BLE001 - retried at the next refresh (or the places lapse)
                log.warning("viewer cap refresh failed", exc_info=True)
