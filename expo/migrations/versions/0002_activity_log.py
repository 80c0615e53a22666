"""activity log

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:45:00

The expo-wide activity log (expo.activity): one row per thing that happened.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activity_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_activity_events_district_id_districts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['project_teams.id'], name=op.f('fk_activity_events_team_id_project_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_events'))
    )
    op.create_index('ix_activity_events_kind_at', 'activity_events', ['kind', 'at'], unique=False)
    op.create_index('ix_activity_events_district_at', 'activity_events', ['district_id', 'at'], unique=False)
    op.create_index('ix_activity_events_user_at', 'activity_events', ['user_id', 'at'], unique=False)
    op.create_index('ix_activity_events_team_at', 'activity_events', ['team_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_activity_events_team_at', table_name='activity_events')
    op.drop_index('ix_activity_events_user_at', table_name='activity_events')
    op.drop_index('ix_activity_events_district_at', table_name='activity_events')
    op.drop_index('ix_activity_events_kind_at', table_name='activity_events')
    op.drop_table('activity_events')
