"""A pitch session as a scheduled event (rules only; ``streaming`` applies them).

- It may go live from ``LEAD`` before its slot; earlier only after an explicit, confirmed
  "start early" (``early_start_at``).
- "End" is confirmed, and can be undone for ``UNDO`` after it.
- Listed while its publisher is gone, a live session shows as "paused".
- An ended session can be rescheduled by an organizer (``programme.place`` with
  ``reschedule``), which makes it "scheduled" again.
"""

from datetime import datetime, timedelta

from expo.agenda.models import PitchSession

LEAD = timedelta(minutes=15)
UNDO = timedelta(minutes=5)


def window_opens(pitch: PitchSession) -> datetime | None:
    return pitch.starts_at - LEAD if pitch.starts_at is not None else None


def may_go_live(pitch: PitchSession, now: datetime) -> bool:
    if pitch.status != "accepted" or pitch.starts_at is None or pitch.state == "ended":
        return False
    return pitch.early_start_at is not None or now >= pitch.starts_at - LEAD


def too_early(pitch: PitchSession, now: datetime) -> bool:
    """True while only "start early" would let it go live."""
    opens = window_opens(pitch)
    return pitch.early_start_at is None and opens is not None and now < opens and pitch.state == "scheduled"


def start_early(pitch: PitchSession, now: datetime) -> bool:
    if pitch.status != "accepted" or pitch.state == "ended" or pitch.starts_at is None:
        return False
    pitch.early_start_at = now
    return True


def end(pitch: PitchSession, now: datetime) -> None:
    pitch.state = "ended"
    pitch.ended_at = now


def can_undo_end(pitch: PitchSession, now: datetime) -> bool:
    return pitch.state == "ended" and pitch.ended_at is not None and now - pitch.ended_at <= UNDO


def undo_end(pitch: PitchSession, now: datetime) -> bool:
    if not can_undo_end(pitch, now):
        return False
    pitch.state = "scheduled"
    pitch.ended_at = None
    return True


def shown_state(pitch: PitchSession, publishing: bool) -> str:
    """What lists show: "paused" for a live session whose publisher has gone away."""
    if pitch.state == "live" and not publishing:
        return "paused"
    return pitch.state
