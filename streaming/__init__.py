"""Live pitch sessions over WebRTC: WHIP/WHEP signaling, the aiortc media hub that encodes
once for every viewer, recording and replay, Q&A (see docs/streaming.md).

Exports ``routes`` for ``expo.app.create_app``.
"""

from starlette.routing import BaseRoute

from streaming import signaling

routes: list[BaseRoute] = [*signaling.routes]
