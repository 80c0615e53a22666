"""A booked meeting for the room tests: a district, a project team with two members, an
investor, an outsider, an organizer, one slot and the meeting (rows of the matchmaking
package's tables), plus signing in over HTTP to get a session cookie."""

import re
from dataclasses import dataclass
from datetime import timedelta

import httpx

from expo.accounts.models import User
from expo.accounts.passwords import hash_password
from expo.db import Database, utcnow
from expo.fair.models import District, ProjectTeam
from expo.meetings import Meeting
from expo.meetings.models import Slot

PASSWORD = "room-test-password"
_HASH: list[str] = []


@dataclass
class MeetingSetup:
    meeting_id: int
    district_id: int
    team_id: int
    emails: dict[str, str]  # investor, team, team2, outsider, organizer, guest
    user_ids: dict[str, int]


async def make_meeting(
    url: str, *, starts_in: timedelta = timedelta(0), minutes: int = 30, tag: str = ""
) -> MeetingSetup:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    tag = tag or str(utcnow().timestamp()).replace(".", "")
    db = Database(url)
    try:
        async with db.session() as session:
            district = District(slug=f"district-{tag}", kind="district", name={"en": f"District {tag}"})
            session.add(district)
            await session.flush()
            team = ProjectTeam(
                slug=f"team-{tag}", district_id=district.id, sector="biomedicine", name={"en": f"Team {tag}"}
            )
            session.add(team)
            await session.flush()
            people = {
                "investor": ("investor", None, None, "Europe/Berlin"),
                "team": ("team", None, team.id, "Asia/Shanghai"),
                "team2": ("team", None, team.id, "Asia/Shanghai"),
                "outsider": ("investor", None, None, "UTC"),
                "organizer": ("organizer", None, None, "UTC"),
                "guest": ("investor", None, None, "Asia/Tokyo"),
            }
            users = {}
            for key, (role, district_id, team_id, zone) in people.items():
                user = User(
                    email=f"{key}-{tag}@rooms.test",
                    password_hash=_HASH[0],
                    name=f"{key.title()} {tag[-4:]}",
                    role=role,
                    district_id=district_id,
                    team_id=team_id,
                    timezone=zone,
                    locale="en",
                )
                session.add(user)
                users[key] = user
            await session.flush()
            start = utcnow() + starts_in  # microseconds keep slots of parallel setups apart
            slot = Slot(starts_at=start, ends_at=start + timedelta(minutes=minutes))
            session.add(slot)
            await session.flush()
            meeting = Meeting(
                uid=f"meeting-{tag}@rooms.test",
                investor_user_id=users["investor"].id,
                team_id=team.id,
                district_id=district.id,
                slot_id=slot.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                status="booked",
            )
            session.add(meeting)
            await session.commit()
            return MeetingSetup(
                meeting.id,
                district.id,
                team.id,
                {k: u.email for k, u in users.items()},
                {k: u.id for k, u in users.items()},
            )
    finally:
        await db.close()


async def sign_in(base_url: str, email: str) -> str:
    """Signs in over HTTP; returns the Cookie header value of the new session."""
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as http:
        page = await http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        response = await http.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}, follow_redirects=False
        )
        assert response.status_code == 303, response.text[:300]
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())
