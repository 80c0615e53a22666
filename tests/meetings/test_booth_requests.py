"""The booth's "request a meeting" is the matchmaking flow, and the requests stored before
matchmaking existed are carried over by the migration."""

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from booths.models import Booth
from expo.db import Database
from expo.meetings.models import Request
from expo.migrate import alembic_config, upgrade
from tests.helpers import login, run, session_csrf


def booth_of(url: str, team_id: int | None) -> int:
    async def go() -> int:
        db = Database(url)
        try:
            async with db.session() as session:
                where = Booth.team_id == team_id if team_id else Booth.kind == "district"
                return int(await session.scalar(select(Booth.id).where(where).limit(1)))
        finally:
            await db.close()

    return run(go())


def test_booth_request_becomes_a_matchmaking_request(demo_app: TestClient, demo_settings: object) -> None:
    url = demo_settings.database_url  # type: ignore[attr-defined]
    login(demo_app, "sophie.martin@investor.example")
    booth = booth_of(url, 6)
    sent = demo_app.post(
        f"/booths/{booth}/meeting", data={"csrf_token": session_csrf(demo_app), "message": ""}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/meetings/requests/")
    twice = demo_app.post(
        f"/booths/{booth}/meeting", data={"csrf_token": session_csrf(demo_app), "message": ""}, follow_redirects=False
    )
    assert twice.status_code == 409  # the empty form sent twice stores one request
    page = demo_app.get(sent.headers["location"])
    assert 'data-status="pending"' in page.text
    district = booth_of(url, None)
    general = demo_app.post(
        f"/booths/{district}/meeting",
        data={"csrf_token": session_csrf(demo_app), "message": "hi"},
        follow_redirects=False,
    )
    assert general.status_code == 422  # meetings are with teams: pick one of the booth's projects


def test_migration_carries_booth_requests_over(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    config = alembic_config(url)
    command.upgrade(config, "0100")
    command.upgrade(config, "0002")
    created = datetime(2026, 11, 30, 8, tzinfo=UTC).isoformat()

    async def old_rows() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO districts (id, slug, kind, name, summary) VALUES (1, 'd', 'district', '{}', '{}')",
                "INSERT INTO project_teams (id, slug, district_id, sector, name, summary, funding_amount, "
                "funding_currency) VALUES (1, 't', 1, 'biomedicine', '{}', '{}', 0, 'CNY')",
                "INSERT INTO users (id, email, password_hash, name, role, organization, country, timezone, locale, "
                "sectors, shares_profile, session_epoch, created_at) VALUES (1, 'i@x', 'x', 'I', 'investor', '', '', "
                f"'UTC', 'en', '[]', 0, 0, '{created}')",
                "INSERT INTO booths (id, slug, kind, district_id, team_id, status, name, tagline, description, "
                f"contact_email, created_at, updated_at) VALUES (1, 'b', 'team', 1, 1, 'published', '{{}}', '{{}}', "
                f"'{{}}', '', '{created}', '{created}')",
                "INSERT INTO booths (id, slug, kind, district_id, team_id, status, name, tagline, description, "
                f"contact_email, created_at, updated_at) VALUES (2, 'dist', 'district', 1, NULL, 'published', '{{}}', "
                f"'{{}}', '{{}}', '', '{created}', '{created}')",
            ):
                await conn.execute(text(statement))
            for rid, booth, team, status in (
                (1, 1, 1, "requested"),
                (2, 1, 1, "requested"),
                (3, 1, 1, "declined"),
                (4, 2, None, "requested"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO booth_meeting_requests (id, booth_id, investor_id, team_id, district_id, message, "
                        "status, created_at) VALUES (:id, :booth, 1, :team, 1, '', :status, :created)"
                    ),
                    {"id": rid, "booth": booth, "team": team, "status": status, "created": created},
                )
        await engine.dispose()

    run(old_rows())
    upgrade(url)

    async def copied() -> list[tuple[int | None, str, str | None]]:
        db = Database(url)
        try:
            async with db.session() as session:
                rows = (await session.scalars(select(Request).order_by(Request.id))).all()
                return [(r.booth_request_id, r.status, r.open_key) for r in rows]
        finally:
            await db.close()

    # the duplicate open one is kept as withdrawn; the district-booth one names no team
    assert run(copied()) == [(1, "pending", "1:1"), (2, "withdrawn", None), (3, "declined", None)]
