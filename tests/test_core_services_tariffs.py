"""Tariffs in the core, on SQLite and PostgreSQL (R17)."""

from __future__ import annotations

import pytest

from core import packages, tariffs
from core.catalogue import UnknownItem
from core.errors import InsufficientFunds, SameTariff, TariffUnavailable
from tests.servicekit import (
    CATALOGUE,
    DAY,
    NOW,
    A,
    add,
    balance,
    entries,
    make_corporate,
    me,
    rub,
    snapshot,
    top_up,
    with_tariff,
)


def change(store, tariff_id, now=NOW, catalogue=CATALOGUE):
    with store.transaction() as uow:
        return tariffs.change(uow, catalogue, me(A), A, tariff_id, now)


def offered(store):
    with store.transaction() as uow:
        return [t.id for t in tariffs.available(uow, CATALOGUE, me(A), A)]


def monthly(store, now, catalogue=CATALOGUE):
    with store.transaction() as uow:
        return tariffs.charge_monthly_fees(uow, catalogue, now)


def left(store, kind, now=NOW):
    with store.transaction() as uow:
        return packages.remainders(uow, CATALOGUE, me(A), A, now)[kind].left


def refused(store, error, tariff_id, catalogue=CATALOGUE):
    before = snapshot(store, A)
    with store.transaction() as uow, pytest.raises(error):
        tariffs.change(uow, catalogue, me(A), A, tariff_id, NOW)
    assert snapshot(store, A) == before


def test_r17_current_tariff_shows_name_fee_and_packages(store):
    add(store, A, tariff="minimum")
    with store.transaction() as uow:
        current = tariffs.current(uow, CATALOGUE, me(A), A)
    assert (current.id, current.name["ru"], current.monthly_fee) == ("minimum", "МегаФон Минимум", rub(300))
    assert current.packages == {"minutes": 300, "sms": 100, "internet_mb": 5120}


def test_r17_offered_tariffs_leave_out_archived_corporate_and_the_current_one(store):
    add(store, A, tariff="minimum")
    assert offered(store) == ["standard", "bez_pereplat", "maximum"]


def test_r17_corporate_numbers_are_offered_corporate_tariffs_too(store):
    add(store, A, balance=rub(450))
    make_corporate(store, A)
    assert {"business_start", "business_federal"} <= set(offered(store))
    assert "vklyuchaysya_2019" not in offered(store)
    change(store, "business_start")


def test_r17_change_debits_first_monthly_fee_and_resets_packages(store):
    add(store, A, tariff="minimum", balance=rub(1000))
    with store.transaction() as uow:
        packages.consume(uow, CATALOGUE, A, "minutes", 250, NOW)
        packages.buy(uow, CATALOGUE, me(A), A, "minutes_100", NOW)
    assert left(store, "minutes") == 150
    view = change(store, "bez_pereplat", now=NOW + 60)
    assert view.id == "bez_pereplat"
    assert left(store, "minutes") == 1000 + 100  # the new tariff's full allowance; extras stay
    assert entries(store, A)[-1] == (-rub(650), "tariff_fee", "bez_pereplat: 2026-11", f"fee:{A}:tariff:2026-11")
    assert balance(store, A) == rub(1000 - 150 - 650)
    with store.transaction() as uow:
        assert tariffs.current(uow, CATALOGUE, me(A), A).id == "bez_pereplat"


def test_r17_change_fee_comes_from_the_catalogue(store):
    catalogue = with_tariff(CATALOGUE, "maximum", change_fee=rub(100))
    add(store, A, balance=rub(1300))
    change(store, "maximum", catalogue=catalogue)
    assert [(amount, cause) for amount, cause, *_ in entries(store, A)[1:]] == [
        (-rub(100), "tariff_change"), (-rub(1200), "tariff_fee")]
    assert balance(store, A) == 0


def test_r17_refusals_change_nothing(store):
    add(store, A, tariff="minimum", balance=rub(500))
    refused(store, UnknownItem, "no_such_tariff")
    refused(store, SameTariff, "minimum")
    refused(store, TariffUnavailable, "vklyuchaysya_2019")  # archived
    refused(store, TariffUnavailable, "business_start")  # corporate, personal number
    refused(store, InsufficientFunds, "bez_pereplat")  # 650.00 > 500.00
    refused(store, InsufficientFunds, "maximum")


def test_r17_change_fee_and_first_fee_are_checked_together(store):
    catalogue = with_tariff(CATALOGUE, "bez_pereplat", change_fee=rub(100))
    add(store, A, balance=rub(700))  # covers the first fee, not the change fee too
    refused(store, InsufficientFunds, "bez_pereplat", catalogue=catalogue)


def test_r17_monthly_fee_is_charged_once_a_month(store):
    add(store, A, tariff="minimum", balance=rub(1000))
    assert monthly(store, NOW).charged == ((A, "minimum", rub(300)),)
    assert monthly(store, NOW + DAY).charged == ()
    assert monthly(store, NOW + 30 * DAY).charged == ((A, "minimum", rub(300)),)  # December
    assert balance(store, A) == rub(400)


def test_r17_a_change_pays_this_months_fee_and_a_second_change_pays_again(store):
    add(store, A, balance=rub(2000))
    change(store, "minimum")
    assert monthly(store, NOW + DAY).charged == ()  # November is paid by the change
    change(store, "bez_pereplat", now=NOW + 2 * DAY)  # the catalogue's rule: a first fee again
    assert balance(store, A) == rub(2000 - 300 - 650)
    assert monthly(store, NOW + 3 * DAY).charged == ()
    assert monthly(store, NOW + 30 * DAY).charged == ((A, "bez_pereplat", rub(650)),)


def test_r17_unpaid_monthly_fee_is_reported_and_retried(store):
    add(store, A, tariff="minimum", balance=rub(100))
    run = monthly(store, NOW)
    assert run.unpaid == ((A, "minimum"),) and run.charged == ()
    assert balance(store, A) == rub(100)
    top_up(store, A, rub(250), NOW + DAY)
    assert monthly(store, NOW + DAY).charged == ((A, "minimum", rub(300)),)
    assert balance(store, A) == rub(50)


def test_r17_free_tariff_is_never_charged(store):
    add(store, A, balance=rub(10))
    assert monthly(store, NOW) == tariffs.MonthlyRun()
