"""The table of the activity log: one row per thing that happened at the expo."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, UTCDateTime, utcnow

# BIGINT on PostgreSQL (a year of visits is millions of rows), INTEGER on SQLite so that the
# column stays SQLite's rowid alias (autoincrement).
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """Who (``user_id``, usually an investor) did what (``kind``) where (district, team,
    booth, pitch session, meeting), and when. Written in the transaction of what it records;
    never updated. ``country`` and ``sector`` are copied in so that figures group without joins."""

    __tablename__ = "activity_events"
    __table_args__ = (
        Index("ix_activity_events_kind_at", "kind", "at"),
        Index("ix_activity_events_district_at", "district_id", "at"),
        Index("ix_activity_events_user_at", "user_id", "at"),
        Index("ix_activity_events_team_at", "team_id", "at"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id", ondelete="SET NULL"))
    # What the event is about, in the package that wrote it: a booth, pitch session, meeting…
    # (an id of that package's table; ``kind`` says which).
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    country: Mapped[str] = mapped_column(String(2), default="")
    sector: Mapped[str] = mapped_column(String(32), default="")
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Rollup(Base):
    """Counts of events maintained as they are recorded (``expo.activity.rollups``), so that
    figures over a year of events read thousands of rows, not millions.

    One row per (grain, bucket start, kind, district, dimension, value): ``grain`` is
    ``hour`` (dimension "" only: totals over time), ``day`` or ``month`` (dimension "",
    ``sector`` or ``country``: totals and breakdowns over a period). Buckets are UTC. ``district_id`` is 0 for events
    of no district (no foreign key: a NULL would defeat the unique key that upserts rely on)."""

    __tablename__ = "activity_rollups"
    __table_args__ = (
        UniqueConstraint("grain", "kind", "bucket", "district_id", "dim", "value", name="cell"),
        Index("ix_activity_rollups_district_grain", "district_id", "grain", "kind", "bucket"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    grain: Mapped[str] = mapped_column(String(8))
    bucket: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    district_id: Mapped[int] = mapped_column(Integer, default=0)
    dim: Mapped[str] = mapped_column(String(8), default="")
    value: Mapped[str] = mapped_column(String(32), default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)
