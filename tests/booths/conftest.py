"""Fixtures of the booths tests: an app on a database holding the demo expo, and clients
signed in as each role."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from booths.models import Booth
from expo.app import create_app
from expo.db import Database
from expo.settings import Settings
from tests.conftest import make_settings
from tests.helpers import login_as, run, seed_demo


@pytest.fixture
def demo_settings(database_url: str, tmp_path: Path) -> Settings:
    seed_demo(database_url)
    return make_settings(database_url, tmp_path / "var")


@pytest.fixture
def app_client(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings), base_url="http://127.0.0.1") as client:
        yield client


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
