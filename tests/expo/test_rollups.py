"""Activity rollups: kept by record() in the caller's transaction, equal to a rebuild from the
log, and what the figures read (a host's figures hold their district only)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from starlette.testclient import TestClient

from expo import activity, spreadsheets
from expo.accounts import User
from expo.activity import Rollup, rollups
from expo.db import Database
from expo.fair.models import District
from tests.helpers import login_as, run, seed_demo

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _cells(session_rows: list[Rollup]) -> dict[tuple[object, ...], int]:
    return {(r.grain, r.bucket, r.kind, r.district_id, r.dim, r.value): r.count for r in session_rows}


def test_rollups_kept_by_record_equal_a_rebuild(database_url: str) -> None:
    async def scenario() -> tuple[dict, dict, int]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                for minutes, kind, sector, country in [
                    (0, "booth.visit", "biomedicine", "JP"),
                    (5, "booth.visit", "biomedicine", "JP"),
                    (65, "booth.visit", "logistics", "DE"),
                    (60 * 30, "booth.download", "biomedicine", ""),
                    (60 * 24 * 40, "pitch.watched", "", "JP"),
                ]:
                    await activity.record(
                        session, kind, country=country, sector=sector, at=NOW - timedelta(minutes=minutes)
                    )
                await session.rollback()  # a rolled-back event leaves no count behind
                for minutes, kind, sector, country in [
                    (0, "booth.visit", "biomedicine", "JP"),
                    (5, "booth.visit", "biomedicine", "JP"),
                    (65, "booth.visit", "logistics", "DE"),
                    (60 * 30, "booth.download", "biomedicine", ""),
                    (60 * 24 * 40, "pitch.watched", "", "JP"),
                ]:
                    await activity.record(
                        session, kind, country=country, sector=sector, at=NOW - timedelta(minutes=minutes)
                    )
                await session.commit()
            async with db.session() as session:
                kept = _cells((await session.scalars(select(Rollup))).all())
                cells = await rollups.rebuild(session)
                await session.commit()
            async with db.session() as session:
                rebuilt = _cells((await session.scalars(select(Rollup))).all())
            return kept, rebuilt, cells
        finally:
            await db.close()

    kept, rebuilt, cells = run(scenario())
    assert kept == rebuilt and cells == len(kept)
    hour = NOW.replace(minute=0)
    assert kept[("hour", hour, "booth.visit", 0, "", "")] == 2
    assert kept[("day", NOW.replace(hour=0, minute=0), "booth.visit", 0, "country", "JP")] == 2
    assert kept[("month", NOW.replace(day=1, hour=0, minute=0), "booth.visit", 0, "sector", "logistics")] == 1
    assert sum(n for (grain, *_rest), n in kept.items() if grain == "hour") == 5


def test_a_host_sees_only_their_districts_figures(client: TestClient, settings: object) -> None:
    url = settings.database_url  # type: ignore[attr-defined]
    seed_demo(url)
    now = datetime.now(UTC)

    async def arrange() -> tuple[int, int, int, int]:
        db = Database(url)
        try:
            async with db.session() as session:
                host = await session.scalar(select(User).where(User.email == "host@expo.example"))
                other = await session.scalar(select(District).where(District.id != host.district_id).limit(1))
                for _ in range(3):
                    await activity.record(session, "booth.download", district_id=host.district_id, at=now)
                for _ in range(1000):
                    await activity.record(session, "booth.download", district_id=other.id, at=now)
                await session.commit()
                lead_kinds = ["booth.download", "booth.chat", "booth.bookmark", "booth.meeting_request"]
                since = rollups.hour_of(now) + timedelta(hours=1) - timedelta(hours=24)  # the 24-hour view
                mine = await activity.counts(session, kinds=lead_kinds, by="district_id", since=since)
                return host.district_id, other.id, mine.get(host.district_id, 0), sum(mine.values())
        finally:
            await db.close()

    own, other, mine, everything = run(arrange())
    assert everything - mine >= 1000

    def leads(csv: bytes) -> int:  # the over-time CSV: Time, Booth visits, Leads, …
        sheet = spreadsheets.read(csv, "f.csv")
        column = sheet.header.index("leads")
        return sum(int(cells[column]) for _, cells in sheet.rows)

    login_as(client, "host")
    client.get("/?lang=en")
    # Asking for another district changes nothing: a host's figures are their district's.
    assert leads(client.get("/figures/over_time.csv?period=1").content) == mine
    assert leads(client.get(f"/figures/over_time.csv?period=1&district={other}").content) == mine
    page = client.get("/figures?period=1&metric=downloads").text
    assert "by district or zone" not in page  # no comparison across districts for a host
    login_as(client, "organizer")
    client.get("/?lang=en")
    assert leads(client.get("/figures/over_time.csv?period=1").content) >= mine + 1000
    assert leads(client.get(f"/figures/over_time.csv?period=1&district={own}").content) == mine
