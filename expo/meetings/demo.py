"""The demo's matchmaking: the meeting grid (the next two days, 09:00–17:00 in the expo's
home zone), profiles, marks, requests in every state, availability, booked meetings and
notifications, so that the demo investor (investor@expo.example) sees suggestions, a pending
request and a meeting on first start, and the demo team (team@expo.example) the same."""

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.fair.models import ProjectTeam

from .grid import GridPlan, sync_slots
from .models import Availability, Claim, Grid, InvestorProfile, Mark, Meeting, Notification, Request, Slot, TeamProfile
from .vocab import DEFAULT_WEIGHTS

HOME_TZ = "Asia/Shanghai"  # the demo expo's home zone (EXPO_HOME_TZ's default)
LANGUAGE_OF_LOCALE = {"ja": "ja", "ko": "ko", "ar": "ar", "id": "id", "zh_Hans": "zh", "zh_Hant": "zh", "en": "en"}
TEAM_STAGES = ("growth", "seed", "expansion", "site_ready", "construction")
INVESTOR_STAGES = (("seed", "growth"), ("growth", "expansion"), ("site_ready", "real_estate"), ("m_and_a", "growth"))


async def seed(session: AsyncSession, now: datetime) -> None:
    zone = ZoneInfo(HOME_TZ)
    today = now.astimezone(zone).date()
    plan = GridPlan((today + timedelta(days=1), today + timedelta(days=2)), time(9), time(17), 30, 30)
    session.add(
        Grid(
            id=1,
            days=[d.isoformat() for d in plan.days],
            day_start="09:00",
            day_end="17:00",
            slot_minutes=30,
            tables=30,
            weights=dict(DEFAULT_WEIGHTS),
        )
    )
    await sync_slots(session, plan, HOME_TZ)
    slots = list((await session.scalars(select(Slot).order_by(Slot.starts_at))).all())
    teams = {t.slug: t for t in (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.id))).all()}
    investors = {u.name: u for u in (await session.scalars(select(User).where(User.role == "investor"))).all()}
    me = next(u for u in investors.values() if u.email == "investor@expo.example")

    for k, team in enumerate(teams.values()):
        languages = ["zh", "en"] + (["ja"] if team.slug in ("nova-antibody", "bluegene-cro", "lanhai-chip") else [])
        session.add(TeamProfile(team_id=team.id, stage=TEAM_STAGES[k % len(TEAM_STAGES)], languages=languages))
    for k, investor in enumerate(sorted(investors.values(), key=lambda u: u.id)):
        if investor is me:
            continue
        language = LANGUAGE_OF_LOCALE.get(investor.locale, "en")
        session.add(
            InvestorProfile(
                user_id=investor.id,
                stages=list(INVESTOR_STAGES[k % len(INVESTOR_STAGES)]),
                regions=[],
                languages=sorted({language, "en"}),
                thesis="",
            )
        )
    session.add(
        InvestorProfile(
            user_id=me.id,
            stages=["seed", "growth"],
            regions=["jinshan-bio"],
            languages=["ja", "en"],
            thesis="Japanese life-science capital for China's next antibody and device makers; "
            "we lead or co-lead USD 1-10 M rounds and help with PMDA filings.",
        )
    )

    nova, bluegene, cardio = teams["nova-antibody"], teams["bluegene-cro"], teams["cardio-sense"]
    everyone_free = [me, *(investors[n] for n in ("Hiroshi Tanaka", "Layla Haddad", "Sophie Martin", "Arjun Mehta"))]
    for investor in everyone_free:
        session.add_all(Availability(participant=f"user:{investor.id}", slot_id=s.id) for s in slots)
    for team in (nova, bluegene, cardio):
        session.add_all(Availability(participant=f"team:{team.id}", slot_id=s.id) for s in slots)

    marks = [
        (me, nova, "investor", "must"),
        (me, nova, "team", "must"),
        (me, bluegene, "investor", "would"),
        (investors["Hiroshi Tanaka"], nova, "investor", "must"),
        (investors["Sophie Martin"], bluegene, "investor", "must"),
        (investors["Sophie Martin"], bluegene, "team", "would"),
        (investors["Arjun Mehta"], cardio, "investor", "would"),
        (investors["Arjun Mehta"], cardio, "team", "would"),
        (investors["Layla Haddad"], cardio, "team", "must"),
        (investors["Olivia Hughes"], teams["offshore-wind"], "investor", "no"),
    ]
    for investor, team, side, mark in marks:
        session.add(Mark(investor_user_id=investor.id, team_id=team.id, side=side, mark=mark))

    def request(investor: User, team: ProjectTeam, status: str, from_side: str, message: str, age: int) -> Request:
        sent = now - timedelta(hours=age)
        row = Request(
            investor_user_id=investor.id,
            team_id=team.id,
            district_id=team.district_id,
            from_side=from_side,
            sender_user_id=investor.id if from_side == "investor" else None,
            message=message,
            status=status,
            open_key=f"{investor.id}:{team.id}" if status in ("pending", "proposed", "accepted") else None,
            proposed_slots=[],
            created_at=sent,
            expires_at=sent + timedelta(days=14) if status != "expired" else now - timedelta(hours=1),
            answered_at=None if status == "pending" else sent + timedelta(hours=2),
        )
        session.add(row)
        return row

    rows = [
        request(me, nova, "booked", "investor", "We would like to hear about your phase II plan.", 30),
        request(
            me, bluegene, "pending", "team", "Our CRO helps Japanese funds run diligence in China; shall we talk?", 5
        ),
        request(me, cardio, "pending", "investor", "Interested in your wearable ECG line.", 3),
        request(investors["Hiroshi Tanaka"], nova, "pending", "investor", "Sakura would like a first call.", 4),
        request(investors["Sophie Martin"], bluegene, "proposed", "investor", "", 20),
        request(investors["Layla Haddad"], nova, "accepted", "investor", "Cedar invests in oncology.", 26),
        request(investors["Arjun Mehta"], nova, "declined", "investor", "", 40),
        request(investors["Ji-woo Park"], teams["smart-port"], "expired", "investor", "", 400),
        request(investors["Anna Schmidt"], teams["cold-chain"], "withdrawn", "investor", "", 50),
    ]
    await session.flush()
    rows[4].proposed_slots = [slots[2].id, slots[5].id, slots[20].id]
    for row in rows:
        team = next(t for t in teams.values() if t.id == row.team_id)
        investor = next(u for u in investors.values() if u.id == row.investor_user_id)
        kinds = {
            "booked": ("meeting.requested", "meeting.accepted"),
            "accepted": ("meeting.requested", "meeting.accepted"),
            "declined": ("meeting.requested", "meeting.declined"),
            "expired": ("meeting.requested", "meeting.expired"),
        }
        for kind in kinds.get(row.status, ("meeting.requested",)):
            await activity.record(
                session,
                kind,
                user_id=investor.id,
                district_id=team.district_id,
                team_id=team.id,
                subject_id=row.id,
                country=investor.country,
                sector=team.sector,
                data={"from_side": row.from_side},
                at=row.created_at,
            )

    def meeting(investor: User, team: ProjectTeam, slot: Slot, status: str, request_id: int | None) -> Meeting:
        row = Meeting(
            uid=f"meeting-{uuid.uuid4().hex}@expo",
            sequence=0 if status == "booked" else 1,
            investor_user_id=investor.id,
            team_id=team.id,
            district_id=team.district_id,
            slot_id=slot.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status=status,
            source="request",
            request_id=request_id,
            booked_by=investor.id,
            created_at=now - timedelta(hours=24),
            updated_at=now - timedelta(hours=2),
        )
        session.add(row)
        return row

    booked = meeting(me, nova, slots[2], "booked", rows[0].id)  # 10:00 on the first day, home zone
    cancelled = meeting(me, cardio, slots[8], "cancelled", None)
    await session.flush()
    session.add_all(
        [
            Claim(slot_id=booked.slot_id, participant=f"user:{me.id}", meeting_id=booked.id),
            Claim(slot_id=booked.slot_id, participant=f"team:{nova.id}", meeting_id=booked.id),
            Claim(slot_id=booked.slot_id, participant="table:1", meeting_id=booked.id),
        ]
    )
    for m, kind in ((booked, "meeting.booked"), (cancelled, "meeting.booked"), (cancelled, "meeting.cancelled")):
        team = nova if m is booked else cardio
        await activity.record(
            session,
            kind,
            user_id=me.id,
            district_id=team.district_id,
            team_id=team.id,
            subject_id=m.id,
            country=me.country,
            sector=team.sector,
            data={},
            at=m.created_at,
        )
    team_members = (await session.scalars(select(User).where(User.role == "team", User.team_id == nova.id))).all()
    session.add_all(
        [
            Notification(
                user_id=me.id, kind="request_received", request_id=rows[1].id, created_at=now - timedelta(hours=5)
            ),
            Notification(user_id=me.id, kind="booked", meeting_id=booked.id, created_at=now - timedelta(hours=24)),
            *(
                Notification(
                    user_id=u.id, kind="request_received", request_id=rows[3].id, created_at=now - timedelta(hours=4)
                )
                for u in team_members
            ),
            *(
                Notification(user_id=u.id, kind="booked", meeting_id=booked.id, created_at=now - timedelta(hours=24))
                for u in team_members
            ),
        ]
    )
