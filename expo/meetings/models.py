"""Tables of matchmaking: profiles, marks, requests, the slot grid, availability, meetings
and the claims that make double-booking impossible, notifications, calendar-feed tokens and
the organizer's scheduler runs.

A *participant* is written as a short key: ``"user:<id>"`` for an investor (one person),
``"team:<id>"`` for a project team (its members share the team's calendar). The same key is
used by availability and by booking claims.

Double-booking is prevented by the database, not by a check-then-write: booking a meeting
inserts one :class:`Claim` per participant (``(slot_id, "user:5")``, ``(slot_id, "team:3")``)
and, when the organizer caps the number of tables, one table claim (``(slot_id, "table:2")``
for a table number 1..cap). ``UNIQUE(slot_id, participant)`` lets exactly one of two racing
bookings commit, on SQLite and on PostgreSQL alike. Cancelling or moving a meeting deletes
its claims in the same transaction.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, UTCDateTime, utcnow

REQUEST_STATES = ("pending", "proposed", "accepted", "declined", "expired", "withdrawn", "booked")
OPEN_REQUEST_STATES = ("pending", "proposed", "accepted")
MEETING_STATES = ("booked", "cancelled")
MARKS = ("must", "would", "no")
SIDES = ("investor", "team")


class InvestorProfile(Base):
    """What matching knows about an investor beyond the account (sectors, ticket range and
    ``shares_profile`` live on ``users``): stages, regions (district/zone slugs of the city),
    languages (ISO 639-1 codes) and a short thesis."""

    __tablename__ = "meeting_investor_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    thesis: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamProfile(Base):
    """What matching knows about a project team beyond ``project_teams`` (sector, district,
    funding sought and currency live there): its stage, languages, and whether it is hidden
    from matching (a hidden team gets no suggestions and no requests)."""

    __tablename__ = "meeting_team_profiles"

    team_id: Mapped[int] = mapped_column(ForeignKey("project_teams.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    hidden: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mark(Base):
    """One side's mark on an investor × team pair: must meet, would meet, or no thanks
    ("no" hides the pair from that side's suggestions for good)."""

    __tablename__ = "meeting_marks"
    __table_args__ = (
        UniqueConstraint("investor_user_id", "team_id", "side"),
        CheckConstraint("mark IN ('must', 'would', 'no')", name="mark"),
        CheckConstraint("side IN ('investor', 'team')", name="side"),
        Index("ix_meeting_marks_team_side", "team_id", "side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("project_teams.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))
    mark: Mapped[str] = mapped_column(String(8))
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Request(Base):
    """A request for a 1:1 meeting between an investor and a project team, sent by either
    side (``from_side``). States: pending → accepted | declined | expired | withdrawn;
    pending → proposed (the receiver offered up to three other slots, ``proposed_slots``)
    → booked when the sender picks one; accepted → booked when a slot is booked.

    ``open_key`` is ``"<investor>:<team>"`` while the request is open (pending, proposed,
    accepted) and NULL otherwise: its unique constraint allows one open request per pair,
    so a form sent twice stores one request."""

    __tablename__ = "meeting_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'proposed', 'accepted', 'declined', 'expired', 'withdrawn', 'booked')",
            name="status",
        ),
        CheckConstraint("from_side IN ('investor', 'team')", name="from_side"),
        Index("ix_meeting_requests_investor_status", "investor_user_id", "status"),
        Index("ix_meeting_requests_team_status", "team_id", "status"),
        Index("ix_meeting_requests_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("project_teams.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    from_side: Mapped[str] = mapped_column(String(8))
    sender_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    open_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    proposed_slots: Mapped[list[int]] = mapped_column(JSON, default=list)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The booth_meeting_requests row this request was migrated from (booth "request a meeting").
    booth_request_id: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Grid(Base):
    """The organizer's meeting grid (one row, id 1): meeting days (ISO dates in the expo's
    home zone), daily hours (``HH:MM`` in the home zone), slot length, the number of tables
    (meetings at once; NULL = uncapped) and the suggestion weights."""

    __tablename__ = "meeting_grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    days: Mapped[list[str]] = mapped_column(JSON, default=list)
    day_start: Mapped[str] = mapped_column(String(5), default="09:00")
    day_end: Mapped[str] = mapped_column(String(5), default="17:00")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    tables: Mapped[int | None] = mapped_column()
    weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Slot(Base):
    """One concrete meeting slot, in UTC, made from the grid. A slot that has left the grid
    is kept (``active`` false) while meetings or availability still point at it."""

    __tablename__ = "meeting_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, unique=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)


class Availability(Base):
    """A participant (``"user:<id>"`` or ``"team:<id>"``) is free in a slot."""

    __tablename__ = "meeting_availability"
    __table_args__ = (UniqueConstraint("participant", "slot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant: Mapped[str] = mapped_column(String(24))
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id", ondelete="CASCADE"), index=True)


class Meeting(Base):
    """A booked (or cancelled) 1:1 meeting: an investor and a project team, in one slot.

    ``uid`` is the stable iCalendar UID; ``sequence`` is bumped on every change that a
    calendar must see (moved, cancelled). ``starts_at``/``ends_at`` are the slot's UTC times,
    copied so that readers need no join. ``source`` says how it was booked: ``request``,
    ``suggestion`` or ``scheduler``."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'cancelled')", name="status"),
        Index("ix_meetings_investor_starts", "investor_user_id", "starts_at"),
        Index("ix_meetings_team_starts", "team_id", "starts_at"),
        Index("ix_meetings_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    investor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("project_teams.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    source: Mapped[str] = mapped_column(String(16), default="request")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_requests.id", ondelete="SET NULL"))
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Claim(Base):
    """A booked meeting holds a slot for a participant (``"user:<id>"``, ``"team:<id>"``) or
    a table (``"table:<n>"``). The unique constraint is what makes double-booking impossible."""

    __tablename__ = "meeting_claims"
    __table_args__ = (UniqueConstraint("slot_id", "participant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id"))
    participant: Mapped[str] = mapped_column(String(24))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)


class Notification(Base):
    """An in-app notification (the bell) for one user; the same event is also mailed through
    the outbox. ``kind``: request_received, request_accepted, request_declined,
    time_proposed, booked, moved, cancelled, reminder."""

    __tablename__ = "meeting_notifications"
    __table_args__ = (Index("ix_meeting_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_requests.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedToken(Base):
    """The secret of a user's private iCalendar feed (stored hashed; revoking deletes it)."""

    __tablename__ = "meeting_feed_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerRun(Base):
    """One run of the organizer's scheduler: ``running`` (``progress`` updated by the
    worker), ``draft`` (``draft`` holds the proposed meetings, editable), ``published``,
    ``failed`` (``error``) or ``discarded``."""

    __tablename__ = "meeting_scheduler_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'draft', 'published', 'failed', 'discarded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    progress: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    draft: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
