"""Running the Alembic migrations from code (``expo db upgrade``, tests, ``make demo``)."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from expo.db import check_url

MIGRATIONS = Path(__file__).parent / "migrations"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leaves out of schema comparison what no model describes on purpose: full-text-search
    virtual tables and their shadow tables (names ``*_fts`` and ``*_fts_*``)."""
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    return True


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
