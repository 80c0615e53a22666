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
