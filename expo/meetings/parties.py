"""Who is on each side of a pair: the investor (one account) and the project team (its
member accounts), their participant keys, and the names each side reads."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.fair.models import ProjectTeam
from i18n import pick


def investor_key(user_id: int) -> str:
    return f"user:{user_id}"


def team_key(team_id: int) -> str:
    return f"team:{team_id}"


def participant_of(user: User) -> str | None:
    """The calendar a user books into: an investor's own, a team member's team's."""
    if user.role == "investor":
        return investor_key(user.id)
    if user.role == "team" and user.team_id is not None:
        return team_key(user.team_id)
    return None


def side_of(user: User) -> str | None:
    if user.role == "investor":
        return "investor"
    if user.role == "team" and user.team_id is not None:
        return "team"
    return None


def is_party(user: User, investor_user_id: int, team_id: int) -> bool:
    return (user.role == "investor" and user.id == investor_user_id) or (
        user.role == "team" and user.team_id == team_id
    )


async def team_members(session: AsyncSession, team_id: int) -> list[User]:
    return list(
        (
            await session.scalars(select(User).where(User.role == "team", User.team_id == team_id).order_by(User.id))
        ).all()
    )


def team_name(team: ProjectTeam, locale: str, default_locale: str = "en") -> str:
    return pick(team.name, locale, default_locale).text


def investor_name(user: User) -> str:
    return f"{user.name} ({user.organization})" if user.organization else user.name
