"""Chromium through Janus: with EXPO_SFU_URLS set, a real browser's viewer page plays a live
pitch whose media comes from Janus (the selected ICE pair's remote port is in Janus' media
port range, not the expo's), through the same WHEP URL and page as without an SFU. The bridge
of two offers (streaming/sfu_sdp.py) is otherwise only tested with aiortc viewers."""

from pathlib import Path

import pytest

from tests.conftest import ServerProcess, seeded_env
from tests.streaming.janus_server import JANUS, JanusServer
from tests.streaming.test_browser import FRAMES_DECODED, go_live_and_watch, jinshan_pitch, signed_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not JANUS.exists(), reason="Debian's janus is not installed: `make janus`"),
]

REMOTE_PORT = """async () => {
    const stats = await document.querySelector('[data-pitch-viewer]').peer.getStats();
    let pair = null, port = null;
    stats.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
    if (!pair) stats.forEach((r) => {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
    if (pair) port = stats.get(pair.remoteCandidateId).port;
    return port; }"""


@pytest.fixture(scope="module")
def janus_and_server(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("sfu-browser")
    with JanusServer(directory) as janus:
        env = {**seeded_env("sqlite", directory), "EXPO_SFU_URLS": janus.url, "EXPO_SFU_ADMIN_KEY": janus.admin_key}
        server = ServerProcess(env, directory / "server.log")
        try:
            yield janus, server
        finally:
            server.stop()


def test_chromium_viewer_plays_a_live_pitch_served_by_janus(browser, janus_and_server, tmp_path: Path) -> None:
    janus, server = janus_and_server
    pitch_id = jinshan_pitch(server)
    host_context, studio, host_errors = signed_in(browser, server, "team@expo.example")
    viewer_context, viewer, viewer_errors = signed_in(browser, server, "investor@expo.example")
    try:
        go_live_and_watch(studio, viewer, server.url, pitch_id)
        first = viewer.evaluate(FRAMES_DECODED)
        viewer.wait_for_timeout(1500)
        assert viewer.evaluate(FRAMES_DECODED) > first > 0
        low, high = (int(p) for p in janus.media_range.split("-"))
        port = viewer.evaluate(REMOTE_PORT)
        assert port is not None and low <= port <= high, (port, janus.media_range)
        studio.wait_for_function("() => document.querySelector('[data-viewers]').textContent.trim() === '1'")
        viewer.screenshot(path=str(tmp_path / "viewer-through-janus.png"))
        assert host_errors == [] and viewer_errors == []
    finally:
        viewer_context.close()
        host_context.close()
