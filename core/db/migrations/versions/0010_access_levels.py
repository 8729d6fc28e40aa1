"""Access levels of the numbers of an account (R26-R28)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every number so far opened its own account, so each one manages it.
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("access", sa.String(16), nullable=False, server_default="account"))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("access")
