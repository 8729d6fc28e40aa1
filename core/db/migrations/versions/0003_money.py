"""money: promised payments, pay-for-me requests, autopay rules

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OUTSTANDING = sa.text("repaid_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "promised_payments",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("repaid_at", sa.Float(), nullable=True),
        sa.Column("repaid_by", sa.String(16), nullable=True),
    )
    op.create_index("ix_promised_payments_msisdn", "promised_payments", ["msisdn"])
    op.create_index("ix_promised_payments_due_at", "promised_payments", ["due_at"])
    op.create_index("uq_promised_payments_outstanding", "promised_payments", ["msisdn"], unique=True,
                    sqlite_where=_OUTSTANDING, postgresql_where=_OUTSTANDING)
    op.create_table(
        "payment_requests",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("requester", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("payer", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_payment_requests_requester", "payment_requests", ["requester"])
    op.create_index("ix_payment_requests_payer", "payment_requests", ["payer"])
    op.create_table(
        "autopay_rules",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("card_token", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("every", sa.String(16), nullable=True),
        sa.Column("anchor", sa.Float(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("last_period", sa.String(40), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_autopay_rules_msisdn", "autopay_rules", ["msisdn"])


def downgrade() -> None:
    op.drop_index("ix_autopay_rules_msisdn", "autopay_rules")
    op.drop_table("autopay_rules")
    op.drop_index("ix_payment_requests_payer", "payment_requests")
    op.drop_index("ix_payment_requests_requester", "payment_requests")
    op.drop_table("payment_requests")
    op.drop_index("uq_promised_payments_outstanding", "promised_payments")
    op.drop_index("ix_promised_payments_due_at", "promised_payments")
    op.drop_index("ix_promised_payments_msisdn", "promised_payments")
    op.drop_table("promised_payments")
