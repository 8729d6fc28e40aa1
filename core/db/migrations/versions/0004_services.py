"""subscriber services: connected options and subscriptions, package buckets, bonus
redemptions, SIM blocks, support questions

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _msisdn() -> sa.Column:
    return sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "service_connections",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _msisdn(),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("connected_at", sa.Float(), nullable=False),
        sa.Column("suspended_at", sa.Float(), nullable=True),
        sa.UniqueConstraint("msisdn", "kind", "item", name="uq_service_connections_item"),
    )
    op.create_index("ix_service_connections_msisdn", "service_connections", ["msisdn"])
    op.create_table(
        "package_buckets",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _msisdn(),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.CheckConstraint("used >= 0 AND used <= amount", name="ck_package_buckets_used"),
    )
    op.create_index("ix_package_buckets_msisdn_period", "package_buckets", ["msisdn", "period"])
    op.create_table(
        "bonus_redemptions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _msisdn(),
        sa.Column("reward", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("applied_ref", sa.String(80), nullable=True),
    )
    op.create_index("ix_bonus_redemptions_msisdn", "bonus_redemptions", ["msisdn"])
    op.create_table(
        "sim_blocks",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _msisdn(),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("blocked_at", sa.Float(), nullable=False),
        sa.Column("blocked_by", sa.String(11), nullable=False),
        sa.Column("unblocked_at", sa.Float(), nullable=True),
        sa.Column("unblocked_by", sa.String(11), nullable=True),
    )
    op.create_index("ix_sim_blocks_msisdn", "sim_blocks", ["msisdn"])
    op.create_table(
        "support_questions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _msisdn(),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("asked_at", sa.Float(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_support_questions_msisdn", "support_questions", ["msisdn"])
    op.create_index("ix_support_questions_status_asked_at", "support_questions", ["status", "asked_at"])


def downgrade() -> None:
    for table in ("support_questions", "sim_blocks", "bonus_redemptions", "package_buckets",
                  "service_connections"):
        op.drop_table(table)
