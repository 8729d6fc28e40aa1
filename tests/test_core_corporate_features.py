"""Spending, limits, forwarding, SIM cards and employees of the corporate account (R33)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core import ledger
from core.access import Access, Actor
from core.corporate import numbers, spending, staff
from core.errors import (
    DuplicateEmployee,
    InsufficientFunds,
    InvalidAmount,
    InvalidIccid,
    InvalidInput,
    InvalidNumber,
    NotAllowed,
    NotAMember,
    SpendingLimitExceeded,
    UnknownSubscriber,
)
from core.ledger import Cause
from tests.corporatekit import (
    DAY,
    GOOD_ICCID,
    GOOD_ICCID_19,
    NOW,
    OUTSIDER,
    A,
    B,
    C,
    admin,
    make_client,
    register,
)

EXTERNAL = "79031234567"


@pytest.fixture
def boss(store):
    make_client(store)
    return admin(store, register(store, A).password)


def spend(store, msisdn: str, kopecks: int, now: float = NOW) -> None:
    with store.transaction() as uow:
        ledger.debit(uow, msisdn, kopecks, Cause.OPTION_FEE, now)


def test_r33_spending_per_account_and_per_number(store, boss):
    spend(store, A, 10_000)
    spend(store, B, 5_000)
    spend(store, B, 2_500)
    spend(store, A, 9_900, now=NOW - 31 * DAY)  # October: another period
    with store.transaction() as uow:
        ledger.credit(uow, C, 50_000, Cause.TOP_UP, NOW)  # a top-up is not spending
        november = spending.spending(uow, boss, NOW)
        october = spending.spending(uow, boss, NOW, period="2026-10")
        one = spending.number_spending(uow, boss, "+79261110002", NOW)
    assert november.period == "2026-11" and november.total == 17_500
    assert [(n.msisdn, n.spent) for n in november.numbers] == [(A, 10_000), (B, 7_500), (C, 0)]
    assert (october.total, one.spent) == (9_900, 7_500)


def test_r33_a_member_number_sees_only_its_own(store, boss):
    spend(store, B, 1_000)
    member = Actor(B, Access.ACCOUNT)  # even account-level access of a member's personal cabinet
    with store.transaction() as uow:
        own = spending.spending(uow, member, NOW)
        assert [(n.msisdn, n.spent) for n in own.numbers] == [(B, 1_000)]
        assert [e.msisdn for e in staff.employees(uow, member)] == []
        assert list(numbers.forwarding(uow, member)) == [B]
    for call in (lambda uow: spending.number_spending(uow, member, A, NOW),
                 lambda uow: spending.set_limit(uow, member, B, 100, NOW),
                 lambda uow: numbers.set_forwarding(uow, member, EXTERNAL, NOW),
                 lambda uow: numbers.replace_sim(uow, member, B, GOOD_ICCID, NOW),
                 lambda uow: staff.add_employee(uow, member, B, "Me", "Boss", NOW)):
        with store.transaction() as uow, pytest.raises(NotAllowed):
            call(uow)
    with store.transaction() as uow, pytest.raises(NotAMember):
        spending.spending(uow, Actor(OUTSIDER), NOW)


def test_r33_spending_limits_are_set_reported_and_removed(store, boss):
    with store.transaction() as uow:
        assert spending.set_limit(uow, boss, B, 5_000, NOW).limit == 5_000
    spend(store, B, 4_000)
    with store.transaction() as uow:
        assert not spending.number_spending(uow, boss, B, NOW).over_limit
        spending.require_within_limit(uow, B, 1_000, NOW)  # exactly at the limit is allowed
        with pytest.raises(SpendingLimitExceeded):
            spending.require_within_limit(uow, B, 1_001, NOW)
    spend(store, B, 2_000)  # limits report, they do not block (see core.corporate.spending)
    with store.transaction() as uow:
        report = spending.spending(uow, boss, NOW)
        assert [(n.msisdn, n.limit, n.over_limit) for n in report.numbers] == [
            (A, None, False), (B, 5_000, True), (C, None, False)]
        assert spending.set_limit(uow, boss, B, None, NOW).limit is None
        spending.require_within_limit(uow, B, 10**6, NOW)


def test_r33_bad_limits_and_periods_change_nothing(store, boss):
    for amount in (-1, "50.00", True, 1.5):
        with store.transaction() as uow, pytest.raises(InvalidAmount):
            spending.set_limit(uow, boss, B, amount, NOW)
    with store.transaction() as uow, pytest.raises(NotAMember):
        spending.set_limit(uow, boss, OUTSIDER, 100, NOW)
    with store.transaction() as uow, pytest.raises(UnknownSubscriber):
        spending.set_limit(uow, boss, "79990000000", 100, NOW)
    for period in ("2026-13", "11-2026", "2026-1", ""):
        with store.transaction() as uow, pytest.raises(InvalidInput):
            spending.spending(uow, boss, NOW, period=period)
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM corporate_spending_limits")).scalar_one() == 0


def test_r33_forwarding_on_all_numbers(store, boss):
    with store.transaction() as uow:
        assert numbers.set_forwarding(uow, boss, "+7 (903) 123-45-67", NOW) == (A, B, C)
        assert numbers.forwarding(uow, boss) == {A: EXTERNAL, B: EXTERNAL, C: EXTERNAL}
        assert numbers.set_forwarding(uow, boss, "89261110002", NOW) == (A, C)  # B does not call itself
        assert numbers.forwarding(uow, boss) == {A: B, B: None, C: B}
        numbers.cancel_forwarding(uow, boss, NOW)
        assert set(numbers.forwarding(uow, boss).values()) == {None}


def test_r33_a_bad_forwarding_number_changes_nothing(store, boss):
    with store.transaction() as uow:
        numbers.set_forwarding(uow, boss, EXTERNAL, NOW)
    for target in ("12345", "abc", "+1 212 555 0100", ""):
        with store.transaction() as uow, pytest.raises(InvalidNumber, match="forwarding target"):
            numbers.set_forwarding(uow, boss, target, NOW)
    with store.transaction() as uow:
        assert numbers.forwarding(uow, boss) == {A: EXTERNAL, B: EXTERNAL, C: EXTERNAL}


def test_r33_sim_replacement_deactivates_the_old_card_and_keeps_history(store, boss):
    with store.transaction() as uow:
        first = numbers.replace_sim(uow, boss, B, GOOD_ICCID, NOW)
    with store.transaction() as uow:
        second = numbers.replace_sim(uow, boss, B, f" {GOOD_ICCID_19} ", NOW + DAY)
        history = numbers.sim_cards(uow, boss, B)
        own = numbers.sim_cards(uow, Actor(B), B)
    assert first.active and second.iccid == GOOD_ICCID_19
    assert [(c.iccid, c.active, c.deactivated_at) for c in history] == [
        (GOOD_ICCID, False, NOW + DAY), (GOOD_ICCID_19, True, None)]
    assert own == history


def test_r33_bad_iccid_changes_nothing(store, boss):
    with store.transaction() as uow:
        numbers.replace_sim(uow, boss, A, GOOD_ICCID, NOW)
    bad_check = GOOD_ICCID[:-1] + str((int(GOOD_ICCID[-1]) + 1) % 10)
    for iccid in (bad_check, GOOD_ICCID[:18], GOOD_ICCID + "0", "8970101241751000000x", "", GOOD_ICCID):
        with store.transaction() as uow, pytest.raises(InvalidIccid):
            numbers.replace_sim(uow, boss, B, iccid, NOW)
    with store.transaction() as uow, pytest.raises(NotAMember):
        numbers.replace_sim(uow, boss, OUTSIDER, GOOD_ICCID_19, NOW)
    with store.engine.connect() as connection:
        cards = connection.execute(text("SELECT msisdn, deactivated_at FROM corporate_sim_cards")).all()
    assert cards == [(A, None)]
    assert numbers.luhn_valid("79927398713") and not numbers.luhn_valid("79927398710")


def test_r33_sim_replacement_fee_is_paid_by_the_number_or_nothing_happens(store, boss):
    with store.transaction() as uow:
        numbers.replace_sim(uow, boss, A, GOOD_ICCID, NOW, fee=30_000)
        assert ledger.balance(uow, A) == 70_000
    with pytest.raises(InsufficientFunds), store.transaction() as uow:
        numbers.replace_sim(uow, boss, A, GOOD_ICCID_19, NOW, fee=80_000)
    with store.transaction() as uow:
        assert [c.active for c in numbers.sim_cards(uow, boss, A)] == [True]
        assert ledger.balance(uow, A) == 70_000


def test_r33_employees_with_their_position(store, boss):
    with store.transaction() as uow:
        staff.add_employee(uow, boss, B, " Anna Ivanova ", "Accountant", NOW)
        staff.add_employee(uow, boss, "9261110001", "Oleg Petrov", "Director", NOW)
        everyone = staff.employees(uow, boss)
        own = staff.employees(uow, Actor(B))
    assert everyone == [staff.Employee(A, "Oleg Petrov", "Director"), staff.Employee(B, "Anna Ivanova", "Accountant")]
    assert own == [staff.Employee(B, "Anna Ivanova", "Accountant")]


def test_r33_a_duplicate_or_bad_employee_changes_nothing(store, boss):
    with store.transaction() as uow:
        staff.add_employee(uow, boss, B, "Anna Ivanova", "Accountant", NOW)
    with store.transaction() as uow, pytest.raises(DuplicateEmployee):
        staff.add_employee(uow, boss, "+79261110002", "Someone Else", "Driver", NOW)
    with store.transaction() as uow, pytest.raises(NotAMember):
        staff.add_employee(uow, boss, OUTSIDER, "Stranger", "Spy", NOW)
    for name, position in (("", "Driver"), ("Ivan", "  "), ("x" * 121, "Driver"), ("Ivan\n", "Driver\x00")):
        with store.transaction() as uow, pytest.raises(InvalidInput):
            staff.add_employee(uow, boss, C, name, position, NOW)
    with store.transaction() as uow:
        assert staff.employees(uow, boss) == [staff.Employee(B, "Anna Ivanova", "Accountant")]
