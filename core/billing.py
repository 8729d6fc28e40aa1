"""The balance, spending of a billing period and the detailization of paid operations (R15)."""

from __future__ import annotations

from dataclasses import dataclass

from core.access import Actor, require_view
from core.ledger import period_or_current
from core.ports import UnitOfWork


@dataclass(frozen=True)
class Balance:
    msisdn: str
    amount: int  # kopecks; below zero only by a promised payment's repayment
    promised: int  # the outstanding promised payment included in `amount`, 0 if none


@dataclass(frozen=True)
class Spending:
    msisdn: str
    period: str  # billing month, 2026-11
    total: int  # kopecks, positive
    by_cause: tuple[tuple[str, int], ...]  # (cause, kopecks), by cause name


@dataclass(frozen=True)
class Operation:
    """One paid operation: a debit entry of the ledger, its amount shown positive."""

    at: float
    cause: str
    amount: int
    detail: str


def balance(uow: UnitOfWork, actor: Actor, msisdn: str | None = None) -> Balance:
    """The balance at once (R15): the sum of the number's ledger entries."""
    msisdn = require_view(uow, actor, msisdn or actor.msisdn)
    outstanding = uow.promised.outstanding(msisdn)
    return Balance(msisdn, uow.ledger.balance(msisdn), outstanding.amount if outstanding else 0)


def spending(uow: UnitOfWork, actor: Actor, now: float, msisdn: str | None = None, *,
             period: str | None = None) -> Spending:
    """The sum of the debits of a billing period (the current one by default), by cause."""
    msisdn = require_view(uow, actor, msisdn or actor.msisdn)
    period = period_or_current(period, now)
    by_cause = tuple(uow.statements.debit_totals(msisdn, period))
    return Spending(msisdn, period, sum(total for _, total in by_cause), by_cause)


def detailization(uow: UnitOfWork, actor: Actor, now: float, msisdn: str | None = None, *,
                  period: str | None = None) -> tuple[Operation, ...]:
    """Every paid operation (debit entry) of a billing period, oldest first."""
    msisdn = require_view(uow, actor, msisdn or actor.msisdn)
    entries = uow.statements.debits(msisdn, period_or_current(period, now))
    return tuple(Operation(e.created_at, e.cause, -e.amount, e.detail) for e in entries)


