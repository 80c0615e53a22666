"""The migrations build exactly the schema the models describe, on every database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from expo.migrate import include_name
from expo.schema import Base
from tests.helpers import run


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    async def diff() -> list[object]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True, "include_name": include_name}),
                        Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    assert run(diff()) == []
