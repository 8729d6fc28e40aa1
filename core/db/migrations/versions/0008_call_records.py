"""Voice call records

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("charge", sa.Integer(), nullable=False),
        sa.Column("end_reason", sa.String(16), nullable=False),
    )
    op.create_index("ix_call_records_msisdn_started", "call_records", ["msisdn", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_call_records_msisdn_started", table_name="call_records")
    op.drop_table("call_records")
