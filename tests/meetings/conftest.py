"""Fixtures of the matchmaking tests: an app on a database holding the demo expo."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from expo.app import create_app
from expo.settings import Settings
from tests.conftest import make_settings
from tests.helpers import seed_demo


@pytest.fixture
def demo_settings(database_url: str, tmp_path: Path) -> Settings:
    seed_demo(database_url)
    return make_settings(database_url, tmp_path / "var")


@pytest.fixture
def demo_app(demo_settings: Settings) -> Iterator[TestClient]:
    """A client on the demo expo (sign in with tests.helpers.login)."""
    with TestClient(create_app(demo_settings), base_url="http://127.0.0.1") as client:
        yield client
