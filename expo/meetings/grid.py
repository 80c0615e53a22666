"""The organizer's meeting grid (days, hours and slot length in the expo's home zone, the
number of tables) and the concrete UTC slots made from it; the grid as one viewer sees it,
in their own zone (days that cross midnight and DST changes included)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from expo.db import utcnow
from expo.fair.models import Expo
from i18n import N_

from .errors import MeetingError
from .models import Grid, Slot
from .vocab import DEFAULT_WEIGHTS, MAX_WEIGHT

MAX_DAYS = 14
SLOT_CHOICES = (15, 20, 30, 45, 60)


@dataclass(frozen=True)
class GridPlan:
    days: tuple[date, ...]
    day_start: time
    day_end: time
    slot_minutes: int
    tables: int | None


def slot_times(plan: GridPlan, home_tz: str) -> list[tuple[datetime, datetime]]:
    """The UTC (start, end) of every slot: each day's hours are wall-clock times in the home
    zone, converted with that day's offset (so a DST change moves the UTC times, not the
    local ones). A slot that would not fit before the day's end is left out."""
    zone = ZoneInfo(home_tz)
    out: list[tuple[datetime, datetime]] = []
    step = timedelta(minutes=plan.slot_minutes)
    for day in plan.days:
        start = datetime.combine(day, plan.day_start, zone)
        end = datetime.combine(day, plan.day_end, zone)
        cursor = start
        while cursor + step <= end:
            out.append((cursor.astimezone(UTC), (cursor + step).astimezone(UTC)))
            cursor = cursor + step
    return out


def parse_plan(
    days: list[str], day_start: str, day_end: str, slot_minutes: str | int, tables: str | int | None
) -> GridPlan:
    """Validates the grid form; raises MeetingError with every problem's first message."""
    try:
        parsed_days = tuple(sorted({date.fromisoformat(d.strip()) for d in days if d.strip()}))
    except ValueError:
        raise MeetingError(N_("Meeting days must be dates like 2026-12-08.")) from None
    if not parsed_days or len(parsed_days) > MAX_DAYS:
        raise MeetingError(N_("Give between one and fourteen meeting days."))
    try:
        start, end = time.fromisoformat(day_start), time.fromisoformat(day_end)
    except ValueError:
        raise MeetingError(N_("Hours must be times like 09:00.")) from None
    if end <= start:
        raise MeetingError(N_("The day must end after it starts."))
    try:
        minutes = int(slot_minutes)
    except (TypeError, ValueError):
        minutes = 0
    if minutes not in SLOT_CHOICES:
        raise MeetingError(N_("Choose one of the offered slot lengths."))
    cap: int | None = None
    if tables not in (None, ""):
        try:
            cap = int(tables)  # type: ignore[arg-type]
        except ValueError:
            cap = 0
        if not 1 <= cap <= 10000:
            raise MeetingError(N_("Tables must be a number from 1 to 10000, or empty for no cap."))
    return GridPlan(parsed_days, start, end, minutes, cap)


async def load_grid(session: AsyncSession) -> Grid:
    """The grid row; made on first use from the expo's dates (09:00–17:00, 30 minutes)."""
    grid = await session.get(Grid, 1)
    if grid is None:
        expo = await session.scalar(select(Expo).limit(1))
        days: list[str] = []
        if expo is not None:
            day = expo.starts_at.date()
            while day <= expo.ends_at.date() and len(days) < MAX_DAYS:
                days.append(day.isoformat())
                day += timedelta(days=1)
        grid = Grid(id=1, days=days, weights=dict(DEFAULT_WEIGHTS))
        session.add(grid)
        await session.flush()
    return grid


def plan_of(grid: Grid) -> GridPlan:
    return GridPlan(
        tuple(date.fromisoformat(d) for d in grid.days),
        time.fromisoformat(grid.day_start),
        time.fromisoformat(grid.day_end),
        grid.slot_minutes,
        grid.tables,
    )


def weights_of(grid: Grid) -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **(grid.weights or {})}


def parse_weights(form: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in DEFAULT_WEIGHTS:
        raw = form.get(f"w_{key}", "").strip()
        try:
            value = float(raw)
        except ValueError:
            raise MeetingError(N_("Weights must be numbers from 0 to 1000.")) from None
        if not 0 <= value <= MAX_WEIGHT or value != value:
            raise MeetingError(N_("Weights must be numbers from 0 to 1000."))
        out[key] = value
    return out


async def save_grid(session: AsyncSession, plan: GridPlan, home_tz: str) -> Grid:
    grid = await load_grid(session)
    grid.days = [d.isoformat() for d in plan.days]
    grid.day_start = plan.day_start.strftime("%H:%M")
    grid.day_end = plan.day_end.strftime("%H:%M")
    grid.slot_minutes = plan.slot_minutes
    grid.tables = plan.tables
    grid.updated_at = utcnow()
    await sync_slots(session, plan, home_tz)
    return grid


async def sync_slots(session: AsyncSession, plan: GridPlan, home_tz: str) -> None:
    """Makes the slot table match the plan: new slots added, slots no longer in the plan
    kept but inactive (their meetings stay; they are flagged on the organizer's page)."""
    wanted = dict(slot_times(plan, home_tz))
    existing = {s.starts_at: s for s in (await session.scalars(select(Slot))).all()}
    for start, end in wanted.items():
        slot = existing.get(start)
        if slot is None:
            session.add(Slot(starts_at=start, ends_at=end, active=True))
        else:
            slot.ends_at = end
            slot.active = True
    gone = [s.id for start, s in existing.items() if start not in wanted]
    if gone:
        await session.execute(update(Slot).where(Slot.id.in_(gone)).values(active=False))
    await session.flush()


async def ensure_slots(session: AsyncSession, home_tz: str) -> list[Slot]:
    """The active slots in time order (made from the grid if there are none yet)."""
    slots = list((await session.scalars(select(Slot).where(Slot.active).order_by(Slot.starts_at))).all())
    if not slots:
        grid = await load_grid(session)
        if grid.days:
            await sync_slots(session, plan_of(grid), home_tz)
            slots = list((await session.scalars(select(Slot).where(Slot.active).order_by(Slot.starts_at))).all())
    return slots


@dataclass(frozen=True)
class LocalDay:
    """One day of the grid in a viewer's zone: its date and its slots (start, end local)."""

    day: date
    slots: tuple[tuple[Slot, datetime, datetime], ...]


def local_days(slots: list[Slot], timezone: str) -> list[LocalDay]:
    """Slots grouped by the viewer's local date of their start: a home-zone day can fall on
    two local days (crossing midnight), and local times follow the viewer's DST rules."""
    zone = ZoneInfo(timezone)
    days: dict[date, list[tuple[Slot, datetime, datetime]]] = {}
    for slot in slots:
        start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
        days.setdefault(start.date(), []).append((slot, start, end))
    return [LocalDay(d, tuple(items)) for d, items in sorted(days.items())]
