"""The composition root: ``create_app(settings)`` assembles routes, middleware and the
lifespan. Nothing here runs at import time and nothing imports this module."""

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount

import booths
import streaming
from expo import agenda, console, meetings, outbox, pipeline
from expo.accounts import sessions
from expo.accounts.cache import UserCache, watch
from expo.bus import make_bus
from expo.db import Database
from expo.gc_tuning import tune as tune_gc
from expo.settings import Settings
from expo.web import account_views, live, lobby, openapi, ops, organizer
from expo.web.assets import StaticAssets
from expo.web.compression import Compression
from expo.web.context import VisitorMiddleware
from expo.web.drain import Drain
from expo.web.errors import http_exception, server_error
from expo.web.middleware import AccessLogMiddleware, Metrics, SecurityHeadersMiddleware, WorkerHeaderMiddleware
from expo.web.ratelimit import make_limiter
from expo.web.templates import Templates
from i18n import Catalogs

ROOT = Path(__file__).resolve().parent.parent
SESSION_COOKIE = "expo_session"
SESSION_AGE = 14 * 24 * 3600
# Already compressed (or binary downloads): not worth gzipping again.
NOT_GZIPPED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "image/*",
    "font/*",
    "application/pdf",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)


def template_dirs() -> list[Path]:
    packages = ("expo", "expo/meetings", "expo/console", "expo/pipeline", "expo/agenda", "booths", "streaming")
    return [ROOT / package / "templates" for package in packages]


def create_app(settings: Settings) -> Starlette:
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    templates = Templates(Catalogs(), template_dirs())
    # Fingerprinted static URLs (hashes computed here, once), served from memory.
    assets = StaticAssets(ROOT / "static")
    templates.env.globals["static_url"] = assets.url
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        db = Database(settings.database_url)
        bus = make_bus(settings.redis_url)
        await bus.start()
        limiter = make_limiter(settings.redis_url)
        tasks = []
        cache: dict[str, Any] = {}
        # The expo's own home zone and default language (expo init, the console) win over
        # EXPO_HOME_TZ / EXPO_DEFAULT_LOCALE; VisitorMiddleware reads them from here.
        cache["settings"] = await console.effective_settings(db, settings)
        if settings.smtp_url:
            tasks.append(asyncio.create_task(outbox.sender(db, settings.smtp_url, settings.mail_from)))
        tasks.append(
            asyncio.create_task(
                meetings.housekeeping(db, bus, templates.translations, settings.public_url, settings.default_locale)
            )
        )
        tasks.append(asyncio.create_task(pipeline.digest_loop(db, settings, templates.translations)))
        tasks.append(asyncio.create_task(sessions.prune_loop(db, timedelta(seconds=SESSION_AGE))))  # dead rows
        # Signed-in users without a database trip, invalidated over the bus (expo.accounts.cache).
        user_cache = UserCache()
        watch(db, user_cache, bus)
        tasks.append(asyncio.create_task(user_cache.follow(bus)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(user_cache.following.wait(), 10)
        tasks.append(asyncio.create_task(console.follow_settings(db, bus, settings, cache)))
        tasks.append(asyncio.create_task(booths.follow_bookmarks(bus, cache)))
        drain = Drain()  # SIGTERM: not ready, sockets told to reconnect, then uvicorn stops
        drain.install()
        # What is alive now lives as long as the process: out of the collector's way.
        restore_gc = tune_gc()
        try:
            yield {
                "settings": settings,
                "db": db,
                "bus": bus,
                "templates": templates,
                "metrics": metrics,
                "limiter": limiter,
                "cache": cache,
                "user_cache": user_cache,
                "drain": drain,
                "published_booths": booths.published_booths,  # for the core's hall pages
            }
        finally:
            restore_gc()
            # Resources that packages created lazily in the app's cache (e.g. the live pitch
            # hubs) are closed here, before the bus and the database they use.
            for item in list(cache.values()):
                close = getattr(item, "close", None)
                if close is not None and inspect.iscoroutinefunction(close):
                    await close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bus.close()
            await limiter.close()
            await db.close()

    routes = [
        *lobby.routes,
        *account_views.routes,
        *organizer.routes,
        *live.routes,
        *ops.routes,
        *openapi.routes,
        *meetings.routes,
        *console.routes,
        *pipeline.routes,
        *agenda.routes,
        *booths.routes,
        *streaming.routes,
        Mount("/static", app=assets, name="static"),
    ]
    middleware = [
        Middleware(AccessLogMiddleware, metrics=metrics),
        Middleware(WorkerHeaderMiddleware),
        Middleware(SecurityHeadersMiddleware, https=settings.https),
        # Text responses gzipped when accepted (cached pages and static files come
        # compressed already and pass through; SSE and WebSockets are left alone).
        Middleware(Compression, minimum_size=1024, compresslevel=6, exclude_content_types=NOT_GZIPPED),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_AGE,
            same_site="lax",
            https_only=settings.https,
        ),
        Middleware(VisitorMiddleware),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
    )
