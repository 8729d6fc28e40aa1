"""Blocking the SIM card in the core, on SQLite and PostgreSQL (R24)."""

from __future__ import annotations

import pytest

from core import bonuses, charging, options, packages, sim, subscribers, support, tariffs
from core.access import Access
from core.errors import InvalidInput, NotAllowed, SimBlocked, SimNotBlocked
from tests.servicekit import CATALOGUE, NOW, A, B, C, add, me, rub, snapshot


def block(store, reason="lost", actor=None, msisdn=A):
    with store.transaction() as uow:
        return sim.block(uow, actor or me(msisdn), msisdn, reason, NOW)


def unblock(store, actor=None, msisdn=A):
    with store.transaction() as uow:
        return sim.unblock(uow, actor or me(msisdn), msisdn, NOW + 60)


@pytest.fixture
def blocked(store):
    add(store, A, tariff="minimum", balance=rub(5000), roaming=True)
    with store.transaction() as uow:
        options.connect(uow, CATALOGUE, me(A), A, "who_called", NOW)
        support.ask(uow, CATALOGUE, me(A), A, "balance", "Как узнать баланс?", NOW)
    block(store, "stolen")
    return store


def test_r24_block_and_unblock_with_a_reason(store):
    add(store, A)
    state = block(store, "voluntary")
    assert (state.blocked, state.reason, state.since) == (True, "voluntary", NOW)
    with store.transaction() as uow:
        assert subscribers.summary(uow, A).blocked
    assert unblock(store) == sim.SimState(A, False)
    assert block(store, "lost").reason == "lost"  # may be blocked again later


@pytest.mark.parametrize("paid", [
    lambda uow: options.connect(uow, CATALOGUE, me(A), A, "black_list", NOW),
    lambda uow: options.subscribe(uow, CATALOGUE, me(A), A, "news", NOW),
    lambda uow: packages.buy(uow, CATALOGUE, me(A), A, "sms_50", NOW),
    lambda uow: tariffs.change(uow, CATALOGUE, me(A), A, "maximum", NOW),
    lambda uow: charging.charge_service_sms(uow, CATALOGUE, A, "000100", NOW),
    lambda uow: charging.charge_call(uow, CATALOGUE, A, "+79221110505", 30, NOW),
], ids=["connect", "subscribe", "buy_package", "change_tariff", "roaming_sms", "roaming_call"])
def test_r24_a_blocked_sim_is_refused_paid_operations(blocked, paid):
    before = snapshot(blocked, A)
    with blocked.transaction() as uow, pytest.raises(SimBlocked) as caught:
        paid(uow)
    assert caught.value.code == "sim_blocked"
    assert snapshot(blocked, A) == before


def test_r24_a_blocked_sim_still_sees_everything(blocked):
    with blocked.transaction() as uow:
        assert [s.id for s in options.connected(uow, CATALOGUE, me(A), A)] == ["who_called"]
        assert packages.remainders(uow, CATALOGUE, me(A), A, NOW)["minutes"].left == 300
        assert tariffs.current(uow, CATALOGUE, me(A), A).id == "minimum"
        assert tariffs.available(uow, CATALOGUE, me(A), A)
        assert bonuses.points(uow, CATALOGUE, me(A), A).balance >= 0
        assert len(support.questions(uow, me(A), A)) == 1
        assert sim.state(uow, me(A), A).reason == "stolen"
        assert subscribers.summary(uow, A).balance < rub(5000)


def test_r24_a_blocked_sim_may_still_cancel_and_ask(blocked):
    with blocked.transaction() as uow:
        options.disconnect(uow, CATALOGUE, me(A), A, "who_called", NOW)
        support.ask(uow, CATALOGUE, me(A), A, "passwords", "Пароль не приходит", NOW)


def test_r24_the_owner_unblocks_even_from_the_blocked_number(blocked):
    assert unblock(blocked).blocked is False
    with blocked.transaction() as uow:
        packages.buy(uow, CATALOGUE, me(A), A, "sms_50", NOW)


def test_r24_others_and_view_only_access_cannot_block_or_unblock(store):
    add(store, A)
    add(store, B, on_account_of=A)
    add(store, C)
    block(store)
    for actor in (me(A, Access.VIEW), me(B), me(C), me(C, Access.ACCOUNT)):
        before = snapshot(store, A)
        with store.transaction() as uow, pytest.raises(NotAllowed):
            sim.unblock(uow, actor, A, NOW)
        assert snapshot(store, A) == before
    assert unblock(store, actor=me(B, Access.ACCOUNT)).blocked is False  # the account's manager may


def test_r24_bad_reason_double_block_and_needless_unblock_are_refused(store):
    add(store, A)
    for reason in ("bored", "", None):
        with store.transaction() as uow, pytest.raises(InvalidInput):
            sim.block(uow, me(A), A, reason, NOW)
    with store.transaction() as uow, pytest.raises(SimNotBlocked):
        sim.unblock(uow, me(A), A, NOW)
    block(store)
    before = snapshot(store, A)
    with store.transaction() as uow, pytest.raises(SimBlocked):
        sim.block(uow, me(A), A, "stolen", NOW)
    assert snapshot(store, A) == before
