"""SQLAlchemy model of voice call records: who called which menu number, the keys, the charge."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models import Base


class CallRecord(Base):
    """One finished call; `path` is a JSON list of keys, secret inputs already masked (R04, R08)."""

    __tablename__ = "call_records"
    __table_args__ = (Index("ix_call_records_msisdn_started", "msisdn", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"))  # the caller
    number: Mapped[str] = mapped_column(String(16))  # the menu number dialled
    transport: Mapped[str] = mapped_column(String(8))  # api | sip
    started_at: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: never answered
    ended_at: Mapped[float] = mapped_column(Float)
    path: Mapped[str] = mapped_column(Text)
    charge: Mapped[int] = mapped_column(Integer)  # kopecks
    end_reason: Mapped[str] = mapped_column(String(16))
