"""A viewer starting to watch a live pitch (WHEP) is one ``pitch.watched`` event in the
activity log, with the pitch as its subject (the organizer's figures count them)."""

import pytest
from aiortc import RTCPeerConnection

from expo import activity
from expo.db import Database
from streaming import client
from streaming.testpattern import PatternTrack
from tests.streaming.conftest import Served, add_pitch, token_for

pytestmark = pytest.mark.anyio


async def test_whep_viewer_is_recorded_as_pitch_watched(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    publisher = await client.publish(served.http, f"/pitches/{pitch}/whip", token, [PatternTrack()])
    viewer = RTCPeerConnection()
    try:
        viewer.addTransceiver("video", direction="recvonly")
        await viewer.setLocalDescription(await viewer.createOffer())
        created = await served.http.post(
            f"/pitches/{pitch}/whep", content=viewer.localDescription.sdp, headers={"Content-Type": "application/sdp"}
        )
        assert created.status_code == 201
        await served.http.delete(created.headers["location"])
    finally:
        await viewer.close()
        await publisher.close(served.http)
    db = Database(served.settings.database_url)
    try:
        async with db.session() as session:
            events = await activity.timeline(session, kinds=["pitch.watched"])
    finally:
        await db.close()
    assert [(e.kind, e.subject_id, e.user_id, e.data) for e in events] == [
        ("pitch.watched", pitch, None, {"replay": False})
    ]
