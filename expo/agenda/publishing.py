"""Publishing the programme: a new version (snapshot + what changed since the previous one),
refused when the draft changed since it was reviewed or has open conflicts without an
explicit override; then the people affected are told (outbox mail + in-app notice) in
their own language and time zone."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.support import NullTranslations
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo import outbox
from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.agenda import programme, versions
from expo.agenda.models import AgendaEntry, PitchSession, ProgrammeNotice, ProgrammeVersion
from i18n import N_, Formatter, pick

Entry = dict[str, Any]


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def entry(draft: programme.Draft, pitch: PitchSession) -> Entry:
    """What the public sees of a placed, accepted session (plain JSON)."""
    stage = next((s for s in draft.stages if s.id == pitch.stage_id), None)
    team = draft.teams.get(pitch.team_id or 0)
    people = draft.people.get(pitch.id, [])
    assert pitch.starts_at is not None and pitch.ends_at is not None and stage is not None
    return {
        "id": pitch.id,
        "guid": pitch.guid,
        "title": dict(pitch.title),
        "description": dict(pitch.description or {}),
        "language": pitch.language,
        "stage_id": stage.id,
        "stage_slug": stage.slug,
        "stage_name": dict(stage.name),
        "starts_at": pitch.starts_at.isoformat(),
        "ends_at": pitch.ends_at.isoformat(),
        "district_id": pitch.district_id,
        "team_id": pitch.team_id,
        "sector": team.sector if team else "",
        "speakers": [p.name for p in people if p.role == "speaker"],
        "interpreting": sorted(pitch.interpreting or []),
    }


def current_entries(draft: programme.Draft) -> list[Entry]:
    stage_ids = {s.id for s in draft.stages}
    return [entry(draft, p) for p in draft.placed if p.stage_id in stage_ids]


async def latest(session: AsyncSession) -> ProgrammeVersion | None:
    return await session.scalar(select(ProgrammeVersion).order_by(ProgrammeVersion.number.desc()).limit(1))


@dataclass
class Preview:
    draft: programme.Draft
    previous: ProgrammeVersion | None
    snapshot: list[Entry]
    changes: dict[str, list[int]]
    token: str

    @property
    def number(self) -> int:
        return (self.previous.number if self.previous else 0) + 1

    @property
    def has_changes(self) -> bool:
        return versions.has_changes(self.changes)


async def preview(session: AsyncSession, home_tz: str) -> Preview:
    draft = await programme.draft(session, home_tz)
    previous = await latest(session)
    snapshot, changes = versions.diff_and_snapshot(previous.snapshot if previous else [], current_entries(draft))
    return Preview(draft, previous, snapshot, changes, programme.token(draft))


async def publish(
    session: AsyncSession,
    *,
    home_tz: str,
    by: User,
    reviewed: str,
    override: bool,
    translations: Callable[[str], NullTranslations],
    public_url: str,
    default_locale: str = "en",
) -> ProgrammeVersion:
    seen = await preview(session, home_tz)
    if seen.token != reviewed:
        raise Refused(N_("The timetable changed since you reviewed it: review the changes again, then publish."))
    if seen.draft.conflicts and not override:
        raise Refused(N_("The timetable has open conflicts: fix them, or confirm that you publish anyway."))
    if seen.previous is not None and not seen.has_changes:
        raise Refused(N_("Nothing changed since the last published version."))
    version = ProgrammeVersion(
        number=seen.number,
        published_by_id=by.id,
        snapshot=seen.snapshot,
        changes=seen.changes,
        open_conflicts=len(seen.draft.conflicts),
    )
    session.add(version)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Refused(N_("Someone else published a version at the same moment: review the changes again.")) from None
    if seen.previous is not None:
        await notify(session, version, translations, public_url, default_locale)
    return version


# ---- telling the people affected --------------------------------------------------------
async def affected(session: AsyncSession, changes: dict[str, list[int]]) -> dict[int, set[int]]:
    """user id → ids of the changed sessions that concern them: hosts of the district, the
    team, the proposer (of any changed session) and investors who added it (moved, changed
    or cancelled)."""
    ids = versions.changed_ids(changes)
    if not ids:
        return {}
    result: dict[int, set[int]] = defaultdict(set)
    rows = (await session.scalars(select(PitchSession).where(PitchSession.id.in_(ids)))).all()
    districts = {p.district_id for p in rows if p.district_id}
    teams = {p.team_id for p in rows if p.team_id}
    staff = (
        await session.scalars(
            select(User).where(
                User.active.is_(True),
                or_(
                    (User.role == Role.HOST) & User.district_id.in_(districts),
                    (User.role == Role.TEAM) & User.team_id.in_(teams),
                ),
            )
        )
    ).all()
    for pitch in rows:
        if pitch.proposed_by_id:
            result[pitch.proposed_by_id].add(pitch.id)
        for user in staff:
            if (user.role == Role.HOST and user.district_id == pitch.district_id) or (
                user.role == Role.TEAM and user.team_id == pitch.team_id
            ):
                result[user.id].add(pitch.id)
    followed = set(changes.get("moved", [])) | set(changes.get("changed", [])) | set(changes.get("cancelled", []))
    if followed:
        for entry_row in (await session.scalars(select(AgendaEntry).where(AgendaEntry.session_id.in_(followed)))).all():
            result[entry_row.user_id].add(entry_row.session_id)
    return dict(result)


def describe(
    version: ProgrammeVersion, ids: set[int], gettext: Callable[[str], str], fmt: Formatter, locale: str, default: str
) -> str:
    """The text of a notice: each affected session, what happened to it, its new slot."""
    by_id = {e["id"]: e for e in version.snapshot}
    kind_of = {ident: kind for kind, idents in version.changes.items() for ident in idents}
    labels = {
        "added": gettext(N_("New")),
        "moved": gettext(N_("Moved")),
        "changed": gettext(N_("Changed")),
        "cancelled": gettext(N_("Cancelled")),
    }
    lines = [gettext(N_("The pitch programme changed (version %(number)s):")) % {"number": version.number}]
    for ident in sorted(ids):
        item = by_id.get(ident)
        if item is None:
            continue
        title = pick(item["title"], locale, default).text
        line = f"- {labels.get(kind_of.get(ident, 'changed'), '')}: {title}"
        if item["status"] == "listed":
            start = datetime.fromisoformat(item["starts_at"])
            line += f" — {pick(item['stage_name'], locale, default).text}, {fmt.moment(start)} ({fmt.zone_name()})"
        lines.append(line)
    return "\n".join(lines)


async def notify(
    session: AsyncSession,
    version: ProgrammeVersion,
    translations: Callable[[str], NullTranslations],
    public_url: str,
    default_locale: str,
) -> int:
    targets = await affected(session, version.changes)
    if not targets:
        return 0
    users = (await session.scalars(select(User).where(User.id.in_(targets)))).all()
    for user in users:
        locale = user.locale or default_locale
        gettext = translations(locale).gettext
        fmt = Formatter(locale, user.timezone or "UTC")
        text = describe(version, targets[user.id], gettext, fmt, locale, default_locale)
        session.add(ProgrammeNotice(user_id=user.id, version_number=version.number, text=text))
        link = f"{public_url}/schedule"
        outbox.queue(session, user.email, gettext(N_("The pitch programme changed")), f"{text}\n\n{link}\n")
    await session.flush()
    return len(users)
