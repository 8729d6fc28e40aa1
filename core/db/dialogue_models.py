"""SQLAlchemy model of USSD dialogue records: who dialled what, every screen, how it ended."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models import Base


class UssdDialogue(Base):
    """One finished USSD dialogue; `steps` is JSON, secret inputs already masked."""

    __tablename__ = "ussd_dialogues"
    __table_args__ = (Index("ix_ussd_dialogues_msisdn_started", "msisdn", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    msisdn: Mapped[str] = mapped_column(ForeignKey("subscribers.msisdn"))
    service_code: Mapped[str] = mapped_column(String(16))
    initiator: Mapped[str] = mapped_column(String(8))  # mobile | network
    transport: Mapped[str] = mapped_column(String(16))  # http | smpp | africastalking
    server: Mapped[str] = mapped_column(String(16))  # menus | smpp_app | http_app | network
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(12))  # completed | released | timed_out | app_error
    steps: Mapped[str] = mapped_column(Text)
