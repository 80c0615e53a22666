"""The organizer console: setting up an expo (``expo init``, then the expo, districts/zones,
project teams and halls), imports and exports of the office's lists, accounts, and the live
figures (for organizers, and scoped to one district for its host). Exports ``routes``.

Layers: ``models`` → domain (``setup``, ``imports``, ``figures``; no HTTP) → views
(``views``, ``import_views``, ``figure_views``, ``account_views``). The programme and its
stages are ``expo.agenda``'s.
"""

from starlette.routing import BaseRoute

from expo.console import account_views, figure_views, import_views, views
from expo.console.setup import effective_settings, follow_settings

routes: list[BaseRoute] = [*views.routes, *import_views.routes, *account_views.routes, *figure_views.routes]

__all__ = ["effective_settings", "follow_settings", "routes"]
