"""A small client for Janus' HTTP API (the REST transport, ``/janus``): one session per
instance, handles on it, plugin messages, and one long-poll task reading the session's events.

Only what ``streaming.sfu`` needs from the Streaming plugin: create/destroy ``rtp``
mountpoints, and per viewer a handle that sends ``watch`` (Janus answers with its offer),
``start`` with our answer, ``trickle``, ``switch`` and ``detach``. Requests that Janus acknowledges
first (``ack``) are answered later by an event with the same transaction, which the poller
hands back. ``webrtcup``, ``hangup`` and ``detached`` events go to ``on_event(handle, kind)``.
Any transport failure raises ``JanusError``: the caller takes the instance out.
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger("streaming.janus")
PLUGIN = "janus.plugin.streaming"
KEEPALIVE = 20.0  # seconds; Janus drops a session after 60 s without a request


class JanusError(Exception):
    pass


class Janus:
    def __init__(self, url: str, *, on_event: Callable[[int, str], None] | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.on_event = on_event or (lambda handle, kind: None)
        self.timeout = timeout
        self.http = httpx.AsyncClient(timeout=timeout)
        self.session: int | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.failed = False

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": body.get("transaction") or secrets.token_hex(8)}
        try:
            response = await self.http.post(self.url + path, json=body)
            reply: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusError(f"{self.url}: {exc!r}") from None
        if reply.get("janus") == "error":
            raise JanusError(f"{self.url}: {reply.get('error')}")
        return reply

    async def info(self) -> dict[str, Any]:
        try:
            response = await self.http.get(self.url + "/info", timeout=2.0)
            return response.json()  # type: ignore[no-any-return]
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusError(f"{self.url}: {exc!r}") from None

    async def connect(self) -> None:
        reply = await self._post("", {"janus": "create"})
        self.session = int(reply["data"]["id"])
        self.failed = False
        self._tasks = [asyncio.ensure_future(self._poll()), asyncio.ensure_future(self._keepalive())]

    async def attach(self) -> int:
        reply = await self._post(f"/{self.session}", {"janus": "attach", "plugin": PLUGIN})
        return int(reply["data"]["id"])

    async def detach(self, handle: int) -> None:
        await self._post(f"/{self.session}/{handle}", {"janus": "detach"})

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A plugin message: (plugin data, jsep) of its answer, waiting for the event if Janus
        only acknowledged it. A plugin-level error (``error_code``) raises ``JanusError``."""
        transaction = secrets.token_hex(8)
        request: dict[str, Any] = {"janus": "message", "transaction": transaction, "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            reply = await self._post(f"/{self.session}/{handle}", request)
            if reply.get("janus") == "ack":
                try:
                    reply = await asyncio.wait_for(future, self.timeout)
                except TimeoutError:
                    raise JanusError(f"{self.url}: no answer to {body.get('request')}") from None
        finally:
            self._pending.pop(transaction, None)
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(f"{self.url}: {data.get('error')}")
        return data, reply.get("jsep")

    async def trickle(self, handle: int, candidates: list[dict[str, Any]]) -> None:
        await self._post(f"/{self.session}/{handle}", {"janus": "trickle", "candidates": candidates})

    async def _poll(self) -> None:
        while True:
            try:
                response = await self.http.get(f"{self.url}/{self.session}", params={"maxev": 20}, timeout=40.0)
                events = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("janus %s: event poll failed: %r", self.url, exc)
                self.failed = True
                for future in self._pending.values():
                    if not future.done():
                        future.set_exception(JanusError(f"{self.url}: {exc!r}"))
                return
            for event in events if isinstance(events, list) else [events]:
                self._dispatch(event)

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("janus")
        future = self._pending.get(event.get("transaction", ""))
        if kind == "event" and future is not None and not future.done():
            future.set_result(event)
        elif kind in ("webrtcup", "hangup", "detached") and "sender" in event:
            self.on_event(int(event["sender"]), kind)

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE)
            try:
                await self._post(f"/{self.session}", {"janus": "keepalive"})
            except JanusError:
                self.failed = True
                return

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        if self.session is not None and not self.failed:
            with contextlib.suppress(JanusError):
                await self._post(f"/{self.session}", {"janus": "destroy"})
        self.session = None
        await self.http.aclose()
