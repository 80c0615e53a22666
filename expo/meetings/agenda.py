"""Read models for pages and the API: a user's meetings and requests, each with both
parties' local times ("Tue 10:00 in Seoul · Tue 09:00 in Shanghai")."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import dates
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.fair.models import ProjectTeam
from i18n import N_, Formatter, locale_info

from .models import Meeting, Request
from .parties import investor_name, team_members, team_name

LOCAL_TIME = N_("%(time)s in %(city)s")


def in_zone(locale: str, zone: str, at: datetime, gettext: Callable[[str], str]) -> str:
    fmt = Formatter(locale, zone)
    city = dates.get_timezone_location(ZoneInfo(fmt.timezone_name), locale=locale_info(locale).babel, return_city=True)
    return gettext(LOCAL_TIME) % {"time": fmt.moment(at), "city": city}


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    investor: User
    team: ProjectTeam
    team_zones: tuple[str, ...]

    def zones(self) -> list[str]:
        """The parties' distinct zones, the investor's first."""
        out = [self.investor.timezone]
        out.extend(z for z in self.team_zones if z not in out)
        return out

    def local_times(self, locale: str, gettext: Callable[[str], str]) -> str:
        return " · ".join(in_zone(locale, z, self.meeting.starts_at, gettext) for z in self.zones())

    def other_name(self, viewer: User, locale: str, default_locale: str) -> str:
        if viewer.role == "investor":
            return team_name(self.team, locale, default_locale)
        return investor_name(self.investor)


def participant_filter(user: User, model: type[Meeting] | type[Request]):  # type: ignore[no-untyped-def]
    if user.role == "investor":
        return model.investor_user_id == user.id
    if user.role == "team":
        return model.team_id == user.team_id
    return or_(False)  # type: ignore[arg-type]


async def _views(session: AsyncSession, meetings: list[Meeting], home_tz: str) -> list[MeetingView]:
    out = []
    zones: dict[int, tuple[str, ...]] = {}
    for m in meetings:
        investor = await session.get(User, m.investor_user_id)
        team = await session.get(ProjectTeam, m.team_id)
        if investor is None or team is None:
            continue
        if m.team_id not in zones:
            members = await team_members(session, m.team_id)
            zones[m.team_id] = tuple(dict.fromkeys(u.timezone for u in members)) or (home_tz,)
        out.append(MeetingView(m, investor, team, zones[m.team_id]))
    return out


async def meetings_of(
    session: AsyncSession, user: User, home_tz: str, include_cancelled: bool = True
) -> list[MeetingView]:
    statement = select(Meeting).where(participant_filter(user, Meeting)).order_by(Meeting.starts_at, Meeting.id)
    if not include_cancelled:
        statement = statement.where(Meeting.status == "booked")
    return await _views(session, list((await session.scalars(statement)).all()), home_tz)


async def meeting_view(session: AsyncSession, meeting: Meeting, home_tz: str) -> MeetingView:
    return (await _views(session, [meeting], home_tz))[0]


@dataclass(frozen=True)
class RequestView:
    request: Request
    investor: User
    team: ProjectTeam
    incoming: bool


async def requests_of(session: AsyncSession, user: User) -> list[RequestView]:
    rows = (
        await session.scalars(
            select(Request).where(participant_filter(user, Request)).order_by(Request.created_at.desc()).limit(200)
        )
    ).all()
    side = "investor" if user.role == "investor" else "team"
    out = []
    for r in rows:
        investor = await session.get(User, r.investor_user_id)
        team = await session.get(ProjectTeam, r.team_id)
        if investor is not None and team is not None:
            out.append(RequestView(r, investor, team, r.from_side != side))
    return out
