"""corporate clients: regions, group members, contacts, the CP_ login and its tokens,
spending limits, call forwarding, SIM cards, employees

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _client_id(**kwargs) -> sa.Column:
    return sa.Column("client_id", _ID, sa.ForeignKey("corporate_clients.id"), nullable=False, **kwargs)


def upgrade() -> None:
    op.create_table(
        "corporate_clients",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("secret_question", sa.Text(), nullable=True),
        sa.Column("secret_answer_hash", sa.String(160), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "corporate_regions",
        _client_id(primary_key=True),
        sa.Column("region", sa.String(80), primary_key=True),
    )
    op.create_table(
        "corporate_members",
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), primary_key=True),
        _client_id(),
        sa.Column("added_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_corporate_members_client_id", "corporate_members", ["client_id"])
    op.create_table(
        "corporate_contacts",
        _client_id(primary_key=True),
        sa.Column("msisdn", sa.String(11), primary_key=True),
    )
    op.create_table(
        "corporate_logins",
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), primary_key=True),
        _client_id(unique=True),
        sa.Column("secret_hash", sa.String(160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("captcha_id", sa.String(32), nullable=True),
        sa.Column("captcha_hash", sa.String(160), nullable=True),
        sa.Column("captcha_expires_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("password_set_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "corporate_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("corporate_logins.msisdn"), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_corporate_tokens_msisdn", "corporate_tokens", ["msisdn"])
    op.create_table(
        "corporate_spending_limits",
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("corporate_members.msisdn"), primary_key=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("set_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "corporate_forwarding",
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("corporate_members.msisdn"), primary_key=True),
        sa.Column("target", sa.String(11), nullable=False),
        sa.Column("set_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "corporate_sim_cards",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("subscribers.msisdn"), nullable=False),
        sa.Column("iccid", sa.String(20), nullable=False, unique=True),
        sa.Column("activated_at", sa.Float(), nullable=False),
        sa.Column("deactivated_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_corporate_sim_cards_msisdn", "corporate_sim_cards", ["msisdn"])
    op.create_table(
        "corporate_employees",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _client_id(),
        sa.Column("msisdn", sa.String(11), sa.ForeignKey("corporate_members.msisdn"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("position", sa.String(120), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("msisdn", name="uq_corporate_employees_msisdn"),
    )
    op.create_index("ix_corporate_employees_client_id", "corporate_employees", ["client_id"])


def downgrade() -> None:
    for table in ("corporate_employees", "corporate_sim_cards", "corporate_forwarding",
                  "corporate_spending_limits", "corporate_tokens", "corporate_logins",
                  "corporate_contacts", "corporate_members", "corporate_regions", "corporate_clients"):
        op.drop_table(table)
