"""Spending of the corporate account per account and per number, and spending limits (R33).

Spending of a billing period is the sum of the debit entries of the money ledger in that
period (core.ledger.period_of), shown as a positive amount. A limit is a number's cap for one
period. An exceeded limit is reported (`over_limit`) and does not by itself block anything:
blocking paid operations belongs to core.ledger's debits, which may call
`require_within_limit` before taking money.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.corporate.access import (
    CorporateAdmin,
    Viewer,
    require_admin,
    require_member,
    require_view,
    visible,
)
from core.errors import InvalidAmount, SpendingLimitExceeded
from core.ledger import period_of, period_or_current
from core.ports import UnitOfWork


@dataclass(frozen=True)
class NumberSpending:
    msisdn: str
    spent: int  # kopecks
    limit: int | None

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.spent > self.limit


@dataclass(frozen=True)
class Spending:
    """The spending of the numbers a viewer may see: the whole account, or one's own number."""

    client_id: int
    period: str
    numbers: tuple[NumberSpending, ...]

    @property
    def total(self) -> int:
        return sum(n.spent for n in self.numbers)


def spending(uow: UnitOfWork, who: Viewer, now: float, *, period: str | None = None) -> Spending:
    """Per account and per number, for `period` (`2026-11`) or the current one."""
    period = period_or_current(period, now)
    client_id, numbers = visible(uow, who)
    return Spending(client_id, period, _numbers(uow, numbers, period))


def number_spending(uow: UnitOfWork, who: Viewer, msisdn: str, now: float, *,
                    period: str | None = None) -> NumberSpending:
    msisdn = require_view(uow, who, msisdn)
    return _numbers(uow, [msisdn], period_or_current(period, now))[0]


def set_limit(uow: UnitOfWork, admin: CorporateAdmin, msisdn: str, amount: int | None,
              now: float) -> NumberSpending:
    """Set a number's limit per billing period in kopecks (0 allowed), or remove it with None."""
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount < 0):
        raise InvalidAmount("a spending limit is a number of kopecks, 0 or more")
    msisdn = require_member(uow, require_admin(admin).client_id, msisdn)
    uow.corporate_numbers.set_limit(msisdn, amount, now)
    return _numbers(uow, [msisdn], period_of(now))[0]


def require_within_limit(uow: UnitOfWork, msisdn: str, amount: int, now: float) -> None:
    """SpendingLimitExceeded when debiting `amount` now would take a number past its limit."""
    limit = uow.corporate_numbers.limit(msisdn)
    if limit is None:
        return
    spent = uow.corporate_ledger.spending([msisdn], period_of(now))[msisdn]
    if spent + amount > limit:
        raise SpendingLimitExceeded(msisdn, limit, spent)


def _numbers(uow: UnitOfWork, numbers: list[str], period: str) -> tuple[NumberSpending, ...]:
    spent = uow.corporate_ledger.spending(numbers, period)
    return tuple(NumberSpending(m, spent[m], uow.corporate_numbers.limit(m)) for m in numbers)


