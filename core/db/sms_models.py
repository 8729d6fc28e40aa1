"""SQLAlchemy model of the SMSC's own state: delivery receipts not yet taken by their ESME."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models import Base


class SmsReceipt(Base):
    """A delivery receipt for an ESME account; deleted once its deliver_sm_resp said OK."""

    __tablename__ = "sms_receipts"
    __table_args__ = (Index("ix_sms_receipts_system_id", "system_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    system_id: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(65))  # as submit_sm_resp returned it
    source_addr: Mapped[str] = mapped_column(String(21))  # the original destination
    destination_addr: Mapped[str] = mapped_column(String(21))  # the original source
    message_state: Mapped[int] = mapped_column(Integer)  # SMPP message_state TLV value
    body: Mapped[str] = mapped_column(Text)  # the receipt's short_message text
    created_at: Mapped[float] = mapped_column(Float)
