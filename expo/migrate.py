"""Running the Alembic migrations from code (``expo db upgrade``, tests, ``make demo``)."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from expo.db import check_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", check_url(url))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Brings the database at ``url`` to ``revision`` (default: every branch's head).

    Each package keeps its own branch of migrations off the core's first revision
    (``branch_labels``), so that packages add tables without serialising on one chain.
    Call from sync code (not inside a running event loop)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "heads") -> None:
    await asyncio.to_thread(upgrade, url, revision)
