"""What the expo tells the pipeline, read only from the core activity log.

- a deal's **timeline**: the linked investor's booth visits, downloads, chats, requests and
  meetings with the deal's district or team;
- **leads**: consenting investors who chatted with a district's booth or asked for / booked a
  meeting with it, and have no deal there yet (until the district accepts or dismisses them);
- **proposals**: a meeting outcome whose next step is "term sheet" or "ready to sign" proposes
  moving the investor's open deal forward (negotiating / signed); the owner confirms with one click.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.activity import Event
from expo.pipeline.models import Deal, Decision
from expo.pipeline.stages import OPEN_STATUSES, ORDER
from i18n import N_

LEAD_KINDS = ("booth.chat", "booth.meeting_request", "meeting.requested", "meeting.booked")
PROPOSED_STAGE = {"term_sheet": "negotiating", "ready_to_sign": "signed"}


async def timeline(session: AsyncSession, deal: Deal, limit: int = 100) -> list[Event]:
    if deal.investor_user_id is None:
        return []
    where = [Event.district_id == deal.district_id]
    if deal.team_id is not None:
        where.append(Event.team_id == deal.team_id)
    statement = (
        select(Event)
        .where(Event.user_id == deal.investor_user_id, or_(*where))
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class Lead:
    investor: User
    district_id: int
    events: int
    last_at: datetime
    kinds: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.investor.id}:{self.district_id}"


async def leads(session: AsyncSession, district_id: int | None, limit: int = 100) -> list[Lead]:
    decided = select(Decision.key).where(Decision.kind == "lead")
    has_deal = (
        select(Deal.id).where(Deal.investor_user_id == Event.user_id, Deal.district_id == Event.district_id).exists()
    )
    pair_key = cast(Event.user_id, String) + ":" + cast(Event.district_id, String)
    statement = (
        select(Event.user_id, Event.district_id, func.count(), func.max(Event.at))
        .join(User, User.id == Event.user_id)
        .where(
            Event.kind.in_(LEAD_KINDS),
            Event.district_id.is_not(None),
            User.role == "investor",
            User.shares_profile.is_(True),
            ~has_deal,
            pair_key.not_in(decided),
        )
        .group_by(Event.user_id, Event.district_id)
        .order_by(func.max(Event.at).desc())
        .limit(limit)
    )
    if district_id is not None:
        statement = statement.where(Event.district_id == district_id)
    rows = (await session.execute(statement)).all()
    if not rows:
        return []
    users = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_({r[0] for r in rows})))).all()}
    kinds: dict[tuple[int, int], set[str]] = {}
    for user_id, district, kind in (
        await session.execute(
            select(Event.user_id, Event.district_id, Event.kind)
            .where(Event.kind.in_(LEAD_KINDS), Event.user_id.in_(list(users)))
            .distinct()
        )
    ).all():
        if user_id is not None and district is not None:
            kinds.setdefault((user_id, district), set()).add(kind)
    return [
        Lead(users[u], int(d), n, last, tuple(sorted(kinds.get((u, int(d)), ()))))
        for u, d, n, last in rows
        if u in users and d is not None
    ]


@dataclass(frozen=True)
class Proposal:
    event: Event
    deal: Deal
    to_stage: str
    next_step: str


async def proposals(session: AsyncSession, district_id: int | None, deal_id: int | None = None) -> list[Proposal]:
    """Meeting outcomes proposing a stage change that nobody has accepted or dismissed yet."""
    decided = select(Decision.key).where(Decision.kind == "proposal")
    statement = (
        select(Event, Deal)
        .join(Deal, (Deal.investor_user_id == Event.user_id) & (Deal.district_id == Event.district_id))
        .where(
            Event.kind == "meeting.outcome",
            Deal.status.in_(sorted(OPEN_STATUSES)),
            cast(Event.id, String).not_in(decided),
            Event.at >= Deal.stage_entered_at,
        )
        .order_by(Event.at.desc())
        .limit(200)
    )
    if district_id is not None:
        statement = statement.where(Deal.district_id == district_id)
    if deal_id is not None:
        statement = statement.where(Deal.id == deal_id)
    out = []
    seen = set()
    for event, deal in (await session.execute(statement)).all():
        step = str((event.data or {}).get("next_step", ""))
        to_stage = PROPOSED_STAGE.get(step)
        if to_stage is None or ORDER[to_stage] <= ORDER[deal.stage] or deal.id in seen:
            continue
        seen.add(deal.id)
        out.append(Proposal(event, deal, to_stage, step))
    return out


async def decide(
    session: AsyncSession, kind: str, key: str, decision: str, by: User, deal_id: int | None = None
) -> Decision:
    row = Decision(kind=kind, key=key, decision=decision, by_user_id=by.id, deal_id=deal_id)
    session.add(row)
    await session.flush()
    return row


EVENT_LABELS = {
    "booth.visit": N_("visited the booth"),
    "booth.download": N_("downloaded a document"),
    "booth.chat": N_("wrote in the booth chat"),
    "booth.bookmark": N_("bookmarked the booth"),
    "booth.meeting_request": N_("asked the booth for a meeting"),
    "meeting.requested": N_("meeting requested"),
    "meeting.accepted": N_("meeting request accepted"),
    "meeting.declined": N_("meeting request declined"),
    "meeting.expired": N_("meeting request expired"),
    "meeting.booked": N_("meeting booked"),
    "meeting.moved": N_("meeting moved"),
    "meeting.cancelled": N_("meeting cancelled"),
    "meeting.held": N_("meeting held"),
    "meeting.outcome": N_("meeting outcome reported"),
    "pitch.watched": N_("watched a pitch"),
    "pitch.question": N_("asked a question in a pitch"),
}
NEXT_STEPS = {
    "none": N_("no next step"),
    "another_meeting": N_("another meeting"),
    "send_documents": N_("send documents"),
    "site_visit": N_("a site visit"),
    "term_sheet": N_("a term sheet"),
    "ready_to_sign": N_("ready to sign"),
}
