"""The expo-wide activity log: one record per thing that happened (a booth visit, a
download, a chat, a meeting request, a meeting and its outcome, a pitch watched), written by
the package where it happened and read by those that need it (organizer figures, the deal
pipeline, matchmaking suggestions), so that no core package imports ``booths`` or
``streaming`` to learn what happened there. ``kinds.KINDS`` lists every kind."""

from expo.activity import rollups
from expo.activity.kinds import KINDS
from expo.activity.log import counts, record, timeline
from expo.activity.models import Event, Rollup

__all__ = ["KINDS", "Event", "Rollup", "counts", "record", "rollups", "timeline"]
