"""agenda: the pitch programme (stage hours, proposals, placement, versions, agendas)

Revision ID: 0450
Revises: 0002
Create Date: 2026-12-01 10:00:00

The pitch sessions that existed become accepted, placed sessions of the programme; each
gets a stable GUID. Stages get opening hours (09:00-18:00 in the home zone by default).
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0450"
down_revision = "0002"
branch_labels = ("agenda",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_minute", sa.Integer(), nullable=False, server_default="540"))
        batch_op.add_column(sa.Column("closes_minute", sa.Integer(), nullable=False, server_default="1080"))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(batch_op.f("ck_stages_hours_order"), "closes_minute > opens_minute")
    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.alter_column("opens_minute", server_default=None)
        batch_op.alter_column("closes_minute", server_default=None)
        batch_op.alter_column("position", server_default=None)

    with op.batch_alter_table("pitch_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="accepted"))
        batch_op.add_column(sa.Column("length_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("interpreting", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("proposed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("guid", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("early_start_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("stage_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("starts_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.alter_column("ends_at", existing_type=sa.DateTime(timezone=True), nullable=True)

    conn = op.get_bind()
    sessions = sa.table(
        "pitch_sessions",
        sa.column("id", sa.Integer()),
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("ends_at", sa.DateTime(timezone=True)),
        sa.column("guid", sa.String()),
        sa.column("length_minutes", sa.Integer()),
        sa.column("description", sa.JSON()),
        sa.column("interpreting", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    for row_id, starts_at, ends_at in conn.execute(
        sa.select(sessions.c.id, sessions.c.starts_at, sessions.c.ends_at)
    ).all():
        minutes = max(1, int((ends_at - starts_at).total_seconds() // 60)) if starts_at and ends_at else 30
        conn.execute(
            sessions.update()
            .where(sessions.c.id == row_id)
            .values(guid=str(uuid.uuid4()), length_minutes=minutes, description={}, interpreting=[], created_at=now)
        )

    with op.batch_alter_table("pitch_sessions", schema=None) as batch_op:
        batch_op.alter_column("description", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("length_minutes", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("interpreting", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("guid", existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("revision", server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_pitch_sessions_guid"), ["guid"])
        batch_op.create_index(batch_op.f("ix_pitch_sessions_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_pitch_sessions_proposed_by_id_users"),
            "users",
            ["proposed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_pitch_sessions_status"), "status IN ('proposed', 'accepted', 'declined', 'cancelled')"
        )
        batch_op.create_check_constraint(batch_op.f("ck_pitch_sessions_length_positive"), "length_minutes > 0")

    op.create_table(
        "pitch_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.CheckConstraint("role IN ('speaker', 'interpreter')", name=op.f("ck_pitch_people_role")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["pitch_sessions.id"],
            name=op.f("fk_pitch_people_session_id_pitch_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pitch_people_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitch_people")),
    )
    op.create_index(op.f("ix_pitch_people_session_id"), "pitch_people", ["session_id"], unique=False)
    op.create_table(
        "programme_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("open_conflicts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_programme_versions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_versions")),
        sa.UniqueConstraint("number", name=op.f("uq_programme_versions_number")),
    )
    op.create_table(
        "agenda_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["pitch_sessions.id"],
            name=op.f("fk_agenda_entries_session_id_pitch_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agenda_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_entries")),
        sa.UniqueConstraint("user_id", "session_id", name="user_session"),
    )
    op.create_index(op.f("ix_agenda_entries_user_id"), "agenda_entries", ["user_id"], unique=False)
    op.create_index(op.f("ix_agenda_entries_session_id"), "agenda_entries", ["session_id"], unique=False)
    op.create_table(
        "programme_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_programme_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_notices")),
    )
    op.create_index(op.f("ix_programme_notices_user_id"), "programme_notices", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("programme_notices")
    op.drop_table("agenda_entries")
    op.drop_table("programme_versions")
    op.drop_table("pitch_people")
    with op.batch_alter_table("pitch_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_pitch_sessions_length_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_pitch_sessions_status"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_pitch_sessions_proposed_by_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_pitch_sessions_status"))
        batch_op.drop_constraint(batch_op.f("uq_pitch_sessions_guid"), type_="unique")
        for column in (
            "created_at",
            "ended_at",
            "early_start_at",
            "revision",
            "guid",
            "proposed_by_id",
            "interpreting",
            "length_minutes",
            "status",
            "description",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_stages_hours_order"), type_="check")
        batch_op.drop_column("position")
        batch_op.drop_column("closes_minute")
        batch_op.drop_column("opens_minute")
