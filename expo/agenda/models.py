"""Tables of the programme: stages (with opening hours), pitch sessions (proposed, then
accepted and placed on a stage and a time), their people, published versions of the
programme, visitors' agendas and the in-app notices of programme changes."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, Translated, UTCDateTime, utcnow

STATUSES = ("proposed", "accepted", "declined", "cancelled")


def new_guid() -> str:
    return str(uuid.uuid4())


class Stage(Base):
    """A virtual stage; ``opens_minute``/``closes_minute`` are its daily hours as minutes
    after midnight in the expo's home zone."""

    __tablename__ = "stages"
    __table_args__ = (CheckConstraint("closes_minute > opens_minute", name="hours_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(Translated)
    opens_minute: Mapped[int] = mapped_column(default=9 * 60)
    closes_minute: Mapped[int] = mapped_column(default=18 * 60)
    position: Mapped[int] = mapped_column(default=0)


class PitchSession(Base):
    """A pitch session. ``status`` is its place in the programme (proposed → accepted or
    declined; accepted → cancelled); ``state`` its live side (scheduled → live → ended),
    which ``streaming`` changes. ``revision`` grows with every programme edit (optimistic
    locking: an edit names the revision it was made on)."""

    __tablename__ = "pitch_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_order"),
        CheckConstraint("state IN ('scheduled', 'live', 'ended')", name="state"),
        CheckConstraint("status IN ('proposed', 'accepted', 'declined', 'cancelled')", name="status"),
        CheckConstraint("length_minutes > 0", name="length_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"))
    title: Mapped[dict[str, str]] = mapped_column(Translated)
    description: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    language: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    public: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="accepted", index=True)
    length_minutes: Mapped[int] = mapped_column(default=30)
    interpreting: Mapped[list[str]] = mapped_column(JSON, default=list)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    revision: Mapped[int] = mapped_column(default=1)
    early_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PitchPerson(Base):
    """A speaker or interpreter of a session: an account, or just a name."""

    __tablename__ = "pitch_people"
    __table_args__ = (CheckConstraint("role IN ('speaker', 'interpreter')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("pitch_sessions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(16), default="")


class ProgrammeVersion(Base):
    """One publish of the programme: what the public saw from then on (``snapshot``, one
    entry per session ever published) and what changed since the previous version."""

    __tablename__ = "programme_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    changes: Mapped[dict[str, list[int]]] = mapped_column(JSON)
    open_conflicts: Mapped[int] = mapped_column(default=0)


class AgendaEntry(Base):
    """A signed-in visitor added a session to their agenda."""

    __tablename__ = "agenda_entries"
    __table_args__ = (UniqueConstraint("user_id", "session_id", name="user_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("pitch_sessions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeNotice(Base):
    """An in-app notice of a programme change, written in its reader's language and zone."""

    __tablename__ = "programme_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
