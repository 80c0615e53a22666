"""Routes that declare who may use them.

``route(path, endpoint, allow=…)`` wraps a Starlette ``Route``: before the endpoint runs,
the visitor's role is checked against ``allow`` (anonymous visitors of a members-only page
are sent to the login page; others get 403) and, on state-changing methods, the CSRF token
is checked. The declaration stays on the route (``route.allow``) so a test can walk every
route × role.

The gate also bounds the request body before anything reads it (``max_body`` bytes, an int
or a function of the request; by default 256 KiB, and the upload limit for multipart bodies,
which may carry a file; forms that never take files declare less): a larger
``Content-Length`` is refused with 413 at once, and a chunked body is cut off at the limit.
An integer path parameter beyond the database's ids (≥ 2^31) answers 404 before the
endpoint runs, on pages and sockets alike. ``openapi=`` describes an ``/api/`` route for
``/api/openapi.json`` (``expo.web.openapi``).
"""

import functools
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import Message, Receive
from starlette.websockets import WebSocket

from expo.accounts.roles import ANONYMOUS
from expo.web.csrf import check_csrf
from i18n import N_

Endpoint = Callable[[Request], Awaitable[Response]]
SocketEndpoint = Callable[[WebSocket], Awaitable[None]]
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Marks a refusal by the role gate (not by an endpoint's own finer check), for clients and tests.
DENIED = {"x-denied-by": "role"}
DEFAULT_MAX_BODY = 256 * 1024
# Ids are database integers: a path id past this can name nothing (and would overflow SQLite).
MAX_PATH_ID = 2**31 - 1
BodyLimit = int | Callable[[Request], int]


def principal(conn: Request | WebSocket) -> str:
    user = getattr(conn.state, "user", None)
    return user.role if user is not None else ANONYMOUS


def _deny(request: Request) -> Response:
    if principal(request) == ANONYMOUS:
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.method == "GET" and wants_html and not request.url.path.startswith("/api/"):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303, headers=DENIED)
        raise HTTPException(401, N_("Please sign in first."), headers=DENIED)
    raise HTTPException(403, N_("You are not allowed to do this."), headers=DENIED)


def ids_fit(conn: Request | WebSocket) -> bool:
    """False when an integer path parameter is past any database id."""
    return all(not isinstance(v, int) or v <= MAX_PATH_ID for v in conn.path_params.values())


def _bounded(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413)
        return message

    return bounded


def default_limit(request: Request) -> int:
    """256 KiB; a multipart body (it may carry a file) up to the upload limit."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return int(request.state.settings.upload_max_mb) * 1024 * 1024 + 64 * 1024
    return DEFAULT_MAX_BODY


def limit_body(request: Request, max_body: BodyLimit | None) -> Request:
    """The request with its body bounded (413 beyond ``max_body``), checked before reading."""
    if max_body is None:
        limit = default_limit(request)
    else:
        limit = max_body(request) if callable(max_body) else max_body
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise HTTPException(413)
    return Request(request.scope, _bounded(request.receive, limit), request._send)  # noqa: SLF001


def route(
    path: str,
    endpoint: Endpoint,
    *,
    allow: Collection[str],
    methods: Iterable[str] = ("GET",),
    csrf: bool = True,
    name: str | None = None,
    max_body: BodyLimit | None = None,
    openapi: Mapping[str, Any] | None = None,
) -> Route:
    """A route usable by the principals in ``allow`` (roles and/or "anonymous")."""
    allowed = frozenset(allow)
    methods = tuple(methods)

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if principal(request) not in allowed:
            return _deny(request)
        if not ids_fit(request):
            raise HTTPException(404)
        if request.method in UNSAFE:
            request = limit_body(request, max_body)
            if csrf:
                request = await check_csrf(request)
        return await endpoint(request)

    result = Route(path, guarded, methods=list(methods), name=name or endpoint.__name__)
    result.allow = allowed  # type: ignore[attr-defined]
    result.csrf = csrf  # type: ignore[attr-defined]
    result.openapi = openapi  # type: ignore[attr-defined]
    return result


async def refuse(websocket: WebSocket, code: int, reason: str = "") -> None:
    """Accepts, then closes with an application code (4401 sign in, 4403 forbidden, 4404 not
    found): a refusal at the handshake would be an HTTP 403 that browsers cannot tell apart
    from a network failure, so pages would reconnect forever."""
    await websocket.accept()
    await websocket.close(code=code, reason=reason)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(websocket: WebSocket) -> bool:
    """Cross-site WebSocket hijacking guard: a browser always sends ``Origin``; only the
    expo's own pages (``EXPO_PUBLIC_URL``, the host the socket was opened on, or
    ``EXPO_WS_ORIGINS``) may open a socket with the visitor's cookie. Programs that send no
    Origin are let through (they hold no visitor's cookie)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    settings = websocket.state.settings
    if origin == _origin(settings.public_url) or origin in (o.lower() for o in settings.ws_origins):
        return True
    host = websocket.headers.get("host", "").lower()
    return bool(host) and urlsplit(origin).netloc == host and urlsplit(origin).scheme in ("http", "https")


def ws_route(path: str, endpoint: SocketEndpoint, *, allow: Collection[str], name: str | None = None) -> WebSocketRoute:
    allowed = frozenset(allow)

    @functools.wraps(endpoint)
    async def guarded(websocket: WebSocket) -> None:
        if not origin_allowed(websocket):
            await refuse(websocket, 4403, "origin")
            return
        if principal(websocket) not in allowed:
            code = 4403 if principal(websocket) != ANONYMOUS else 4401
            await refuse(websocket, code, DENIED["x-denied-by"])
            return
        if not ids_fit(websocket):
            await refuse(websocket, 4404, "not found")
            return
        drain = websocket.scope.get("state", {}).get("drain")  # expo.web.drain: told on SIGTERM
        if drain is None:
            await endpoint(websocket)
            return
        with drain.holding(websocket):
            await endpoint(websocket)

    result = WebSocketRoute(path, guarded, name=name or endpoint.__name__)
    result.allow = allowed  # type: ignore[attr-defined]
    return result


def walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterable[tuple[str, BaseRoute]]:
    """Every leaf route with its full path (used by the route × role test and the docs)."""
    for item in routes:
        if isinstance(item, Mount) and item.routes:
            yield from walk(item.routes, prefix + item.path)
        else:
            yield prefix + getattr(item, "path", ""), item
