"""Problems on deals ("know the problem, have the answer"): opened with a level, an owner and
a deadline; every step is a trail entry (append-only); past its deadline, or by hand, a problem
moves up owner → district → city office with a new deadline; closed only with a resolution."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import utcnow
from expo.pipeline.deals import Forbidden, Refused
from expo.pipeline.models import Deal, Problem, ProblemNote
from expo.pipeline.stages import Missing
from i18n import N_

CATEGORIES = {
    "land": N_("Land"),
    "approvals": N_("Approvals"),
    "utilities": N_("Utilities"),
    "financing": N_("Financing"),
    "policy": N_("Policy"),
    "talent": N_("Talent"),
    "other": N_("Other"),
}
LEVELS = {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High")}
TIERS = ("owner", "district", "city")
TIER_LABELS = {"owner": N_("Owner"), "district": N_("District"), "city": N_("City office")}
TRAIL_LABELS = {
    "opened": N_("opened"),
    "note": N_("note"),
    "escalated": N_("escalated"),
    "closed": N_("closed"),
}
# After an escalation the next tier gets this many days before it escalates again.
ESCALATION_DAYS = 7


def _note(problem: Problem, by: User | None, kind: str, text: str, at: datetime) -> ProblemNote:
    return ProblemNote(
        problem_id=problem.id, at=at, by_user_id=by.id if by else None, kind=kind, tier=problem.tier, text=text
    )


async def open_problem(
    session: AsyncSession,
    deal: Deal,
    by: User,
    *,
    category: str,
    level: str,
    title: str,
    deadline: date | None,
    owner_id: int | None,
    text: str = "",
    at: datetime | None = None,
) -> Problem:
    missing = []
    if category not in CATEGORIES:
        missing.append(Missing("category", N_("Choose one of the offered values.")))
    if level not in LEVELS:
        missing.append(Missing("level", N_("Choose one of the offered values.")))
    if not title.strip() or len(title) > 200:
        missing.append(Missing("title", N_("Describe the problem in a short title (up to 200 characters).")))
    if deadline is None:
        missing.append(Missing("deadline", N_("A problem needs a deadline.")))
    if missing:
        raise Refused(missing)
    at = at or utcnow()
    problem = Problem(
        deal_id=deal.id,
        district_id=deal.district_id,
        category=category,
        level=level,
        title=title.strip(),
        owner_id=owner_id or deal.owner_id,
        deadline=deadline,
        tier="owner",
        created_at=at,
        created_by=by.id,
        resolution="",
    )
    session.add(problem)
    await session.flush()
    session.add(_note(problem, by, "opened", text.strip(), at))
    return problem


def may_act(user: User, problem: Problem) -> bool:
    """The city office acts on every problem; a district's hosts on theirs until it reaches the city."""
    if user.role == "organizer":
        return True
    return user.role == "host" and user.district_id == problem.district_id and problem.tier != "city"


async def note(session: AsyncSession, problem: Problem, by: User, text: str) -> None:
    if problem.closed_at is not None:
        raise Refused([Missing("problem", N_("This problem is closed."))])
    if not text.strip():
        raise Refused([Missing("text", N_("This field is required."))])
    session.add(_note(problem, by, "note", text.strip()[:4000], utcnow()))


async def escalate(
    session: AsyncSession, problem: Problem, by: User | None, text: str = "", at: datetime | None = None
) -> None:
    if problem.closed_at is not None:
        raise Refused([Missing("problem", N_("This problem is closed."))])
    if problem.tier == "city":
        raise Refused([Missing("tier", N_("This problem is already with the city office."))])
    at = at or utcnow()
    problem.tier = TIERS[TIERS.index(problem.tier) + 1]
    problem.deadline = max(problem.deadline, at.date()) + timedelta(days=ESCALATION_DAYS)
    session.add(_note(problem, by, "escalated", text.strip()[:4000], at))


async def close(session: AsyncSession, problem: Problem, by: User, resolution: str) -> None:
    if problem.closed_at is not None:
        raise Refused([Missing("problem", N_("This problem is closed."))])
    if not may_act(by, problem):
        raise Forbidden()
    if len(resolution.strip()) < 5:
        raise Refused([Missing("resolution", N_("A problem is closed only with its resolution."))])
    at = utcnow()
    problem.closed_at, problem.resolution = at, resolution.strip()[:4000]
    session.add(_note(problem, by, "closed", problem.resolution, at))


async def escalate_overdue(session: AsyncSession, today: date, at: datetime | None = None) -> int:
    """Moves every open problem past its deadline one tier up; returns how many moved."""
    overdue = (
        await session.scalars(
            select(Problem).where(Problem.closed_at.is_(None), Problem.deadline < today, Problem.tier != "city")
        )
    ).all()
    for problem in overdue:
        await escalate(session, problem, None, N_("Past its deadline: escalated automatically."), at)
    return len(overdue)


async def trail(session: AsyncSession, problem_ids: list[int]) -> dict[int, list[ProblemNote]]:
    out: dict[int, list[ProblemNote]] = {pid: [] for pid in problem_ids}
    if problem_ids:
        notes = await session.scalars(
            select(ProblemNote).where(ProblemNote.problem_id.in_(problem_ids)).order_by(ProblemNote.at, ProblemNote.id)
        )
        for item in notes:
            out[item.problem_id].append(item)
    return out


async def open_counts(session: AsyncSession, district_id: int | None, today: date) -> tuple[int, int]:
    """(open problems, open problems past their deadline) in a district or the whole city."""
    statement = select(func.count(), func.count().filter(Problem.deadline < today)).where(Problem.closed_at.is_(None))
    if district_id is not None:
        statement = statement.where(Problem.district_id == district_id)
    row = (await session.execute(statement)).one()
    return int(row[0]), int(row[1])
