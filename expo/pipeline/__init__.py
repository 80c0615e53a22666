"""The deal pipeline: every investment project from target to funded, its stage log, next
actions, problems escalated to the city office, remote signing, and the district ranking.

Layers: ``models`` (tables) → domain (``stages`` — the rules as data —, ``deals``, ``flags``,
``problems``, ``documents``, ``feed`` — what the activity log tells —, ``figures``,
``ranking``, ``importer``, ``digest``; no HTTP) → views (``deal_views``, ``feed_views``,
``numbers_views``, ``api``). Exports ``routes``, ``seed`` (the demo) and ``digest_loop`` (a lifespan task).
"""

from starlette.routing import BaseRoute

from expo.pipeline import api, deal_views, feed_views, numbers_views
from expo.pipeline.demo import seed
from expo.pipeline.digest import loop as digest_loop

routes: list[BaseRoute] = [*deal_views.routes, *feed_views.routes, *numbers_views.routes, *api.routes]

__all__ = ["digest_loop", "routes", "seed"]
