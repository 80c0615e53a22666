"""Booth leads also land in the expo-wide activity log, with the booth's district and team
and the investor's country, so that core figures never need to read booths' tables."""

from collections.abc import Callable

from sqlalchemy import select
from starlette.testclient import TestClient

from booths.models import Booth
from expo import activity
from expo.db import Database
from expo.settings import Settings
from tests.booths.test_pages import NOVA, csrf
from tests.helpers import run


def _events(settings: Settings, booth_id: int) -> tuple[Booth, list[tuple[str, int | None, int | None, str, dict]]]:
    async def read() -> tuple[Booth, list[tuple[str, int | None, int | None, str, dict]]]:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                booth = await session.get(Booth, booth_id)
                rows = (
                    await session.scalars(
                        select(activity.Event)
                        .where(activity.Event.subject_id == booth_id, activity.Event.kind.like("booth.%"))
                        .order_by(activity.Event.id)
                    )
                ).all()
                return booth, [(e.kind, e.district_id, e.team_id, e.country, e.data) for e in rows]
        finally:
            await db.close()

    return run(read())


def test_visit_and_bookmark_are_recorded_with_the_booths_district(
    as_role: Callable[[str], TestClient], booths: dict[str, int], demo_settings: Settings
) -> None:
    nova = booths[NOVA]
    _, before = _events(demo_settings, nova)
    investor = as_role("investor")
    assert investor.get(f"/booths/{nova}").status_code == 200
    token = csrf(investor)
    investor.post(f"/booths/{nova}/bookmark", data={"csrf_token": token}, follow_redirects=False)
    booth, after = _events(demo_settings, nova)
    new = after[len(before) :]
    assert new == [
        ("booth.visit", booth.district_id, booth.team_id, "JP", {}),
        ("booth.bookmark", booth.district_id, booth.team_id, "JP", {"on": True}),
    ]
