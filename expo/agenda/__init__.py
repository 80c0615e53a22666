"""The expo's programme: stages and the pitch sessions scheduled on them.

The live side of a pitch (media, Q&A, recording) belongs to ``streaming``; the schedule
(what, when, where, in which language) is expo-wide and lives here.
"""

from expo.agenda.models import PitchSession, Stage

__all__ = ["PitchSession", "Stage"]
