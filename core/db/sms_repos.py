"""SQLAlchemy repositories of the SMSC over one Session (one transaction): submissions, receipts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.db.bulk import delete_ids, insert_rows
from core.db.sms_models import SmsReceipt, SmsSubmit

_RECEIPTS = SmsReceipt.__table__
_CLAIM = ("claimed_by", "claimed_until")
_SUBMITS = SmsSubmit.__table__


class ReceiptRepository:
    """Receipts not yet acknowledged. On several nodes (`claims` set for the transaction) a
    receipt is claimed by the node sending it: created claimed when that node holds a
    receiving bind of the account, else claimed when a node loads it to send it."""

    # Set per transaction on a cluster node (gateway/cluster/receiptclaims.ReceiptClaims):
    # `stamp(system_id)` gives (node id, lease end) for a receipt created now, or (None, None).
    claims = None

    def __init__(self, session: Session) -> None:
        self._session = session
        self._stamps: dict[str, tuple[str | None, float | None]] = {}

    def claimant(self, system_id: str) -> str | None:
        """The node that claims the receipts of `system_id` created in this transaction."""
        return None if self.claims is None else self._stamp(system_id)[0]

    def _stamp(self, system_id: str) -> tuple[str | None, float | None]:
        # Once per account and transaction: every receipt of a batch carries the same claim.
        stamp = self._stamps.get(system_id)
        if stamp is None:
            stamp = self._stamps[system_id] = self.claims.stamp(system_id)
        return stamp

    def add(self, system_id: str, message_id: str, source_addr: str, destination_addr: str,
            message_state: int, body: str, now: float) -> SmsReceipt:
        row = SmsReceipt(system_id=system_id, message_id=message_id, source_addr=source_addr,
                         destination_addr=destination_addr, message_state=message_state,
                         body=body, created_at=now)
        if self.claims is not None:
            row.claimed_by, row.claimed_until = self._stamp(system_id)
        self._session.add(row)
        self._session.flush()
        return row

    def insert(self, system_id: str, message_id: str, source_addr: str, destination_addr: str,
               message_state: int, body: str, now: float) -> int:
        """Like add, without the ORM's bookkeeping (the SMSC's hot path); the new row's id."""
        # Core on the Table with bound parameters: compiled once and cached, unlike ORM values().
        values = dict(system_id=system_id, message_id=message_id, source_addr=source_addr,
                      destination_addr=destination_addr, message_state=message_state, body=body, created_at=now)
        if self.claims is not None:
            values["claimed_by"], values["claimed_until"] = self._stamp(system_id)
        result = self._session.connection().execute(_RECEIPTS.insert(), values)
        return result.inserted_primary_key[0]

    def insert_many(self, rows: Sequence[dict]) -> list[int]:
        """Many receipts (dicts of the columns but id and claim) in one statement; their ids, in order."""
        if self.claims is not None:  # every row gets both keys (bulk.py wants the same keys in all)
            rows = [dict(row, **dict(zip(_CLAIM, self._stamp(row["system_id"]), strict=True))) for row in rows]
        return insert_rows(self._session, _RECEIPTS, rows)

    def claim_pending(self, system_id: str, node: str, now: float, until: float,
                      limit: int = 1000) -> list[SmsReceipt]:
        """An account's receipts not yet acknowledged that `node` may send, claimed by it
        until `until`, oldest first: those unclaimed, its own, and those whose lease ended
        by `now`. Rows another transaction is claiming are skipped (not waited for)."""
        free = or_(SmsReceipt.claimed_by.is_(None), SmsReceipt.claimed_by == node, SmsReceipt.claimed_until <= now)
        chosen = (select(SmsReceipt.id).where(SmsReceipt.system_id == system_id, free).order_by(SmsReceipt.id)
                  .limit(limit).with_for_update(skip_locked=True))
        claimed = self._session.scalars(
            update(SmsReceipt).where(SmsReceipt.id.in_(chosen.scalar_subquery()))
            .values(claimed_by=node, claimed_until=until).returning(SmsReceipt)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(claimed, key=lambda row: row.id)  # RETURNING keeps no order

    def renew(self, receipt_ids: Sequence[int], node: str, until: float) -> None:
        """Extend `node`'s leases of these receipts (still in flight) to `until`; one it lost stays lost."""
        self._session.execute(update(SmsReceipt).where(SmsReceipt.id.in_(list(receipt_ids)),
                                                       SmsReceipt.claimed_by == node)
                              .values(claimed_until=until).execution_options(synchronize_session=False))

    def unclaim(self, receipt_ids: Sequence[int], node: str) -> None:
        """Give up `node`'s claims of these receipts: claimable by any node at once."""
        self._session.execute(update(SmsReceipt).where(SmsReceipt.id.in_(list(receipt_ids)),
                                                       SmsReceipt.claimed_by == node)
                              .values(claimed_by=None, claimed_until=None)
                              .execution_options(synchronize_session=False))

    def pending(self, system_id: str, limit: int = 1000) -> Sequence[SmsReceipt]:
        """An account's receipts not yet acknowledged, oldest first."""
        return self._session.scalars(
            select(SmsReceipt).where(SmsReceipt.system_id == system_id).order_by(SmsReceipt.id).limit(limit)
        ).all()

    def remove(self, receipt_id: int) -> None:
        self._session.execute(delete(SmsReceipt).where(SmsReceipt.id == receipt_id))

    def remove_many(self, receipt_ids: Sequence[int]) -> None:
        delete_ids(self._session, _RECEIPTS, receipt_ids)

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
        return insert_rows(self._session, _SUBMITS, rows)

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
