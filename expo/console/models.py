"""Tables of the console: uploaded import files with their reports, and investors invited
from an imported list."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, UTCDateTime, utcnow


class ImportFile(Base):
    """A spreadsheet an organizer uploaded: kept between the dry run and the apply (so the
    apply reads exactly the file that was previewed), with the last report."""

    __tablename__ = "console_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "teams" | "districts" | "investors"
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class InvestorInvite(Base):
    """An investor of an imported list: invited once by mail to register (the email is the key)."""

    __tablename__ = "console_investor_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    organization: Mapped[str] = mapped_column(String(160), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
