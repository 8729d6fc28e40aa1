"""SQLAlchemy models of the SMSC's own state: submitted messages and receipts not yet taken."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, LargeBinary, String, Text
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
    # Several nodes: the node sending it now and the end of its lease (epoch seconds); none
    # on one node. Another node may claim it once the lease has ended.
    claimed_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_until: Mapped[float | None] = mapped_column(Float, nullable=True)


class SmsSubmit(Base):
    """One submit_sm (or segment of a long message, or destination of a submit_multi) an ESME
    sent; its id is the message_id the SMSC answered, its state what query_sm reports."""

    __tablename__ = "sms_submits"
    __table_args__ = (
        Index("ix_sms_submits_group", "system_id", "source_addr", "destination_addr", "ref", "routed"),
        Index("ix_sms_submits_state", "state"),
        Index("ix_sms_submits_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    system_id: Mapped[str] = mapped_column(String(16))
    source_addr: Mapped[str] = mapped_column(String(21))
    destination_addr: Mapped[str] = mapped_column(String(21))
    registered_delivery: Mapped[int] = mapped_column(Integer)
    data_coding: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # this submission's octets, UDH stripped
    text: Mapped[str] = mapped_column(Text)  # the same, decoded (a receipt repeats its start)
    ref: Mapped[int | None] = mapped_column(Integer, nullable=True)  # long message reference
    total: Mapped[int] = mapped_column(Integer, default=1)
    seqnum: Mapped[int] = mapped_column(Integer, default=1)
    routed: Mapped[bool] = mapped_column(Boolean, default=False)  # the whole text went on its way
    state: Mapped[int] = mapped_column(Integer)  # SMPP message_state
    error: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[float] = mapped_column(Float)
    done_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    valid_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The message_id the ESME was given when it is not this row's id: a submit_multi has one
    # for all its destinations (SMPP 3.4 4.5.2), which their receipts report.
    message_id: Mapped[str | None] = mapped_column(String(65), nullable=True)
    deliver_after: Mapped[float | None] = mapped_column(Float, nullable=True)  # schedule_delivery_time

    @property
    def reported_id(self) -> str:
        """The message_id the ESME knows this submission by."""
        return self.message_id or str(self.id)
