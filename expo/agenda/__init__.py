"""The expo's programme: stages with hours, pitch sessions proposed by hosts and teams and
placed by organizers in a timetable (day × stage), its conflicts, published versions, the
public schedule and its feeds (``schedule.json``, iCalendar), visitors' agendas.

Layers: ``models`` → ``conflicts``, ``versions``, ``live``, ``forms`` (pure rules) →
``programme``, ``publishing``, ``public``, ``feeds`` (on the database, no HTTP) →
``views`` (organizer, proposals), ``public_views`` (``/schedule`` and feeds).

The live side of a pitch (media, Q&A, recording) belongs to ``streaming``, which reads
``PitchSession`` and applies the scheduled-event rules of ``live``.

Exports: the models, ``routes``, ``listed`` (the SQL condition of sessions that belong in
public lists), ``live`` (the live-window rules) and ``sessions_added_by(session, user_id)``
(a visitor's agenda, for "My agenda" pages).
"""

from sqlalchemy import ColumnElement
from starlette.routing import BaseRoute

from expo.agenda import live, public_views, views
from expo.agenda.models import AgendaEntry, PitchPerson, PitchSession, ProgrammeVersion, Stage
from expo.agenda.public import AgendaItem, sessions_added_by

routes: list[BaseRoute] = [*views.routes, *public_views.routes]


def listed() -> ColumnElement[bool]:
    """Sessions that belong in public lists: accepted and placed on a stage and a time."""
    return (
        (PitchSession.status == "accepted") & PitchSession.stage_id.is_not(None) & PitchSession.starts_at.is_not(None)
    )


__all__ = [
    "AgendaEntry",
    "AgendaItem",
    "PitchPerson",
    "PitchSession",
    "ProgrammeVersion",
    "Stage",
    "listed",
    "live",
    "routes",
    "sessions_added_by",
]
