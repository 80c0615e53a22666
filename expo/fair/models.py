"""Tables of the expo, its districts/zones, project teams and halls."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, Translated, UTCDateTime


class Expo(Base):
    __tablename__ = "expos"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(Translated)
    tagline: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by `expo init` and the console; "" = the EXPO_HOME_TZ / EXPO_DEFAULT_LOCALE settings.
    home_tz: Mapped[str] = mapped_column(String(64), default="", server_default="")
    default_locale: Mapped[str] = mapped_column(String(16), default="", server_default="")


class District(Base):
    """A district or development zone of the city: it hosts booths and pitches."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "district" | "zone"
    name: Mapped[dict[str, str]] = mapped_column(Translated)
    summary: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)


class ProjectTeam(Base):
    """A local project team: it seeks investment for a project in a district."""

    __tablename__ = "project_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[dict[str, str]] = mapped_column(Translated)
    summary: Mapped[dict[str, str]] = mapped_column(Translated, default=dict)
    funding_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    funding_currency: Mapped[str] = mapped_column(String(3), default="CNY")


class Hall(Base):
    """A hall groups booths: by district/zone (``district_id``) or by sector (``sector``)."""

    __tablename__ = "halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "district" | "sector"
    name: Mapped[dict[str, str]] = mapped_column(Translated)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    sector: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
