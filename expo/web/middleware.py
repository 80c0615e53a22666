"""Cross-cutting HTTP concerns as pure ASGI middleware: security headers, one structured
log line per request, and Prometheus metrics."""

import json
import logging
import os
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.datastructures import MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("expo.access")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class WorkerHeaderMiddleware:
    """``X-Expo-Worker: <pid>`` on every response and WebSocket handshake: which process of
    ``expo serve --workers N`` answered (for operators and the multi-worker test)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = (b"x-expo-worker", str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_with_worker(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message["headers"] = [*message.get("headers", ()), self.header]
            await send(message)

        await self.app(scope, receive, send_with_worker)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CSP)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "same-origin")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault(
                    "permissions-policy",
                    "camera=(self), microphone=(self), display-capture=(self), geolocation=()",
                )
                headers.setdefault("cross-origin-opener-policy", "same-origin")
                if self.https:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Metrics:
    """The app's own Prometheus registry (not the process-global default one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "expo_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "expo_http_request_duration_seconds",
            "HTTP request duration",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.websockets = Gauge("expo_websockets_open", "Open WebSocket connections", ["route"], registry=self.registry)
        # Set when /metrics is read: leaks of tasks show here (bench/soak.py reads it).
        self.tasks = Gauge("expo_asyncio_tasks", "asyncio tasks alive in this process", registry=self.registry)


def _route_template(scope: Scope) -> str:
    """The route a WebSocket will reach (needed before the app runs, for the gauge label)."""
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "") or scope["path"]
    return "unmatched"


class AccessLogMiddleware:
    """One JSON log line per request (method, path, status, duration) and the metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            template = _route_template(scope)
            gauge = self.metrics.websockets.labels(template)
            gauge.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                gauge.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        request_id = uuid.uuid4().hex[:16]

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).setdefault("x-request-id", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - start
            # The router records the route it matched in the (shared) scope: no second match.
            template = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.duration.labels(template).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    json.dumps(
                        {
                            "event": "request",
                            "id": request_id,
                            "method": scope["method"],
                            "path": scope["path"],
                            "route": template,
                            "status": status,
                            "ms": round(elapsed * 1000, 2),
                            "client": (scope.get("client") or ("", 0))[0],
                        }
                    )
                )
