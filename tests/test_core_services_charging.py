"""What the self-service channels cost, in the core (R10, R11, R13, R14)."""

from __future__ import annotations

import pytest

from core import charging, packages, subscribers
from core.errors import InsufficientFunds, InvalidAmount, NotServiceNumber
from core.voice import NotConnected
from tests.servicekit import CATALOGUE, NOW, A, add, balance, entries, me, rub, snapshot

SERVICE_NUMBERS = ("000100", "5037", "1410", "1100", "000105", "000110", "000511")


def abroad(store, roaming=True):
    with store.transaction() as uow:
        subscribers.set_handset(uow, A, roaming=roaming)


def call(store, number, seconds, ref=None):
    with store.transaction() as uow:
        return charging.charge_call(uow, CATALOGUE, A, number, seconds, NOW, ref=ref)


def sms(store, number):
    with store.transaction() as uow:
        return charging.charge_service_sms(uow, CATALOGUE, A, number, NOW)


@pytest.fixture
def world(store):
    add(store, A, tariff="minimum", balance=rub(100))
    return store


def test_r10_ussd_is_free_at_home_and_in_roaming(world):
    for roaming in (False, True):
        abroad(world, roaming)
        with world.transaction() as uow:
            assert charging.charge_ussd(uow, A, "*105#", NOW) == 0
    assert balance(world, A) == rub(100)


def test_r11_0505_is_free_at_home_and_does_not_connect_from_roaming(world):
    assert call(world, "0505", 300) == 0
    abroad(world)
    with world.transaction() as uow, pytest.raises(NotConnected):
        charging.charge_call(uow, CATALOGUE, A, "0505", 10, NOW)
    assert balance(world, A) == rub(100)


def test_r11_the_roaming_voice_menu_is_free_at_home_and_charged_per_started_minute_abroad(world):
    assert call(world, "+79221110505", 600) == 0
    abroad(world)
    assert call(world, "+79221110505", 0) == 0  # not answered: nothing
    assert call(world, "+79221110505", 60) == rub(15)
    assert call(world, "89221110505", 61, ref="call-2") == rub(30)
    assert entries(world, A)[-1] == (-rub(30), "roaming_call", "+79221110505, 2 min", "call-2")
    assert balance(world, A) == rub(55)


def test_r11_the_call_limit_is_what_the_balance_pays_for(world):
    with world.transaction() as uow:
        assert charging.call_limit(uow, CATALOGUE, A, "+79221110505") is None  # free at home
    abroad(world)
    with world.transaction() as uow:
        assert charging.call_limit(uow, CATALOGUE, A, "+79221110505") == 6 * 60.0  # 100.00 / 15.00
    before = snapshot(world, A)
    with world.transaction() as uow, pytest.raises(InsufficientFunds):
        charging.charge_call(uow, CATALOGUE, A, "+79221110505", 7 * 60, NOW)
    assert snapshot(world, A) == before


def test_r13_sms_to_service_numbers_are_free_at_home_and_charged_in_roaming(world):
    assert [sms(world, number) for number in SERVICE_NUMBERS] == [0] * len(SERVICE_NUMBERS)
    abroad(world)
    assert sms(world, "000100") == sms(world, "5037") == rub(19)
    assert entries(world, A)[-1] == (-rub(19), "roaming_sms", "SMS to 5037", None)
    assert balance(world, A) == rub(100 - 38)
    for number in SERVICE_NUMBERS[2:5]:
        sms(world, number)
    before = snapshot(world, A)  # 5.00 left: a sixth SMS would go below zero
    with world.transaction() as uow, pytest.raises(InsufficientFunds):
        charging.charge_service_sms(uow, CATALOGUE, A, "1410", NOW)
    assert snapshot(world, A) == before


def test_r14_using_the_self_service_consumes_no_traffic(world):
    def left():
        with world.transaction() as uow:
            return packages.remainders(uow, CATALOGUE, me(A), A, NOW)

    start = left()
    for roaming in (False, True):
        abroad(world, roaming)
        with world.transaction() as uow:
            charging.charge_ussd(uow, A, "*105#", NOW)
            charging.charge_service_sms(uow, CATALOGUE, A, "000100", NOW)
            charging.charge_call(uow, CATALOGUE, A, "+79221110505", 30, NOW)
    assert left() == start
    assert {cause for _, cause, *_ in entries(world, A)} == {"opening_balance", "roaming_sms", "roaming_call"}


@pytest.mark.parametrize("number, seconds, error", [
    ("+79161234567", 10, NotServiceNumber), ("0500", 10, NotServiceNumber), ("*105#", 10, NotServiceNumber),
    ("+79221110505", -1, InvalidAmount), ("+79221110505", "60", InvalidAmount), ("0505", 10**6, InvalidAmount),
])
def test_r11_bad_calls_are_refused(world, number, seconds, error):
    abroad(world)
    with world.transaction() as uow, pytest.raises(error):
        charging.charge_call(uow, CATALOGUE, A, number, seconds, NOW)
    assert balance(world, A) == rub(100)


def test_r13_sms_to_other_numbers_are_not_the_self_services(world):
    with world.transaction() as uow, pytest.raises(NotServiceNumber):
        charging.charge_service_sms(uow, CATALOGUE, A, "79161234567", NOW)
