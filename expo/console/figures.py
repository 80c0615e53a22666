"""The live figures of the expo, for organizers (all districts) and for a district's host
(their district only), read from the activity log's rollups (``expo.activity.rollups``).

What each figure counts (kinds of ``expo.activity.kinds``):

- booth visits: ``booth.visit`` (booths record one per investor and booth per 10 minutes);
- downloads, chats: ``booth.download``, ``booth.chat``;
- leads: an investor acting on a booth beyond a visit (download, chat, bookmark, booth
  meeting request) — each such event counts once;
- meeting requests: ``meeting.requested`` and booth meeting requests; meetings: ``meeting.booked``;
- pitch views: ``pitch.watched`` (a viewer started watching, live or replay);
- visitors now: distinct people with any event in the last 5 minutes; pitch viewers now:
  distinct people who started watching in the last 15 minutes (the log records starts, not
  ends); pitch viewers peak: the busiest hour of pitch views in the period.

Periods are whole UTC days ending today (the rollups' day buckets); the 24-hour view uses
the hourly buckets, the year view the last 12 calendar months (month buckets). No HTTP here.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.activity import Event, rollups


def _(text: str) -> str:
    return text


METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "visits": (_("Booth visits"), ("booth.visit",)),
    "downloads": (_("Downloads"), ("booth.download",)),
    "chats": (_("Chats"), ("booth.chat",)),
    "leads": (_("Leads"), ("booth.download", "booth.chat", "booth.bookmark", "booth.meeting_request")),
    "meeting_requests": (_("Meeting requests"), ("meeting.requested", "booth.meeting_request")),
    "meetings": (_("Meetings"), ("meeting.booked",)),
    "pitch_views": (_("Pitch views"), ("pitch.watched",)),
}
OVER_TIME = ("visits", "leads", "meeting_requests", "meetings", "pitch_views")
PERIODS = {"1": 1, "7": 7, "30": 30, "365": 365}  # 365: the last 12 calendar months
BREAKDOWNS = ("district", "sector", "country")
NOW_WINDOW = timedelta(minutes=5)
VIEWING_WINDOW = timedelta(minutes=15)
ALL_KINDS = tuple(sorted({k for _, kinds in METRICS.values() for k in kinds}))


@dataclass
class Figures:
    since: datetime
    until: datetime
    grain: str  # of the buckets: hour | day | month
    buckets: list[datetime]
    totals: dict[str, int]
    over_time: dict[str, list[int]]
    breakdown: dict[str, list[tuple[object, int]]]
    visitors_now: int
    viewers_now: int
    viewers_peak: int
    viewers_peak_at: datetime | None
    metric: str
    district_id: int | None
    extra: dict[str, object] = field(default_factory=dict)


def window(days: int, now: datetime) -> tuple[datetime, datetime, str]:
    """[since, until) of a period of ``days`` ending now, and the grain of its buckets."""
    if days == 1:
        until = rollups.hour_of(now) + timedelta(hours=1)
        return until - timedelta(hours=24), until, "hour"
    if days >= 365:
        first = rollups.month_of(now)
        for _ in range(11):
            first = rollups.month_of(first - timedelta(days=1))
        return first, rollups.day_of(now) + timedelta(days=1), "month"
    until = rollups.day_of(now) + timedelta(days=1)
    return until - timedelta(days=days), until, "day"


def _buckets(since: datetime, until: datetime, grain: str) -> list[datetime]:
    buckets, at = [], since
    while at < until:
        buckets.append(at)
        at = at + timedelta(hours=1) if grain == "hour" else at + timedelta(days=1)
        if grain == "month":
            at = rollups.month_of(at + timedelta(days=31))
    return buckets


def _sum(counts: dict[tuple[str, object], int], kinds: Sequence[str], key: object) -> int:
    return sum(counts.get((kind, key), 0) for kind in kinds)


async def compute(
    session: AsyncSession, *, now: datetime, days: int, metric: str = "visits", district_id: int | None = None
) -> Figures:
    since, until, grain = window(days, now)
    buckets = _buckets(since, until, grain)
    cells = await rollups.series(
        session, kinds=ALL_KINDS, grain=grain, since=since, until=until, district_id=district_id
    )
    over_time = {name: [sum(cells.get((k, b), 0) for k in METRICS[name][1]) for b in buckets] for name in METRICS}
    totals = {name: sum(values) for name, values in over_time.items()}
    kinds = METRICS[metric][1]
    breakdown: dict[str, list[tuple[object, int]]] = {}
    for by in BREAKDOWNS:
        if by == "district" and district_id is not None:
            continue
        counts = await rollups.breakdown(session, kinds=kinds, by=by, since=since, until=until, district_id=district_id)
        keys = {key for _, key in counts}
        ranked = sorted(((key, _sum(counts, kinds, key)) for key in keys), key=lambda kv: (-kv[1], str(kv[0])))
        breakdown[by] = [(k, n) for k, n in ranked if n]
    visitors = await rollups.distinct_users(
        session, kinds=ALL_KINDS, window=NOW_WINDOW, now=now, district_id=district_id
    )
    viewers = await rollups.distinct_users(
        session, kinds=("pitch.watched",), window=VIEWING_WINDOW, now=now, district_id=district_id
    )
    peak_at, peak = await rollups.peak_hour(session, kind="pitch.watched", since=since, district_id=district_id)
    return Figures(
        since=since,
        until=until,
        grain=grain,
        buckets=buckets,
        totals=totals,
        over_time=over_time,
        breakdown=breakdown,
        visitors_now=visitors,
        viewers_now=viewers,
        viewers_peak=peak,
        viewers_peak_at=peak_at,
        metric=metric,
        district_id=district_id,
    )


async def last_event_id(session: AsyncSession) -> int:
    """The newest event's id: the live page refreshes when it grows."""
    return int(await session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)
