"""Matchmaking: profiles, suggestions with reasons, meeting requests, availability in each
person's zone, booking 1:1 meetings without double-booking, the organizer's scheduler on the
expo's data, agendas and calendar feeds, notifications. Calls the pure engine in
``expo.matchmaking``. Exports ``routes``."""

from starlette.routing import BaseRoute

from expo.meetings.access import Party, RoomAccess, room_access
from expo.meetings.models import Meeting

routes: list[BaseRoute] = []

__all__ = ["Meeting", "Party", "RoomAccess", "room_access", "routes"]
