"""Tables of users, invitations and password resets."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('organizer', 'host', 'team', 'investor')", name="role"),
        CheckConstraint("role != 'host' OR district_id IS NOT NULL", name="host_district"),
        CheckConstraint("role != 'team' OR team_id IS NOT NULL", name="team_team"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), index=True)
    organization: Mapped[str] = mapped_column(String(160), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    ticket_min_usd: Mapped[int | None] = mapped_column(BigInteger)
    ticket_max_usd: Mapped[int | None] = mapped_column(BigInteger)
    shares_profile: Mapped[bool] = mapped_column(default=False)
    # Bumped on password change/reset: signs out every session of the user.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # An organizer can deactivate an account (expo.console): it cannot sign in any more.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """A single-use link an organizer sends to a district host or a project-team member."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id"))
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """One signed-in device: the cookie carries ``secret``; signing out (or "sign out this
    device" on the profile page, or a password reset) sets ``revoked_at`` and the cookie
    stops working on the next request."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
