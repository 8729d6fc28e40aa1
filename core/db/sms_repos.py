"""SQLAlchemy repositories of the SMSC over one Session (one transaction): submissions, receipts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.db.sms_models import SmsReceipt, SmsSubmit

_RECEIPTS = SmsReceipt.__table__
_SUBMITS = SmsSubmit.__table__


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

    def insert(self, system_id: str, message_id: str, source_addr: str, destination_addr: str,
               message_state: int, body: str, now: float) -> int:
        """Like add, without the ORM's bookkeeping (the SMSC's hot path); the new row's id."""
        # Core on the Table with bound parameters: compiled once and cached, unlike ORM values().
        result = self._session.connection().execute(_RECEIPTS.insert(), dict(
            system_id=system_id, message_id=message_id, source_addr=source_addr,
            destination_addr=destination_addr, message_state=message_state, body=body, created_at=now))
        return result.inserted_primary_key[0]

    def insert_many(self, rows: Sequence[dict]) -> list[int]:
        """Many receipts (dicts of the columns but id) in one statement; their ids, in order."""
        return _insert_many(self._session, _RECEIPTS, rows)

    def pending(self, system_id: str, limit: int = 1000) -> Sequence[SmsReceipt]:
        """An account's receipts not yet acknowledged, oldest first."""
        return self._session.scalars(
            select(SmsReceipt).where(SmsReceipt.system_id == system_id).order_by(SmsReceipt.id).limit(limit)
        ).all()

    def remove(self, receipt_id: int) -> None:
        self._session.execute(delete(SmsReceipt).where(SmsReceipt.id == receipt_id))

    def remove_many(self, receipt_ids: Sequence[int]) -> None:
        self._session.connection().execute(_RECEIPTS.delete().where(_RECEIPTS.c.id.in_(list(receipt_ids))))

    def count(self) -> int:
        """Receipts of every account not yet acknowledged."""
        return self._session.scalar(select(func.count()).select_from(SmsReceipt)) or 0


class SubmitRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, **fields) -> SmsSubmit:
        """A new submission; `fields` are SmsSubmit's columns but id."""
        row = SmsSubmit(**fields)
        self._session.add(row)
        self._session.flush()
        return row

    def insert(self, **fields) -> int:
        """Like add, without the ORM's bookkeeping (the SMSC's hot path); the new row's id."""
        return self._session.connection().execute(_SUBMITS.insert(), fields).inserted_primary_key[0]

    def insert_many(self, rows: Sequence[dict]) -> list[int]:
        """Many submissions (dicts of the columns but id) in one statement; their ids, in order."""
        return _insert_many(self._session, _SUBMITS, rows)

    def sharing(self, system_id: str, message_id: str) -> Sequence[SmsSubmit]:
        """The other destinations of a submit_multi answered with `message_id`."""
        return self._session.scalars(
            select(SmsSubmit).where(SmsSubmit.system_id == system_id, SmsSubmit.message_id == message_id)
            .order_by(SmsSubmit.id)
        ).all()

    def get(self, submit_id: int) -> SmsSubmit | None:
        return self._session.get(SmsSubmit, submit_id)

    def segments(self, system_id: str, source_addr: str, destination_addr: str, ref: int) -> Sequence[SmsSubmit]:
        """The segments of a long message still waiting for their siblings, oldest first."""
        return self._session.scalars(
            select(SmsSubmit).where(
                SmsSubmit.system_id == system_id, SmsSubmit.source_addr == source_addr,
                SmsSubmit.destination_addr == destination_addr, SmsSubmit.ref == ref,
                SmsSubmit.routed.is_(False), SmsSubmit.state == 6,  # ACCEPTED: not cancelled
            ).order_by(SmsSubmit.id)
        ).all()

    def in_state(self, state: int, routed: bool = True, limit: int = 10_000) -> Sequence[SmsSubmit]:
        return self._session.scalars(
            select(SmsSubmit).where(SmsSubmit.state == state, SmsSubmit.routed.is_(routed))
            .order_by(SmsSubmit.id).limit(limit)
        ).all()

    def mark_routed(self, ids: Sequence[int], state: int | None = None) -> None:
        values: dict[str, object] = {"routed": True}
        if state is not None:
            values["state"] = state
        self._session.execute(update(SmsSubmit).where(SmsSubmit.id.in_(ids)).values(**values))

    def by_ids(self, ids: Sequence[int]) -> Sequence[SmsSubmit]:
        return self._session.scalars(select(SmsSubmit).where(SmsSubmit.id.in_(ids)).order_by(SmsSubmit.id)).all()

    def pending_between(self, system_id: str, source_addr: str, destination_addr: str) -> Sequence[SmsSubmit]:
        """An account's submissions from one address to another not yet routed."""
        return self._session.scalars(
            select(SmsSubmit).where(
                SmsSubmit.system_id == system_id, SmsSubmit.source_addr == source_addr,
                SmsSubmit.destination_addr == destination_addr, SmsSubmit.routed.is_(False),
            ).order_by(SmsSubmit.id)
        ).all()

    def held(self, destination: str | None = None) -> Sequence[SmsSubmit]:
        """Messages kept in the SMSC for their handset (ENROUTE, not routed), oldest first."""
        query = select(SmsSubmit).where(SmsSubmit.state == 1, SmsSubmit.routed.is_(False))
        if destination is not None:
            query = query.where(SmsSubmit.destination_addr == destination)
        return self._session.scalars(query.order_by(SmsSubmit.id)).all()

    def count_held(self) -> int:
        """Messages kept in the SMSC (for a switched-off handset, a delay, an unbound application)."""
        return self._session.scalar(select(func.count()).select_from(SmsSubmit).where(
            SmsSubmit.state == 1, SmsSubmit.routed.is_(False))) or 0

    def held_to(self, destinations: Sequence[str]) -> Sequence[SmsSubmit]:
        """Messages kept in the SMSC for any of these destinations, oldest first, locked for
        the transaction: of two nodes claiming them at once, the second finds them taken."""
        return self._session.scalars(
            select(SmsSubmit).where(SmsSubmit.state == 1, SmsSubmit.routed.is_(False),
                                    SmsSubmit.destination_addr.in_(destinations)).order_by(SmsSubmit.id)
            .with_for_update()
        ).all()


def _insert_many(session: Session, table, rows: Sequence[dict]) -> list[int]:
    # One INSERT ... VALUES (...), (...) RETURNING id per up to a thousand rows (SQLAlchemy's
    # insertmanyvalues), ids in the rows' order on SQLite and PostgreSQL alike.
    if not rows:
        return []
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, list(rows)).scalars())
