"""Tariffs (R17): the current one, the ones offered, changing, and the monthly fee run.

How it works: a change debits the new tariff's change fee (cause `tariff_change`) and its
first monthly fee (`tariff_fee`), then resets the period's package allowance to the new
tariff's (core.packages). A billing period's monthly fee carries the ledger key
`fee:<msisdn>:tariff:<period>`, so `charge_monthly_fees` charges it once a month, and not in a
month where a change already paid a first fee. A pending bonus fee discount (R21) is taken by
the next monthly fee. A fee the balance cannot cover is reported as unpaid and retried by every
later run. Archived tariffs (`available: false`) are offered to nobody, corporate ones only to
numbers on a non-personal account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core import bonuses, packages, subscribers
from core.access import Actor, require_change, require_view
from core.catalogue import Catalogue, Name, Tariff
from core.errors import InsufficientFunds, SameTariff, TariffUnavailable
from core.ledger import Cause, debit, has_ref, period_of
from core.ports import UnitOfWork
from core.sim import require_unblocked

PERSONAL = "personal"


@dataclass(frozen=True)
class TariffView:
    id: str
    name: Name
    monthly_fee: int
    change_fee: int
    packages: Mapping[str, int]


@dataclass(frozen=True)
class MonthlyRun:
    """What one monthly fee run did: (msisdn, tariff, kopecks) charged, (msisdn, tariff) unpaid."""

    charged: tuple[tuple[str, str, int], ...] = ()
    unpaid: tuple[tuple[str, str], ...] = ()


def monthly_ref(msisdn: str, period: str) -> str:
    """The ledger idempotency key of a billing period's monthly tariff fee."""
    return f"fee:{msisdn}:tariff:{period}"


def current(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str) -> TariffView:
    """The number's tariff: name, monthly fee and packages."""
    msisdn = require_view(uow, actor, msisdn)
    return _view(catalogue.tariff(subscribers.require(uow, msisdn).tariff))


def available(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str) -> list[TariffView]:
    """The tariffs this number may change to (its own excluded), by monthly fee."""
    msisdn = require_view(uow, actor, msisdn)
    row = subscribers.require(uow, msisdn)
    return [_view(t) for t in sorted(catalogue.tariffs.values(), key=lambda t: (t.monthly_fee, t.id))
            if t.id != row.tariff and _may_take(uow, row.account_id, t)]


def change(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, tariff_id: str,
           now: float) -> TariffView:
    """Change tariff: change fee plus first monthly fee, packages reset to the new allowance."""
    msisdn = require_change(uow, actor, msisdn)
    tariff = catalogue.tariff(tariff_id)
    row = subscribers.require(uow, msisdn)
    if tariff.id == row.tariff:
        raise SameTariff(f"{msisdn} is already on {tariff.id!r}")
    if not _may_take(uow, row.account_id, tariff):
        raise TariffUnavailable(f"tariff {tariff.id!r} is not available for {msisdn}")
    require_unblocked(uow, msisdn)
    period = period_of(now)
    ref = monthly_ref(msisdn, period)
    fee_ref = None if _settled(uow, ref) else ref  # a second change this month pays again, unkeyed
    discount = bonuses.pending_discount(uow, msisdn) if tariff.monthly_fee else None
    fee = bonuses.discounted(tariff.monthly_fee, discount)
    row = uow.subscribers.lock(msisdn)
    balance = uow.ledger.balance(msisdn)
    if balance < tariff.change_fee + fee:  # checked as a whole: no half-paid change
        raise InsufficientFunds(balance, tariff.change_fee + fee)
    if tariff.change_fee:
        debit(uow, msisdn, tariff.change_fee, Cause.TARIFF_CHANGE, now, detail=f"{row.tariff} -> {tariff.id}")
    if fee:
        debit(uow, msisdn, fee, Cause.TARIFF_FEE, now, detail=f"{tariff.id}: {period}", ref=fee_ref)
    if discount is not None:
        discount.applied_ref = fee_ref or f"change:{msisdn}:{tariff.id}:{now}"
    row.tariff = tariff.id
    packages.reset_tariff(uow, catalogue, msisdn, tariff.id, now)
    return _view(tariff)


def charge_monthly_fees(uow: UnitOfWork, catalogue: Catalogue, now: float) -> MonthlyRun:
    """Charge every number's monthly tariff fee for the billing period of `now`, once."""
    period = period_of(now)
    charged, unpaid = [], []
    for msisdn, tariff_id in uow.directory.tariffs():
        tariff = catalogue.tariffs.get(tariff_id)
        ref = monthly_ref(msisdn, period)
        if tariff is None or not tariff.monthly_fee or _settled(uow, ref):
            continue
        discount = bonuses.pending_discount(uow, msisdn)
        fee = bonuses.discounted(tariff.monthly_fee, discount)
        if fee:
            try:
                debit(uow, msisdn, fee, Cause.TARIFF_FEE, now, detail=f"{tariff.id}: {period}", ref=ref)
            except InsufficientFunds:
                unpaid.append((msisdn, tariff.id))
                continue
        if discount is not None:
            discount.applied_ref = ref
        charged.append((msisdn, tariff.id, fee))
    return MonthlyRun(tuple(charged), tuple(unpaid))


def _may_take(uow: UnitOfWork, account_id: int | None, tariff: Tariff) -> bool:
    if not tariff.available:
        return False
    return not tariff.corporate or uow.directory.account_kind(account_id) not in (None, PERSONAL)


def _settled(uow: UnitOfWork, ref: str) -> bool:
    # A fee a 100% discount paid in full leaves no ledger entry; the discount records it.
    return has_ref(uow, ref) or uow.bonuses.applied_to(ref)


def _view(tariff: Tariff) -> TariffView:
    return TariffView(id=tariff.id, name=tariff.name, monthly_fee=tariff.monthly_fee,
                      change_fee=tariff.change_fee, packages=dict(tariff.packages))
