"""Promised payments (R19) and autopay with a bank card (R20), with the floor invariant."""

from __future__ import annotations

import datetime

import pytest

from core import autopay, billing, payments, promised
from core.access import Access
from core.autopay import Every
from core.db.store import Store
from core.errors import (
    InsufficientFunds,
    InvalidAmount,
    InvalidAutopayRule,
    InvalidCardToken,
    NotAllowed,
    PromisedPaymentRefused,
    SimBlocked,
    UnknownAutopayRule,
)
from core.ledger import MOSCOW, Cause, debit
from tests.moneykit import (
    CATALOGUE,
    DAY,
    NOW,
    A,
    B,
    add,
    balance,
    block,
    call,
    entries,
    me,
    rub,
    snapshot,
)

TOKEN = "tok_visa_4242"


@pytest.fixture
def world(store):
    add(store, A, rub(20))
    add(store, B, rub(100))
    return store


def take(store, amount, now=NOW, actor=None):
    return call(store, promised.take, actor or me(A), CATALOGUE, amount, now)


def causes(store, msisdn):
    return [(cause, amount) for _, amount, cause, _ in entries(store, msisdn)]


# -- R19: promised payment ----------------------------------------------------------------

@pytest.mark.parametrize(("amount", "fee"), [(rub(100), 0), (rub(100.01), rub(10)), (rub(300), rub(10)),
                                             (rub(500), rub(25)), (rub(800), rub(50))])
def test_r19_credit_and_the_fee_of_its_tier(world, amount, fee):
    granted = take(world, amount)
    assert (granted.amount, granted.fee, granted.due_at) == (amount, fee, NOW + 3 * DAY)
    assert balance(world, A) == rub(20) + amount - fee
    assert call(world, billing.balance, me(A)).promised == amount
    expected = [("promised_payment", amount)] + ([("promised_fee", -fee)] if fee else [])
    assert causes(world, A)[1:] == expected


def test_r19_bad_amounts_and_refusals_change_nothing(world):
    before = snapshot(world)
    for bad in (0, -1, rub(800.01), 10.0, "300", True):
        with pytest.raises(InvalidAmount):
            take(world, bad)
    with pytest.raises(NotAllowed):
        take(world, rub(100), actor=me(A, Access.VIEW))
    with pytest.raises(NotAllowed):  # B may not take credit on A's number
        call(world, promised.take, me(B), CATALOGUE, rub(100), NOW, A)
    add(world, "79260000009", born=NOW - 59 * DAY)
    with pytest.raises(PromisedPaymentRefused, match="60 days"):
        take(world, rub(100), actor=me("79260000009"))
    before = snapshot(world)
    block(world, B)
    with pytest.raises(SimBlocked):
        take(world, rub(100), actor=me(B))
    assert snapshot(world) == before


def test_r19_only_one_outstanding_at_a_time(world):
    take(world, rub(100))
    with pytest.raises(PromisedPaymentRefused, match="outstanding"):
        take(world, rub(50))
    call(world, payments.top_up, me(A), rub(200), NOW + 60)
    assert take(world, rub(50), NOW + 120).amount == rub(50)


def test_r19_the_next_top_up_repays_it_and_may_leave_a_debt(world):
    take(world, rub(300))  # 20 + 300 - 10 fee = 310
    call(world, debit, A, rub(310), Cause.OPTION_FEE, NOW)
    paid = call(world, payments.top_up, me(A), rub(100), NOW + DAY)
    assert paid == payments.TopUp(A, rub(100), rub(-200), rub(300))
    assert causes(world, A)[-2:] == [("top_up", rub(100)), ("promised_repayment", -rub(300))]
    assert call(world, promised.outstanding, me(A)) is None
    assert call(world, promised.settle_due, NOW + 10 * DAY) == []  # nothing left for the term
    assert call(world, billing.balance, me(A)) == billing.Balance(A, rub(-200), 0)
    assert call(world, lambda uow: uow.promised.latest(A).repaid_by) == promised.BY_TOP_UP


def test_r19_the_term_end_repays_it_once(world):
    take(world, rub(100))
    assert call(world, promised.settle_due, NOW + 3 * DAY - 1) == []
    settled = call(world, promised.settle_due, NOW + 3 * DAY)
    assert [(s.msisdn, s.amount, s.repaid_by) for s in settled] == [(A, rub(100), "term")]
    assert call(world, promised.settle_due, NOW + 4 * DAY) == []
    assert balance(world, A) == rub(20)
    assert causes(world, A)[-1] == ("promised_repayment", -rub(100))


def test_r19_floor_only_repayment_goes_below_zero(world):
    take(world, rub(500))  # 20 + 500 - 25 = 495
    call(world, debit, A, rub(495), Cause.OPTION_FEE, NOW)
    with pytest.raises(InsufficientFunds):
        call(world, debit, A, 1, Cause.OPTION_FEE, NOW)
    call(world, promised.settle_due, NOW + 3 * DAY)
    assert balance(world, A) == rub(-500) == call(world, promised.floor, A)
    for spend in (lambda uow: debit(uow, A, 1, Cause.OPTION_FEE, NOW),
                  lambda uow: payments.transfer(uow, me(A), B, 1, NOW)):
        with pytest.raises(InsufficientFunds):
            call(world, spend)
    with pytest.raises(ValueError, match="promised"):
        call(world, debit, A, 1, Cause.OPTION_FEE, NOW, floor=-100)
    assert call(world, promised.floor, B) == 0


def test_r19_a_new_promised_payment_must_cover_the_debt_and_its_fee(world):
    take(world, rub(300))
    call(world, debit, A, rub(310), Cause.OPTION_FEE, NOW)
    call(world, promised.settle_due, NOW + 3 * DAY)  # balance -300
    with pytest.raises(PromisedPaymentRefused, match="debt"):
        take(world, rub(300), NOW + 4 * DAY)  # -300 + 300 - 10 < 0
    take(world, rub(400), NOW + 4 * DAY)  # -300 + 400 - 25 = 75
    assert balance(world, A) == rub(75)


# -- R20: autopay -------------------------------------------------------------------------

def periodic(store, every=Every.WEEK, amount=20000, start=None, actor=None):
    return call(store, autopay.create_periodic, actor or me(A), TOKEN, every, amount, NOW, start=start)


def autopays(store, msisdn=A):
    return [(amount, ref) for _, amount, cause, ref in entries(store, msisdn) if cause == "autopay"]


@pytest.mark.parametrize("pan", ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004",
                                 "tok_4111111111111111", "378282246310005", "6011000990139424123"])
def test_r20_a_card_number_is_never_stored(world, pan):
    before = snapshot(world)
    with pytest.raises(InvalidCardToken) as refused:
        call(world, autopay.create_threshold, me(A), pan, rub(50), rub(100), NOW)
    assert not any(ch.isdigit() for ch in str(refused.value))
    assert snapshot(world) == before


def test_r20_card_tokens_and_rules_are_checked(world):
    for bad in ("visa", "tok_", "tok_<script>", 4242, None):
        with pytest.raises(InvalidCardToken):
            call(world, autopay.create_threshold, me(A), bad, rub(50), rub(100), NOW)
    for every in ("day", "", None):
        with pytest.raises(InvalidAutopayRule):
            periodic(world, every=every)
    with pytest.raises(InvalidAutopayRule):
        periodic(world, start=NOW - 1)
    for threshold in (0, -1, "50", payments.MAX_PAYMENT + 1):
        with pytest.raises(InvalidAutopayRule):
            call(world, autopay.create_threshold, me(A), TOKEN, threshold, rub(100), NOW)
    with pytest.raises(InvalidAmount):
        periodic(world, amount=0)
    assert call(world, autopay.rules, me(A)) == []


def test_r20_weekly_rule_pays_once_per_period_also_on_reruns(world):
    rule = periodic(world)
    runs = call(world, autopay.run_due, CATALOGUE, NOW)
    assert [(r.rule_id, r.period, r.amount, r.balance) for r in runs] == [(rule.id, "2026-11-15", rub(200), rub(220))]
    for later in (NOW, NOW + 1, NOW + 7 * DAY - 1):
        assert call(world, autopay.run_due, CATALOGUE, later) == []
    assert [r.period for r in call(world, autopay.run_due, CATALOGUE, NOW + 7 * DAY)] == ["2026-11-22"]
    assert [r.period for r in call(world, autopay.run_due, CATALOGUE, NOW + 30 * DAY)] == ["2026-12-13"]
    assert autopays(world) == [(rub(200), f"autopay:{rule.id}:{key}") for key in ("2026-11-15", "2026-11-22", "2026-12-13")]


def test_r20_a_restart_never_pays_a_period_twice(world):
    periodic(world, every=Every.DAYS_20)
    call(world, autopay.run_due, CATALOGUE, NOW)
    restarted = Store(world.url)
    try:
        with restarted.transaction() as uow:
            assert autopay.run_due(uow, CATALOGUE, NOW + 19 * DAY) == []
        with restarted.transaction() as uow:
            assert [r.period for r in autopay.run_due(uow, CATALOGUE, NOW + 20 * DAY)] == ["2026-12-05"]
    finally:
        restarted.dispose()
    assert len(autopays(world)) == 2


def moscow(*args) -> float:
    return datetime.datetime(*args, tzinfo=MOSCOW).timestamp()


def test_r20_schedules_of_month_week_and_20_days():
    jan31 = moscow(2027, 1, 31, 9, 0)
    assert autopay.period_key(Every.MONTH, jan31, jan31 - 1) is None
    assert autopay.period_key(Every.MONTH, jan31, moscow(2027, 2, 28, 8, 59)) == "2027-01-31"
    assert autopay.period_key(Every.MONTH, jan31, moscow(2027, 2, 28, 9, 0)) == "2027-02-28"
    assert autopay.period_key(Every.MONTH, jan31, moscow(2027, 3, 31, 9, 0)) == "2027-03-31"
    assert autopay.period_key(Every.MONTH, jan31, moscow(2028, 2, 29, 12, 0)) == "2028-02-29"
    assert autopay.period_key(Every.WEEK, jan31, jan31 + 13 * DAY) == "2027-02-07"
    assert autopay.period_key(Every.DAYS_20, jan31, jan31 + 40 * DAY) == "2027-03-12"


def test_r20_threshold_tops_up_once_per_low_balance_episode(world):
    rule = call(world, autopay.create_threshold, me(A), TOKEN, rub(50), rub(20), NOW)
    assert [(r.period, r.balance) for r in call(world, autopay.run_due, CATALOGUE, NOW)] == [("low-0", rub(40))]
    for later in (NOW, NOW + 60, NOW + DAY):  # still below 50, but this episode is paid
        assert call(world, autopay.run_due, CATALOGUE, later) == []
    call(world, payments.top_up, me(A), rub(30), NOW)  # 70: the episode ends at the next run
    assert call(world, autopay.run_due, CATALOGUE, NOW + 2 * DAY) == []
    assert call(world, autopay.rules, me(A))[0].armed
    call(world, debit, A, rub(40), Cause.OPTION_FEE, NOW)  # 30: a new low-balance episode
    assert [r.period for r in call(world, autopay.run_due, CATALOGUE, NOW + 3 * DAY)] == ["low-1"]
    assert autopays(world) == [(rub(20), f"autopay:{rule.id}:low-0"), (rub(20), f"autopay:{rule.id}:low-1")]


def test_r20_autopay_repays_a_promised_payment(world):
    take(world, rub(100))
    periodic(world)
    [run] = call(world, autopay.run_due, CATALOGUE, NOW)
    assert run.balance == rub(20 + 100 + 200 - 100)
    assert call(world, promised.outstanding, me(A)) is None


def test_r20_rules_are_listed_paused_resumed_and_deleted_by_their_owner(world):
    rule = periodic(world)
    assert call(world, autopay.rules, me(A, Access.VIEW)) == [rule]
    before = snapshot(world)
    with pytest.raises(NotAllowed):
        periodic(world, actor=me(A, Access.VIEW))
    for actor in (me(A, Access.VIEW), me(B)):
        with pytest.raises(NotAllowed):
            call(world, autopay.pause, actor, rule.id)
    with pytest.raises(NotAllowed):
        call(world, autopay.rules, me(B), A)
    assert snapshot(world) == before
    assert call(world, autopay.pause, me(A), rule.id).status is autopay.Status.PAUSED
    assert call(world, autopay.run_due, CATALOGUE, NOW) == []
    call(world, autopay.resume, me(A), rule.id)
    assert len(call(world, autopay.run_due, CATALOGUE, NOW)) == 1
    call(world, autopay.delete, me(A), rule.id)
    assert call(world, autopay.rules, me(A)) == []
    assert call(world, autopay.run_due, CATALOGUE, NOW + 7 * DAY) == []
    for bad_id in (rule.id, 999, "1"):
        with pytest.raises(UnknownAutopayRule):
            call(world, autopay.resume, me(A), bad_id)


def test_r20_r24_autopay_still_tops_up_a_blocked_number(world):
    periodic(world)
    block(world, A)
    assert [r.balance for r in call(world, autopay.run_due, CATALOGUE, NOW)] == [rub(220)]
