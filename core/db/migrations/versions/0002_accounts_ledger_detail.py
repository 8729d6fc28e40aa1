"""accounts; subscribers on an account; ledger period, detail and idempotency key

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("account_id", _ID, nullable=True))
        batch.create_foreign_key("fk_subscribers_account", "accounts", ["account_id"], ["id"])
        batch.create_index("ix_subscribers_account_id", ["account_id"])
    # Every existing number gets a personal account of its own.
    connection = op.get_bind()
    subscribers = connection.execute(sa.text("SELECT msisdn, created_at FROM subscribers")).all()
    for msisdn, created_at in subscribers:
        connection.execute(sa.text("INSERT INTO accounts (kind, created_at) VALUES ('personal', :t)"), {"t": created_at})
        account_id = connection.execute(sa.text("SELECT max(id) FROM accounts")).scalar()
        connection.execute(sa.text("UPDATE subscribers SET account_id = :a WHERE msisdn = :m"),
                           {"a": account_id, "m": msisdn})
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("period", sa.String(7), nullable=False, server_default=""))
        batch.add_column(sa.Column("detail", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("ref", sa.String(80), nullable=True))
        batch.create_unique_constraint("uq_ledger_entries_ref", ["ref"])
        batch.create_index("ix_ledger_entries_msisdn_period", ["msisdn", "period"])


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_index("ix_ledger_entries_msisdn_period")
        batch.drop_constraint("uq_ledger_entries_ref", type_="unique")
        batch.drop_column("ref")
        batch.drop_column("detail")
        batch.drop_column("period")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_index("ix_subscribers_account_id")
        batch.drop_constraint("fk_subscribers_account", type_="foreignkey")
        batch.drop_column("account_id")
    op.drop_table("accounts")
