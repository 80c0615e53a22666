"""Fixtures for the pipeline's domain tests: a migrated database with two districts, hosts,
an organizer and investors (with and without consent). Tests run their async scenario with
``tests.helpers.run`` and open the database inside it."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import Database
from expo.fair.models import District, ProjectTeam
from tests.helpers import run

T = TypeVar("T")


@dataclass
class World:
    url: str
    harbour: int
    jinshan: int
    team: int
    organizer: int
    host: int  # harbour
    other_host: int  # jinshan
    investor: int  # consents
    private_investor: int  # does not


def _user(email: str, role: str, **values: object) -> User:
    return User(email=email, password_hash="x", name=email.split("@")[0], role=role, **values)


async def _build(url: str) -> World:
    db = Database(url)
    try:
        async with db.session() as session:
            harbour = District(slug="harbour", kind="district", name={"en": "Harbour"})
            jinshan = District(slug="jinshan", kind="zone", name={"en": "Jinshan", "zh_Hans": "金山"})
            session.add_all([harbour, jinshan])
            await session.flush()
            team = ProjectTeam(slug="t1", district_id=harbour.id, sector="biomedicine", name={"en": "Team"})
            people = [
                _user("org@x.example", "organizer"),
                _user("host@x.example", "host", district_id=harbour.id),
                _user("other@x.example", "host", district_id=jinshan.id),
                _user("inv@x.example", "investor", shares_profile=True, country="JP", organization="Tokyo Bay"),
                _user("priv@x.example", "investor", shares_profile=False, country="KR"),
            ]
            session.add_all([team, *people])
            await session.commit()
            return World(url, harbour.id, jinshan.id, team.id, *(p.id for p in people))
    finally:
        await db.close()


@pytest.fixture
def world(database_url: str) -> World:
    return run(_build(database_url))


def in_session(url: str, scenario: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs ``scenario(session)`` on a session of the database at ``url``."""

    async def go() -> T:
        db = Database(url)
        try:
            async with db.session() as session:
                return await scenario(session)
        finally:
            await db.close()

    return run(go())
