"""Fixtures of the booths tests: an app on a database holding the demo expo, and clients
signed in as each role."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from booths.models import Booth
from expo.app import create_app
from expo.db import Database
from expo.settings import Settings
from tests.conftest import METRICS_AUTH, make_settings
from tests.helpers import login_as, run, seed_demo


@pytest.fixture
def demo_settings(database_url: str, tmp_path: Path) -> Settings:
    seed_demo(database_url)
    return make_settings(database_url, tmp_path / "var")


def wait_for_sockets_to_finish(client: TestClient, seconds: float = 5.0) -> None:
    """Waits until the server has finished every WebSocket handler (their cleanup writes to
    the database) before the app shuts down; an aiosqlite operation cut off by the
    shutdown can hang the event loop's close (SQLAlchemy + aiosqlite)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        metrics = client.get("/metrics", headers=METRICS_AUTH).text
        open_sockets = sum(
            float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("expo_websockets_open{")
        )
        if open_sockets == 0:
            return
        time.sleep(0.05)


@pytest.fixture
def app_client(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings), base_url="http://127.0.0.1") as client:
        yield client
        wait_for_sockets_to_finish(client)


@pytest.fixture
def as_role(app_client: TestClient) -> Callable[[str], TestClient]:
    """Signs the (one) client in as a role: "anonymous", "organizer", "host", "team",
    "investor"; signing in again replaces the session."""

    def sign_in(role: str) -> TestClient:
        app_client.cookies.clear()
        login_as(app_client, role)
        return app_client

    return sign_in


def booth_ids(database_url: str) -> dict[str, int]:
    async def load() -> dict[str, int]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return {b.slug: b.id for b in (await session.scalars(select(Booth))).all()}
        finally:
            await db.close()

    return run(load())


@pytest.fixture
def booths(demo_settings: Settings) -> dict[str, int]:
    return booth_ids(demo_settings.database_url)
