"""SMPP submissions: one row per message_id the SMSC answered (segments included)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_submits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("system_id", sa.String(16), nullable=False),
        sa.Column("source_addr", sa.String(21), nullable=False),
        sa.Column("destination_addr", sa.String(21), nullable=False),
        sa.Column("registered_delivery", sa.Integer(), nullable=False),
        sa.Column("data_coding", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("seqnum", sa.Integer(), nullable=False),
        sa.Column("routed", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("error", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.Column("valid_until", sa.Float(), nullable=True),
    )
    op.create_index("ix_sms_submits_group", "sms_submits",
                    ["system_id", "source_addr", "destination_addr", "ref", "routed"])
    op.create_index("ix_sms_submits_state", "sms_submits", ["state"])


def downgrade() -> None:
    op.drop_index("ix_sms_submits_state", table_name="sms_submits")
    op.drop_index("ix_sms_submits_group", table_name="sms_submits")
    op.drop_table("sms_submits")
