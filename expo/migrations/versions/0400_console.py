"""console: expo zone/language, account deactivation, activity rollups, imports

Revision ID: 0400
Revises: 0002
Create Date: 2026-12-01 10:00:00

The console's own tables (import files, invited investors), the Expo's home zone and
default language (set by `expo init`), users' ``active`` flag, and the activity log's rollup
counts (expo.activity.rollups), filled from the events already recorded.
"""
from alembic import op
import sqlalchemy as sa


revision = '0400'
down_revision = '0002'
branch_labels = ('console',)
depends_on = None

EventId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('expos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_tz', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('default_locale', sa.String(length=16), server_default='', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))

    op.create_table('activity_rollups',
    sa.Column('id', EventId, autoincrement=True, nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_rollups')),
    sa.UniqueConstraint('grain', 'kind', 'bucket', 'district_id', 'dim', 'value', name='cell')
    )
    op.create_index('ix_activity_rollups_district_grain', 'activity_rollups', ['district_id', 'grain', 'kind', 'bucket'], unique=False)

    op.create_table('console_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_console_imports_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_console_imports_token'))
    )
    op.create_table('console_investor_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('organization', sa.String(length=160), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_investor_invites')),
    sa.UniqueConstraint('email', name=op.f('uq_console_investor_invites_email'))
    )
    _fill_rollups()


def _fill_rollups() -> None:
    """Counts of the events recorded before this migration (same cells as rollups.bump)."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        trunc = {g: f"date_trunc('{g}', at)" for g in ('hour', 'day', 'month')}
    else:
        trunc = {
            'hour': "strftime('%Y-%m-%d %H:00:00.000000', at)",
            'day': "strftime('%Y-%m-%d 00:00:00.000000', at)",
            'month': "strftime('%Y-%m-01 00:00:00.000000', at)",
        }
    district = 'coalesce(district_id, 0)'
    parts = [f"SELECT 'hour', {trunc['hour']}, kind, {district}, '', '', count(*) FROM activity_events GROUP BY 2, 3, 4"]
    for grain in ('day', 'month'):
        parts += [
            f"SELECT '{grain}', {trunc[grain]}, kind, {district}, '', '', count(*) FROM activity_events GROUP BY 2, 3, 4",
            f"SELECT '{grain}', {trunc[grain]}, kind, {district}, 'sector', sector, count(*) FROM activity_events GROUP BY 2, 3, 4, 6",
            f"SELECT '{grain}', {trunc[grain]}, kind, {district}, 'country', country, count(*) FROM activity_events GROUP BY 2, 3, 4, 6",
        ]
    op.execute(
        "INSERT INTO activity_rollups (grain, bucket, kind, district_id, dim, value, count) "
        + " UNION ALL ".join(parts)
    )


def downgrade() -> None:
    op.drop_table('console_investor_invites')
    op.drop_table('console_imports')
    op.drop_index('ix_activity_rollups_district_grain', table_name='activity_rollups')
    op.drop_table('activity_rollups')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('expos', schema=None) as batch_op:
        batch_op.drop_column('default_locale')
        batch_op.drop_column('home_tz')
