"""The append-only money ledger: every change of a balance is an entry with its cause.

The balance is always the sum of a number's entries. Every operation that reads a
balance to decide on a debit first locks the subscriber row, so concurrent debits of
one number are serialised (FOR UPDATE on PostgreSQL; on SQLite every transaction
begins IMMEDIATE, so there is one writer at a time).

The floor invariant: a balance never ends a transaction below
`-(the amount of the number's latest promised payment)`, and never below zero for a
number that never took one. It holds because every debit needs `balance - amount >= 0`
except PROMISED_REPAYMENT, the only cause allowed a negative floor, which core.promised
books with `floor=-amount`, i.e. from a balance that is at least zero (a promised payment
is granted only when the balance stays >= 0 after its fee, and while it is outstanding
only floor-0 debits happen). So a negative balance is exactly an unpaid part of the
latest promised payment, and the next top-up covers it.
"""

from __future__ import annotations

import datetime
import enum
import re

from core.errors import InsufficientFunds, InvalidAmount, InvalidInput
from core.ports import UnitOfWork

MOSCOW = datetime.timezone(datetime.timedelta(hours=3))
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MAX_ENTRY = 10**11  # kopecks (a billion roubles): keeps any sum far inside a 64-bit integer


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


def period_or_current(period: str | None, now: float) -> str:
    """A billing period given as `2026-11`, checked, or the one `now` falls in."""
    if period is None:
        return period_of(now)
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise InvalidInput(f"a billing period is a month like 2026-11, not {period!r}")
    return period


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

    `floor` below zero is reserved to PROMISED_REPAYMENT (see the floor invariant above).
    """
    _check_amount(amount)
    if floor < 0 and cause is not Cause.PROMISED_REPAYMENT:
        raise ValueError(f"only a promised payment's repayment may take a balance below zero, not {cause}")
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
    if amount > MAX_ENTRY:
        raise InvalidAmount(f"an amount is at most {MAX_ENTRY // 100} roubles")
