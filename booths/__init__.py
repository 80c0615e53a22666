"""Exhibit booths: halls and booths of districts and project teams, their projects,
documents and media, booth chat, and the leads they bring (see the booths issue).

Exports ``routes`` for ``expo.app.create_app``.
"""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
