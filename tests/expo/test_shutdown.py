"""Shutting down while the lifespan's background tasks are in the middle of their database
work (they all run a pass at start): the pass finishes, nothing is left locked, and the app
stops at once. Before expo.db.finish_on_cancel, a pass cut off mid-transaction left SQLite
locked and the shutdown waited out the 30 s busy timeout, on most quick starts and stops."""

import time
from pathlib import Path

from starlette.testclient import TestClient

from expo.app import create_app
from tests.conftest import fresh_database, make_settings
from tests.helpers import seed_demo


def test_quick_start_and_stop_never_waits_for_a_locked_database(tmp_path: Path) -> None:
    url = fresh_database("sqlite", tmp_path)
    seed_demo(url)
    settings = make_settings(url, tmp_path / "var")
    slowest = 0.0
    for _ in range(8):
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            assert client.get("/projects", params={"sector": "tobacco"}).status_code == 400
            stopping = time.monotonic()
        slowest = max(slowest, time.monotonic() - stopping)
    assert slowest < 10, f"a shutdown took {slowest:.1f} s"
