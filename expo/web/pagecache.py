"""A small per-process cache of rendered pages for anonymous visitors.

Anonymous visitors of the same page, language and time zone see the same HTML, so busy
public pages (the lobby) render once per key every few seconds instead of once per request.
Signed-in visitors are never served from it (their pages carry their name and CSRF token).
"""

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

MAX_ENTRIES = 512


class PageCache:
    def __init__(self, seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple[str, ...], tuple[float, bytes]] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> bytes | None:
        found = self._pages.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, key: tuple[str, ...], body: bytes) -> None:
        self._pages[key] = (time.monotonic(), body)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)


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
    body = cache.get(key)
    if body is None:
        response = await render()
        if response.status_code != 200 or not isinstance(response, HTMLResponse):
            return response
        body = bytes(response.body)
        cache.put(key, body)
    return HTMLResponse(body)
