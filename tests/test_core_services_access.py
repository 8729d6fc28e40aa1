"""Access levels enforced by the core service operations themselves (R26, R27, R28)."""

from __future__ import annotations

import pytest

from core import bonuses, options, packages, sim, support, tariffs
from core.access import Access, Actor, account_numbers, grant, level_of
from core.errors import InvalidInput, NotAllowed
from tests.servicekit import CATALOGUE, NOW, A, B, C, add, me, rub, snapshot, top_up

# A and B share one account; C is on an account of its own.
CHANGES = {
    "connect": lambda uow, actor, n: options.connect(uow, CATALOGUE, actor, n, "who_called", NOW),
    "disconnect": lambda uow, actor, n: options.disconnect(uow, CATALOGUE, actor, n, "call_hold", NOW),
    "subscribe": lambda uow, actor, n: options.subscribe(uow, CATALOGUE, actor, n, "horoscope", NOW),
    "cancel": lambda uow, actor, n: options.cancel(uow, CATALOGUE, actor, n, "news", NOW),
    "change_tariff": lambda uow, actor, n: tariffs.change(uow, CATALOGUE, actor, n, "minimum", NOW),
    "buy_package": lambda uow, actor, n: packages.buy(uow, CATALOGUE, actor, n, "sms_50", NOW),
    "spend_points": lambda uow, actor, n: bonuses.spend(uow, CATALOGUE, actor, n, "sms_50", NOW),
    "block_sim": lambda uow, actor, n: sim.block(uow, actor, n, "voluntary", NOW),
    "ask_support": lambda uow, actor, n: support.ask(uow, CATALOGUE, actor, n, "balance", "Баланс?", NOW),
}
VIEWS = {
    "connected": lambda uow, actor, n: options.connected(uow, CATALOGUE, actor, n),
    "subscriptions": lambda uow, actor, n: options.subscriptions(uow, CATALOGUE, actor, n),
    "available": lambda uow, actor, n: options.available(uow, CATALOGUE, actor, n),
    "tariff": lambda uow, actor, n: tariffs.current(uow, CATALOGUE, actor, n),
    "offered": lambda uow, actor, n: tariffs.available(uow, CATALOGUE, actor, n),
    "remainders": lambda uow, actor, n: packages.remainders(uow, CATALOGUE, actor, n, NOW),
    "points": lambda uow, actor, n: bonuses.points(uow, CATALOGUE, actor, n),
    "sim": lambda uow, actor, n: sim.state(uow, actor, n),
    "questions": lambda uow, actor, n: support.questions(uow, actor, n),
}


@pytest.fixture
def world(store):
    for msisdn, account_of in ((A, None), (B, A), (C, None)):
        add(store, msisdn, balance=rub(2000), on_account_of=account_of)
        top_up(store, msisdn, rub(2000))  # bonus points to spend
        with store.transaction() as uow:
            options.connect(uow, CATALOGUE, me(msisdn), msisdn, "call_hold", NOW)
            options.subscribe(uow, CATALOGUE, me(msisdn), msisdn, "news", NOW)
    return store


def allowed(store, operation, actor, msisdn) -> bool:
    """Whether the operation went through; a refusal must leave everything as it was."""
    before = snapshot(store, msisdn)
    try:
        with store.transaction() as uow:
            operation(uow, actor, msisdn)
    except NotAllowed:
        assert snapshot(store, msisdn) == before
        return False
    return True


def sees(store, view, actor, msisdn) -> bool:
    try:
        with store.transaction() as uow:
            view(uow, actor, msisdn)
    except NotAllowed:
        return False
    return True


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_r26_view_only_access_sees_everything_and_changes_nothing(world, name):
    viewer = me(A, Access.VIEW)
    assert all(sees(world, view, viewer, A) for view in VIEWS.values())
    assert not allowed(world, CHANGES[name], viewer, A)


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_r27_subscriber_access_changes_its_own_number_only(world, name):
    assert not allowed(world, CHANGES[name], me(A), B)  # same account, another number
    assert not allowed(world, CHANGES[name], me(A), C)
    assert allowed(world, CHANGES[name], me(A), A)


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_r28_account_access_changes_every_number_on_the_account(world, name):
    manager = me(A, Access.ACCOUNT)
    assert not allowed(world, CHANGES[name], manager, C)  # another account
    assert allowed(world, CHANGES[name], manager, B)
    assert allowed(world, CHANGES[name], manager, A)


def test_r28_numbers_of_one_account_see_each_other_and_nobody_else(world):
    for view in VIEWS.values():
        assert sees(world, view, me(B, Access.VIEW), A)
        assert not sees(world, view, me(C, Access.ACCOUNT), A)


# -- granted levels (stored per number) ----------------------------------------------


def test_r28_the_number_opening_an_account_manages_it_and_a_joining_one_itself(store, world):
    with store.transaction() as uow:
        assert (level_of(uow, A), level_of(uow, B), level_of(uow, C)) == (Access.ACCOUNT, Access.SUBSCRIBER,
                                                                          Access.ACCOUNT)
        assert [n.msisdn for n in account_numbers(uow, me(B))] == [A, B]  # R26: every level sees all
        assert [n.msisdn for n in account_numbers(uow, me(C))] == [C]


def test_r28_only_account_management_grants_and_the_account_keeps_a_manager(store, world):
    manager, member = Actor(A, Access.ACCOUNT), Actor(B, Access.SUBSCRIBER)
    with store.transaction() as uow, pytest.raises(NotAllowed):
        grant(uow, member, A, Access.VIEW)
    with store.transaction() as uow, pytest.raises(NotAllowed):
        grant(uow, manager, C, Access.VIEW)  # another account's number
    with store.transaction() as uow, pytest.raises(NotAllowed):
        grant(uow, manager, A, Access.SUBSCRIBER)  # the last manager
    with store.transaction() as uow:
        grant(uow, manager, B, Access.ACCOUNT)
        grant(uow, manager, A, Access.VIEW)
    with store.transaction() as uow:
        assert (level_of(uow, A), level_of(uow, B)) == (Access.VIEW, Access.ACCOUNT)


def test_access_levels_parse_by_name_only():
    assert Access.parse("view") is Access.VIEW and Access.parse("Account") is Access.ACCOUNT
    with pytest.raises(InvalidInput):
        Access.parse("admin")
