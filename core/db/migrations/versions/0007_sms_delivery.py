"""SMS delivery receipts waiting for a receiving bind of their ESME account

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("system_id", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(65), nullable=False),
        sa.Column("source_addr", sa.String(21), nullable=False),
        sa.Column("destination_addr", sa.String(21), nullable=False),
        sa.Column("message_state", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_sms_receipts_system_id", "sms_receipts", ["system_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_sms_receipts_system_id", table_name="sms_receipts")
    op.drop_table("sms_receipts")
