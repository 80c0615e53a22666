"""The organizer's scheduler on the demo's live data, from the organizer pages: run (in a
worker process, progress polled), review, edit, publish in one transaction; a conflicting
booking made meanwhile makes the publish write nothing; a re-run fills only what is unbooked."""

import re
import time

from sqlalchemy import func, select
from starlette.testclient import TestClient

from expo.accounts.models import User
from expo.db import Database
from expo.meetings import booking
from expo.meetings.models import Meeting, Notification, SchedulerRun
from expo.meetings.notify import Notifier
from expo.meetings.scheduler import pair_weight
from i18n import Catalogs
from tests.helpers import login, run, session_csrf


def start_and_wait(client: TestClient) -> str:
    started = client.post("/organizer/meetings/runs", data={"csrf_token": session_csrf(client)}, follow_redirects=False)
    assert started.status_code == 303
    page = started.headers["location"]
    deadline = time.monotonic() + 120
    seen: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        progress = client.get(f"{page}/progress").json()
        seen.append(progress)
        if progress["status"] != "running":
            break
        time.sleep(0.3)
    assert progress["status"] == "draft", progress
    assert progress["progress"]["percent"] == 100 and progress["progress"]["bound"] >= progress["progress"]["objective"]
    return page


def count(url: str, model: type, *where: object) -> int:
    async def go() -> int:
        db = Database(url)
        try:
            async with db.session() as session:
                return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
        finally:
            await db.close()

    return run(go())


def test_pair_weights_follow_the_marks() -> None:
    assert pair_weight("must", "must") == (80, "mutual_must")
    assert pair_weight("must", "would") == (40, "must")
    assert pair_weight(None, "must") == (30, "must")
    assert pair_weight("would", "would") == (20, "mutual_would")
    assert pair_weight("would", None) == (10, "would")
    assert pair_weight("must", "no") is None
    assert pair_weight(None, None) is None


def test_scheduler_end_to_end_from_the_organizer_pages(demo_app: TestClient, demo_settings: object) -> None:
    url = demo_settings.database_url  # type: ignore[attr-defined]
    login(demo_app, "organizer@expo.example")
    before = count(url, Meeting, Meeting.status == "booked")
    notes = count(url, Notification, Notification.kind == "booked")
    page = start_and_wait(demo_app)
    draft = demo_app.get(page)
    placed = int(re.search(r"<dd data-placed>(\d+) / (\d+)</dd>", draft.text).group(1))
    assert placed >= 4  # Layla's accepted request and the demo's marked pairs
    rows = re.findall(r'<tr data-draft="(\d+)">', draft.text)
    assert len(rows) == placed
    dropped = demo_app.post(f"{page}/edit", data={"csrf_token": session_csrf(demo_app), "index": "0", "drop": "1"})
    assert dropped.status_code == 200
    published = demo_app.post(f"{page}/publish", data={"csrf_token": session_csrf(demo_app)}, follow_redirects=False)
    assert published.status_code == 303 and published.headers["location"].endswith(f"?published={placed - 1}")
    assert count(url, Meeting, Meeting.status == "booked") == before + placed - 1
    # every investor, and every member account of a team (only Nova has one in the demo)
    assert count(url, Notification, Notification.kind == "booked") >= notes + placed - 1
    assert demo_app.post(f"{page}/publish", data={"csrf_token": session_csrf(demo_app)}).status_code == 409

    again = demo_app.get(start_and_wait(demo_app))  # only the dropped pair is still unbooked
    assert re.search(r"<dd data-placed>1 / 1</dd>", again.text)


def test_a_publish_that_meets_a_conflict_writes_nothing(demo_app: TestClient, demo_settings: object) -> None:
    url = demo_settings.database_url  # type: ignore[attr-defined]
    login(demo_app, "organizer@expo.example")
    page = start_and_wait(demo_app)
    before = count(url, Meeting)

    async def conflict() -> None:  # a participant books the last draft item's slot meanwhile
        db = Database(url)
        try:
            async with db.session() as session:
                run_row = await session.scalar(select(SchedulerRun).order_by(SchedulerRun.id.desc()))
                item = run_row.draft[-1]
                investor = await session.get(User, item["investor_user_id"])
                other_team = 7 if item["team_id"] != 7 else 8
                await booking.set_availability(session, f"team:{other_team}", [item["slot_id"]])
                await session.commit()
                await booking.book(
                    session,
                    Notifier(Catalogs().get),
                    investor_user_id=investor.id,
                    team_id=other_team,
                    slot_id=item["slot_id"],
                    by=investor,
                )
        finally:
            await db.close()

    run(conflict())
    refused = demo_app.post(f"{page}/publish", data={"csrf_token": session_csrf(demo_app)})
    assert refused.status_code == 409
    assert count(url, Meeting) == before + 1  # only the conflicting booking; nothing of the draft
