"""Tables of stages and pitch sessions."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, Translated, UTCDateTime


class Stage(Base):
    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(Translated)


class PitchSession(Base):
    __tablename__ = "pitch_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_order"),
        CheckConstraint("state IN ('scheduled', 'live', 'ended')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"))
    title: Mapped[dict[str, str]] = mapped_column(Translated)
    language: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    public: Mapped[bool] = mapped_column(default=True)
