"""Bonus points (R21): earned from the ledger, spent on catalogue rewards.

How it works: points earned are derived from the ledger every time, so they cannot drift
from the money: each top-up or autopay credit earns floor(amount / 10 roubles) times
`earn_per_10_roubles_top_up`, each fee debit (option, subscription, tariff, package, roaming)
floor(|amount| / 10 roubles) times `earn_per_10_roubles_spent`, per entry, summed in SQL.
Points spent are the redemptions recorded here. Minutes, SMS, internet and roaming minutes
become package allowances of the current billing period; a fee discount waits until the
next monthly tariff fee (core.tariffs) takes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import packages
from core.access import Actor, require_change, require_view
from core.catalogue import Catalogue, Reward
from core.errors import NotEnoughPoints
from core.ledger import Cause
from core.ports import BonusRedemptionRecord, UnitOfWork

TEN_ROUBLES = 1000  # kopecks
FEE_DISCOUNT = "fee_discount_percent"
TOP_UP_CAUSES = (Cause.TOP_UP.value, Cause.AUTOPAY.value)
SPENDING_CAUSES = (
    Cause.OPTION_FEE.value, Cause.SUBSCRIPTION_FEE.value, Cause.TARIFF_FEE.value,
    Cause.PACKAGE_PURCHASE.value, *(c.value for c in Cause if c.value.startswith("roaming_")),
)


@dataclass(frozen=True)
class Points:
    earned: int
    spent: int

    @property
    def balance(self) -> int:
        return self.earned - self.spent


def points(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str) -> Points:
    """Points earned, spent and left."""
    msisdn = require_view(uow, actor, msisdn)
    return _points(uow, catalogue, msisdn)


def rewards(catalogue: Catalogue) -> list[Reward]:
    """What points can buy, cheapest first."""
    return sorted(catalogue.bonus.rewards.values(), key=lambda reward: (reward.points, reward.id))


def spend(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, reward_id: str,
          now: float) -> Points:
    """Spend points on a reward; refused when the points do not cover it."""
    msisdn = require_change(uow, actor, msisdn)
    reward = catalogue.reward(reward_id)
    uow.subscribers.lock(msisdn)  # two spends of one number cannot both see the same balance
    current = _points(uow, catalogue, msisdn)
    if current.balance < reward.points:
        raise NotEnoughPoints(current.balance, reward.points)
    uow.bonuses.add(msisdn, reward.id, reward.kind, reward.amount, reward.points, now)
    if reward.kind != FEE_DISCOUNT and reward.amount:
        packages.grant(uow, catalogue, msisdn, reward.kind, reward.amount, f"bonus:{reward.id}", now)
    return _points(uow, catalogue, msisdn)


def pending_discount(uow: UnitOfWork, msisdn: str) -> BonusRedemptionRecord | None:
    """The oldest fee discount not yet used, if any."""
    waiting = uow.bonuses.pending(msisdn, FEE_DISCOUNT)
    return waiting[0] if waiting else None


def discounted(fee: int, discount: BonusRedemptionRecord | None) -> int:
    """The fee after a percent discount, rounded in the subscriber's favour."""
    if discount is None:
        return fee
    percent = min(discount.amount, 100)
    return fee - (fee * percent + 99) // 100


def _points(uow: UnitOfWork, catalogue: Catalogue, msisdn: str) -> Points:
    rules = catalogue.bonus
    top_ups = uow.bonuses.ledger_units(msisdn, TOP_UP_CAUSES, credits=True, unit=TEN_ROUBLES)
    spending = uow.bonuses.ledger_units(msisdn, SPENDING_CAUSES, credits=False, unit=TEN_ROUBLES)
    earned = top_ups * rules.earn_per_10_roubles_top_up + spending * rules.earn_per_10_roubles_spent
    return Points(earned=earned, spent=uow.bonuses.spent_points(msisdn))
