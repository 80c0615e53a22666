"""The deal pipeline: every investment project from target to funded, its stage log, next
actions, problems escalated to the city office, remote signing, and the district ranking.
Exports ``routes``."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []

__all__ = ["routes"]
