"""The message_id a submit_multi answered, on every destination's submission; when a
scheduled message may be delivered (schedule_delivery_time)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SMPP 3.4 gives a submit_multi one message_id; each destination keeps its own row (its
    # own state) and reports that id in its receipts.
    with op.batch_alter_table("sms_submits") as batch:
        batch.add_column(sa.Column("message_id", sa.String(65), nullable=True))
        batch.add_column(sa.Column("deliver_after", sa.Float(), nullable=True))
        batch.create_index("ix_sms_submits_message_id", ["message_id"])


def downgrade() -> None:
    with op.batch_alter_table("sms_submits") as batch:
        batch.drop_index("ix_sms_submits_message_id")
        batch.drop_column("deliver_after")
        batch.drop_column("message_id")
