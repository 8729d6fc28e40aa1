"""SQLAlchemy models of corporate clients (R29-R33): groups, the CP_ login, number settings."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class CorporateClient(Base):
    """A company, sole trader or private practice under contract (R29)."""

    __tablename__ = "corporate_clients"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # company | sole_trader | private_practice
    secret_question: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_answer_hash: Mapped[str | None] = mapped_column(String(160), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class CorporateRegion(Base):
    """A region (operator branch) where the client holds a contract; more than one: federal."""

    __tablename__ = "corporate_regions"

    client_id: Mapped[int] = mapped_column(ForeignKey("corporate_clients.id"), primary_key=True)
    region: Mapped[str] = mapped_column(String(80), primary_key=True)


class CorporateMember(Base):
    """A number of the corporate group; a number belongs to at most one group."""

    __tablename__ = "corporate_members"

    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("corporate_clients.id"), index=True)
    added_at: Mapped[float] = mapped_column(Float)


class CorporateContact(Base):
    """A contact number of the client: where a reset corporate password is sent (R32)."""

    __tablename__ = "corporate_contacts"

    client_id: Mapped[int] = mapped_column(ForeignKey("corporate_clients.id"), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(11), primary_key=True)  # need not be ours


class CorporateLogin(Base):
    """The client's CP_ login: a permanent password, the failure count and a pending captcha."""

    __tablename__ = "corporate_logins"

    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("corporate_clients.id"), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(160))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    captcha_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    captcha_hash: Mapped[str | None] = mapped_column(String(160), nullable=True)
    captcha_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    password_set_at: Mapped[float] = mapped_column(Float)


class CorporateToken(Base):
    """A session of the corporate account; kept apart from personal-account tokens."""

    __tablename__ = "corporate_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    msisdn: Mapped[str] = mapped_column(ForeignKey("corporate_logins.msisdn"), index=True)
    created_at: Mapped[float] = mapped_column(Float)


class CorporateSpendingLimit(Base):
    """The spending limit of one number for a billing period, in kopecks."""

    __tablename__ = "corporate_spending_limits"

    msisdn: Mapped[str] = mapped_column(ForeignKey("corporate_members.msisdn"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[float] = mapped_column(Float)


class CorporateForwarding(Base):
    """Unconditional call forwarding of one number, set by the corporate account."""

    __tablename__ = "corporate_forwarding"

    msisdn: Mapped[str] = mapped_column(ForeignKey("corporate_members.msisdn"), primary_key=True)
    target: Mapped[str] = mapped_column(String(11))
    set_at: Mapped[float] = mapped_column(Float)


class CorporateSimCard(Base):
    """A SIM card of a number; replaced cards stay as history with their deactivation time."""

    __tablename__ = "corporate_sim_cards"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    iccid: Mapped[str] = mapped_column(String(20), unique=True)
    activated_at: Mapped[float] = mapped_column(Float)
    deactivated_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class CorporateEmployee(Base):
    """An employee behind a number of the group, with their position."""

    __tablename__ = "corporate_employees"
    __table_args__ = (UniqueConstraint("msisdn", name="uq_corporate_employees_msisdn"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("corporate_clients.id"), index=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("corporate_members.msisdn"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[float] = mapped_column(Float)
