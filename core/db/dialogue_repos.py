"""SQLAlchemy repository of USSD dialogue records over one Session (one transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.dialogue_models import UssdDialogue


class DialogueRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: Mapping[str, object]) -> None:
        """Store a finished dialogue: id, msisdn, service_code, initiator, transport, server,
        started_at, ended_at, outcome and steps (JSON text)."""
        self._session.add(UssdDialogue(**record))

    def get(self, dialogue_id: str) -> UssdDialogue | None:
        return self._session.get(UssdDialogue, dialogue_id)

    def of(self, msisdn: str, limit: int) -> Sequence[UssdDialogue]:
        """A handset's latest dialogues, newest first."""
        return self._session.scalars(
            select(UssdDialogue).where(UssdDialogue.msisdn == msisdn)
            .order_by(UssdDialogue.started_at.desc(), UssdDialogue.id).limit(limit)
        ).all()
