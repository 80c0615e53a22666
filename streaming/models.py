"""Tables of the streaming package, keyed by the core's ``pitch_sessions.id``: the secret
behind a pitch's publisher token, interpreter grants, Q&A questions and votes, recordings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, UTCDateTime, utcnow


class PitchKey(Base):
    """The nonce a pitch's publisher token is derived from (rotate it to revoke the token)."""

    __tablename__ = "pitch_keys"

    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitch_sessions.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InterpreterGrant(Base):
    """A user may publish the interpretation of a pitch into one language."""

    __tablename__ = "pitch_interpreters"
    __table_args__ = (UniqueConstraint("pitch_id", "language", name="pitch_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitch_sessions.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Question(Base):
    __tablename__ = "pitch_questions"
    __table_args__ = (CheckConstraint("state IN ('open', 'answered', 'hidden')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitch_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="open")
    votes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class QuestionVote(Base):
    __tablename__ = "pitch_question_votes"

    question_id: Mapped[int] = mapped_column(ForeignKey("pitch_questions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Recording(Base):
    """A WebM file under ``var/recordings/`` holding the encoded packets of a live pitch."""

    __tablename__ = "pitch_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitch_sessions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)


# 1:1 meeting rooms (streaming/rooms.py), keyed by the matchmaking package's ``meetings.id``.

ROOM_SIDES = ("investor", "team")
NEXT_STEPS = ("none", "another_meeting", "send_documents", "site_visit", "term_sheet", "ready_to_sign")
CONNECTION_TYPES = ("direct", "relayed")


class MeetingRoom(Base):
    """A meeting's room once someone entered it: when it first opened and when both sides
    were first in it (``held_at``, set once: the ``meeting.held`` event is recorded then)."""

    __tablename__ = "meeting_rooms"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoomPresence(Base):
    """One participant's stay in a room (one signaling socket, one ``peer_id``). Live while
    ``left_at`` is empty and ``seen_at`` is recent (a crashed process leaves rows that age
    out). ``connection``: how this participant's media flowed, as its browser reported it."""

    __tablename__ = "meeting_room_presence"
    __table_args__ = (
        CheckConstraint("side IN ('investor', 'team')", name="side"),
        CheckConstraint("connection IN ('', 'direct', 'relayed')", name="connection"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(8))
    peer_id: Mapped[str] = mapped_column(String(32), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connection: Mapped[str] = mapped_column(String(8), default="")


class RoomGuest(Base):
    """The one colleague or interpreter a side may bring (any account; invited by a party of
    that side). With at most two people per side, a room holds at most four."""

    __tablename__ = "meeting_room_guests"
    __table_args__ = (
        UniqueConstraint("meeting_id", "side", name="one_guest_per_side"),
        CheckConstraint("side IN ('investor', 'team')", name="side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomMessage(Base):
    """A chat message written in a meeting's room (stored, then published; kept with the meeting)."""

    __tablename__ = "meeting_room_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(120))
    side: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingOutcome(Base):
    """One side's answer after the meeting: did it take place, how useful (1-5), next step.
    The latest answer of a side replaces the earlier one; each answer is also an activity
    event ``meeting.outcome`` (what the deal pipeline reads)."""

    __tablename__ = "meeting_outcomes"
    __table_args__ = (
        UniqueConstraint("meeting_id", "side", name="one_outcome_per_side"),
        CheckConstraint("side IN ('investor', 'team')", name="side"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        CheckConstraint(
            "next_step IN ('none', 'another_meeting', 'send_documents', 'site_visit', 'term_sheet', 'ready_to_sign')",
            name="next_step",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    held: Mapped[bool] = mapped_column()
    rating: Mapped[int | None] = mapped_column(Integer)
    next_step: Mapped[str] = mapped_column(String(16), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
