"""subscribers, ledger, credentials, login tokens, message store

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("msisdn", sa.String(11), primary_key=True),
        sa.Column("tariff", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("roaming", sa.Boolean(), nullable=False),
        sa.Column("switched_on", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_ledger_entries_msisdn", "ledger_entries", ["msisdn"])
    op.create_table(
        "credentials",
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("secret_hash", sa.String(160), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("login_notifications", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "login_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_login_tokens_msisdn", "login_tokens", ["msisdn"])
    op.create_table(
        "messages",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("direction", sa.String(2), nullable=False),
        sa.Column("peer", sa.String(21), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_messages_msisdn", "messages", ["msisdn"])


def downgrade() -> None:
    for table in ("messages", "login_tokens", "credentials", "ledger_entries", "subscribers"):
        op.drop_table(table)
