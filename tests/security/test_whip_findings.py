"""Probe findings on WHIP/WHEP (issue #12): a trickle line aiortc asserted on (a 500), a WHIP
session anyone could end, anonymous viewer sessions without a cap, absurd offers."""

import pytest

from streaming import client
from streaming.signaling import ANON_VIEWERS_PER_ADDRESS
from streaming.testpattern import PatternTrack, ToneTrack
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
