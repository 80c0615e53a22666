"""A real expo server (uvicorn) inside the test's event loop, so tests can look at the hub
registry, and aiortc clients in the same loop; plus a pitch with its publisher token."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from expo.agenda.models import PitchSession, Stage
from expo.app import create_app
from expo.db import Database, utcnow
from expo.settings import Settings
from streaming import pitches
from streaming.registry import CACHE_KEY, Registry
from tests.conftest import REDIS_URL, free_port, make_settings

BUSES = ["local"] + (["redis"] if REDIS_URL else [])


@dataclass
class Served:
    url: str
    server: uvicorn.Server
    settings: Settings
    http: httpx.AsyncClient

    @property
    def state(self) -> dict[str, Any]:
        return self.server.lifespan.state  # type: ignore[attr-defined,no-any-return]

    @property
    def registry(self) -> Registry:
        return self.state["cache"][CACHE_KEY]  # type: ignore[no-any-return]


async def add_pitch(url: str, *, public: bool = True, minutes_from_now: int = 0) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            stage = await session.scalar(select(Stage).limit(1))
            if stage is None:
                stage = Stage(slug="main", name={"en": "Main stage"})
                session.add(stage)
                await session.flush()
            start = utcnow() + timedelta(minutes=minutes_from_now)
            pitch = PitchSession(
                stage_id=stage.id,
                title={"en": "Test pitch"},
                language="en",
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                public=public,
            )
            session.add(pitch)
            await session.commit()
            return pitch.id
    finally:
        await db.close()


async def token_for(url: str, secret: str, pitch_id: int) -> str:
    db = Database(url)
    try:
        async with db.session() as session:
            return await pitches.publisher_token(session, secret, pitch_id)
    finally:
        await db.close()


@pytest.fixture(params=BUSES)
def settings(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Settings:
    """The app's settings, with the in-process bus and, when EXPO_TEST_REDIS_URL is set, with
    Redis (Q&A and live state then travel through it)."""
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return make_settings(database_url, tmp_path / "var", redis_url)


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    # Redis when it is configured: the registry's live-state reports go through it.
    redis_url = REDIS_URL or None
    settings = make_settings(database_url, tmp_path / "var", redis_url)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        result = Served(base, server, settings, http)
        try:
            yield result
        finally:
            registry = result.state["cache"].get(CACHE_KEY)
            if registry is not None:
                await registry.close()
                if registry._guard is not None:
                    registry._guard.cancel()
            server.should_exit = True
            await task
