"""Matchmaking: profiles, suggestions with reasons, meeting requests, availability in each
person's zone, booking 1:1 meetings without double-booking, the organizer's scheduler on the
expo's data, agendas and calendar feeds, notifications. Calls the pure engine in
``expo.matchmaking``.

Exports ``routes``; ``Meeting`` and ``room_access`` (for the 1:1 meeting rooms);
``bell`` (the notification bell on ``/ws/live``); ``housekeeping`` (the lifespan's loop:
expiry and reminders); ``request_from_booth`` (the booth's "request a meeting")."""

from starlette.routing import BaseRoute

from expo.meetings.access import Party, RoomAccess, room_access
from expo.meetings.background import housekeeping
from expo.meetings.live import bell
from expo.meetings.models import Meeting

from . import api, organizer_views, views
from .booth import request_from_booth

routes: list[BaseRoute] = [*api.routes, *organizer_views.routes, *views.routes]

__all__ = ["Meeting", "Party", "RoomAccess", "bell", "housekeeping", "request_from_booth", "room_access", "routes"]
