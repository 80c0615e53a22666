"""Probe findings on WHIP/WHEP (issue #12): a trickle line aiortc asserted on (a 500), a WHIP
session anyone could end, anonymous viewer sessions without a cap, absurd offers."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from expo.app import create_app
from expo.settings import Settings
from streaming import client
from streaming.signaling import ANON_VIEWERS_PER_ADDRESS
from streaming.testpattern import PatternTrack, ToneTrack
from tests.conftest import REDIS_URL, free_port
from tests.streaming.conftest import Served, add_pitch, served, token_for  # noqa: F401
from tests.streaming.test_signaling import offer, sdp_headers

pytestmark = pytest.mark.anyio
TRICKLE = {"Content-Type": "application/trickle-ice-sdpfrag"}


async def test_whip_session_needs_its_token_and_garbage_candidates_are_400(served: Served) -> None:  # noqa: F811
    url = served.settings.database_url
    pitch = await add_pitch(url)
    token = await token_for(url, served.settings.secret_key, pitch)
    session = await client.publish(
        served.http, f"{served.url}/pitches/{pitch}/whip", token, [PatternTrack(), ToneTrack()]
    )
    try:
        auth = {"Authorization": f"Bearer {token}"}
        garbage = await served.http.patch(
            session.location, content=b"a=candidate:garbage\r\n", headers={**TRICKLE, **auth}
        )
        assert (garbage.status_code, garbage.text) == (400, "malformed candidate line: 'a=candidate:garbage'\n")
        anonymous_delete = await served.http.delete(session.location)
        assert anonymous_delete.status_code == 401
        assert pitch in served.registry.hubs and served.registry.hubs[pitch].peers  # still publishing
        viewers = []
        for _ in range(ANON_VIEWERS_PER_ADDRESS):
            viewers.append(await client.view(served.http, f"{served.url}/pitches/{pitch}/whep"))
        one_more = await served.http.post(
            f"/pitches/{pitch}/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
        )
        assert (one_more.status_code, one_more.headers.get("retry-after")) == (429, "30")
        for viewer in viewers:
            await viewer.close(served.http)
        owner_delete = await served.http.delete(session.location, headers=auth)
        assert owner_delete.status_code == 200
    finally:
        await session.pc.close()


async def test_an_offer_with_300_media_sections_is_refused(served: Served) -> None:  # noqa: F811
    url = served.settings.database_url
    pitch = await add_pitch(url)
    token = await token_for(url, served.settings.secret_key, pitch)
    head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\n"
    head += "a=fingerprint:sha-256 00:11\r\n"
    body = head + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n" * 300
    response = await served.http.post(f"/pitches/{pitch}/whip", content=body, headers=sdp_headers(token))
    assert (response.status_code, response.text) == (
        400,
        "the SDP offer has 300 media sections; at most 16 are accepted\n",
    )


@asynccontextmanager
async def second_process(settings: Settings) -> AsyncIterator[str]:
    """Another server on the same database and Redis (its own registry, hubs and limiter)."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        registry = server.lifespan.state["cache"].get("streaming.hubs")  # type: ignore[attr-defined]
        if registry is not None:
            await registry.close()
            if registry._guard is not None:  # noqa: SLF001
                registry._guard.cancel()  # noqa: SLF001
        server.should_exit = True
        await task


@pytest.mark.skipif(not REDIS_URL, reason="two processes share the cap through Redis (EXPO_TEST_REDIS_URL)")
async def test_the_anonymous_viewer_cap_holds_across_processes(served: Served) -> None:  # noqa: F811
    """Two pitches live on two server processes: one address gets its 4 anonymous sessions
    over both, not 4 on each (the count was per process)."""
    url = served.settings.database_url
    here, there = await add_pitch(url), await add_pitch(url)
    publishers, viewers = [], []
    async with second_process(served.settings) as other, httpx.AsyncClient(base_url=other, timeout=20) as http2:
        try:
            for base, http, pitch in ((served.url, served.http, here), (other, http2, there)):
                token = await token_for(url, served.settings.secret_key, pitch)
                publishers.append(
                    (http, await client.publish(http, f"{base}/pitches/{pitch}/whip", token, [PatternTrack()]))
                )
            half = ANON_VIEWERS_PER_ADDRESS // 2
            for base, http, pitch in ((served.url, served.http, here), (other, http2, there)):
                for _ in range(half):
                    viewers.append((http, await client.view(http, f"{base}/pitches/{pitch}/whep")))
            for _http, viewer in viewers:  # connected (closing a peer mid-ICE raises inside aiortc)
                await asyncio.wait_for(viewer.tracks[0].recv(), 10)
            refused = [
                await http.post(
                    f"/pitches/{pitch}/whep", content=await offer(direction="recvonly"), headers=sdp_headers()
                )
                for http, pitch in ((served.http, here), (http2, there))
            ]
            assert [r.status_code for r in refused] == [429, 429]
            http, first = viewers.pop(0)
            await first.close(http)  # one ends (WHEP DELETE on the first process): its place is free
            again = await client.view(http2, f"{other}/pitches/{there}/whep")
            viewers.append((http2, again))
            await asyncio.wait_for(again.tracks[0].recv(), 10)
        finally:
            for http, viewer in viewers:
                await viewer.close(http)
            for http, publisher in publishers:
                await publisher.close(http)
