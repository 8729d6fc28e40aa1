"""SQLAlchemy models of the subscriber services: options, packages, bonuses, SIM blocks, support."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class ServiceConnection(Base):
    """An option or paid subscription connected to a number (R16); deleted on disconnect."""

    __tablename__ = "service_connections"
    __table_args__ = (UniqueConstraint("msisdn", "kind", "item", name="uq_service_connections_item"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # option | subscription
    item: Mapped[str] = mapped_column(String(64))  # catalogue id
    status: Mapped[str] = mapped_column(String(12))  # active | suspended
    connected_at: Mapped[float] = mapped_column(Float)
    suspended_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class PackageBucket(Base):
    """An allowance of one kind for one billing period: the tariff's, or an extra package (R22)."""

    __tablename__ = "package_buckets"
    __table_args__ = (
        CheckConstraint("used >= 0 AND used <= amount", name="ck_package_buckets_used"),
        Index("ix_package_buckets_msisdn_period", "msisdn", "period"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"))
    period: Mapped[str] = mapped_column(String(7))  # billing month, 2026-11
    kind: Mapped[str] = mapped_column(String(16))  # minutes | sms | internet_mb | roaming_minutes
    source: Mapped[str] = mapped_column(String(80))  # tariff:<id> | package:<id> | bonus:<id>
    amount: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # false: a tariff allowance replaced by a change
    created_at: Mapped[float] = mapped_column(Float)


class BonusRedemption(Base):
    """Points spent on a reward (R21); a fee discount waits here until a tariff fee uses it."""

    __tablename__ = "bonus_redemptions"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    reward: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    applied_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the fee it discounted


class SimBlock(Base):
    """One block of a SIM card and its lifting (R24); the open one has no unblocked_at."""

    __tablename__ = "sim_blocks"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # lost | stolen | voluntary
    blocked_at: Mapped[float] = mapped_column(Float)
    blocked_by: Mapped[str] = mapped_column(String(11))
    unblocked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    unblocked_by: Mapped[str | None] = mapped_column(String(11), nullable=True)


class SupportQuestion(Base):
    """A question to the operator and, once given, its answer (R25)."""

    __tablename__ = "support_questions"
    __table_args__ = (Index("ix_support_questions_status_asked_at", "status", "asked_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending | answered
    asked_at: Mapped[float] = mapped_column(Float)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
