"""booths: pending name and documents under review, staff-offline chat digest time

Revision ID: 0101
Revises: 0100
Create Date: 2026-12-01 10:40:00

A published booth's changed name waits in ``pending_name`` and its new documents carry
``pending`` until an organizer approves them; ``chat_digest_at`` limits the staff-offline
digest mail to one per booth per EXPO_CHAT_DIGEST_MINUTES.
"""
from alembic import op
import sqlalchemy as sa

revision = '0101'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('booths', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_name', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('chat_digest_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('booth_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('booth_documents', schema=None) as batch_op:
        batch_op.drop_column('pending')
    with op.batch_alter_table('booths', schema=None) as batch_op:
        batch_op.drop_column('chat_digest_at')
        batch_op.drop_column('pending_name')
