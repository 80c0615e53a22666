"""Meeting rooms end to end with real aiortc peers through the real signaling socket (a real
uvicorn server, real database; Redis too when EXPO_TEST_REDIS_URL is set): media both ways
(the pattern's frame counter arrives), glare, a participant who drops and returns, two server
processes sharing the bus, relay-only peers through a real coturn, bad frames, the fifth
person, and who may open the socket."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
import websockets
from sqlalchemy import select

from expo.activity import Event
from expo.app import create_app
from expo.db import Database
from expo.settings import Settings
from streaming.models import MeetingRoom, RoomGuest, RoomMessage, RoomPresence
from streaming.room_client import RoomClient, RoomRefused
from streaming.testpattern import PatternTrack, read_pattern
from tests.conftest import REDIS_URL, free_port, make_settings
from tests.streaming.coturn import Coturn
from tests.streaming.rooms_setup import MeetingSetup, make_meeting, sign_in

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
        await asyncio.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def room_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "var", REDIS_URL)


@pytest.fixture
async def server(room_settings: Settings) -> AsyncIterator[str]:
    async with serve(room_settings) as host:
        yield host


async def participant(host: str, setup: MeetingSetup, who: str, **options: object) -> RoomClient:
    cookie = await sign_in(f"http://{host}", setup.emails[who])
    return RoomClient(f"ws://{host}/ws/meetings/{setup.meeting_id}", cookie, lambda: [PatternTrack()], **options)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def both_sides(
    host: str, setup: MeetingSetup, team_host: str | None = None, **options: object
) -> AsyncIterator[tuple[RoomClient, RoomClient]]:
    """The meeting's investor and team (the team on `team_host` when given), closed after."""
    investor = await participant(host, setup, "investor", **options)
    team = await participant(team_host or host, setup, "team", **options)
    try:
        yield investor, team
    finally:
        await team.close()
        await investor.close()


async def counters(client: RoomClient, peer_id: str, frames: int = 5) -> list[int]:
    track = await client.video_from(peer_id)
    return [read_pattern(await asyncio.wait_for(track.recv(), 10))[0] for _ in range(frames)]


async def assert_media_both_ways(a: RoomClient, b: RoomClient) -> None:
    assert a.peer_id and b.peer_id
    for receiver, sender in ((a, b), (b, a)):
        seen = await counters(receiver, sender.peer_id)  # type: ignore[arg-type]
        assert seen == sorted(seen) and seen[-1] > seen[0], seen


async def rows(url: str, model: type, *where: object) -> list:  # type: ignore[type-arg]
    db = Database(url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(model).where(*where))).all())
    finally:
        await db.close()


async def test_investor_and_team_see_each_other_and_the_meeting_counts_as_held(
    server: str, room_settings: Settings
) -> None:
    setup = await make_meeting(room_settings.database_url)
    async with both_sides(server, setup) as (investor, team):
        welcome = await investor.connect()
        assert welcome["peers"] == [] and welcome["held"] is False
        joined = await team.connect()
        assert [p["side"] for p in joined["peers"]] == ["investor"] and joined["held"] is True
        assert joined["me"]["name"] == "Team " + joined["me"]["name"][-4:]
        await assert_media_both_ways(investor, team)
    url = room_settings.database_url
    held = await rows(url, Event, Event.kind == "meeting.held", Event.subject_id == setup.meeting_id)
    assert [(e.district_id, e.team_id) for e in held] == [(setup.district_id, setup.team_id)]
    assert (await rows(url, MeetingRoom, MeetingRoom.meeting_id == setup.meeting_id))[0].held_at is not None


async def test_glare_both_offer_at_once_and_the_call_still_connects(server: str, room_settings: Settings) -> None:
    setup = await make_meeting(room_settings.database_url)
    async with both_sides(server, setup, offer_on_join=False) as (investor, team):
        await investor.connect()
        await team.connect()
        await investor.next("joined")
        await asyncio.gather(investor.negotiate(team.peer_id), team.negotiate(investor.peer_id))  # type: ignore[arg-type]
        await assert_media_both_ways(investor, team)
        assert investor.collisions + team.collisions >= 1


async def test_a_participant_who_drops_rejoins_without_the_other_reloading(
    server: str, room_settings: Settings
) -> None:
    setup = await make_meeting(room_settings.database_url)
    async with both_sides(server, setup) as (investor, team):
        await investor.connect()
        await team.connect()
        await assert_media_both_ways(investor, team)
        first_peer = team.peer_id
        await team.drop()  # the network goes away: no "leave"
        left = await investor.next("left")
        assert left["from"] == first_peer
        await team.connect(last_chat_id=0)
        assert team.peer_id != first_peer
        assert (await investor.next("joined"))["from"] == team.peer_id
        await assert_media_both_ways(investor, team)


async def test_the_same_person_joining_again_replaces_the_first_connection(
    server: str, room_settings: Settings
) -> None:
    setup = await make_meeting(room_settings.database_url)
    first = await participant(server, setup, "team")
    second = await participant(server, setup, "team")
    try:
        await first.connect()
        await second.connect()
        assert (await first.next("replaced"))["type"] == "replaced"
        live = await rows(
            room_settings.database_url,
            RoomPresence,
            RoomPresence.meeting_id == setup.meeting_id,
            RoomPresence.left_at.is_(None),
        )
        assert [p.peer_id for p in live] == [second.peer_id]
    finally:
        await second.close()
        await first.close()


@pytest.mark.skipif(not REDIS_URL, reason="two processes share the bus through Redis (EXPO_TEST_REDIS_URL)")
async def test_parties_on_two_server_processes_meet_through_the_bus(room_settings: Settings) -> None:
    setup = await make_meeting(room_settings.database_url)
    async with serve(room_settings) as host_a, serve(room_settings) as host_b:
        async with both_sides(host_a, setup, team_host=host_b) as (investor, team):
            await investor.connect()
            await team.connect()
            await assert_media_both_ways(investor, team)
            await team.send({"type": "chat", "text": "来自另一个进程"})
            assert (await investor.next("chat"))["text"] == "来自另一个进程"


async def test_relay_only_peers_connect_through_the_expos_coturn(database_url: str, tmp_path: Path) -> None:
    secret = "room-turn-secret"
    with Coturn(tmp_path, secret) as coturn:
        settings = make_settings(
            database_url, tmp_path / "var", REDIS_URL, EXPO_TURN_URLS=",".join(coturn.urls), EXPO_TURN_SECRET=secret
        )
        setup = await make_meeting(database_url)
        async with serve(settings) as host:
            async with both_sides(host, setup, relay_only=True) as (investor, team):
                welcome = await investor.connect()
                turn_server = welcome["ice_servers"][-1]
                assert turn_server["urls"] == coturn.urls and secret not in json.dumps(welcome)
                await team.connect()
                await assert_media_both_ways(investor, team)
                assert investor.candidate_pair_types(team.peer_id) == {("relay", "relay")}  # type: ignore[arg-type]
                await investor.send({"type": "stats", "connection": "relayed"})
                await team.send({"type": "stats", "connection": "relayed"})
                await team.send({"type": "ping"})
                await team.next("pong")
    reported = await rows(database_url, RoomPresence, RoomPresence.meeting_id == setup.meeting_id)
    assert {p.connection for p in reported} == {"relayed"}


async def test_bad_frames_get_an_error_frame_and_the_call_survives(server: str, room_settings: Settings) -> None:
    setup = await make_meeting(room_settings.database_url)
    async with both_sides(server, setup) as (investor, team):
        await investor.connect()
        await team.connect()
        await assert_media_both_ways(investor, team)
        departed = await participant(server, setup, "team2")
        await departed.connect()
        gone_peer = departed.peer_id
        await departed.close()
        await investor.next("left")
        await asyncio.sleep(0.5)  # answers and candidates still flying to the departed are refused ("gone")
        while not investor.inbox.empty():
            investor.inbox.get_nowait()
        for frame, code in [
            ("{not json", "bad_frame"),
            ("x" * (70 * 1024), "too_large"),
            (json.dumps({"type": "launch"}), "bad_frame"),
            (json.dumps(["offer"]), "bad_frame"),
            (json.dumps({"type": "offer", "to": team.peer_id, "sdp": 42}), "bad_frame"),
            (json.dumps({"type": "candidate", "to": team.peer_id, "candidate": "nope"}), "bad_frame"),
            (json.dumps({"type": "offer", "to": gone_peer, "sdp": "v=0\r\n"}), "gone"),
            (json.dumps({"type": "chat", "text": "   "}), "empty"),
            (json.dumps({"type": "chat", "text": "x" * 1001}), "too_long"),
            (json.dumps({"type": "stats", "connection": "pigeon"}), "bad_frame"),
            (json.dumps({"type": "join"}), "already_joined"),
        ]:
            await investor.socket.send(frame)
            error = await investor.next("error")
            assert error["code"] == code and error["message"], (frame[:40], error)
        await investor.send({"type": "chat", "text": "<b>still here</b>"})
        chat = await team.next("chat")
        assert chat["text"] == "<b>still here</b>" and chat["side"] == "investor"
        await assert_media_both_ways(investor, team)
    stored = await rows(room_settings.database_url, RoomMessage, RoomMessage.meeting_id == setup.meeting_id)
    assert [m.text for m in stored] == ["<b>still here</b>"]


async def test_chat_is_kept_and_a_rejoining_participant_gets_what_it_missed(
    server: str, room_settings: Settings
) -> None:
    setup = await make_meeting(room_settings.database_url)
    async with both_sides(server, setup, offer_on_join=False) as (investor, team):
        await investor.connect()
        await investor.send({"type": "chat", "text": "first"})
        echo = await investor.next("chat")
        welcome = await team.connect(last_chat_id=0)
        assert [m["text"] for m in welcome["chat"]] == ["first"]
        await team.drop()
        await investor.send({"type": "chat", "text": "second"})
        await investor.next("chat")
        again = await team.connect(last_chat_id=echo["id"])
        assert [m["text"] for m in again["chat"]] == ["second"]


async def test_a_fifth_person_is_refused(server: str, room_settings: Settings) -> None:
    url = room_settings.database_url
    setup = await make_meeting(url)
    db = Database(url)
    async with db.session() as session:
        session.add(
            RoomGuest(
                meeting_id=setup.meeting_id,
                side="investor",
                user_id=setup.user_ids["guest"],
                invited_by=setup.user_ids["investor"],
            )
        )
        await session.commit()
    await db.close()
    third_team_member = await make_meeting(url)  # another meeting; reuse its team2 as a third member
    db = Database(url)
    async with db.session() as session:
        from expo.accounts.models import User

        moved = await session.get(User, third_team_member.user_ids["team2"])
        moved.team_id = setup.team_id
        await session.commit()
    await db.close()
    setup.emails["team3"] = third_team_member.emails["team2"]
    four = [
        await participant(server, setup, who, offer_on_join=False) for who in ("investor", "guest", "team", "team2")
    ]
    fifth = await participant(server, setup, "team3", offer_on_join=False)
    try:
        for client in four:
            await client.connect()
        with pytest.raises(RoomRefused) as refused:
            await fifth.connect()
        assert refused.value.frame["code"] == "full"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await fifth.socket.recv()
        assert closed.value.rcvd.code == 4429
    finally:
        for client in four:
            await client.close()


@pytest.mark.parametrize(
    ("who", "meeting", "code"),
    [("outsider", "real", 4403), ("organizer", "real", 4403), ("investor", "forged", 4404), (None, "real", 4401)],
)
async def test_who_may_open_the_room_socket(
    server: str, room_settings: Settings, who: str | None, meeting: str, code: int
) -> None:
    setup = await make_meeting(room_settings.database_url)
    cookie = await sign_in(f"http://{server}", setup.emails[who]) if who else ""
    meeting_id = setup.meeting_id if meeting == "real" else setup.meeting_id + 10_000
    url = f"ws://{server}/ws/meetings/{meeting_id}"
    async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == code


@pytest.mark.parametrize(("starts_in", "code"), [(timedelta(minutes=20), "early"), (timedelta(minutes=-60), "closed")])
async def test_joining_outside_the_window_is_refused_with_the_times(
    server: str, room_settings: Settings, starts_in: timedelta, code: str
) -> None:
    setup = await make_meeting(room_settings.database_url, starts_in=starts_in)
    client = await participant(server, setup, "investor")
    with pytest.raises(RoomRefused) as refused:
        await client.connect()
    assert refused.value.frame["code"] == code and refused.value.frame["opens_at"]
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.socket.recv()
    assert closed.value.rcvd.code == 4409
