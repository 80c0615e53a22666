"""pipeline tables

Revision ID: 0500
Revises: 0002
Create Date: 2026-12-01 10:10:00

The deal pipeline (expo.pipeline): deals, the append-only stage log (triggers refuse UPDATE and
DELETE on it and on the problem trail), documents, remote signing, problems, decisions on
suggestions, ranking weights and the frozen monthly ranking, the digest runs.
"""
from alembic import op
import sqlalchemy as sa


revision = '0500'
down_revision = '0002'
branch_labels = ('pipeline',)
depends_on = None

APPEND_ONLY = ('pipeline_stage_log', 'pipeline_problem_trail')


def upgrade() -> None:
    op.create_table('pipeline_digest_runs',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mails', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_pipeline_digest_runs'))
    )
    op.create_table('pipeline_ranking_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('deal_ids', sa.JSON(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('rates', sa.JSON(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_pipeline_ranking_months_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_ranking_months')),
    sa.UniqueConstraint('month', 'district_id', name='month_district')
    )
    op.create_index(op.f('ix_pipeline_ranking_months_month'), 'pipeline_ranking_months', ['month'], unique=False)
    op.create_table('pipeline_deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('investor_company', sa.String(length=200), nullable=False),
    sa.Column('investor_country', sa.String(length=2), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('investor_user_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_agreed', sa.BigInteger(), nullable=False),
    sa.Column('amount_arrived', sa.BigInteger(), nullable=False),
    sa.Column('jobs', sa.Integer(), nullable=False),
    sa.Column('land_needed', sa.Boolean(), nullable=False),
    sa.Column('site', sa.String(length=300), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('service_city_lead', sa.String(length=120), nullable=False),
    sa.Column('service_district_lead', sa.String(length=120), nullable=False),
    sa.Column('service_liaison', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lost_reason', sa.String(length=300), nullable=False),
    sa.Column('lost_to', sa.String(length=200), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('stage_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_action', sa.String(length=300), nullable=False),
    sa.Column('next_action_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_agreed >= 0 AND amount_arrived >= 0', name=op.f('ck_pipeline_deals_amounts')),
    sa.CheckConstraint('jobs >= 0', name=op.f('ck_pipeline_deals_jobs')),
    sa.CheckConstraint('likelihood BETWEEN 0 AND 100', name=op.f('ck_pipeline_deals_likelihood')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_pipeline_deals_district_id_districts')),
    sa.ForeignKeyConstraint(['investor_user_id'], ['users.id'], name=op.f('fk_pipeline_deals_investor_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_pipeline_deals_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['project_teams.id'], name=op.f('fk_pipeline_deals_team_id_project_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_deals')),
    sa.UniqueConstraint('ref', name=op.f('uq_pipeline_deals_ref'))
    )
    op.create_index('ix_pipeline_deals_board', 'pipeline_deals', ['district_id', 'status', 'stage', 'confirmed', 'currency', 'amount_agreed'], unique=False)
    op.create_index('ix_pipeline_deals_cards', 'pipeline_deals', ['district_id', 'stage', 'next_action_due', 'id'], unique=False)
    op.create_index('ix_pipeline_deals_investor', 'pipeline_deals', ['investor_user_id', 'district_id'], unique=False)
    op.create_index('ix_pipeline_deals_owner', 'pipeline_deals', ['owner_id', 'status'], unique=False)
    op.create_index('ix_pipeline_deals_stage', 'pipeline_deals', ['stage', 'status', 'district_id'], unique=False)
    op.create_table('pipeline_ranking_weights',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_pipeline_ranking_weights_set_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_ranking_weights'))
    )
    op.create_table('pipeline_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_pipeline_decisions_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['pipeline_deals.id'], name=op.f('fk_pipeline_decisions_deal_id_pipeline_deals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_decisions')),
    sa.UniqueConstraint('kind', 'key', name='kind_key')
    )
    op.create_table('pipeline_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['pipeline_deals.id'], name=op.f('fk_pipeline_documents_deal_id_pipeline_deals')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_pipeline_documents_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_documents'))
    )
    op.create_index(op.f('ix_pipeline_documents_deal_id'), 'pipeline_documents', ['deal_id'], unique=False)
    op.create_table('pipeline_problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pipeline_problems_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['pipeline_deals.id'], name=op.f('fk_pipeline_problems_deal_id_pipeline_deals')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_pipeline_problems_district_id_districts')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_pipeline_problems_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_problems'))
    )
    op.create_index(op.f('ix_pipeline_problems_deal_id'), 'pipeline_problems', ['deal_id'], unique=False)
    op.create_index('ix_pipeline_problems_open', 'pipeline_problems', ['district_id', 'closed_at', 'deadline'], unique=False)
    op.create_table('pipeline_signings',
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('tracking_out', sa.String(length=64), nullable=False),
    sa.Column('tracking_back', sa.String(length=64), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('countersigned_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['pipeline_deals.id'], name=op.f('fk_pipeline_signings_deal_id_pipeline_deals')),
    sa.PrimaryKeyConstraint('deal_id', name=op.f('pk_pipeline_signings'))
    )
    op.create_table('pipeline_stage_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=False),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_agreed', sa.BigInteger(), nullable=False),
    sa.Column('amount_arrived', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_pipeline_stage_log_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['pipeline_deals.id'], name=op.f('fk_pipeline_stage_log_deal_id_pipeline_deals')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_pipeline_stage_log_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stage_log'))
    )
    op.create_index('ix_pipeline_stage_log_kind', 'pipeline_stage_log', ['kind', 'to_stage', 'at'], unique=False)
    op.create_index('ix_pipeline_stage_log_deal', 'pipeline_stage_log', ['deal_id', 'at'], unique=False)
    op.create_table('pipeline_problem_trail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_pipeline_problem_trail_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['problem_id'], ['pipeline_problems.id'], name=op.f('fk_pipeline_problem_trail_problem_id_pipeline_problems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_problem_trail'))
    )
    op.create_index(op.f('ix_pipeline_problem_trail_problem_id'), 'pipeline_problem_trail', ['problem_id'], unique=False)
    for table in APPEND_ONLY:
        _append_only(table)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE OR REPLACE FUNCTION pipeline_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'append-only: % rows are never changed or deleted', TG_TABLE_NAME; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION pipeline_append_only()"
        )
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only: {table} rows are never changed or deleted'); END"
            )


def downgrade() -> None:
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index('ix_pipeline_problem_trail_problem_id', table_name='pipeline_problem_trail')
    op.drop_index('ix_pipeline_stage_log_deal', table_name='pipeline_stage_log')
    op.drop_index('ix_pipeline_stage_log_kind', table_name='pipeline_stage_log')
    op.drop_index('ix_pipeline_problems_open', table_name='pipeline_problems')
    op.drop_index('ix_pipeline_problems_deal_id', table_name='pipeline_problems')
    op.drop_index('ix_pipeline_documents_deal_id', table_name='pipeline_documents')
    op.drop_index('ix_pipeline_deals_stage', table_name='pipeline_deals')
    op.drop_index('ix_pipeline_deals_owner', table_name='pipeline_deals')
    op.drop_index('ix_pipeline_deals_investor', table_name='pipeline_deals')
    op.drop_index('ix_pipeline_deals_cards', table_name='pipeline_deals')
    op.drop_index('ix_pipeline_deals_board', table_name='pipeline_deals')
    op.drop_index('ix_pipeline_ranking_months_month', table_name='pipeline_ranking_months')
    op.drop_table('pipeline_problem_trail')
    op.drop_table('pipeline_stage_log')
    op.drop_table('pipeline_signings')
    op.drop_table('pipeline_problems')
    op.drop_table('pipeline_documents')
    op.drop_table('pipeline_decisions')
    op.drop_table('pipeline_ranking_weights')
    op.drop_table('pipeline_deals')
    op.drop_table('pipeline_ranking_months')
    op.drop_table('pipeline_digest_runs')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS pipeline_append_only()")
