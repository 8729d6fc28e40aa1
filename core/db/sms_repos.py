"""SQLAlchemy repository of pending SMS delivery receipts over one Session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.sms_models import SmsReceipt


class ReceiptRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, system_id: str, message_id: str, source_addr: str, destination_addr: str,
            message_state: int, body: str, now: float) -> SmsReceipt:
        row = SmsReceipt(system_id=system_id, message_id=message_id, source_addr=source_addr,
                         destination_addr=destination_addr, message_state=message_state,
                         body=body, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def pending(self, system_id: str, limit: int = 1000) -> Sequence[SmsReceipt]:
        """An account's receipts not yet acknowledged, oldest first."""
        return self._session.scalars(
            select(SmsReceipt).where(SmsReceipt.system_id == system_id).order_by(SmsReceipt.id).limit(limit)
        ).all()

    def remove(self, receipt_id: int) -> None:
        self._session.execute(delete(SmsReceipt).where(SmsReceipt.id == receipt_id))
