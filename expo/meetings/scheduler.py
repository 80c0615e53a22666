"""The organizer's scheduler on the expo's live data.

1. :func:`build_instance` turns the database into the engine's instance (the JSON contract
   of docs/scheduler.md): the future active slots; every investor and team in a pair, with
   their availability; the pairs to place — accepted requests not yet booked weigh most,
   then mutual Must-meet, Must + Would, one-sided Must, mutual Would, one-sided Would (a "No
   thanks" on either side drops the pair); booked meetings are fixed in their slots.
2. :class:`Runs` runs ``expo.matchmaking.solve_in_worker`` (a separate process: the event
   loop never solves) and writes the worker's progress (phase, objective, bound) to the run
   row every half second, so any server process can show the live progress bar.
3. The result becomes a **draft** (one item per proposed meeting) with a summary: meetings
   per person, who is left with none, breaks per person, weight vs proven bound.
4. :func:`publish` books every draft item in one transaction (meetings, claims,
   notifications, mails); one conflict rolls everything back and names the item.
"""

import asyncio
import contextlib
import logging
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo import matchmaking, outbox
from expo.accounts.models import User
from expo.activity.models import Event
from expo.db import Database, utcnow
from expo.fair.models import ProjectTeam
from i18n import N_, Formatter

from .errors import MeetingError
from .grid import load_grid
from .models import Availability, Claim, Mark, Meeting, Notification, Request, SchedulerRun, Slot
from .notify import MAIL_FOOTER, Notifier, counterpart, describe, when_text
from .vocab import PAIR_WEIGHTS

log = logging.getLogger("expo.meetings.scheduler")
PROGRESS_EVERY = 0.5
DEFAULT_TIME_LIMIT = 20.0


def pair_weight(investor_mark: str | None, team_mark: str | None) -> tuple[int, str] | None:
    """The scheduler weight of a pair from its two marks, with the rule that gave it."""
    marks = {investor_mark, team_mark}
    if "no" in marks:
        return None
    if investor_mark == team_mark == "must":
        return PAIR_WEIGHTS["mutual_must"], "mutual_must"
    if "must" in marks:
        return PAIR_WEIGHTS["must"] + (PAIR_WEIGHTS["would"] if "would" in marks else 0), "must"
    if investor_mark == team_mark == "would":
        return PAIR_WEIGHTS["mutual_would"], "mutual_would"
    if "would" in marks:
        return PAIR_WEIGHTS["would"], "would"
    return None


@dataclass
class Built:
    instance: dict[str, Any]
    pairs: dict[str, dict[str, Any]]  # meeting key → investor_user_id, team_id, weight, rule, request_id
    fixed: int


async def build_instance(session: AsyncSession, home_tz: str, now: datetime | None = None) -> Built:
    now = now or utcnow()
    zone = ZoneInfo(home_tz)
    slots = (
        await session.scalars(select(Slot).where(Slot.active, Slot.starts_at > now).order_by(Slot.starts_at))
    ).all()
    slot_ids = {s.id for s in slots}
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    booked = (await session.scalars(select(Meeting).where(Meeting.status == "booked"))).all()
    booked_pairs = {(m.investor_user_id, m.team_id) for m in booked}
    for r in (await session.scalars(select(Request).where(Request.status == "accepted"))).all():
        if (r.investor_user_id, r.team_id) not in booked_pairs:
            pairs[(r.investor_user_id, r.team_id)] = {
                "weight": PAIR_WEIGHTS["accepted"],
                "rule": "accepted",
                "request_id": r.id,
            }
    marks: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for m in (await session.scalars(select(Mark))).all():
        marks[(m.investor_user_id, m.team_id)][m.side] = m.mark
    for pair, by_side in marks.items():
        if pair in pairs or pair in booked_pairs:
            continue
        weighted = pair_weight(by_side.get("investor"), by_side.get("team"))
        if weighted is not None:
            pairs[pair] = {"weight": weighted[0], "rule": weighted[1], "request_id": None}
    available: dict[str, list[int]] = defaultdict(list)
    for participant, slot_id in (await session.execute(select(Availability.participant, Availability.slot_id))).all():
        if slot_id in slot_ids:
            available[participant].append(slot_id)
    meetings: list[dict[str, Any]] = []
    keyed: dict[str, dict[str, Any]] = {}
    people: set[str] = set()
    fixed = 0
    for m in booked:
        if m.slot_id not in slot_ids:
            continue
        a, b = f"user:{m.investor_user_id}", f"team:{m.team_id}"
        for p in (a, b):  # a booked meeting's slot is its participants' time, whatever else
            if m.slot_id not in available[p]:
                available[p].append(m.slot_id)
        people.update((a, b))
        meetings.append({"id": f"booked:{m.id}", "a": a, "b": b, "weight": 1, "fixed_slot": f"s{m.slot_id}"})
        fixed += 1
    for (investor_id, team_id), info in sorted(pairs.items()):
        a, b = f"user:{investor_id}", f"team:{team_id}"
        key = f"pair:{investor_id}:{team_id}"
        people.update((a, b))
        meetings.append({"id": key, "a": a, "b": b, "weight": info["weight"]})
        keyed[key] = {"investor_user_id": investor_id, "team_id": team_id, **info}
    instance = {
        "slots": [
            {
                "id": f"s{s.id}",
                "start": s.starts_at.isoformat(),
                "end": s.ends_at.isoformat(),
                "day": s.starts_at.astimezone(zone).date().isoformat(),
            }
            for s in slots
        ],
        "participants": [
            {
                "id": p,
                "kind": p.split(":")[0] if p.startswith("team") else "investor",
                "available": [f"s{i}" for i in sorted(set(available[p]))],
            }
            for p in sorted(people)
        ],
        "meetings": meetings,
    }
    grid = await load_grid(session)
    if grid.tables is not None:
        instance["rooms_per_slot"] = grid.tables
    return Built(instance, keyed, fixed)


_NUMBERS = re.compile(r"objective (\d+), bound (\d+)|LP bound (\d+) \(greedy (\d+)\)|breaks:? (\d+)")
PHASES = (
    ("weight model", 20, "model"),
    ("LP bound", 40, "bound"),
    ("weight phase", 60, "weight"),
    ("breaks", 75, "breaks"),
    ("CP-SAT", 85, "breaks"),
    ("done", 100, "done"),
)


def read_progress(progress: dict[str, Any], message: str, elapsed: float, limit: float) -> dict[str, Any]:
    """Folds one worker progress line into the run's progress (phase, objective, bound, %)."""
    out = dict(progress)
    out["message"] = message[:200]
    for prefix, percent, phase in PHASES:
        if message.startswith(prefix):
            out["phase"] = phase
            out["percent"] = max(int(out.get("percent", 0)), percent)
    for match in _NUMBERS.finditer(message):
        if match.group(1):
            out["objective"], out["bound"] = int(match.group(1)), int(match.group(2))
        elif match.group(3):
            out["bound"], out["objective"] = int(match.group(3)), int(match.group(4))
        elif match.group(5) and out.get("phase") in ("breaks", "done"):
            out["breaks"] = int(match.group(5))
    out["percent"] = min(99, max(int(out.get("percent", 0)), int(100 * elapsed / max(limit, 0.1) * 0.9)))
    out["elapsed"] = round(elapsed, 1)
    return out


def _summary(built: Built, result: matchmaking.Result, draft: list[dict[str, Any]]) -> dict[str, Any]:
    per_person: Counter[str] = Counter()
    slot_of: dict[str, list[str]] = defaultdict(list)
    for meeting in built.instance["meetings"]:
        if meeting.get("fixed_slot"):
            for p in (meeting["a"], meeting["b"]):
                per_person[p] += 1
                slot_of[p].append(meeting["fixed_slot"])
    for item in draft:
        for p in (f"user:{item['investor_user_id']}", f"team:{item['team_id']}"):
            per_person[p] += 1
            slot_of[p].append(f"s{item['slot_id']}")
    order = {s["id"]: k for k, s in enumerate(built.instance["slots"])}
    slots = {s["id"]: s for s in built.instance["slots"]}
    breaks: dict[str, int] = {}
    for p, mine in slot_of.items():
        mine.sort(key=order.__getitem__)
        n = sum(
            1
            for x, y in zip(mine, mine[1:], strict=False)
            if slots[x]["day"] == slots[y]["day"] and slots[x]["end"] != slots[y]["start"]
        )
        if n:
            breaks[p] = n
    everyone = [p["id"] for p in built.instance["participants"]]
    none = [p for p in everyone if per_person[p] == 0]
    histogram = Counter(per_person[p] for p in everyone)
    return {
        "objective": result.objective,
        "bound": result.bound,
        "status": result.status,
        "gap": round(result.gap, 6),
        "breaks": result.breaks,
        "seconds": round(result.seconds, 2),
        "placed": len(draft),
        "requested": len(built.pairs),
        "fixed": built.fixed,
        "participants": len(everyone),
        "left_without": none[:200],
        "left_without_count": len(none),
        "per_person": sorted(histogram.items()),
        "breaks_per_person": sorted(breaks.items(), key=lambda kv: -kv[1])[:50],
        "engines": list(result.engines),
    }


class Runs:
    """The scheduler runs of this process (their tasks), kept in the app's cache so that the
    lifespan cancels them (and so their worker processes) at shutdown."""

    def __init__(self) -> None:
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def running(self) -> bool:
        return any(not t.done() for t in self.tasks.values())

    async def start(self, db: Database, user: User, home_tz: str, time_limit: float = DEFAULT_TIME_LIMIT) -> int:
        async with db.session() as session:
            if await session.scalar(select(SchedulerRun.id).where(SchedulerRun.status == "running")):
                raise MeetingError(N_("A scheduler run is already in progress."), 409)
            built = await build_instance(session, home_tz)
            run = SchedulerRun(
                status="running",
                started_by=user.id,
                progress={"phase": "built", "percent": 5, "message": "", "elapsed": 0},
                summary={
                    "requested": len(built.pairs),
                    "fixed": built.fixed,
                    "participants": len(built.instance["participants"]),
                },
            )
            session.add(run)
            await session.commit()
            run_id = run.id
        self.tasks[run_id] = asyncio.create_task(self._run(db, run_id, built, time_limit))
        return run_id

    async def _run(self, db: Database, run_id: int, built: Built, time_limit: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        state: dict[str, Any] = {"percent": 5, "phase": "built"}
        dirty = asyncio.Event()

        def on_progress(message: str) -> None:
            state.update(read_progress(state, message, loop.time() - started, time_limit))
            dirty.set()

        async def writer() -> None:
            while True:
                await asyncio.sleep(PROGRESS_EVERY)
                state.update(read_progress(state, state.get("message", ""), loop.time() - started, time_limit))
                async with db.session() as session:
                    run = await session.get(SchedulerRun, run_id)
                    if run is None or run.status != "running":
                        return
                    run.progress = dict(state)
                    await session.commit()

        progress_task = asyncio.create_task(writer())
        try:
            if built.instance["slots"] and built.pairs:
                result = await matchmaking.solve_in_worker(built.instance, time_limit, on_progress=on_progress)
            else:
                result = None
            draft = _draft(built, result) if result is not None else []
            summary = _summary(built, result, draft) if result is not None else {**_empty_summary(built)}
            status, error = "draft", ""
        except (matchmaking.WorkerError, matchmaking.InstanceError) as exc:
            draft, summary, status, error = [], {}, "failed", str(exc)[:2000]
        except Exception as exc:  # a bug of ours: the run says so instead of running forever
            log.exception("scheduler run %s failed", run_id)
            draft, summary, status, error = [], {}, "failed", f"{type(exc).__name__}: {exc}"[:2000]
        except asyncio.CancelledError:
            draft, summary, status, error = [], {}, "failed", "cancelled (server stopping)"
            raise
        finally:
            progress_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await progress_task
            try:
                async with db.session() as session:
                    run = await session.get(SchedulerRun, run_id)
                    if run is not None:
                        run.status, run.error, run.draft = status, error, draft
                        run.summary = summary or run.summary
                        run.progress = {**state, "percent": 100, "phase": "done" if status == "draft" else "failed"}
                        run.finished_at = utcnow()
                        await session.commit()
            except Exception:
                log.exception("scheduler run %s: the result could not be stored", run_id)

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


def _empty_summary(built: Built) -> dict[str, Any]:
    return {
        "objective": 0,
        "bound": 0,
        "status": "optimal",
        "gap": 0.0,
        "breaks": 0,
        "seconds": 0.0,
        "placed": 0,
        "requested": len(built.pairs),
        "fixed": built.fixed,
        "participants": len(built.instance["participants"]),
        "left_without": [],
        "left_without_count": 0,
        "per_person": [],
        "breaks_per_person": [],
        "engines": [],
    }


def _draft(built: Built, result: matchmaking.Result) -> list[dict[str, Any]]:
    draft = []
    for meeting_id, slot_id in result.assignments:
        info = built.pairs.get(meeting_id)
        if info is None:  # a fixed (already booked) meeting
            continue
        draft.append(
            {
                "investor_user_id": info["investor_user_id"],
                "team_id": info["team_id"],
                "slot_id": int(slot_id[1:]),
                "weight": info["weight"],
                "rule": info["rule"],
                "request_id": info["request_id"],
            }
        )
    draft.sort(key=lambda d: (d["slot_id"], d["investor_user_id"], d["team_id"]))
    return draft


async def load_run(session: AsyncSession, run_id: int) -> SchedulerRun:
    run = await session.get(SchedulerRun, run_id)
    if run is None:
        raise MeetingError(N_("This scheduler run does not exist."), 404)
    return run


async def edit_draft(session: AsyncSession, run: SchedulerRun, index: int, slot_id: int | None) -> None:
    """Drops draft item ``index`` (``slot_id`` None) or moves it to another slot that both
    sides have free (in their availability, not taken by a booked meeting or the draft)."""
    if run.status != "draft":
        raise MeetingError(N_("Only a draft can be edited."), 409)
    draft = list(run.draft)
    if not 0 <= index < len(draft):
        raise MeetingError(N_("This draft meeting does not exist."), 404)
    if slot_id is None:
        draft.pop(index)
    else:
        item = dict(draft[index])
        a, b = f"user:{item['investor_user_id']}", f"team:{item['team_id']}"
        slot = await session.get(Slot, slot_id)
        if slot is None or not slot.active or slot.starts_at <= utcnow():
            raise MeetingError(N_("This time is not one of the expo's meeting slots."))
        free = set(
            (
                await session.scalars(
                    select(Availability.participant).where(
                        Availability.slot_id == slot_id, Availability.participant.in_((a, b))
                    )
                )
            ).all()
        )
        if free != {a, b}:
            raise MeetingError(N_("Both sides must be available in the new slot."))
        taken = set((await session.scalars(select(Claim.participant).where(Claim.slot_id == slot_id))).all())
        in_draft = {
            p
            for k, d in enumerate(draft)
            if k != index and d["slot_id"] == slot_id
            for p in (f"user:{d['investor_user_id']}", f"team:{d['team_id']}")
        }
        if {a, b} & (taken | in_draft):
            raise MeetingError(N_("One side already has a meeting in that slot."), 409)
        item["slot_id"] = slot_id
        draft[index] = item
    run.draft = draft


async def publish(session: AsyncSession, notifier: Notifier, run: SchedulerRun, by: User, default_locale: str) -> int:
    """Books every draft meeting in one transaction (claims decide conflicts), with a
    notification and a mail per party member in their language; returns the count.
    On any conflict nothing is written and MeetingError names the first bad item."""
    if run.status != "draft":
        raise MeetingError(N_("Only a draft can be published."), 409)
    draft = list(run.draft)
    run_id = run.id
    now = utcnow()
    slots = {
        s.id: s for s in (await session.scalars(select(Slot).where(Slot.id.in_({d["slot_id"] for d in draft})))).all()
    }
    investors = {
        u.id: u
        for u in (await session.scalars(select(User).where(User.id.in_({d["investor_user_id"] for d in draft})))).all()
    }
    team_ids = {d["team_id"] for d in draft}
    teams = {t.id: t for t in (await session.scalars(select(ProjectTeam).where(ProjectTeam.id.in_(team_ids)))).all()}
    members: dict[int, list[User]] = defaultdict(list)
    for u in (
        await session.scalars(select(User).where(User.role == "team", User.team_id.in_(team_ids)).order_by(User.id))
    ).all():
        members[int(u.team_id or 0)].append(u)
    grid = await load_grid(session)
    tables_used: dict[int, set[str]] = defaultdict(set)
    for sid, participant in (
        await session.execute(select(Claim.slot_id, Claim.participant).where(Claim.participant.like("table:%")))
    ).all():
        tables_used[sid].add(participant)
    meetings: list[Meeting] = []
    for k, d in enumerate(draft):
        if k % 500 == 499:
            await asyncio.sleep(0)
        slot = slots.get(d["slot_id"])
        if slot is None or not slot.active or slot.starts_at <= now:
            raise MeetingError(
                N_("Draft meeting %(n)d is in a slot that is no longer open; edit or drop it."), 409, n=k + 1
            )
        investor, team = investors.get(d["investor_user_id"]), teams.get(d["team_id"])
        if investor is None or team is None:
            raise MeetingError(N_("Draft meeting %(n)d names an investor or team that no longer exists."), 409, n=k + 1)
        meetings.append(
            Meeting(
                uid=f"meeting-{uuid.uuid4().hex}@expo",
                investor_user_id=investor.id,
                team_id=team.id,
                district_id=team.district_id,
                slot_id=slot.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                source="scheduler",
                request_id=d.get("request_id"),
                booked_by=by.id,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(meetings)
    try:
        await session.flush()
        claims, events, notes, mails = [], [], [], []
        for k, m in enumerate(meetings):
            if k % 200 == 199:
                await asyncio.sleep(0)  # one transaction, but other requests are served meanwhile
            claims += [
                {"slot_id": m.slot_id, "participant": f"user:{m.investor_user_id}", "meeting_id": m.id},
                {"slot_id": m.slot_id, "participant": f"team:{m.team_id}", "meeting_id": m.id},
            ]
            if grid.tables is not None:
                used = tables_used[m.slot_id]
                table = next((f"table:{n}" for n in range(1, grid.tables + 1) if f"table:{n}" not in used), None)
                if table is None:
                    raise MeetingError(N_("Draft meeting %(n)d: every table is taken in its slot."), 409, n=k + 1)
                used.add(table)
                claims.append({"slot_id": m.slot_id, "participant": table, "meeting_id": m.id})
            investor, team = investors[m.investor_user_id], teams[m.team_id]
            events.append(
                {
                    "kind": "meeting.booked",
                    "at": now,
                    "user_id": investor.id,
                    "district_id": team.district_id,
                    "team_id": team.id,
                    "subject_id": m.id,
                    "country": investor.country or "",
                    "sector": team.sector or "",
                    "data": {"source": "scheduler", "run": run_id},
                }
            )
            for user in [investor, *members[team.id]]:
                notes.append(
                    {"user_id": user.id, "kind": "booked", "meeting_id": m.id, "request_id": None, "created_at": now}
                )
                mails.append(_mail(notifier, user, investor, team, m, default_locale))
                notifier.pinged.add(user.id)
        await session.execute(insert(Claim), claims)
        await session.execute(insert(Event), events)
        await session.execute(insert(Notification), notes)
        await session.execute(insert(outbox.Mail), mails)
        request_ids = [m.request_id for m in meetings if m.request_id]
        if request_ids:
            for r in (await session.scalars(select(Request).where(Request.id.in_(request_ids)))).all():
                r.status, r.open_key, r.answered_at = "booked", None, r.answered_at or now
        run.status, run.published_at = "published", now
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise MeetingError(
            N_("Someone booked one of these slots meanwhile; nothing was published. Run the scheduler again."), 409
        ) from None
    except MeetingError:
        await session.rollback()
        raise
    return len(meetings)


def _mail(
    notifier: Notifier, user: User, investor: User, team: ProjectTeam, m: Meeting, default_locale: str
) -> dict[str, Any]:
    t = notifier.translations(user.locale)
    text = describe(
        "booked",
        counterpart(user, investor, team, default_locale),
        when_text(Formatter(user.locale, user.timezone), m.starts_at),
        t.gettext,
    )
    link = f"{notifier.public_url.rstrip('/')}/meetings"
    return {
        "to": user.email,
        "subject": text[:200],
        "body": f"{text}\n\n{t.gettext(MAIL_FOOTER) % {'link': link}}\n",
        "created_at": utcnow(),
        "error": "",
        "attempts": 0,
    }
