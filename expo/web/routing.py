"""Routes that declare who may use them.

``route(path, endpoint, allow=…)`` wraps a Starlette ``Route``: before the endpoint runs,
the visitor's role is checked against ``allow`` (anonymous visitors of a members-only page
are sent to the login page; others get 403) and, on state-changing methods, the CSRF token
is checked. The declaration stays on the route (``route.allow``) so a test can walk every
route × role.
"""

import functools
from collections.abc import Awaitable, Callable, Collection, Iterable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from expo.accounts.roles import ANONYMOUS
from expo.web.csrf import check_csrf
from i18n import N_

Endpoint = Callable[[Request], Awaitable[Response]]
SocketEndpoint = Callable[[WebSocket], Awaitable[None]]
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Marks a refusal by the role gate (not by an endpoint's own finer check), for clients and tests.
DENIED = {"x-denied-by": "role"}


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


def route(
    path: str,
    endpoint: Endpoint,
    *,
    allow: Collection[str],
    methods: Iterable[str] = ("GET",),
    csrf: bool = True,
    name: str | None = None,
) -> Route:
    """A route usable by the principals in ``allow`` (roles and/or "anonymous")."""
    allowed = frozenset(allow)
    methods = tuple(methods)

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if principal(request) not in allowed:
            return _deny(request)
        if csrf and request.method in UNSAFE:
            await check_csrf(request)
        return await endpoint(request)

    result = Route(path, guarded, methods=list(methods), name=name or endpoint.__name__)
    result.allow = allowed  # type: ignore[attr-defined]
    result.csrf = csrf  # type: ignore[attr-defined]
    return result


def ws_route(path: str, endpoint: SocketEndpoint, *, allow: Collection[str], name: str | None = None) -> WebSocketRoute:
    allowed = frozenset(allow)

    @functools.wraps(endpoint)
    async def guarded(websocket: WebSocket) -> None:
        if principal(websocket) not in allowed:
            code = 4403 if principal(websocket) != ANONYMOUS else 4401
            await websocket.close(code=code, reason=DENIED["x-denied-by"])
            return
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
