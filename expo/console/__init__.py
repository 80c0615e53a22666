"""The organizer console: setting up an expo (districts, teams, halls, stages), imports and
exports of the office's lists, the pitch programme's timetable with conflicts and published
versions, and the live figures. Exports ``routes``."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []

__all__ = ["routes"]
