"""The programme's rules on the database: stages, proposals, decisions, placing sessions in
the timetable (with optimistic locking), and the conflicts of the current draft.

No HTTP here. Edits take the ``revision`` the editor saw; the UPDATE only applies where the
row still has it, so two organizers editing at once never overwrite each other silently:
the second gets ``Stale`` with the row as it is now.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.accounts.validation import InvalidInput
from expo.agenda import conflicts as rules
from expo.agenda.forms import PlaceValues, ProposalValues, StageValues
from expo.agenda.models import PitchPerson, PitchSession, Stage
from expo.fair.models import District, Expo, ProjectTeam
from i18n import N_

DECISIONS = {
    # action: (statuses it applies to, the status it leads to)
    "accept": (("proposed", "declined"), "accepted"),
    "decline": (("proposed",), "declined"),
    "cancel": (("accepted",), "cancelled"),
    "restore": (("cancelled",), "accepted"),
}


class Stale(Exception):
    """The row changed since the editor read it (or was removed)."""

    def __init__(self, current: PitchSession | None) -> None:
        super().__init__("stale")
        self.current = current


class StaleStage(Exception):
    """The stage changed since the editor read it."""

    def __init__(self, current: Stage) -> None:
        super().__init__("stale stage")
        self.current = current


class Refused(Exception):
    """An edit that the programme's rules do not allow; ``message`` is a msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def the_expo(session: AsyncSession) -> Expo | None:
    return await session.scalar(select(Expo).order_by(Expo.id).limit(1))


def zone_of(expo: Expo | None, default: str) -> ZoneInfo:
    """The expo's home zone (its own when it has one, else the setting)."""
    name = getattr(expo, "timezone", None) or default
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(default)


def days(expo: Expo | None, zone: ZoneInfo) -> list[date]:
    """The expo's days, in its home zone."""
    if expo is None:
        return []
    first = expo.starts_at.astimezone(zone).date()
    last = (expo.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)][:60]


# ---- stages ------------------------------------------------------------------------------
async def stages(session: AsyncSession) -> list[Stage]:
    return list((await session.scalars(select(Stage).order_by(Stage.position, Stage.id))).all())


def stage_fingerprint(stage: Stage) -> str:
    """Names a stage's current values: an edit names the fingerprint it was made on."""
    parts = (stage.slug, sorted(stage.name.items()), stage.opens_minute, stage.closes_minute, stage.position)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


async def save_stage(
    session: AsyncSession, values: StageValues, stage_id: int | None = None, seen: str | None = None
) -> Stage:
    """Creates a stage, or updates one if it is still as the editor saw it (``seen``)."""
    if stage_id is None:
        stage = Stage()
        session.add(stage)
    else:
        found = await session.scalar(select(Stage).where(Stage.id == stage_id).with_for_update())
        if found is None:
            raise Refused(N_("This stage does not exist (any more)."))
        if seen is not None and stage_fingerprint(found) != seen:
            raise StaleStage(found)
        stage = found
    stage.slug, stage.name = values.slug, values.name
    stage.opens_minute, stage.closes_minute, stage.position = values.opens_minute, values.closes_minute, values.position
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise InvalidInput({"slug": N_("Another stage already has this address.")}) from None
    return stage


async def delete_stage(session: AsyncSession, stage_id: int) -> int:
    """Removes a stage; its sessions keep their times but lose their stage (a conflict to
    resolve before the next publish). Returns how many sessions were on it."""
    stage = await session.get(Stage, stage_id)
    if stage is None:
        raise Refused(N_("This stage does not exist (any more)."))
    moved = await session.execute(
        update(PitchSession)
        .where(PitchSession.stage_id == stage_id)
        .values(stage_id=None, revision=PitchSession.revision + 1)
        .execution_options(synchronize_session=False)
    )
    await session.delete(stage)
    await session.flush()
    return int(moved.rowcount or 0)  # type: ignore[attr-defined]


# ---- proposals ---------------------------------------------------------------------------
async def teams_for(session: AsyncSession, user: User) -> list[ProjectTeam]:
    """The projects a user may propose a session for."""
    query = select(ProjectTeam).order_by(ProjectTeam.id)
    if user.role == Role.HOST:
        query = query.where(ProjectTeam.district_id == user.district_id)
    elif user.role == Role.TEAM:
        query = query.where(ProjectTeam.id == user.team_id)
    return list((await session.scalars(query)).all())


async def _people(session: AsyncSession, lines: list[tuple[str, str, str]]) -> list[PitchPerson]:
    """(role, name or e-mail, language) → people; an e-mail of an account links to it."""
    emails = [name.lower() for _r, name, _l in lines if "@" in name]
    users = {u.email: u for u in (await session.scalars(select(User).where(User.email.in_(emails)))).all()}
    result = []
    for role, name, language in lines:
        user = users.get(name.lower())
        result.append(
            PitchPerson(
                role=role, name=user.name if user else name, user_id=user.id if user else None, language=language
            )
        )
    return result


async def propose(session: AsyncSession, user: User, values: ProposalValues) -> PitchSession:
    team = await session.get(ProjectTeam, values.team_id) if values.team_id else None
    if user.role == Role.TEAM:
        team = await session.get(ProjectTeam, user.team_id)
    district_id = user.district_id if user.role == Role.HOST else (team.district_id if team else None)
    pitch = PitchSession(
        status="proposed",
        title=values.title,
        description=values.description,
        language=values.language,
        length_minutes=values.length_minutes,
        interpreting=values.interpreting,
        team_id=team.id if team else None,
        district_id=district_id,
        proposed_by_id=user.id,
    )
    session.add(pitch)
    await session.flush()
    for person in await _people(session, [("speaker", p.name, "") for p in values.speakers]):
        person.session_id = pitch.id
        session.add(person)
    await session.flush()
    return pitch


async def proposals_of(session: AsyncSession, user: User) -> list[PitchSession]:
    """What a host or team member proposed, or may see: their district's or team's sessions."""
    owner = PitchSession.proposed_by_id == user.id
    if user.role == Role.HOST and user.district_id is not None:
        owner = owner | (PitchSession.district_id == user.district_id)
    elif user.role == Role.TEAM and user.team_id is not None:
        owner = owner | (PitchSession.team_id == user.team_id)
    return list((await session.scalars(select(PitchSession).where(owner).order_by(PitchSession.id.desc()))).all())


# ---- organizer's edits (optimistic locking) ---------------------------------------------
async def _guarded_update(session: AsyncSession, pitch_id: int, seen: int, **values: object) -> PitchSession:
    result = await session.execute(
        update(PitchSession)
        .where(PitchSession.id == pitch_id, PitchSession.revision == seen)
        .values(revision=PitchSession.revision + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.expire_all()
        raise Stale(await session.get(PitchSession, pitch_id))
    session.expire_all()
    found = await session.get(PitchSession, pitch_id)
    assert found is not None
    return found


async def decide(session: AsyncSession, pitch_id: int, action: str, seen: int) -> PitchSession:
    pitch = await session.get(PitchSession, pitch_id)
    if pitch is None:
        raise Stale(None)
    if action not in DECISIONS:
        raise Refused(N_("Choose one of the offered values."))
    allowed_from, to = DECISIONS[action]
    if pitch.revision != seen:
        raise Stale(pitch)
    if pitch.status not in allowed_from:
        raise Refused(N_("This session is not in a state where that applies."))
    return await _guarded_update(session, pitch_id, seen, status=to)


async def place(session: AsyncSession, pitch_id: int, values: PlaceValues, *, reschedule: bool = False) -> PitchSession:
    """Puts an accepted session on a stage and a time. ``reschedule`` (organizers, for an
    ended session) makes it "scheduled" again, so it can go live in its new slot."""
    pitch = await session.get(PitchSession, pitch_id)
    if pitch is None:
        raise Stale(None)
    if pitch.revision != values.revision:
        raise Stale(pitch)
    if pitch.status != "accepted":
        raise Refused(N_("Accept the session before placing it."))
    if pitch.state == "live":
        raise Refused(N_("This session is live: end it before moving it."))
    if pitch.state == "ended" and not reschedule:
        raise Refused(N_("This session has ended: reschedule it to give it a new slot."))
    if await session.get(Stage, values.stage_id) is None:
        raise InvalidInput({"stage": N_("This stage does not exist (any more). Choose another.")})
    extra: dict[str, object] = {"state": "scheduled", "ended_at": None, "early_start_at": None} if reschedule else {}
    try:
        return await _guarded_update(
            session,
            pitch_id,
            values.revision,
            stage_id=values.stage_id,
            starts_at=values.starts_at,
            ends_at=values.starts_at + timedelta(minutes=values.length_minutes),
            length_minutes=values.length_minutes,
            **extra,
        )
    except IntegrityError:  # the stage was deleted between the check and the write
        await session.rollback()
        raise InvalidInput({"stage": N_("This stage does not exist (any more). Choose another.")}) from None


async def set_interpreters(
    session: AsyncSession, pitch_id: int, seen: int, lines: list[tuple[str, str]]
) -> PitchSession:
    """Replaces the interpreters of a session: (language, name or e-mail) pairs."""
    pitch = await _guarded_update(session, pitch_id, seen)
    old = (
        await session.scalars(
            select(PitchPerson).where(PitchPerson.session_id == pitch_id, PitchPerson.role == "interpreter")
        )
    ).all()
    for person in old:
        await session.delete(person)
    for person in await _people(session, [("interpreter", name, language) for language, name in lines]):
        person.session_id = pitch_id
        session.add(person)
    await session.flush()
    return pitch


# ---- the draft timetable and its conflicts ----------------------------------------------
@dataclass
class Draft:
    expo: Expo | None
    zone: ZoneInfo
    stages: list[Stage]
    sessions: list[PitchSession]
    people: dict[int, list[PitchPerson]]
    teams: dict[int, ProjectTeam]
    districts: dict[int, District]
    proposers: dict[int, User]
    conflicts: list[rules.Conflict] = field(default_factory=list)

    @property
    def placed(self) -> list[PitchSession]:
        return [s for s in self.sessions if s.status == "accepted" and s.starts_at is not None]

    @property
    def flagged(self) -> dict[int, list[rules.Conflict]]:
        return rules.flagged(self.conflicts)

    def days(self) -> list[date]:
        return days(self.expo, self.zone)


def people_keys(pitch: PitchSession, people: list[PitchPerson], proposer: User | None) -> frozenset[str]:
    keys = {rules.person_key(p.user_id, p.name) for p in people}
    if proposer is not None and proposer.role == Role.HOST:
        keys.add(rules.person_key(proposer.id, proposer.name))
    return frozenset(keys)


async def busy_of(session: AsyncSession, user_ids: set[int], start: datetime, end: datetime) -> list[rules.Busy]:
    """Booked 1:1 meetings (expo.meetings) of these people between ``start`` and ``end``:
    the investor's own, and their team's for team members."""
    if not user_ids:
        return []
    from expo.meetings import Meeting  # the meetings package exports its table for readers

    users = (await session.scalars(select(User).where(User.id.in_(user_ids)))).all()
    team_members: dict[int, list[int]] = defaultdict(list)
    for user in users:
        if user.team_id is not None:
            team_members[user.team_id].append(user.id)
    party: ColumnElement[bool] = Meeting.investor_user_id.in_(user_ids)
    if team_members:
        party = or_(party, Meeting.team_id.in_(team_members))
    meetings = await session.scalars(
        select(Meeting).where(Meeting.status == "booked", Meeting.starts_at < end, Meeting.ends_at > start, party)
    )
    busy = []
    for meeting in meetings.all():
        for uid in {meeting.investor_user_id, *team_members.get(meeting.team_id, [])} & user_ids:
            busy.append(rules.Busy(rules.person_key(uid, ""), meeting.starts_at, meeting.ends_at))
    return busy


async def draft(session: AsyncSession, home_tz: str) -> Draft:
    expo = await the_expo(session)
    zone = zone_of(expo, home_tz)
    all_sessions = list(
        (await session.scalars(select(PitchSession).order_by(PitchSession.starts_at, PitchSession.id))).all()
    )
    people: dict[int, list[PitchPerson]] = defaultdict(list)
    for person in (await session.scalars(select(PitchPerson).order_by(PitchPerson.id))).all():
        people[person.session_id].append(person)
    teams = {t.id: t for t in (await session.scalars(select(ProjectTeam))).all()}
    districts = {d.id: d for d in (await session.scalars(select(District))).all()}
    proposer_ids = {s.proposed_by_id for s in all_sessions if s.proposed_by_id}
    proposers = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(proposer_ids)))).all()}
    result = Draft(expo, zone, await stages(session), all_sessions, dict(people), teams, districts, proposers)
    placed = [
        rules.Placed(
            s.id,
            s.stage_id,
            s.starts_at,
            s.ends_at or s.starts_at,
            people_keys(s, result.people.get(s.id, []), proposers.get(s.proposed_by_id or 0)),
        )
        for s in result.placed
        if s.starts_at is not None
    ]
    user_ids = {int(k.split(":", 1)[1]) for p in placed for k in p.people if k.startswith("user:")}
    if expo is not None:
        result.conflicts = rules.find(
            placed,
            {s.id: rules.Hours(s.opens_minute, s.closes_minute) for s in result.stages},
            expo_start=expo.starts_at,
            expo_end=expo.ends_at,
            zone=zone,
            busy=await busy_of(session, user_ids, expo.starts_at, expo.ends_at),
        )
    return result


def token(draft: Draft) -> str:
    """Names the draft's exact state: a publish names the token it was reviewed on."""
    parts = [f"{s.id}:{s.revision}:{s.status}:{s.state}" for s in sorted(draft.sessions, key=lambda s: s.id)]
    parts += [f"stage{s.id}:{s.slug}:{s.opens_minute}:{s.closes_minute}:{sorted(s.name.items())}" for s in draft.stages]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass
class Cell:
    stage: Stage
    sessions: list[PitchSession]


@dataclass
class Row:
    starts: datetime
    cells: list[Cell]


def grid(draft: Draft, day: date, step: int = 30) -> list[Row]:
    """One day of the timetable: rows of ``step`` minutes (home zone) × stages; each cell
    holds the sessions starting in it. Rows span the stages' hours and every session."""
    zone = draft.zone
    on_day = [
        s
        for s in draft.placed
        if s.starts_at is not None and s.stage_id is not None and s.starts_at.astimezone(zone).date() == day
    ]
    opens = min([s.opens_minute for s in draft.stages] or [9 * 60])
    closes = max([s.closes_minute for s in draft.stages] or [18 * 60])
    for s in on_day:
        assert s.starts_at is not None
        local = s.starts_at.astimezone(zone)
        opens = min(opens, local.hour * 60 + local.minute)
        closes = max(closes, local.hour * 60 + local.minute + step)
    opens -= opens % step
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    rows = []
    for minute in range(opens, min(closes, 24 * 60), step):
        start = midnight + timedelta(minutes=minute)
        end = start + timedelta(minutes=step)
        cells = [
            Cell(stage, [s for s in on_day if s.stage_id == stage.id and start <= s.starts_at.astimezone(zone) < end])  # type: ignore[union-attr]
            for stage in draft.stages
        ]
        rows.append(Row(start, cells))
    return rows
