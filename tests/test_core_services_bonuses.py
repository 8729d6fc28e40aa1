"""Bonus points in the core, on SQLite and PostgreSQL (R21)."""

from __future__ import annotations

import dataclasses

import pytest

from core import bonuses, options, packages, tariffs
from core.catalogue import Reward, UnknownItem
from core.errors import NotEnoughPoints
from core.ledger import Cause, credit, debit
from tests.servicekit import CATALOGUE, DAY, NOW, A, add, balance, me, rub, snapshot, top_up


def points(store, catalogue=CATALOGUE):
    with store.transaction() as uow:
        return bonuses.points(uow, catalogue, me(A), A)


def spend(store, reward_id, catalogue=CATALOGUE, now=NOW):
    with store.transaction() as uow:
        return bonuses.spend(uow, catalogue, me(A), A, reward_id, now)


def monthly(store, now, catalogue=CATALOGUE):
    with store.transaction() as uow:
        return tariffs.charge_monthly_fees(uow, catalogue, now)


def test_r21_points_are_earned_per_full_ten_roubles_of_top_ups_and_spending(store):
    add(store, A, balance=rub(5000))  # an opening balance earns nothing
    top_up(store, A, rub(259.99))  # 25 full tens: 25 points
    top_up(store, A, rub(9.99))  # no full ten: nothing
    with store.transaction() as uow:
        credit(uow, A, rub(100), Cause.AUTOPAY, NOW)  # 10 points
        packages.buy(uow, CATALOGUE, me(A), A, "minutes_100", NOW)  # 150.00 spent: 15 x 2
        options.connect(uow, CATALOGUE, me(A), A, "black_list", NOW)  # 15.00 + 1.00: 1 x 2 + 0
        debit(uow, A, rub(19), Cause.ROAMING_SMS, NOW)  # 1 x 2
        debit(uow, A, rub(45), Cause.ROAMING_CALL, NOW)  # 4 x 2
        debit(uow, A, rub(500), Cause.TRANSFER_OUT, NOW)  # a transfer is not spending
    assert points(store) == bonuses.Points(earned=25 + 10 + 30 + 2 + 2 + 8, spent=0)


def test_r21_points_follow_the_catalogue_rates_over_the_same_ledger(store):
    add(store, A)
    top_up(store, A, rub(1000))
    doubled = dataclasses.replace(CATALOGUE, bonus=dataclasses.replace(CATALOGUE.bonus, earn_per_10_roubles_top_up=2))
    assert points(store).earned == 100
    assert points(store, doubled).earned == 200  # derived, never stored: nothing can drift


def test_r21_spending_points_on_minutes_internet_and_sms_adds_allowances(store):
    add(store, A, tariff="minimum")
    top_up(store, A, rub(6500))  # 650 points
    spend(store, "minutes_100")
    spend(store, "internet_1gb")
    after = spend(store, "sms_50")
    assert (after.earned, after.spent, after.balance) == (650, 650, 0)
    with store.transaction() as uow:
        left = {k: r.left for k, r in packages.remainders(uow, CATALOGUE, me(A), A, NOW).items()}
    assert left == {"minutes": 400, "sms": 150, "internet_mb": 6144, "roaming_minutes": 0}
    assert balance(store, A) == rub(6500)  # points cost no money


def test_r21_roaming_minutes_reward(store):
    add(store, A)
    top_up(store, A, rub(8000))
    spend(store, "roaming_minutes_20")
    with store.transaction() as uow:
        assert packages.remainders(uow, CATALOGUE, me(A), A, NOW)["roaming_minutes"].left == 20
        assert packages.consume(uow, CATALOGUE, A, "roaming_minutes", 25, NOW) == 20


def test_r21_fee_discount_applies_to_the_next_monthly_fee_only(store):
    add(store, A, tariff="minimum")
    top_up(store, A, rub(5000))  # 500 points
    spend(store, "fee_discount_10")
    assert monthly(store, NOW).charged == ((A, "minimum", rub(270)),)
    assert monthly(store, NOW + 30 * DAY).charged == ((A, "minimum", rub(300)),)


def test_r21_fee_discount_applies_to_the_first_fee_of_a_tariff_change(store):
    add(store, A)
    top_up(store, A, rub(5000))
    spend(store, "fee_discount_10")
    with store.transaction() as uow:
        tariffs.change(uow, CATALOGUE, me(A), A, "bez_pereplat", NOW)
    assert balance(store, A) == rub(5000 - 585)
    assert monthly(store, NOW + DAY).charged == ()


def test_r21_a_full_discount_pays_the_month_without_a_ledger_entry(store):
    free_month = Reward(id="free_month", name={"ru": "Месяц", "en": "Month"}, points=100,
                        kind="fee_discount_percent", amount=100)
    catalogue = dataclasses.replace(CATALOGUE, bonus=dataclasses.replace(
        CATALOGUE.bonus, rewards={**CATALOGUE.bonus.rewards, "free_month": free_month}))
    add(store, A, tariff="minimum")
    top_up(store, A, rub(1000))
    spend(store, "free_month", catalogue)
    assert monthly(store, NOW, catalogue).charged == ((A, "minimum", 0),)
    assert monthly(store, NOW + DAY, catalogue).charged == ()  # November stays paid
    assert balance(store, A) == rub(1000)


def test_r21_cannot_spend_more_points_than_earned(store):
    add(store, A)
    top_up(store, A, rub(2990))  # 299 points
    for reward_id, error in (("minutes_100", NotEnoughPoints), ("no_such_reward", UnknownItem)):
        before = snapshot(store, A)
        with store.transaction() as uow, pytest.raises(error) as caught:
            bonuses.spend(uow, CATALOGUE, me(A), A, reward_id, NOW)
        assert snapshot(store, A) == before
    assert (caught.typename, points(store).balance) == ("UnknownItem", 299)
    with store.transaction() as uow, pytest.raises(NotEnoughPoints) as short:
        bonuses.spend(uow, CATALOGUE, me(A), A, "minutes_100", NOW)
    assert (short.value.points, short.value.needed, short.value.code) == (299, 300, "not_enough_points")


def test_r21_rewards_are_listed_cheapest_first():
    assert [r.id for r in bonuses.rewards(CATALOGUE)] == [
        "sms_50", "internet_1gb", "minutes_100", "fee_discount_10", "roaming_minutes_20"]
