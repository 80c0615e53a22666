"""The expo's short-lived TURN credentials against a real coturn (Debian's ``turnserver``,
started on free ports with ``use-auth-secret``): a relay-only aiortc peer connects through it
on a relay candidate pair, expired or forged credentials are refused, and the pitch pages
hand out credentials, never the shared secret."""

import asyncio
import base64
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import create_turn_endpoint
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from streaming import turn
from streaming.testpattern import PatternTrack
from tests.conftest import make_settings
from tests.streaming.coturn import Coturn

SECRET = "shared-turn-secret-for-tests"


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    with Coturn(tmp_path, SECRET) as server:
        yield server


def test_credentials_are_hmac_sha1_of_expiry_and_user_as_coturn_computes_them() -> None:
    username, password = turn.credentials("s3cret", "u42", ttl=600, now=1_800_000_000)
    openssl = subprocess.run(
        ["openssl", "dgst", "-sha1", "-hmac", "s3cret", "-binary"],
        input=username.encode(),
        capture_output=True,
        check=True,
    )
    assert (username, password) == ("1800000600:u42", base64.b64encode(openssl.stdout).decode())


def test_ice_servers_add_the_expos_turn_with_fresh_credentials(tmp_path: Path) -> None:
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:",
        tmp_path,
        EXPO_ICE_SERVERS='[{"urls": "stun:stun.expo.test:3478"}]',
        EXPO_TURN_URLS="turn:turn.expo.test:3478?transport=udp, turns:turn.expo.test:443?transport=tcp",
        EXPO_TURN_SECRET=SECRET,
        EXPO_TURN_TTL=900,
    )
    servers = turn.ice_servers(settings, "u7", now=1_000)
    username, password = turn.credentials(SECRET, "u7", 900, now=1_000)
    assert servers == [
        {"urls": "stun:stun.expo.test:3478"},
        {
            "urls": ["turn:turn.expo.test:3478?transport=udp", "turns:turn.expo.test:443?transport=tcp"],
            "username": "1900:u7",
            "credential": password,
        },
    ]
    assert username == "1900:u7"
    assert turn.ice_servers(make_settings("sqlite+aiosqlite:///:memory:", tmp_path), "u7") == []


def relay_only(servers: list[dict[str, object]]) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=[RTCIceServer(**server) for server in servers],  # type: ignore[arg-type]
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
    )


def nominated_types(pc: RTCPeerConnection) -> set[tuple[str, str]]:
    connection = pc.getTransceivers()[0].sender.transport.transport._connection
    return {(p.local_candidate.type, p.remote_candidate.type) for p in connection._nominated.values()}


@pytest.mark.anyio
async def test_relay_only_peers_connect_through_coturn_with_the_expos_credentials(
    coturn: Coturn, tmp_path: Path
) -> None:
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:", tmp_path, EXPO_TURN_URLS=",".join(coturn.urls), EXPO_TURN_SECRET=SECRET
    )
    sender = RTCPeerConnection(relay_only(turn.ice_servers(settings, "u1")))
    receiver = RTCPeerConnection(relay_only(turn.ice_servers(settings, "u2")))
    arrived: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    receiver.on("track", arrived.set_result)
    try:
        sender.addTrack(PatternTrack())
        await sender.setLocalDescription(await sender.createOffer())
        assert " typ relay " in sender.localDescription.sdp
        assert " typ host " not in sender.localDescription.sdp
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
        track = await asyncio.wait_for(arrived, 10)
        frame = await asyncio.wait_for(track.recv(), 10)  # type: ignore[attr-defined]
        assert frame.width > 0
        assert nominated_types(sender) == {("relay", "relay")}
    finally:
        await sender.close()
        await receiver.close()


async def allocate(coturn: Coturn, username: str, password: str) -> None:
    transport, _ = await create_turn_endpoint(
        asyncio.DatagramProtocol, ("127.0.0.1", coturn.port), username, password, transport="udp"
    )
    transport.close()


@pytest.mark.anyio
async def test_expired_or_forged_credentials_are_refused(coturn: Coturn) -> None:
    await allocate(coturn, *turn.credentials(SECRET, "u1", ttl=60))  # valid: allocates
    expired = turn.credentials(SECRET, "u1", ttl=60, now=time.time() - 120)
    with pytest.raises(stun.TransactionFailed) as refused:
        await allocate(coturn, *expired)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401
    forged = turn.credentials("not-the-secret", "u1", ttl=60)
    with pytest.raises(stun.TransactionFailed):
        await allocate(coturn, *forged)


def test_pitch_pages_hand_out_turn_credentials_not_the_secret(tmp_path: Path, database_url: str) -> None:
    from starlette.testclient import TestClient

    from expo.app import create_app
    from tests.helpers import run
    from tests.streaming.conftest import add_pitch

    settings = make_settings(
        database_url,
        tmp_path / "var",
        EXPO_TURN_URLS="turn:127.0.0.1:3478?transport=udp",
        EXPO_TURN_SECRET=SECRET,
        EXPO_TURN_TTL=600,
    )
    pitch = run(add_pitch(database_url))
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        page = client.get(f"/pitches/{pitch}")
    assert page.status_code == 200 and SECRET not in page.text
    found = re.search(r'data-ice="([^"]+)"', page.text)
    assert found
    servers = json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    expiry, _, key = servers[-1]["username"].partition(":")
    assert servers[-1]["urls"] == ["turn:127.0.0.1:3478?transport=udp"]
    assert abs(int(expiry) - (time.time() + 600)) < 30 and key.startswith("a")
