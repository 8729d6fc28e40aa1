"""The promised payment (R19): a short-term credit on the balance, its fee and its repayment.

How it works: taking one books a PROMISED_PAYMENT credit and, when the catalogue's tier
asks for one, a PROMISED_FEE debit, and records the payment as outstanding (at most one
per number, also enforced by a partial unique index). It is repaid in full by a
PROMISED_REPAYMENT debit on the next top-up (core.payments) or when its term ends
(`settle_due`), whichever comes first. The repayment is the only debit that may take a
balance below zero, down to `floor()`: see the floor invariant in core.ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.access import Actor, require_change, require_view
from core.catalogue import Catalogue
from core.errors import InvalidAmount, PromisedPaymentRefused, SimBlocked
from core.ledger import Cause, credit, debit
from core.ports import PromisedPaymentRecord, UnitOfWork

DAY = 86400.0
BY_TERM, BY_TOP_UP = "term", "top_up"


@dataclass(frozen=True)
class Promised:
    id: int
    msisdn: str
    amount: int  # kopecks
    fee: int
    granted_at: float
    due_at: float
    repaid_at: float | None
    repaid_by: str | None  # term | top_up


def take(uow: UnitOfWork, actor: Actor, catalogue: Catalogue, amount: int, now: float,
         msisdn: str | None = None) -> Promised:
    """Credit a promised payment of `amount` kopecks and charge its fee."""
    msisdn = require_change(uow, actor, msisdn or actor.msisdn)
    rules = catalogue.promised_payment
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= rules.max_amount:
        raise InvalidAmount(f"a promised payment is 0.01 to {rules.max_amount / 100:.2f} roubles")
    fee = rules.fee_for(amount)
    row = uow.subscribers.lock(msisdn)
    if row.blocked:
        raise SimBlocked(f"the SIM of {msisdn} is blocked: no promised payment")
    if now - row.created_at < rules.min_account_age_days * DAY:
        raise PromisedPaymentRefused(f"the number must be at least {rules.min_account_age_days} days old")
    if uow.promised.outstanding(msisdn, lock=True) is not None:
        raise PromisedPaymentRefused("a promised payment is already outstanding; top up to repay it")
    current = uow.ledger.balance(msisdn)
    if current + amount - fee < 0:
        raise PromisedPaymentRefused(f"{amount / 100:.2f} would not cover the debt of {-current / 100:.2f} and the fee")
    record = uow.promised.add(msisdn, amount, fee, now, now + rules.term_days * DAY)
    credit(uow, msisdn, amount, Cause.PROMISED_PAYMENT, now, detail=f"due in {rules.term_days} days",
           ref=f"promised:{record.id}")
    if fee:
        debit(uow, msisdn, fee, Cause.PROMISED_FEE, now, detail=f"fee for {amount / 100:.2f}",
              ref=f"promised:{record.id}:fee")
    return _view(record)


def outstanding(uow: UnitOfWork, actor: Actor, msisdn: str | None = None) -> Promised | None:
    """The promised payment not yet repaid, if any."""
    msisdn = require_view(uow, actor, msisdn or actor.msisdn)
    record = uow.promised.outstanding(msisdn)
    return _view(record) if record else None


def repay(uow: UnitOfWork, msisdn: str, now: float, by: str = BY_TOP_UP) -> Promised | None:
    """Repay the outstanding promised payment of `msisdn` in full; None when there is none.

    A system step (a top-up's or the term's), so it takes no actor.
    """
    return _repay(uow, msisdn, now, by)


def settle_due(uow: UnitOfWork, now: float) -> list[Promised]:
    """Repay every promised payment whose term has ended; a rerun finds nothing left to do."""
    settled = []
    for record in uow.promised.due(now):
        repaid = _repay(uow, record.msisdn, now, BY_TERM, due_by=now)
        if repaid is not None:
            settled.append(repaid)
    return settled


def floor(uow: UnitOfWork, msisdn: str) -> int:
    """The lowest balance the number may have: minus its latest promised payment, else 0."""
    latest = uow.promised.latest(msisdn)
    return -latest.amount if latest else 0


def _repay(uow: UnitOfWork, msisdn: str, now: float, by: str, due_by: float | None = None) -> Promised | None:
    uow.subscribers.lock(msisdn)
    # Read again under the lock: a top-up may have repaid it since it was listed as due.
    record = uow.promised.outstanding(msisdn, lock=True)
    if record is None or (due_by is not None and record.due_at > due_by):
        return None
    debit(uow, msisdn, record.amount, Cause.PROMISED_REPAYMENT, now, floor=-record.amount,
          detail=f"promised payment of {record.amount / 100:.2f}", ref=f"promised:{record.id}:repaid")
    record.repaid_at, record.repaid_by = now, by
    return _view(record)


def _view(record: PromisedPaymentRecord) -> Promised:
    return Promised(record.id, record.msisdn, record.amount, record.fee, record.granted_at,
                    record.due_at, record.repaid_at, record.repaid_by)
