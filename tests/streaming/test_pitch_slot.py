"""A pitch behaves like a scheduled event: WHIP refuses before the live window unless the
host confirmed "start early"; "end" needs a confirmation and can be undone for a few
minutes, then no longer; lists show a live pitch whose publisher left as paused."""

import re
from datetime import timedelta

import pytest

from expo.agenda.models import PitchSession
from expo.db import Database, utcnow
from expo.demo import DEMO_PASSWORD, seed
from tests.streaming.conftest import Served, add_pitch, token_for

pytestmark = pytest.mark.anyio
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(served: Served) -> str:
    await seed(served.settings.database_url)
    page = await served.http.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    done = await served.http.post(
        "/login", data={"email": "organizer@expo.example", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert done.status_code in (200, 303)
    page = await served.http.get("/forgot")
    return CSRF.search(page.text).group(1)  # type: ignore[union-attr]


async def pitch_row(url: str, pitch_id: int) -> PitchSession:
    db = Database(url)
    try:
        async with db.session() as session:
            pitch = await session.get(PitchSession, pitch_id)
            assert pitch is not None
            return pitch
    finally:
        await db.close()


async def set_ended_at(url: str, pitch_id: int, minutes_ago: int) -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            pitch = await session.get(PitchSession, pitch_id)
            assert pitch is not None
            pitch.ended_at = utcnow() - timedelta(minutes=minutes_ago)
            await session.commit()
    finally:
        await db.close()


async def test_whip_waits_for_the_live_window_unless_started_early(served: Served) -> None:
    url = served.settings.database_url
    csrf = await sign_in(served)
    pitch_id = await add_pitch(url, minutes_from_now=120)
    token = await token_for(url, served.settings.secret_key, pitch_id)
    headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"}
    early = await served.http.post(f"/pitches/{pitch_id}/whip", content="", headers=headers)
    assert early.status_code == 409
    assert "slot has not started" in early.text
    studio = await served.http.get(f"/pitches/{pitch_id}/studio?lang=en")
    assert "Start early" in studio.text

    unconfirmed = await served.http.post(f"/pitches/{pitch_id}/start-early", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 303 and "confirm_early" in unconfirmed.headers["location"]
    assert (await pitch_row(url, pitch_id)).early_start_at is None
    confirmed = await served.http.post(f"/pitches/{pitch_id}/start-early", data={"csrf_token": csrf, "confirm": "yes"})
    assert confirmed.status_code == 303
    now_allowed = await served.http.post(f"/pitches/{pitch_id}/whip", content="", headers=headers)
    assert (now_allowed.status_code, now_allowed.text) == (400, "the request body is empty; send an SDP offer\n")


async def test_end_is_confirmed_and_can_be_undone_for_a_few_minutes(served: Served) -> None:
    url = served.settings.database_url
    csrf = await sign_in(served)
    pitch_id = await add_pitch(url)
    unconfirmed = await served.http.post(f"/pitches/{pitch_id}/end", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 303 and "confirm_end" in unconfirmed.headers["location"]
    assert (await pitch_row(url, pitch_id)).state == "scheduled"

    ended = await served.http.post(f"/pitches/{pitch_id}/end", data={"csrf_token": csrf, "confirm": "yes"})
    assert ended.status_code == 303
    assert (await pitch_row(url, pitch_id)).state == "ended"
    assert "Undo the end" in (await served.http.get(f"/pitches/{pitch_id}/studio?lang=en")).text
    undone = await served.http.post(f"/pitches/{pitch_id}/end/undo", data={"csrf_token": csrf})
    assert undone.status_code == 303
    assert (await pitch_row(url, pitch_id)).state == "scheduled"

    await served.http.post(f"/pitches/{pitch_id}/end", data={"csrf_token": csrf, "confirm": "yes"})
    await set_ended_at(url, pitch_id, minutes_ago=6)
    too_late = await served.http.post(f"/pitches/{pitch_id}/end/undo?lang=en", data={"csrf_token": csrf})
    assert too_late.status_code == 409
    assert "can no longer be undone" in too_late.text
    assert (await pitch_row(url, pitch_id)).state == "ended"
