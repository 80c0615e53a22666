"""Graceful shutdown: a process that is told to stop (SIGTERM) first stops being ready.

``Drain`` lives on the app (lifespan state ``drain``). ``web.routing.ws_route`` registers
every open socket with it. On SIGTERM (``install``, only in the main thread, i.e. under
``expo serve``): ``/readyz`` answers 503 at once (a load balancer stops sending new
visitors), every open WebSocket gets a ``{"type": "reconnect"}`` frame, and after
``GRACE`` seconds uvicorn's own shutdown runs: it stops accepting, closes the sockets with
close code 1012 (Service Restart, RFC 6455) and lets running requests finish. The pages'
scripts reconnect on any close code outside 4400–4499, so they land on another process
behind the same address; see docs/protocols.md.
"""

import asyncio
import contextlib
import logging
import signal
import threading
from types import FrameType
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger("expo.drain")
GRACE = 0.5  # seconds between the reconnect frames and uvicorn's shutdown
RECONNECT = {"type": "reconnect", "code": 1012}


class Drain:
    def __init__(self) -> None:
        self.draining = False
        self.sockets: set[WebSocket] = set()
        self._task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def holding(self, websocket: WebSocket) -> Any:
        self.sockets.add(websocket)
        try:
            yield
        finally:
            self.sockets.discard(websocket)

    async def tell_sockets(self) -> int:
        """Sends the reconnect frame to every open socket; returns how many got it."""
        told = 0
        for websocket in list(self.sockets):
            if websocket.client_state != WebSocketState.CONNECTED:
                continue
            with contextlib.suppress(Exception):  # a socket closing meanwhile
                await websocket.send_json(RECONNECT)
                told += 1
        return told

    def install(self) -> None:
        """Takes SIGTERM before uvicorn does (and hands it on after the drain)."""
        if threading.current_thread() is not threading.main_thread():
            return  # tests' in-thread servers: no signals
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)

        async def drain(frame: FrameType | None) -> None:
            told = await self.tell_sockets()
            log.info("drain: not ready any more, %d sockets told to reconnect", told)
            await asyncio.sleep(GRACE)
            if callable(previous):
                previous(signal.SIGTERM, frame)
            else:  # no server handler: stop the way SIGTERM would
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.raise_signal(signal.SIGTERM)

        def on_term(signum: int, frame: FrameType | None) -> None:
            if self.draining:
                if callable(previous):
                    previous(signum, frame)
                return
            self.draining = True
            # A signal handler runs between two bytecodes of the loop's thread: wake the loop.
            loop.call_soon_threadsafe(self._start, drain(frame))

        signal.signal(signal.SIGTERM, on_term)

    def _start(self, coroutine: Any) -> None:
        self._task = asyncio.get_running_loop().create_task(coroutine)
