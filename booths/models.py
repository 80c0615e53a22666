"""Tables of the booths package: booths, their projects and documents, booth chat, leads,
meeting requests and the presence of booth staff.

Translated text fields are JSON maps ``{locale: text}`` (``expo.db.Translated``). The
search index lives beside the tables: an FTS5 virtual table on SQLite (made by the
migration, see ``booths.search``) and the ``search_vector`` column on PostgreSQL.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, Translated, UTCDateTime, utcnow

# A tsvector on PostgreSQL; an unused text column elsewhere (SQLite searches with FTS5).
SearchVector = Text().with_variant(TSVECTOR(), "postgresql")

BOOTH_STATES = ("draft", "submitted", "published")


class Booth(Base):
    """A district's/zone's or a project team's booth. Only published booths are public."""

    __tablename__ = "booths"
    __table_args__ = (
        CheckConstraint("kind IN ('district', 'team')", name="kind"),
        CheckConstraint("status IN ('draft', 'submitted', 'published')", name="status"),
        CheckConstraint("kind != 'team' OR team_id IS NOT NULL", name="team_booth_team"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    sector: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[dict[str, str]] = mapped_column(Translated)
    tagline: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A published booth's name as its staff changed it, waiting for an organizer's review
    # (visitors keep reading ``name`` until then): booths.editing.
    pending_name: Mapped[dict[str, str] | None] = mapped_column(Translated, nullable=True)
    # When the booth's staff were last mailed a digest of messages written while none of
    # them was online (booths.digest); at most one per EXPO_CHAT_DIGEST_MINUTES.
    chat_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Project(Base):
    """An entry of the city's opportunity list, shown in its booth and the catalogue."""

    __tablename__ = "booth_projects"
    __table_args__ = (
        CheckConstraint("funding_amount >= 0", name="funding_amount"),
        Index("ix_booth_projects_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(16), index=True)
    funding_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    funding_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    funding_usd: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    title: Mapped[dict[str, str]] = mapped_column(Translated)
    summary: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    incentives: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    site: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    languages: Mapped[str] = mapped_column(String(80), default="")  # ",en,ja,"
    search_vector: Mapped[str | None] = mapped_column(SearchVector)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    """An uploaded file of a booth (a PDF, an image, an MP4), stored under var/ by a random
    name; ``stored_name`` starting with ``demo:`` names a file shipped in booths/demo_files."""

    __tablename__ = "booth_documents"
    __table_args__ = (
        CheckConstraint("kind IN ('pdf', 'image', 'video')", name="kind"),
        CheckConstraint("role IN ('document', 'logo', 'banner', 'video')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("booth_projects.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="document")
    title: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    filename: Mapped[str] = mapped_column(String(160))
    stored_name: Mapped[str] = mapped_column(String(96), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    downloads: Mapped[int] = mapped_column(default=0)
    # Uploaded by the staff of a published booth: visitors see it once an organizer approved it.
    pending: Mapped[bool] = mapped_column(default=False)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatThread(Base):
    """One investor's conversation with one booth."""

    __tablename__ = "booth_chat_threads"
    __table_args__ = (UniqueConstraint("booth_id", "investor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    last_message_id: Mapped[int] = mapped_column(default=0)
    staff_read_id: Mapped[int] = mapped_column(default=0)
    visitor_read_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    __tablename__ = "booth_chat_messages"
    __table_args__ = (Index("ix_booth_chat_messages_booth_id_id", "booth_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("booth_chat_threads.id", ondelete="CASCADE"), index=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_staff: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lead(Base):
    """What one investor did at one booth: the booth staff's lead."""

    __tablename__ = "booth_leads"
    __table_args__ = (UniqueConstraint("booth_id", "investor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    visits: Mapped[int] = mapped_column(default=0)
    downloads: Mapped[int] = mapped_column(default=0)
    chats: Mapped[int] = mapped_column(default=0)
    meeting_requests: Mapped[int] = mapped_column(default=0)
    bookmarked: Mapped[bool] = mapped_column(default=False)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingRequest(Base):
    """An investor asks a booth (its district or project team) for a meeting; the
    matchmaking scheduler later places accepted requests into slots."""

    __tablename__ = "booth_meeting_requests"
    __table_args__ = (CheckConstraint("status IN ('requested', 'accepted', 'declined', 'scheduled')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("booth_projects.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffPresence(Base):
    """One open staff connection to a booth's chat; stale rows (no heartbeat) are ignored."""

    __tablename__ = "booth_staff_presence"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
