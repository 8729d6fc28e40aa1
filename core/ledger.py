"""The append-only money ledger: every change of a balance is an entry with its cause.

The balance is always the sum of a number's entries. Every operation that reads a
balance to decide on a debit first locks the subscriber row, so concurrent debits of
one number are serialised (FOR UPDATE on PostgreSQL; SQLite has a single writer).
"""

from __future__ import annotations

import datetime
import enum

from core.errors import InsufficientFunds, InvalidAmount
from core.ports import UnitOfWork

MOSCOW = datetime.timezone(datetime.timedelta(hours=3))


class Cause(enum.StrEnum):
    OPENING_BALANCE = "opening_balance"
    TOP_UP = "top_up"
    OPTION_FEE = "option_fee"
    SUBSCRIPTION_FEE = "subscription_fee"
    TARIFF_FEE = "tariff_fee"
    TARIFF_CHANGE = "tariff_change"
    PACKAGE_PURCHASE = "package_purchase"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    PROMISED_PAYMENT = "promised_payment"
    PROMISED_REPAYMENT = "promised_repayment"
    PROMISED_FEE = "promised_fee"
    ROAMING_CALL = "roaming_call"
    ROAMING_SMS = "roaming_sms"
    AUTOPAY = "autopay"
    SIM_REPLACEMENT = "sim_replacement"


def period_of(now: float) -> str:
    """The billing period of a moment: the calendar month in Moscow time, `2026-11`."""
    return datetime.datetime.fromtimestamp(now, MOSCOW).strftime("%Y-%m")


def balance(uow: UnitOfWork, msisdn: str) -> int:
    """The balance in kopecks: the sum of every entry."""
    return uow.ledger.balance(msisdn)


def credit(uow: UnitOfWork, msisdn: str, amount: int, cause: Cause, now: float, *,
           detail: str = "", ref: str | None = None) -> int:
    """Add money; returns the new balance."""
    _check_amount(amount)
    uow.subscribers.lock(msisdn)
    uow.ledger.add(msisdn, amount, cause.value, now, detail=detail, ref=ref, period=period_of(now))
    return uow.ledger.balance(msisdn)


def debit(uow: UnitOfWork, msisdn: str, amount: int, cause: Cause, now: float, *,
          detail: str = "", ref: str | None = None, floor: int = 0) -> int:
    """Take money if the balance stays at or above `floor`; returns the new balance.

    `floor` below zero is the credit a caller may grant (a promised payment's repayment).
    """
    _check_amount(amount)
    uow.subscribers.lock(msisdn)
    current = uow.ledger.balance(msisdn)
    if current - amount < floor:
        raise InsufficientFunds(current, amount)
    uow.ledger.add(msisdn, -amount, cause.value, now, detail=detail, ref=ref, period=period_of(now))
    return current - amount


def has_ref(uow: UnitOfWork, ref: str) -> bool:
    """True when an entry with this idempotency key exists (an operation already done)."""
    return uow.ledger.has_ref(ref)


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidAmount("an amount must be a positive number of kopecks")
