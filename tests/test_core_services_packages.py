"""Package remainders and extra packages in the core, on SQLite and PostgreSQL (R22)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import packages, tariffs
from core.catalogue import UnknownItem
from core.errors import InsufficientFunds, InvalidAmount, InvalidInput
from tests.servicekit import CATALOGUE, DAY, NOW, A, add, balance, entries, me, rub, snapshot


def remainders(store, now=NOW, msisdn=A):
    with store.transaction() as uow:
        return packages.remainders(uow, CATALOGUE, me(msisdn), msisdn, now)


def consume(store, kind, amount, now=NOW, msisdn=A):
    with store.transaction() as uow:
        return packages.consume(uow, CATALOGUE, msisdn, kind, amount, now)


def buy(store, package_id, now=NOW, msisdn=A):
    with store.transaction() as uow:
        return packages.buy(uow, CATALOGUE, me(msisdn), msisdn, package_id, now)


def test_r22_remainders_are_the_tariff_allowance_minus_usage(store):
    add(store, A, tariff="minimum")
    assert {k: r.left for k, r in remainders(store).items()} == {
        "minutes": 300, "sms": 100, "internet_mb": 5120, "roaming_minutes": 0}
    assert consume(store, "minutes", 120) == 120
    assert consume(store, "internet_mb", 1000) == 1000
    minutes = remainders(store)["minutes"]
    assert (minutes.total, minutes.used, minutes.left) == (300, 120, 180)
    assert remainders(store)["internet_mb"].left == 4120


def test_r22_buying_an_extra_package_debits_its_price_and_adds_its_amount(store):
    add(store, A, tariff="minimum", balance=rub(300))
    consume(store, "internet_mb", 5000)
    extra = buy(store, "internet_5gb")
    assert extra.left == 120 + 5120
    assert balance(store, A) == rub(50)
    assert entries(store, A)[-1] == (-rub(250), "package_purchase", "internet_5gb", None)


def test_r22_usage_draws_the_tariff_first_then_extras_and_stops_at_zero(store):
    add(store, A, tariff="minimum", balance=rub(200))
    buy(store, "sms_50")
    assert consume(store, "sms", 120) == 120
    assert remainders(store)["sms"].left == 30
    assert consume(store, "sms", 100) == 30  # only what the packages cover
    assert remainders(store)["sms"].left == 0
    assert consume(store, "sms", 5) == 0


def test_r22_a_new_billing_period_restores_the_allowance_and_extras_expire(store):
    add(store, A, tariff="minimum", balance=rub(200))
    buy(store, "minutes_100")
    consume(store, "minutes", 350)
    assert remainders(store)["minutes"].left == 50
    december = NOW + 30 * DAY
    assert remainders(store, december)["minutes"].left == 300
    assert consume(store, "minutes", 10, december) == 10
    assert remainders(store)["minutes"].left == 50  # November's buckets are untouched


def test_r22_allowance_follows_a_tariff_change(store):
    add(store, A, balance=rub(1000))
    assert remainders(store)["minutes"].left == 0
    assert consume(store, "minutes", 5) == 0
    with store.transaction() as uow:
        tariffs.change(uow, CATALOGUE, me(A), A, "minimum", NOW)
    assert remainders(store)["minutes"].left == 300


def test_r22_refused_purchases_change_nothing(store):
    add(store, A, tariff="minimum", balance=rub(50))
    for package_id, error in (("no_such", UnknownItem), ("minutes_100", InsufficientFunds)):
        before = snapshot(store, A)
        with store.transaction() as uow, pytest.raises(error):
            packages.buy(uow, CATALOGUE, me(A), A, package_id, NOW)
        assert snapshot(store, A) == before


@pytest.mark.parametrize("kind, amount, error", [
    ("minutes", -5, InvalidAmount), ("minutes", 0, InvalidAmount), ("minutes", 1.5, InvalidAmount),
    ("minutes", True, InvalidAmount), ("gigabytes", 5, InvalidInput),
])
def test_r22_bad_usage_is_refused(store, kind, amount, error):
    add(store, A, tariff="minimum")
    before = snapshot(store, A)
    with store.transaction() as uow, pytest.raises(error):
        packages.consume(uow, CATALOGUE, A, kind, amount, NOW)
    assert snapshot(store, A) == before


_numbers = (f"7916{n:07d}" for n in itertools.count())
_steps = st.lists(st.one_of(
    st.tuples(st.just("consume"), st.sampled_from(packages.KINDS), st.integers(1, 8000)),
    st.tuples(st.just("buy"), st.sampled_from(sorted(CATALOGUE.packages))),
    st.tuples(st.just("tariff"), st.sampled_from(["standard", "minimum", "bez_pereplat", "maximum"])),
    st.tuples(st.just("days"), st.integers(1, 40)),
), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_r22_remainders_never_go_negative_under_random_usage_and_purchases(store, steps):
    msisdn, now = next(_numbers), NOW
    add(store, msisdn, tariff="minimum", balance=rub(100_000))
    for step in steps:
        before = remainders(store, now, msisdn)
        if step[0] == "consume":
            _, kind, amount = step
            covered = consume(store, kind, amount, now, msisdn)
            assert covered == min(amount, before[kind].left)
            assert remainders(store, now, msisdn)[kind].left == before[kind].left - covered
        elif step[0] == "buy":
            package = CATALOGUE.package(step[1])
            assert buy(store, package.id, now, msisdn).left == before[package.kind].left + package.amount
        elif step[0] == "tariff":
            with store.transaction() as uow:
                current = uow.subscribers.get(msisdn).tariff
                if current != step[1]:
                    tariffs.change(uow, CATALOGUE, me(msisdn), msisdn, step[1], now)
        else:
            now += step[1] * DAY
        assert all(r.left >= 0 and r.used >= 0 for r in remainders(store, now, msisdn).values())
