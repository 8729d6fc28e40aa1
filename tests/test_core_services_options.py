"""Options and paid subscriptions in the core, on SQLite and PostgreSQL (R16)."""

from __future__ import annotations

import pytest

from core import options
from core.catalogue import UnknownItem
from core.errors import (
    AlreadyConnected,
    IncompatibleOption,
    InsufficientFunds,
    ServiceNotConnected,
)
from tests.servicekit import (
    CATALOGUE,
    DAY,
    NOW,
    A,
    add,
    balance,
    entries,
    me,
    rub,
    snapshot,
    top_up,
)


def connect(store, option_id, now=NOW, msisdn=A):
    with store.transaction() as uow:
        return options.connect(uow, CATALOGUE, me(msisdn), msisdn, option_id, now)


def subscribe(store, subscription_id, now=NOW):
    with store.transaction() as uow:
        return options.subscribe(uow, CATALOGUE, me(A), A, subscription_id, now)


def listed(store):
    with store.transaction() as uow:
        return {(s.kind, s.id): s for s in options.connected(uow, CATALOGUE, me(A), A)}


def run_fees(store, now):
    with store.transaction() as uow:
        return options.charge_fees(uow, CATALOGUE, now)


def refused(store, error, operation):
    """Run a refused operation in a transaction that commits anyway; nothing may change."""
    before = snapshot(store, A)
    with store.transaction() as uow, pytest.raises(error) as caught:
        operation(uow)
    assert snapshot(store, A) == before
    return caught.value


@pytest.fixture
def world(store):
    add(store, A, balance=rub(100))
    return store


def test_r16_connect_debits_connection_fee_and_first_period_fee(world):
    service = connect(world, "black_list")
    assert (service.fee, service.connect_fee, service.period, service.status) == (rub(1), rub(15), "day", "active")
    assert balance(world, A) == rub(84)
    assert entries(world, A)[1:] == [
        (-rub(15), "option_fee", "black_list: connection", None),
        (-rub(1), "option_fee", "black_list: 2026-11-05", f"fee:{A}:option:black_list:2026-11-05"),
    ]


def test_r16_lists_connected_options_and_subscriptions_with_prices(world):
    connect(world, "who_called")
    subscribe(world, "news")
    services = listed(world)
    assert set(services) == {("option", "who_called"), ("subscription", "news")}
    assert services["option", "who_called"].fee == rub(1.5)
    assert services["subscription", "news"].fee == rub(30)
    assert services["option", "who_called"].name["ru"] == "Кто звонил+"
    with world.transaction() as uow:
        assert [s.id for s in options.subscriptions(uow, CATALOGUE, me(A), A)] == ["news"]
        offered = [s.id for s in options.available(uow, CATALOGUE, me(A), A)]
    assert "who_called" not in offered and "black_list" in offered


def test_r16_disconnect_option_and_cancel_subscription(world):
    connect(world, "who_called")
    subscribe(world, "horoscope")
    paid = balance(world, A)
    with world.transaction() as uow:
        options.disconnect(uow, CATALOGUE, me(A), A, "who_called", NOW)
        options.cancel(uow, CATALOGUE, me(A), A, "horoscope", NOW)
    assert listed(world) == {}
    assert balance(world, A) == paid  # nothing is refunded, nothing is charged
    assert run_fees(world, NOW + DAY).charged == ()


def test_r16_free_option_connects_without_ledger_entries(world):
    connect(world, "call_hold")
    assert entries(world, A) == [(rub(100), "opening_balance", "", None)]
    assert run_fees(world, NOW + 40 * DAY).charged == ()


def test_r16_refusals_change_nothing(world):
    connect(world, "zabugorishche")
    subscribe(world, "news")
    refused(world, UnknownItem, lambda uow: options.connect(uow, CATALOGUE, me(A), A, "no_such", NOW))
    refused(world, AlreadyConnected, lambda uow: options.connect(uow, CATALOGUE, me(A), A, "zabugorishche", NOW))
    refused(world, AlreadyConnected, lambda uow: options.subscribe(uow, CATALOGUE, me(A), A, "news", NOW))
    refused(world, IncompatibleOption, lambda uow: options.connect(uow, CATALOGUE, me(A), A, "everywhere_home", NOW))
    refused(world, ServiceNotConnected, lambda uow: options.disconnect(uow, CATALOGUE, me(A), A, "black_list", NOW))
    refused(world, ServiceNotConnected, lambda uow: options.cancel(uow, CATALOGUE, me(A), A, "horoscope", NOW))
    refused(world, UnknownItem, lambda uow: options.cancel(uow, CATALOGUE, me(A), A, "no_such", NOW))


def test_r16_incompatibility_holds_in_both_directions(world):
    connect(world, "everywhere_home")
    refused(world, IncompatibleOption, lambda uow: options.connect(uow, CATALOGUE, me(A), A, "zabugorishche", NOW))


def test_r16_insufficient_funds_refuses_the_whole_connection(store):
    add(store, A, balance=rub(15.5))  # covers the connection fee but not the day's fee too
    error = refused(store, InsufficientFunds, lambda uow: options.connect(uow, CATALOGUE, me(A), A, "black_list", NOW))
    assert (error.balance, error.amount) == (rub(15.5), rub(16))


def test_r16_fee_run_charges_each_period_once(world):
    top_up(world, A, rub(1000))
    connect(world, "who_called")  # daily
    subscribe(world, "news")  # weekly
    connect(world, "internet_unlimited")  # monthly
    assert run_fees(world, NOW + 60).charged == ()  # every first period is already paid
    friday = run_fees(world, NOW + DAY)
    assert friday.charged == ((A, "who_called", rub(1.5)),)
    assert run_fees(world, NOW + DAY + 3600).charged == ()
    next_week = run_fees(world, NOW + 7 * DAY)
    assert set(next_week.charged) == {(A, "who_called", rub(1.5)), (A, "news", rub(30))}
    next_month = run_fees(world, NOW + 30 * DAY)  # 5 December
    assert (A, "internet_unlimited", rub(300)) in next_month.charged
    refs = [ref for *_, ref in entries(world, A) if ref]
    assert len(refs) == len(set(refs))
    assert f"fee:{A}:subscription:news:2026-W46" in refs


def test_r16_fee_run_suspends_when_balance_is_short_and_resumes_after_top_up(store):
    add(store, A, balance=rub(1.5))
    connect(store, "who_called")
    assert balance(store, A) == 0
    run = run_fees(store, NOW + DAY)
    assert run.suspended == ((A, "who_called"),) and run.charged == ()
    assert listed(store)["option", "who_called"].status == "suspended"
    assert run_fees(store, NOW + 2 * DAY).suspended == ()  # still suspended, not suspended again
    top_up(store, A, rub(10))
    run = run_fees(store, NOW + 2 * DAY + 60)
    assert run.charged == ((A, "who_called", rub(1.5)),) and run.resumed == ((A, "who_called"),)
    assert listed(store)["option", "who_called"].status == "active"
    assert balance(store, A) == rub(8.5)  # the missed day is not charged afterwards


def test_r16_reconnecting_within_a_paid_period_costs_only_the_connection_fee(world):
    connect(world, "black_list")
    with world.transaction() as uow:
        options.disconnect(uow, CATALOGUE, me(A), A, "black_list", NOW + 60)
    connect(world, "black_list", now=NOW + 120)
    assert balance(world, A) == rub(100 - 15 - 1 - 15)


def test_r16_period_keys_are_moscow_days_iso_weeks_and_months():
    assert options.period_key("day", NOW) == "2026-11-05"
    assert options.period_key("week", NOW) == "2026-W45"
    assert options.period_key("month", NOW) == "2026-11"
    midnight_utc_is_3am_moscow = NOW + 12 * 3600  # 2026-11-06 00:00 Moscow
    assert options.period_key("day", midnight_utc_is_3am_moscow) == "2026-11-06"
