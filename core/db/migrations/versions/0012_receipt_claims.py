"""Which node is sending a stored receipt, and until when (several nodes: docs/scaling.md)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A claim is a lease: a receipt claimed by a node that died or lost its bind becomes
    # claimable by any node once claimed_until (epoch seconds) has passed. One node never
    # writes them.
    with op.batch_alter_table("sms_receipts") as batch:
        batch.add_column(sa.Column("claimed_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_receipts") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
