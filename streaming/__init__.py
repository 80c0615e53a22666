"""Live pitch sessions over WebRTC: WHIP/WHEP signaling, the aiortc media hub that encodes
once for every viewer, recording and replay, Q&A; and the signaling of 1:1 meeting rooms
(see the pitch issue).

Exports ``routes`` for ``expo.app.create_app``.
"""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
