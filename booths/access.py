"""Who may see, edit and staff a booth: the permission rules, with no HTTP in them.

- investors and anonymous visitors see only published booths (and their projects/files);
- an organizer sees, edits, publishes and staffs every booth;
- a district host edits and staffs its own district's (or zone's) district booth;
- a project-team member edits and staffs its team's booth and projects.
"""

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from expo.accounts.models import User
from expo.accounts.roles import Role


def is_staff(user: User | None, booth: Booth) -> bool:
    """Staff of ``booth``: may edit it, answer its chat and see its leads."""
    if user is None:
        return False
    if user.role == Role.ORGANIZER:
        return True
    if user.role == Role.HOST:
        return booth.kind == "district" and booth.district_id == user.district_id
    if user.role == Role.TEAM:
        return booth.kind == "team" and booth.team_id == user.team_id
    return False


def can_view(user: User | None, booth: Booth) -> bool:
    return booth.status == "published" or is_staff(user, booth)


def own_booths(user: User) -> Select[tuple[Booth]]:
    """The booths ``user`` staffs (all of them for an organizer)."""
    query = select(Booth).order_by(Booth.id)
    if user.role == Role.ORGANIZER:
        return query
    if user.role == Role.HOST:
        return query.where(Booth.kind == "district", Booth.district_id == user.district_id)
    if user.role == Role.TEAM:
        return query.where(Booth.kind == "team", Booth.team_id == user.team_id)
    return query.where(Booth.id.is_(None))


async def staff_of(session: AsyncSession, booth: Booth) -> list[User]:
    """The people who answer for ``booth`` (its hosts or team members; not organizers)."""
    if booth.kind == "district":
        cond = (User.role == Role.HOST) & (User.district_id == booth.district_id)
    else:
        cond = (User.role == Role.TEAM) & (User.team_id == booth.team_id)
    return list((await session.scalars(select(User).where(or_(cond)).order_by(User.name))).all())


async def published_booths(session: AsyncSession) -> dict[tuple[str, int], int]:
    """The published booths' ids by ``("team", team_id)`` and ``("district", district_id)``
    (a district's own booth): what the core's hall pages link to. A team without a
    published booth is not shown there (``expo.web.lobby`` is given this function by
    ``expo.app``, as the core never imports booths)."""
    rows = await session.execute(
        select(Booth.id, Booth.kind, Booth.team_id, Booth.district_id)
        .where(Booth.status == "published")
        .order_by(Booth.id)
    )
    found: dict[tuple[str, int], int] = {}
    for booth_id, kind, team_id, district_id in rows.all():
        key = ("team", team_id) if kind == "team" else ("district", district_id)
        found.setdefault(key, booth_id)
    return found
