"""WHIP/WHEP over HTTP: tokens (401/403), a second publisher (409), malformed SDP (400),
CORS and OPTIONS, trickle PATCH (204/415/422), DELETE, the viewer limit (503), and a
presenter who drops and comes back while viewers stay connected."""

import asyncio

import httpx
import pytest
from aiortc import RTCPeerConnection

from streaming import client
from streaming.testpattern import PatternTrack, ToneTrack, read_pattern
from tests.streaming.conftest import Served, add_pitch, token_for

pytestmark = pytest.mark.anyio


async def offer(kinds: tuple[str, ...] = ("video", "audio"), direction: str = "sendonly") -> str:
    pc = RTCPeerConnection()
    try:
        for kind in kinds:
            pc.addTransceiver(kind, direction=direction)
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


def sdp_headers(token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def test_whip_refuses_missing_wrong_and_foreign_tokens(served: Served) -> None:
    url = served.settings.database_url
    mine, other = await add_pitch(url), await add_pitch(url)
    foreign = await token_for(url, served.settings.secret_key, other)
    body = await offer()
    missing = await served.http.post(f"/pitches/{mine}/whip", content=body, headers=sdp_headers())
    wrong = await served.http.post(f"/pitches/{mine}/whip", content=body, headers=sdp_headers(f"{mine}.forged"))
    cross = await served.http.post(f"/pitches/{mine}/whip", content=body, headers=sdp_headers(foreign))
    assert (missing.status_code, wrong.status_code, cross.status_code) == (401, 401, 403)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert cross.text == "this token belongs to another pitch\n"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "the request body is empty; send an SDP offer"),
        ("hello", "malformed SDP: the offer must start with 'v=0'"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "the SDP offer has no audio or video section"),
        ("v=0\r\nthis is not sdp\r\n", "malformed SDP: line 'this is not sdp' is not 'x=value'"),
    ],
)
async def test_whip_names_the_problem_of_a_malformed_offer(served: Served, body: str, problem: str) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    response = await served.http.post(f"/pitches/{pitch}/whip", content=body, headers=sdp_headers(token))
    assert (response.status_code, response.text) == (400, problem + "\n")


async def test_whip_wrong_content_type_is_415_and_options_answers_cors(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    response = await served.http.post(
        f"/pitches/{pitch}/whip",
        content="{}",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 415
    options = await served.http.options(
        f"/pitches/{pitch}/whep", headers={"Origin": "https://player.example", "Access-Control-Request-Method": "POST"}
    )
    assert options.status_code == 204
    assert options.headers["access-control-allow-origin"] == "*"
    assert options.headers["accept-post"] == "application/sdp"
    assert "Location" in options.headers["access-control-expose-headers"]


async def test_second_publisher_is_409_and_whep_before_live_is_409(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    early = await served.http.post(
        f"/pitches/{pitch}/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
    )
    assert early.status_code == 409
    first = await client.publish(served.http, f"/pitches/{pitch}/whip", token, [PatternTrack(), ToneTrack()])
    try:
        second = await served.http.post(f"/pitches/{pitch}/whip", content=await offer(), headers=sdp_headers(token))
        assert (second.status_code, second.text) == (409, "this pitch already has a publisher\n")
    finally:
        await first.close(served.http)


async def test_whep_session_answers_201_patch_and_delete(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    publisher = await client.publish(served.http, f"/pitches/{pitch}/whip", token, [PatternTrack()])
    try:
        created = await served.http.post(
            f"/pitches/{pitch}/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
        )
        assert created.status_code == 201
        assert created.headers["content-type"] == "application/sdp"
        location = created.headers["location"]
        assert location.startswith(f"/pitches/{pitch}/whep/")
        assert "a=sendonly" in created.text and "VP8/90000" in created.text and "H264" not in created.text
        frag = "a=ice-ufrag:other\r\na=ice-pwd:otherpasswordotherpassword\r\n"
        restart = await served.http.patch(
            location, content=frag, headers={"Content-Type": "application/trickle-ice-sdpfrag"}
        )
        wrong_type = await served.http.patch(location, content=frag, headers={"Content-Type": "text/plain"})
        assert (restart.status_code, wrong_type.status_code) == (422, 415)
        trickle = await served.http.patch(
            location, content="a=end-of-candidates\r\n", headers={"Content-Type": "application/trickle-ice-sdpfrag"}
        )
        assert trickle.status_code == 204
        assert (await served.http.delete(location)).status_code == 200
        assert (await served.http.delete(location)).status_code == 404
        assert served.registry.get(pitch).viewer_count == 0
    finally:
        await publisher.close(served.http)


async def test_viewers_past_the_limit_get_503_with_retry_after(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    publisher = await client.publish(served.http, f"/pitches/{pitch}/whip", token, [PatternTrack()])
    served.registry.get(pitch).max_viewers = 1
    try:
        first = await served.http.post(
            f"/pitches/{pitch}/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
        )
        second = await served.http.post(
            f"/pitches/{pitch}/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
        )
        assert (first.status_code, second.status_code) == (201, 503)
        assert second.headers["retry-after"] == "30"
    finally:
        await publisher.close(served.http)


async def test_viewer_recovers_when_the_presenter_drops_and_comes_back(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    token = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    publisher = await client.publish(served.http, f"/pitches/{pitch}/whip", token, [PatternTrack()])
    viewer = await client.view(served.http, f"/pitches/{pitch}/whep", audio=False)
    try:
        video = viewer.tracks[0]
        await asyncio.wait_for(video.recv(), 15)
        await publisher.close(served.http)  # the presenter drops (DELETE)…
        await asyncio.sleep(0.5)
        assert served.registry.get(pitch).publisher is None
        second = PatternTrack()
        second.counter = 100_000  # … and comes back with a new pattern
        publisher = await client.publish(served.http, f"/pitches/{pitch}/whip", token, [second])

        async def until_new() -> int:
            while True:
                counter = read_pattern(await video.recv())[0]
                if counter >= 100_000:
                    return counter

        assert await asyncio.wait_for(until_new(), 15) >= 100_000
    finally:
        await viewer.close(served.http)
        await publisher.close(served.http)


async def test_api_lists_pitches_with_state_and_whep_url(served: Served) -> None:
    pitch = await add_pitch(served.settings.database_url)
    listing = (await served.http.get("/api/pitches")).json()["pitches"]
    assert [(p["id"], p["state"], p["whep_url"]) for p in listing] == [
        (pitch, "scheduled", f"{served.settings.public_url}/pitches/{pitch}/whep")
    ]


async def test_unknown_pitch_is_404(served: Served) -> None:
    response = await served.http.post(
        "/pitches/999/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
    )
    assert response.status_code == 404
    assert isinstance(served.http, httpx.AsyncClient)


async def test_registered_only_pitch_needs_a_session_or_its_viewer_token(served: Served) -> None:
    from expo.db import Database
    from streaming import pitches

    pitch = await add_pitch(served.settings.database_url, public=False)
    publisher = await token_for(served.settings.database_url, served.settings.secret_key, pitch)
    db = Database(served.settings.database_url)
    try:
        async with db.session() as session:
            viewer = await pitches.viewer_token(session, served.settings.secret_key, pitch)
    finally:
        await db.close()
    first = await client.publish(served.http, f"/pitches/{pitch}/whip", publisher, [PatternTrack(), ToneTrack()])
    try:
        url = f"/pitches/{pitch}/whep"
        body = await offer(direction="recvonly")
        for bad in (None, publisher, viewer[:-2] + "xx", f"v{pitch + 1}.{viewer.split('.')[1]}"):
            refused = await served.http.post(url, content=body, headers=sdp_headers(bad))
            assert refused.status_code == 401, bad
            assert "viewer token" in refused.text
        watcher = await client.view(served.http, url, token=viewer, audio=False)
        try:
            for _ in range(100):
                if watcher.tracks:
                    break
                await asyncio.sleep(0.05)
            frame = await asyncio.wait_for(watcher.tracks[0].recv(), 10)
            assert frame.width == 640
        finally:
            await watcher.close(served.http)
    finally:
        await first.close(served.http)
