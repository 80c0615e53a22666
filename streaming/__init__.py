"""Live pitch sessions over WebRTC: WHIP/WHEP signaling, the aiortc media hub that encodes
once for every viewer, recording and replay, Q&A (see docs/streaming.md).

Layers: ``models`` (tables) → ``pitches``, ``qa``, ``tokens`` (rules) and ``hub``,
``fanout``, ``encoders``, ``recorder`` (media) → ``registry`` (the app's hubs) →
``signaling``, ``qa_socket``, ``views`` (HTTP and WebSocket). Exports ``routes``.
"""

from starlette.routing import BaseRoute

from streaming import qa_socket, signaling, views

routes: list[BaseRoute] = [*signaling.routes, *qa_socket.routes, *views.routes]
