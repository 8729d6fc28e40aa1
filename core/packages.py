"""Package remainders (R22): the tariff's allowance per billing period, extra packages, usage.

How it works: every allowance is a bucket of one kind for one billing period
(`ledger.period_of`): the tariff's (source `tariff:<id>`), and one per extra package or bonus
reward. Usage draws from the tariff's bucket first, then from the extras oldest first, never
below zero (a CHECK constraint guards it too). A period's tariff buckets are written on its
first usage or purchase, from the tariff the number has then; until then they are read from
the catalogue. A tariff change replaces them with the new tariff's full allowance (R17).
Extras last until the end of the billing period they were added in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core import subscribers
from core.access import Actor, require_change, require_view
from core.catalogue import PACKAGE_KINDS, Catalogue
from core.errors import InvalidAmount, InvalidInput
from core.ledger import Cause, debit, period_of
from core.ports import PackageBucketRecord, UnitOfWork
from core.sim import require_unblocked

ROAMING_MINUTES = "roaming_minutes"
KINDS = (*PACKAGE_KINDS, ROAMING_MINUTES)
TARIFF = "tariff:"


@dataclass(frozen=True)
class Remainder:
    """One kind's allowance in the current billing period."""

    kind: str
    total: int
    used: int

    @property
    def left(self) -> int:
        return self.total - self.used


def remainders(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str,
               now: float) -> dict[str, Remainder]:
    """Minutes, SMS, internet (and bonus roaming minutes) left in this billing period."""
    msisdn = require_view(uow, actor, msisdn)
    return _remainders(uow, catalogue, msisdn, now)


def buy(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, package_id: str,
        now: float) -> Remainder:
    """Buy an extra package; its price is debited, its amount lasts to the period's end."""
    msisdn = require_change(uow, actor, msisdn)
    package = catalogue.package(package_id)
    _check(package.kind, package.amount)
    require_unblocked(uow, msisdn)
    if package.price:
        debit(uow, msisdn, package.price, Cause.PACKAGE_PURCHASE, now, detail=package.id)
    grant(uow, catalogue, msisdn, package.kind, package.amount, f"package:{package.id}", now)
    return _remainders(uow, catalogue, msisdn, now)[package.kind]


def consume(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, kind: str, amount: int,
            now: float) -> int:
    """Use `amount` of `kind`; returns how much the packages covered (the rest is beyond them)."""
    _check(kind, amount)
    msisdn = subscribers.require(uow, msisdn).msisdn
    uow.subscribers.lock(msisdn)
    wanted = amount
    for bucket in _written(uow, catalogue, msisdn, period_of(now), now):
        if bucket.kind == kind and wanted:
            take = min(wanted, bucket.amount - bucket.used)
            bucket.used += take
            wanted -= take
    return amount - wanted


def grant(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, kind: str, amount: int, source: str,
          now: float) -> None:
    """Add an allowance to this billing period (an extra package, a bonus reward)."""
    _check(kind, amount)
    _written(uow, catalogue, msisdn, period_of(now), now)
    uow.buckets.add(msisdn, period_of(now), kind, source, amount, now)


def reset_tariff(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, tariff_id: str, now: float) -> None:
    """Replace this period's tariff allowance by `tariff_id`'s full one; extras stay."""
    period = period_of(now)
    for bucket in uow.buckets.of(msisdn, period):
        if bucket.source.startswith(TARIFF):
            bucket.active = False
    _add_tariff(uow, msisdn, period, tariff_id, catalogue.tariff(tariff_id).packages, now)


def _remainders(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, now: float) -> dict[str, Remainder]:
    rows = uow.buckets.of(msisdn, period_of(now))
    total, used = dict.fromkeys(KINDS, 0), dict.fromkeys(KINDS, 0)
    if not any(row.source.startswith(TARIFF) for row in rows):
        for kind, amount in _allowance(uow, catalogue, msisdn).items():
            total[kind] += amount
    for row in rows:
        total[row.kind] += row.amount
        used[row.kind] += row.used
    return {kind: Remainder(kind, total[kind], used[kind]) for kind in KINDS}


def _written(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, period: str,
             now: float) -> Sequence[PackageBucketRecord]:
    """The period's buckets, tariff first; the tariff's are written on first need."""
    rows = uow.buckets.of(msisdn, period)
    if not any(row.source.startswith(TARIFF) for row in rows):
        tariff = subscribers.require(uow, msisdn).tariff
        _add_tariff(uow, msisdn, period, tariff, _allowance(uow, catalogue, msisdn), now)
        rows = uow.buckets.of(msisdn, period)
    return sorted(rows, key=lambda row: (not row.source.startswith(TARIFF), row.id))


def _add_tariff(uow: UnitOfWork, msisdn: str, period: str, tariff_id: str, allowance: Mapping[str, int],
                now: float) -> None:
    for kind in PACKAGE_KINDS:
        uow.buckets.add(msisdn, period, kind, f"{TARIFF}{tariff_id}", allowance.get(kind, 0), now)


def _allowance(uow: UnitOfWork, catalogue: Catalogue, msisdn: str) -> Mapping[str, int]:
    tariff = catalogue.tariffs.get(subscribers.require(uow, msisdn).tariff)
    return tariff.packages if tariff else {}


def _check(kind: str, amount: int) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"a package kind is one of {', '.join(KINDS)}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidAmount("an amount must be a positive whole number")
