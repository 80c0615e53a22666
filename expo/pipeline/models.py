"""Tables of the deal pipeline.

``Deal`` holds a project's current facts; ``StageChange`` is the append-only log every
figure is computed from (database triggers refuse UPDATE and DELETE on it, see migration
0500); problems keep an append-only trail of their own; documents are stored files checked
by their first bytes; ``RankingMonth`` rows are the frozen monthly ranking.
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from expo.db import Base, UTCDateTime, utcnow

LogId = BigInteger().with_variant(Integer(), "sqlite")


class Deal(Base):
    """An investment project of an investor in a district: its stage, status and facts."""

    __tablename__ = "pipeline_deals"
    __table_args__ = (
        # the board's column totals of one district: covers the GROUP BY (no table reads)
        Index("ix_pipeline_deals_board", "district_id", "status", "stage", "confirmed", "currency", "amount_agreed"),
        # the board's first cards of a column, already in next-action order
        Index("ix_pipeline_deals_cards", "district_id", "stage", "next_action_due", "id"),
        # the live ranking's start rate: deals at signed/landed/funded per district (covering)
        Index("ix_pipeline_deals_stage", "stage", "status", "district_id"),
        Index("ix_pipeline_deals_owner", "owner_id", "status"),
        Index("ix_pipeline_deals_investor", "investor_user_id", "district_id"),
        CheckConstraint("amount_agreed >= 0 AND amount_arrived >= 0", name="amounts"),
        CheckConstraint("jobs >= 0", name="jobs"),
        CheckConstraint("likelihood BETWEEN 0 AND 100", name="likelihood"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable key for imports: the office's own project number (idempotent re-imports).
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    investor_company: Mapped[str] = mapped_column(String(200), default="")
    investor_country: Mapped[str] = mapped_column(String(2), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # Linked only when the investor consented to share their profile (users.shares_profile).
    investor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("project_teams.id", ondelete="SET NULL"))
    sector: Mapped[str] = mapped_column(String(32), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_agreed: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_arrived: Mapped[int] = mapped_column(BigInteger, default=0)
    jobs: Mapped[int] = mapped_column(default=0)
    land_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    site: Mapped[str] = mapped_column(String(300), default="")
    likelihood: Mapped[int] = mapped_column(default=0)  # percent
    expected_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    service_city_lead: Mapped[str] = mapped_column(String(120), default="")
    service_district_lead: Mapped[str] = mapped_column(String(120), default="")
    service_liaison: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(16), default="typed")  # expo|booth|session|imported|typed
    stage: Mapped[str] = mapped_column(String(16), default="target")
    status: Mapped[str] = mapped_column(String(16), default="active")
    lost_reason: Mapped[str] = mapped_column(String(300), default="")
    lost_to: Mapped[str] = mapped_column(String(200), default="")
    # Signed and funded count only once the city office confirmed them.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_action: Mapped[str] = mapped_column(String(300), default="")
    next_action_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic locking: every change bumps it; a change made from an older version is refused
    # (deals.py compares the caller's version; the mapper adds "WHERE version = <loaded>" to
    # every UPDATE, so two transactions that both passed that check cannot both write).
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class StageChange(Base):
    """One entry of the append-only stage log: who moved which deal from where to where, when,
    why and how. A confirmation by the city office is an entry of its own (kind ``confirm``)."""

    __tablename__ = "pipeline_stage_log"
    __table_args__ = (
        Index("ix_pipeline_stage_log_deal", "deal_id", "at"),
        # the ranking of a month: confirmations / entries into landed within a time range
        Index("ix_pipeline_stage_log_kind", "kind", "to_stage", "at"),
    )

    id: Mapped[int] = mapped_column(LogId, primary_key=True, autoincrement=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("pipeline_deals.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # create | stage | status | confirm
    from_stage: Mapped[str] = mapped_column(String(16), default="")
    to_stage: Mapped[str] = mapped_column(String(16), default="")
    from_status: Mapped[str] = mapped_column(String(16), default="")
    to_status: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    how: Mapped[str] = mapped_column(String(16), default="hand")  # hand | board | meeting | import | seed
    # The amounts at that moment (the ranking of a past month reads them, not today's deal).
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_agreed: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_arrived: Mapped[int] = mapped_column(BigInteger, default=0)


class Document(Base):
    """A file on a deal: an agreement version, the countersigned agreement, funds evidence."""

    __tablename__ = "pipeline_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("pipeline_deals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # agreement | countersigned | funds_evidence | other
    version: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(String(120))
    stored_name: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Signing(Base):
    """How a deal's agreement is being signed remotely: by post (tracking numbers) or
    electronically, and when it was sent, received and countersigned."""

    __tablename__ = "pipeline_signings"

    deal_id: Mapped[int] = mapped_column(ForeignKey("pipeline_deals.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(16), default="post")  # post | electronic
    tracking_out: Mapped[str] = mapped_column(String(64), default="")
    tracking_back: Mapped[str] = mapped_column(String(64), default="")
    sent_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    countersigned_on: Mapped[date | None] = mapped_column(Date)


class Problem(Base):
    """A problem on a deal (land, approvals, utilities, financing, policy…) with its level,
    owner, deadline and who holds it now (owner → district → city); closed only with a resolution."""

    __tablename__ = "pipeline_problems"
    __table_args__ = (Index("ix_pipeline_problems_open", "district_id", "closed_at", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("pipeline_deals.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    category: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(8))  # low | medium | high
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deadline: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(8), default="owner")  # owner | district | city
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str] = mapped_column(Text, default="")


class ProblemNote(Base):
    """The trail of a problem (append-only): opened, notes, escalations, closing."""

    __tablename__ = "pipeline_problem_trail"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("pipeline_problems.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))  # opened | note | escalated | closed
    tier: Mapped[str] = mapped_column(String(8), default="")
    text: Mapped[str] = mapped_column(Text, default="")


class Decision(Base):
    """What a district decided about a suggestion: a lead (investor × district) or a stage
    change proposed by a meeting outcome (an activity event). Undecided suggestions have no row."""

    __tablename__ = "pipeline_decisions"
    __table_args__ = (UniqueConstraint("kind", "key", name="kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # lead | proposal
    key: Mapped[str] = mapped_column(String(64))  # lead: "user:district"; proposal: event id
    decision: Mapped[str] = mapped_column(String(12))  # accepted | dismissed
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_deals.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RankingWeights(Base):
    """The published ranking formula's weights, set by the organizer (one row per change;
    the newest applies, older ones stay as the record of what was published when)."""

    __tablename__ = "pipeline_ranking_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RankingMonth(Base):
    """A district's row of a closed month's ranking: frozen figures, score and rank, with the
    weights and rates used. Written once when the month closes; never changed after."""

    __tablename__ = "pipeline_ranking_months"
    __table_args__ = (UniqueConstraint("month", "district_id", name="month_district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    rank: Mapped[int] = mapped_column()
    score: Mapped[float] = mapped_column()
    figures: Mapped[dict[str, float]] = mapped_column(JSON)
    deal_ids: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    rates: Mapped[dict[str, float]] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestRun(Base):
    """The daily digest was sent for this day (so a restart does not send it twice)."""

    __tablename__ = "pipeline_digest_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mails: Mapped[int] = mapped_column(default=0)
