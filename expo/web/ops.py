"""Operations endpoints: ``/healthz`` and ``/metrics``."""

import asyncio

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expo.accounts.roles import EVERYONE
from expo.web.routing import route


async def healthz(request: Request) -> Response:
    database, bus = await asyncio.gather(request.state.db.ping(), request.state.bus.ping())
    ok = database and bus
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "database": database, "bus": bus},
        status_code=200 if ok else 503,
        headers={"cache-control": "no-store"},
    )


async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


routes = [
    route("/healthz", healthz, allow=EVERYONE),
    route("/metrics", metrics, allow=EVERYONE),
]
