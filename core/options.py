"""Options and paid subscriptions (R16): listing with prices, connecting, cancelling, the fee run.

How it works: connecting debits the connection fee and the first period's fee; every fee of
a period is a ledger entry with the key `fee:<msisdn>:<kind>:<item>:<period key>` (period
keys are Moscow days `2026-11-05`, ISO weeks `2026-W45`, months `2026-11`), so a period is
paid at most once however often `charge_fees` runs, and reconnecting within a paid period
costs only the connection fee. When a fee run finds the balance short it suspends the
service (status `suspended`: not provided and not charged); every later run retries, and
the service resumes as soon as its current period's fee is paid. Disconnecting or
cancelling refunds nothing. Fees run on blocked SIMs too: the services stay connected.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from core.access import Actor, require_change, require_view
from core.catalogue import Catalogue, Name, Option, Subscription, UnknownItem
from core.errors import (
    AlreadyConnected,
    IncompatibleOption,
    InsufficientFunds,
    ServiceNotConnected,
)
from core.ledger import MOSCOW, Cause, debit, has_ref
from core.ports import UnitOfWork
from core.sim import require_unblocked

OPTION, SUBSCRIPTION = "option", "subscription"
ACTIVE, SUSPENDED, AVAILABLE = "active", "suspended", "available"
_FEE_CAUSE = {OPTION: Cause.OPTION_FEE, SUBSCRIPTION: Cause.SUBSCRIPTION_FEE}


@dataclass(frozen=True)
class Service:
    """An option or subscription with its price, as a subscriber sees it."""

    kind: str
    id: str
    name: Name
    fee: int
    period: str
    connect_fee: int
    status: str


@dataclass(frozen=True)
class FeeRun:
    """What one fee run did: (msisdn, item, kopecks) charged, (msisdn, item) suspended/resumed."""

    charged: tuple[tuple[str, str, int], ...] = ()
    suspended: tuple[tuple[str, str], ...] = ()
    resumed: tuple[tuple[str, str], ...] = ()


def period_key(period: str, now: float) -> str:
    """The fee period containing `now` in Moscow time: a day, an ISO week or a month."""
    moment = datetime.datetime.fromtimestamp(now, MOSCOW)
    if period == "day":
        return moment.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return moment.strftime("%Y-%m")


def fee_ref(msisdn: str, kind: str, item: str, key: str) -> str:
    """The ledger idempotency key of one period's fee."""
    return f"fee:{msisdn}:{kind}:{item}:{key}"


def connected(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str) -> list[Service]:
    """Connected options, then paid subscriptions, with their prices and status."""
    msisdn = require_view(uow, actor, msisdn)
    return [_service(row.kind, item, row.status) for row in uow.connections.of(msisdn)
            if (item := _item(catalogue, row.kind, row.item)) is not None]


def subscriptions(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str) -> list[Service]:
    """Paid subscriptions only."""
    return [s for s in connected(uow, catalogue, actor, msisdn) if s.kind == SUBSCRIPTION]


def available(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str) -> list[Service]:
    """Options of the catalogue that are not connected."""
    msisdn = require_view(uow, actor, msisdn)
    taken = {row.item for row in uow.connections.of(msisdn) if row.kind == OPTION}
    return [_service(OPTION, option, AVAILABLE) for option_id, option in sorted(catalogue.options.items())
            if option_id not in taken]


def connect(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, option_id: str,
            now: float) -> Service:
    """Connect an option: connection fee and first period's fee; incompatible ones refused."""
    msisdn = require_change(uow, actor, msisdn)
    option = catalogue.option(option_id)
    rows = uow.connections.of(msisdn)
    for row in rows:
        if row.kind == OPTION and row.item == option.id:
            raise AlreadyConnected(f"option {option.id!r} is already connected ({row.status})")
    for row in rows:
        if row.kind == OPTION and _incompatible(catalogue, option, row.item):
            raise IncompatibleOption(f"option {option.id!r} cannot be connected with {row.item!r}")
    return _start(uow, OPTION, option, msisdn, now)


def disconnect(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, option_id: str,
               now: float) -> None:
    """Disconnect an option (free, also from a blocked SIM)."""
    _stop(uow, actor, msisdn, OPTION, catalogue.option(option_id).id)


def subscribe(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, subscription_id: str,
              now: float) -> Service:
    """Start a paid subscription; its first period's fee is debited."""
    msisdn = require_change(uow, actor, msisdn)
    subscription = catalogue.subscription(subscription_id)
    if uow.connections.get(msisdn, SUBSCRIPTION, subscription.id) is not None:
        raise AlreadyConnected(f"subscription {subscription.id!r} is already on")
    return _start(uow, SUBSCRIPTION, subscription, msisdn, now)


def cancel(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, subscription_id: str,
           now: float) -> None:
    """Cancel a paid subscription (free, also from a blocked SIM)."""
    _stop(uow, actor, msisdn, SUBSCRIPTION, catalogue.subscription(subscription_id).id)


def charge_fees(uow: UnitOfWork, catalogue: Catalogue, now: float) -> FeeRun:
    """Charge every connected service's fee for the period containing `now`, once per period."""
    charged, suspended, resumed = [], [], []
    for row in uow.connections.every():
        item = _item(catalogue, row.kind, row.item)
        if item is None:  # withdrawn from the catalogue: nothing left to charge for
            continue
        ref = fee_ref(row.msisdn, row.kind, item.id, period_key(item.period, now))
        if item.fee and not has_ref(uow, ref):
            try:
                _charge(uow, row.kind, item, row.msisdn, ref, now)
            except InsufficientFunds:
                if row.status == ACTIVE:
                    row.status, row.suspended_at = SUSPENDED, now
                    suspended.append((row.msisdn, item.id))
                continue
            charged.append((row.msisdn, item.id, item.fee))
        if row.status == SUSPENDED:
            row.status, row.suspended_at = ACTIVE, None
            resumed.append((row.msisdn, item.id))
    return FeeRun(tuple(charged), tuple(suspended), tuple(resumed))


def _start(uow: UnitOfWork, kind: str, item: Option | Subscription, msisdn: str, now: float) -> Service:
    require_unblocked(uow, msisdn)
    ref = fee_ref(msisdn, kind, item.id, period_key(item.period, now))
    period_fee = item.fee if item.fee and not has_ref(uow, ref) else 0
    connect_fee = getattr(item, "connect_fee", 0)
    uow.subscribers.lock(msisdn)
    balance = uow.ledger.balance(msisdn)
    if balance < connect_fee + period_fee:  # checked as a whole: no half-paid connection
        raise InsufficientFunds(balance, connect_fee + period_fee)
    if connect_fee:
        debit(uow, msisdn, connect_fee, _FEE_CAUSE[kind], now, detail=f"{item.id}: connection")
    if period_fee:
        _charge(uow, kind, item, msisdn, ref, now)
    uow.connections.add(msisdn, kind, item.id, now)
    return _service(kind, item, ACTIVE)


def _stop(uow: UnitOfWork, actor: Actor, msisdn: str, kind: str, item_id: str) -> None:
    msisdn = require_change(uow, actor, msisdn)
    row = uow.connections.get(msisdn, kind, item_id)
    if row is None:
        raise ServiceNotConnected(f"{kind} {item_id!r} is not connected")
    uow.connections.remove(row)


def _charge(uow: UnitOfWork, kind: str, item: Option | Subscription, msisdn: str, ref: str,
            now: float) -> None:
    debit(uow, msisdn, item.fee, _FEE_CAUSE[kind], now, detail=f"{item.id}: {ref.rsplit(':', 1)[1]}", ref=ref)


def _incompatible(catalogue: Catalogue, option: Option, other_id: str) -> bool:
    other = catalogue.options.get(other_id)
    return other_id in option.incompatible or (other is not None and option.id in other.incompatible)


def _item(catalogue: Catalogue, kind: str, item_id: str) -> Option | Subscription | None:
    try:
        return catalogue.option(item_id) if kind == OPTION else catalogue.subscription(item_id)
    except UnknownItem:
        return None


def _service(kind: str, item: Option | Subscription, status: str) -> Service:
    return Service(kind=kind, id=item.id, name=item.name, fee=item.fee, period=item.period,
                   connect_fee=getattr(item, "connect_fee", 0), status=status)

