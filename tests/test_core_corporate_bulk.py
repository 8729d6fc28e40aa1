"""Services and tariffs switched in bulk, and CSV reports, of the corporate account (R33)."""

from __future__ import annotations

import csv
import io

import pytest

from core import ledger, options, subscribers
from core.access import Actor
from core.catalogue import UnknownItem
from core.corporate import bulk, reports, spending, staff
from core.errors import BulkOperationFailed, NotAllowed, NotAMember
from core.ledger import Cause
from tests.corporatekit import CATALOGUE, NOW, OUTSIDER, A, B, C, admin, make_client, register


@pytest.fixture
def boss(store):
    make_client(store)
    return admin(store, register(store, A).password)


def connected(store, msisdn: str) -> list[str]:
    with store.transaction() as uow:
        return [s.id for s in options.connected(uow, CATALOGUE, Actor(msisdn), msisdn)]


def balances(store) -> list[int]:
    with store.transaction() as uow:
        return [ledger.balance(uow, m) for m in (A, B, C)]


def test_r33_lists_the_services_of_every_number(store, boss):
    with store.transaction() as uow:
        options.connect(uow, CATALOGUE, Actor(A), A, "who_called", NOW)
        listing = bulk.services(uow, CATALOGUE, boss)
        own = bulk.services(uow, CATALOGUE, Actor(B))
    assert {m: [s.id for s in listed] for m, listed in listing.items()} == {A: ["who_called"], B: [], C: []}
    assert listing[A][0].fee == 150 and own == {B: []}
    with store.transaction() as uow, pytest.raises(NotAllowed):  # nor through the personal channels
        options.connected(uow, CATALOGUE, Actor(B), A)


def test_r33_switches_an_option_on_and_off_on_all_numbers(store, boss):
    with store.transaction() as uow:
        options.connect(uow, CATALOGUE, Actor(A), A, "who_called", NOW)
        on = bulk.switch_option(uow, CATALOGUE, boss, "who_called", True, NOW)
    assert (on.changed, on.unchanged) == ((B, C), (A,))
    assert [connected(store, m) for m in (A, B, C)] == [["who_called"]] * 3
    assert balances(store) == [100_000 - 150] * 3
    with store.transaction() as uow:
        off = bulk.switch_option(uow, CATALOGUE, boss, "who_called", False, NOW, numbers=["+79261110002", B])
    assert (off.changed, off.unchanged) == ((B,), ())
    assert [connected(store, m) for m in (A, B, C)] == [["who_called"], [], ["who_called"]]


def test_r33_one_refused_number_leaves_every_number_unchanged(store, boss):
    with store.transaction() as uow:
        ledger.debit(uow, B, 100_000, Cause.OPTION_FEE, NOW)  # B cannot pay 300.00
    with pytest.raises(BulkOperationFailed) as refused, store.transaction() as uow:
        bulk.switch_option(uow, CATALOGUE, boss, "internet_unlimited", True, NOW)
    assert refused.value.msisdn == B and refused.value.cause.code == "insufficient_funds"
    assert refused.value.message.startswith(f"{B}: ")
    assert [connected(store, m) for m in (A, B, C)] == [[], [], []]
    assert balances(store) == [100_000, 0, 100_000]


def test_r33_bulk_operations_need_group_numbers_and_the_cp_login(store, boss):
    with pytest.raises(NotAMember), store.transaction() as uow:
        bulk.switch_option(uow, CATALOGUE, boss, "who_called", True, NOW, numbers=[A, OUTSIDER])
    with pytest.raises(NotAllowed), store.transaction() as uow:
        bulk.change_tariffs(uow, CATALOGUE, Actor(B), "business_start", NOW)
    for call in (lambda uow: bulk.switch_option(uow, CATALOGUE, boss, "no_such_option", True, NOW),
                 lambda uow: bulk.change_tariffs(uow, CATALOGUE, boss, "no_such_tariff", NOW)):
        with pytest.raises(UnknownItem), store.transaction() as uow:
            call(uow)
    assert [connected(store, m) for m in (A, B)] == [[], []]


def test_r33_changes_tariffs_in_bulk_including_corporate_ones(store, boss):
    with store.transaction() as uow:
        done = bulk.change_tariffs(uow, CATALOGUE, boss, "business_start", NOW, numbers=[A, B])
        again = bulk.change_tariffs(uow, CATALOGUE, boss, "business_start", NOW)
        tariffs = [subscribers.require(uow, m).tariff for m in (A, B, C, OUTSIDER)]
    assert (done.changed, again.changed, again.unchanged) == ((A, B), (C,), (A, B))
    assert tariffs == ["business_start"] * 3 + ["standard"]
    assert balances(store) == [100_000 - 45_000] * 3


def test_r33_reports_spending_per_number_as_csv(store, boss):
    with store.transaction() as uow:
        ledger.debit(uow, A, 12_345, Cause.OPTION_FEE, NOW)
        ledger.debit(uow, B, 7_000, Cause.OPTION_FEE, NOW)
        spending.set_limit(uow, boss, B, 5_000, NOW)
        staff.add_employee(uow, boss, B, "=HYPERLINK(\"http://x\")", "Driver, senior", NOW)
        report = reports.spending_csv(uow, boss, NOW)
        own = reports.spending_csv(uow, Actor(B), NOW, period="2026-11")
    assert list(csv.reader(io.StringIO(report))) == [
        ["period", "msisdn", "employee", "position", "spent", "limit", "over_limit"],
        ["2026-11", A, "", "", "123.45", "", "no"],
        ["2026-11", B, "'=HYPERLINK(\"http://x\")", "Driver, senior", "70.00", "50.00", "yes"],
        ["2026-11", C, "", "", "0.00", "", "no"],
        ["2026-11", "total", "", "", "193.45", "", ""],
    ]
    assert [row[1] for row in csv.reader(io.StringIO(own))] == ["msisdn", B, "total"]


def test_r33_reports_employees_as_csv(store, boss):
    with store.transaction() as uow:
        staff.add_employee(uow, boss, C, "Oleg Petrov", "Director", NOW)
        staff.add_employee(uow, boss, A, "Anna Ivanova", "Accountant", NOW)
        report = reports.employees_csv(uow, boss)
    assert report.splitlines() == ["msisdn,name,position", f"{A},Anna Ivanova,Accountant",
                                   f"{C},Oleg Petrov,Director"]
