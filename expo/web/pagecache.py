"""A small per-process cache of rendered pages for anonymous visitors.

Anonymous visitors of the same page, language and time zone see the same HTML, so busy
public pages (the lobby) render once per key every few seconds instead of once per request.
Signed-in visitors are never served from it (their pages carry their name and CSRF token).

**One render per key at a time.** When an entry is missing, the first request renders it
and every request for the same key that arrives meanwhile waits for that render instead of
rendering too (single flight). When an entry has expired, the first request re-renders it
while the others are answered with the expired page (stale while revalidate, at most
``STALE_SECONDS`` old). Without this, 50 clients all missed together each time an entry
expired, and each rendered the page itself: ~1 s at p99 (bench/pages.py).

The body is kept gzipped too (compressed once per render, not per request); a request
that accepts gzip gets that copy.
"""

import asyncio
import gzip
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from expo.web.compression import accepts_gzip

MAX_ENTRIES = 512
STALE_SECONDS = 30.0  # an expired page may still be served this long while it is re-rendered
GZIP_LEVEL = 6


class PageCache:
    def __init__(self, seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple[str, ...], tuple[float, bytes]] = OrderedDict()
        self._gzipped: dict[tuple[str, ...], tuple[bytes, bytes]] = {}
        self._renders: dict[tuple[str, ...], asyncio.Future[bool]] = {}
        self.renders = 0  # how many renders this cache has started (the single-flight test reads it)

    def get(self, key: tuple[str, ...]) -> bytes | None:
        found = self._pages.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def get_stale(self, key: tuple[str, ...], stale: float) -> tuple[bytes | None, bool]:
        """(body, fresh): the entry while at most ``seconds + stale`` old, and whether it
        is still fresh."""
        found = self._pages.get(key)
        if found is None:
            return None, False
        age = time.monotonic() - found[0]
        if age > self.seconds + stale:
            return None, False
        return found[1], age <= self.seconds

    def gzipped(self, key: tuple[str, ...], body: bytes) -> bytes:
        """The gzipped copy of ``body`` (the entry under ``key``), compressed once per render."""
        found = self._gzipped.get(key)
        if found is not None and found[0] is body:
            return found[1]
        packed = gzip.compress(body, GZIP_LEVEL, mtime=0)
        if self._pages.get(key, (0.0, b""))[1] is body:
            self._gzipped[key] = (body, packed)
        return packed

    def put(self, key: tuple[str, ...], body: bytes) -> None:
        self._pages[key] = (time.monotonic(), body)
        self._gzipped.pop(key, None)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            old, _ = self._pages.popitem(last=False)
            self._gzipped.pop(old, None)

    async def render_once(self, key: tuple[str, ...], render: Callable[[], Awaitable[Response]]) -> Response | None:
        """Renders the entry under ``key``, or waits for the render already running for
        it. Returns the response when this call rendered it; None when it waited (the
        entry is then in the cache, unless that render was not cacheable)."""
        running = self._renders.get(key)
        if running is not None:
            await asyncio.shield(running)
            return None
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._renders[key] = done
        self.renders += 1
        try:
            response = await render()
            if response.status_code == 200 and isinstance(response, HTMLResponse):
                self.put(key, bytes(response.body))
            return response
        finally:
            del self._renders[key]
            done.set_result(True)

    def refreshing(self, key: tuple[str, ...]) -> bool:
        return key in self._renders


async def cached_for_anonymous(
    request: Request, name: str, seconds: float, render: Callable[[], Awaitable[Response]]
) -> Response:
    """The page from the cache ``name`` when the visitor is anonymous; else ``render()``."""
    if request.state.user is not None or request.method != "GET":
        return await render()
    caches: dict[str, PageCache] = request.state.cache.setdefault("pages", {})
    cache = caches.setdefault(name, PageCache(seconds))
    key = (
        request.url.path,
        request.url.query,
        request.state.locale,
        request.state.timezone,
        str(request.state.tz_known),
    )
    body, fresh = cache.get_stale(key, STALE_SECONDS)
    if body is None or (not fresh and not cache.refreshing(key)):
        rendered = await cache.render_once(key, render)
        if rendered is not None and (rendered.status_code != 200 or not isinstance(rendered, HTMLResponse)):
            return rendered  # not cacheable: as rendered
        body = cache.get_stale(key, STALE_SECONDS)[0]
        if body is None:  # the render we waited for was not cacheable: render our own
            return await render()
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        return HTMLResponse(cache.gzipped(key, body), headers={"content-encoding": "gzip", "vary": "Accept-Encoding"})
    return HTMLResponse(body)  # expo.web.compression adds Vary: Accept-Encoding
