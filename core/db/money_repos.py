"""SQLAlchemy repositories of the money area over one Session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import LedgerEntry
from core.db.money_models import AutopayRule, PaymentRequest, PromisedPayment


class StatementRepository:
    """Read side of the ledger: the entries and totals behind R15."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def debits(self, msisdn: str, period: str) -> Sequence[LedgerEntry]:
        self._session.flush()
        return self._session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.msisdn == msisdn, LedgerEntry.period == period, LedgerEntry.amount < 0)
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        ).all()

    def debit_totals(self, msisdn: str, period: str) -> Sequence[tuple[str, int]]:
        self._session.flush()
        rows = self._session.execute(
            select(LedgerEntry.cause, func.sum(-LedgerEntry.amount))
            .where(LedgerEntry.msisdn == msisdn, LedgerEntry.period == period, LedgerEntry.amount < 0)
            .group_by(LedgerEntry.cause)
            .order_by(LedgerEntry.cause)
        ).all()
        return [(cause, int(total)) for cause, total in rows]


class PromisedPaymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, msisdn: str, amount: int, fee: int, now: float, due_at: float) -> PromisedPayment:
        row = PromisedPayment(msisdn=msisdn, amount=amount, fee=fee, granted_at=now, due_at=due_at)
        self._session.add(row)
        self._session.flush()
        return row

    def outstanding(self, msisdn: str, *, lock: bool = False) -> PromisedPayment | None:
        query = select(PromisedPayment).where(PromisedPayment.msisdn == msisdn,
                                              PromisedPayment.repaid_at.is_(None))
        if lock:
            query = query.with_for_update()
        return self._session.scalars(query.execution_options(populate_existing=True)).first()

    def latest(self, msisdn: str) -> PromisedPayment | None:
        return self._session.scalars(
            select(PromisedPayment).where(PromisedPayment.msisdn == msisdn)
            .order_by(PromisedPayment.id.desc()).limit(1)
        ).first()

    def due(self, now: float) -> Sequence[PromisedPayment]:
        return self._session.scalars(
            select(PromisedPayment)
            .where(PromisedPayment.repaid_at.is_(None), PromisedPayment.due_at <= now)
            .order_by(PromisedPayment.due_at, PromisedPayment.id)
        ).all()


class PaymentRequestRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, requester: str, payer: str, amount: int, now: float, expires_at: float) -> PaymentRequest:
        row = PaymentRequest(requester=requester, payer=payer, amount=amount, created_at=now,
                             expires_at=expires_at, status="pending")
        self._session.add(row)
        self._session.flush()
        return row

    def get_for_update(self, request_id: int) -> PaymentRequest | None:
        return self._session.get(PaymentRequest, request_id, with_for_update=True, populate_existing=True)

    def pending_for(self, payer: str, now: float) -> Sequence[PaymentRequest]:
        return self._session.scalars(
            select(PaymentRequest)
            .where(PaymentRequest.payer == payer, PaymentRequest.status == "pending",
                   PaymentRequest.expires_at > now)
            .order_by(PaymentRequest.id)
        ).all()


class AutopayRuleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, msisdn: str, card_token: str, kind: str, every: str | None, anchor: float,
            threshold: int | None, amount: int, now: float) -> AutopayRule:
        row = AutopayRule(msisdn=msisdn, card_token=card_token, kind=kind, every=every, anchor=anchor,
                          threshold=threshold, amount=amount, status="active", armed=True, episode=0,
                          last_period=None, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def get_for_update(self, rule_id: int) -> AutopayRule | None:
        return self._session.get(AutopayRule, rule_id, with_for_update=True, populate_existing=True)

    def of(self, msisdn: str) -> Sequence[AutopayRule]:
        return self._session.scalars(
            select(AutopayRule)
            .where(AutopayRule.msisdn == msisdn, AutopayRule.status != "deleted")
            .order_by(AutopayRule.id)
        ).all()

    def active_ids(self) -> Sequence[int]:
        return self._session.scalars(
            select(AutopayRule.id).where(AutopayRule.status == "active").order_by(AutopayRule.id)
        ).all()
