"""Exhibit booths: halls and booths of districts and project teams, their projects,
documents and media, booth chat, and the leads they bring (see the booths issue).

Layers: ``models`` (tables) → domain (``access``, ``catalogue``, ``search``, ``editing``,
``uploads``, ``chat``, ``leads``, ``geo``; no HTTP) → views (``views``, ``project_views``,
``editor_views``, ``staff_views``, ``api``, ``chat_socket``). Exports ``routes`` for
``expo.app.create_app``, and ``published_booths`` (the booths the core's hall pages link to).
"""

from starlette.routing import BaseRoute

from booths import api, chat_socket, editor_views, project_views, staff_views, views
from booths.access import published_booths
from booths.editing import index_project
from booths.models import Booth, Project
from booths.taxonomy import CURRENCIES, STAGES, to_usd
from booths.views import follow_bookmarks

# Booth and Project, index_project and the vocabularies: for the console's imports of teams
# and their projects (expo.console.imports).
__all__ = [
    "CURRENCIES",
    "STAGES",
    "Booth",
    "Project",
    "follow_bookmarks",
    "index_project",
    "published_booths",
    "routes",
    "to_usd",
]

routes: list[BaseRoute] = [
    *editor_views.routes,  # /booths/mine before /booths/{id}
    *views.routes,
    *project_views.routes,
    *staff_views.routes,
    *api.routes,
    *chat_socket.routes,
]
