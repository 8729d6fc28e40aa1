"""SQLAlchemy models of the money area: promised payments, pay-for-me requests, autopay rules."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class PromisedPayment(Base):
    """A short-term credit on a balance (R19); outstanding while `repaid_at` is NULL."""

    __tablename__ = "promised_payments"
    __table_args__ = (
        # At most one outstanding promised payment per number, also under races.
        Index("uq_promised_payments_outstanding", "msisdn", unique=True,
              sqlite_where=text("repaid_at IS NULL"), postgresql_where=text("repaid_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # kopecks
    fee: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[float] = mapped_column(Float)
    due_at: Mapped[float] = mapped_column(Float, index=True)
    repaid_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    repaid_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # term | top_up


class PaymentRequest(Base):
    """A "pay for me" request (R23): `requester` asks `payer` for `amount`."""

    __tablename__ = "payment_requests"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    payer: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | declined
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AutopayRule(Base):
    """A bank-card autopay rule (R20); rows are never deleted so ids (and ledger refs) stay unique."""

    __tablename__ = "autopay_rules"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    card_token: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # periodic | threshold
    every: Mapped[str | None] = mapped_column(String(16), nullable=True)  # month | week | 20days
    anchor: Mapped[float] = mapped_column(Float)  # the first periodic charge
    threshold: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused | deleted
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    episode: Mapped[int] = mapped_column(Integer, default=0)
    last_period: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
