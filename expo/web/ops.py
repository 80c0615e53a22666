"""Operations endpoints: ``/healthz`` (alive: database and bus reachable), ``/readyz`` (ready
for new visitors: the same, and not shutting down) and ``/metrics`` (a bearer token or
loopback only). Both health answers name the worker process (``pid``), so that a client or a
test can tell which of ``expo serve --workers N`` answered."""

import asyncio
import hmac
import os

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expo.accounts.roles import EVERYONE
from expo.web.routing import route


async def healthz(request: Request) -> Response:
    database, bus = await asyncio.gather(request.state.db.ping(), request.state.bus.ping())
    ok = database and bus
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "database": database, "bus": bus, "pid": os.getpid()},
        status_code=200 if ok else 503,
        headers={"cache-control": "no-store"},
    )


async def readyz(request: Request) -> Response:
    """503 from the moment the process was told to stop (SIGTERM, expo.web.drain)."""
    drain = getattr(request.state, "drain", None)
    draining = bool(drain is not None and drain.draining)
    database, bus = await asyncio.gather(request.state.db.ping(), request.state.bus.ping())
    ready = database and bus and not draining
    status = "ready" if ready else ("draining" if draining else "unavailable")
    return JSONResponse(
        {"status": status, "database": database, "bus": bus, "draining": draining, "pid": os.getpid()},
        status_code=200 if ready else 503,
        headers={"cache-control": "no-store"},
    )


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def metrics_allowed(request: Request) -> bool:
    """``EXPO_METRICS_TOKEN`` set: the bearer token; unset: loopback clients only."""
    token = request.state.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        return sent.lower().startswith("bearer ") and hmac.compare_digest(sent[7:].strip().encode(), token.encode())
    return (request.client.host if request.client else "") in LOOPBACK


async def metrics(request: Request) -> Response:
    if not metrics_allowed(request):
        raise HTTPException(403, headers={"www-authenticate": 'Bearer realm="metrics"'})
    request.state.metrics.tasks.set(len(asyncio.all_tasks()))
    return Response(generate_latest(request.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


routes = [
    route("/healthz", healthz, allow=EVERYONE),
    route("/readyz", readyz, allow=EVERYONE),
    route("/metrics", metrics, allow=EVERYONE),
]
