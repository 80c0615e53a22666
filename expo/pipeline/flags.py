"""Flags on open deals: no next action, next action overdue, too long in its stage (the
threshold per stage is a setting). The same rules as Python (for one deal) and as SQL (for
lists, the digest and the figures)."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, false, or_

from expo.pipeline.config import Config
from expo.pipeline.models import Deal
from expo.pipeline.stages import OPEN_STATUSES
from i18n import N_

FLAGS = {
    "no_next_action": N_("No next action"),
    "overdue": N_("Next action overdue"),
    "stale": N_("Too long in this stage"),
}


def flags_of(deal: Deal, today: date, config: Config) -> list[str]:
    if deal.status not in OPEN_STATUSES:
        return []
    out = []
    if not deal.next_action or deal.next_action_due is None:
        out.append("no_next_action")
    elif deal.next_action_due < today:
        out.append("overdue")
    limit = config.stale_days.get(deal.stage)
    if limit is not None and (today - deal.stage_entered_at.astimezone(UTC).date()).days > limit:
        out.append("stale")
    return out


def days_in_stage(deal: Deal, now: datetime) -> int:
    return max((now - deal.stage_entered_at).days, 0)


def flag_condition(flag: str, today: date, config: Config) -> ColumnElement[bool]:
    """The SQL condition of one flag (open deals only)."""
    is_open = Deal.status.in_(sorted(OPEN_STATUSES))
    if flag == "no_next_action":
        return and_(is_open, or_(Deal.next_action == "", Deal.next_action_due.is_(None)))
    if flag == "overdue":
        return and_(is_open, Deal.next_action != "", Deal.next_action_due < today)
    if flag == "stale":
        start = datetime.combine(today, time(), UTC)
        return and_(
            is_open,
            or_(
                *(
                    and_(Deal.stage == stage, Deal.stage_entered_at < start - timedelta(days=days))
                    for stage, days in config.stale_days.items()
                )
            ),
        )
    return false()


def any_flag(today: date, config: Config) -> ColumnElement[bool]:
    return or_(*(flag_condition(flag, today, config) for flag in FLAGS))
