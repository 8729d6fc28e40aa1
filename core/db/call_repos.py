"""SQLAlchemy repository of voice call records over one Session (one transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.call_models import CallRecord


class CallRecordRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: Mapping[str, object]) -> None:
        """Store a finished call: id, msisdn, number, transport, started_at, answered_at,
        ended_at, path (JSON text, secrets masked), charge (kopecks) and end_reason."""
        self._session.add(CallRecord(**record))

    def get(self, call_id: str) -> CallRecord | None:
        return self._session.get(CallRecord, call_id)

    def of(self, msisdn: str, limit: int) -> Sequence[CallRecord]:
        """A handset's latest calls, newest first."""
        return self._session.scalars(
            select(CallRecord).where(CallRecord.msisdn == msisdn)
            .order_by(CallRecord.started_at.desc(), CallRecord.id).limit(limit)
        ).all()
