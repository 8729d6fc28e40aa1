"""USSD dialogue records

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ussd_dialogues",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("service_code", sa.String(16), nullable=False),
        sa.Column("initiator", sa.String(8), nullable=False),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("server", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
    )
    op.create_index("ix_ussd_dialogues_msisdn_started", "ussd_dialogues", ["msisdn", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_ussd_dialogues_msisdn_started", table_name="ussd_dialogues")
    op.drop_table("ussd_dialogues")
