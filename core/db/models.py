"""SQLAlchemy 2.0 table models of the self-service store."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A personal account: one or more numbers managed together (R28)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), default="personal")
    created_at: Mapped[float] = mapped_column(Float)


class Subscriber(Base):
    __tablename__ = "subscribers"

    msisdn: Mapped[str] = mapped_column(String(11), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True, nullable=True)
    tariff: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="ru")
    roaming: Mapped[bool] = mapped_column(Boolean, default=False)
    switched_on: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    access: Mapped[str] = mapped_column(String(16), default="account", server_default="account")  # R26-R28


class LedgerEntry(Base):
    """One change of a balance; the balance is the sum of a subscriber's entries."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # kopecks, signed
    cause: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float)
    period: Mapped[str] = mapped_column(String(7), default="")  # billing month, 2026-11
    detail: Mapped[str] = mapped_column(String(200), default="")
    ref: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)  # idempotency key


class Credential(Base):
    """The personal-account password of one number: at most one live secret at a time."""

    __tablename__ = "credentials"

    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # one_time | permanent
    secret_hash: Mapped[str | None] = mapped_column(String(160), nullable=True)
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    login_notifications: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginToken(Base):
    __tablename__ = "login_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    created_at: Mapped[float] = mapped_column(Float)


class Message(Base):
    """An SMS in the message store: sent by a handset (mo) or to it (mt)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"), index=True)
    direction: Mapped[str] = mapped_column(String(2))  # mo | mt
    peer: Mapped[str] = mapped_column(String(21))  # the other party's address
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
