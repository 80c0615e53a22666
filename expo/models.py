"""Every table of the expo core, imported in one place so that ``Base.metadata`` is whole
(Alembic compares it with the migrations; a test checks they agree)."""

# The core domains that are packages of their own (console, meetings, pipeline) add their
# tables through these imports.
import expo.console.models  # noqa: F401
import expo.meetings.models  # noqa: F401
import expo.pipeline.models  # noqa: F401
from expo.accounts.models import Invitation, PasswordReset, User, UserSession
from expo.activity.models import Event
from expo.agenda.models import PitchSession, Stage
from expo.announcements import Announcement
from expo.db import Base
from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.outbox import Mail

__all__ = [
    "Announcement",
    "Base",
    "District",
    "Event",
    "Expo",
    "Hall",
    "Invitation",
    "Mail",
    "PasswordReset",
    "PitchSession",
    "ProjectTeam",
    "Stage",
    "User",
    "UserSession",
]
