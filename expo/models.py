"""Every table of the expo core, imported in one place so that ``Base.metadata`` is whole
(Alembic compares it with the migrations; a test checks they agree)."""

from expo.accounts.models import Invitation, PasswordReset, User
from expo.agenda.models import PitchSession, Stage
from expo.announcements import Announcement
from expo.db import Base
from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.outbox import Mail

__all__ = [
    "Announcement",
    "Base",
    "District",
    "Expo",
    "Hall",
    "Invitation",
    "Mail",
    "PasswordReset",
    "PitchSession",
    "ProjectTeam",
    "Stage",
    "User",
]
