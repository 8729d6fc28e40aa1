"""Balance, spending and detailization (R15), top-ups (R18), transfers and pay-for-me (R23)."""

from __future__ import annotations

import pytest

from core import autopay, billing, payments
from core.access import Access
from core.errors import (
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    InvalidNumber,
    InvalidRecipient,
    NoLinkedCard,
    NotAllowed,
    RequestAnswered,
    RequestExpired,
    SimBlocked,
    UnknownRequest,
    UnknownSubscriber,
)
from core.ledger import Cause, credit, debit
from core.payments import Answer
from tests.moneykit import DAY, NOW, A, B, C, add, balance, block, call, entries, me, rub, snapshot

BAD_AMOUNTS = [0, -100, 1.5, "100", True, None, payments.MAX_PAYMENT + 1]


@pytest.fixture
def world(store):
    add(store, A, rub(500))
    add(store, B, rub(100))
    add(store, C)
    return store


# -- R15: balance, spending, detailization ------------------------------------------------

def test_r15_balance_at_once_is_the_sum_of_entries(world):
    call(world, debit, A, rub(30), Cause.OPTION_FEE, NOW)
    call(world, credit, A, rub(12.34), Cause.TOP_UP, NOW)
    seen = call(world, billing.balance, me(A))
    assert seen == billing.Balance(A, rub(482.34), 0)
    assert seen.amount == sum(amount for _, amount, _, _ in entries(world, A))


def test_r15_spending_of_the_current_period_by_cause(world):
    last_month = NOW - 30 * DAY
    call(world, debit, A, rub(99), Cause.OPTION_FEE, last_month)
    call(world, debit, A, rub(30), Cause.OPTION_FEE, NOW)
    call(world, debit, A, rub(7), Cause.SUBSCRIPTION_FEE, NOW)
    call(world, debit, A, rub(3), Cause.OPTION_FEE, NOW + 1)
    call(world, payments.transfer, me(A), B, rub(50), NOW)
    call(world, payments.top_up, me(A), rub(1000), NOW)  # credits are not spending
    spent = call(world, billing.spending, me(A), NOW)
    assert spent.period == "2026-11"
    assert spent.by_cause == (("option_fee", rub(33)), ("subscription_fee", rub(7)), ("transfer_out", rub(50)))
    assert spent.total == rub(90)
    assert call(world, billing.spending, me(A), NOW, period="2026-10").total == rub(99)


def test_r15_detailization_lists_every_paid_operation(world):
    call(world, debit, A, rub(30), Cause.OPTION_FEE, NOW, detail="internet_unlimited: 2026-11")
    call(world, payments.transfer, me(A), B, rub(50), NOW + 60)
    call(world, payments.top_up, me(A), rub(10), NOW + 120)
    operations = call(world, billing.detailization, me(A), NOW)
    assert operations == (
        billing.Operation(NOW, "option_fee", rub(30), "internet_unlimited: 2026-11"),
        billing.Operation(NOW + 60, "transfer_out", rub(50), f"to {B}"),
    )
    assert sum(op.amount for op in operations) == call(world, billing.spending, me(A), NOW).total
    assert call(world, billing.detailization, me(B), NOW) == ()  # B only received


def test_r15_r26_view_only_sees_and_strangers_do_not(world):
    assert call(world, billing.balance, me(A, Access.VIEW)).amount == rub(500)
    add(world, "79260000001", on_account_of=A)
    assert call(world, billing.balance, me("79260000001"), A).amount == rub(500)  # same account
    for look in (billing.balance, lambda uow, actor, msisdn: billing.spending(uow, actor, NOW, msisdn)):
        with pytest.raises(NotAllowed):
            call(world, look, me(B), A)


def test_r15_bad_period_or_number_is_refused(world):
    for bad in ("2026-13", "2026/11", "latest", 202611):
        with pytest.raises(InvalidInput):
            call(world, billing.detailization, me(A), NOW, period=bad)
    with pytest.raises(UnknownSubscriber):
        call(world, billing.balance, me(A), "79990000000")


# -- R18: top-ups -------------------------------------------------------------------------

def test_r18_top_up_own_account(world):
    paid = call(world, payments.top_up, me(A), rub(250.50), NOW)
    assert paid == payments.TopUp(A, rub(250.50), rub(750.50), 0)
    assert entries(world, A)[-1] == (A, rub(250.50), "top_up", None)


def test_r18_top_up_another_subscribers_account(world):
    paid = call(world, payments.top_up, me(A), rub(100), NOW, "+7 903 111-22-33")
    assert (paid.msisdn, paid.balance) == (C, rub(100))
    assert balance(world, A) == rub(500)  # the money came from outside, not from A
    assert call(world, billing.balance, me(C)).amount == rub(100)


def test_r18_bad_amounts_and_numbers_change_nothing(world):
    before = snapshot(world)
    for bad in BAD_AMOUNTS:
        with pytest.raises(InvalidAmount):
            call(world, payments.top_up, me(A), bad, NOW)
    with pytest.raises(UnknownSubscriber):
        call(world, payments.top_up, me(A), rub(10), NOW, "79990000000")
    with pytest.raises(InvalidNumber):
        call(world, payments.top_up, me(A), rub(10), NOW, "12345")
    with pytest.raises(NotAllowed):
        call(world, payments.top_up, me(A, Access.VIEW), rub(10), NOW)
    assert snapshot(world) == before


def test_r18_r24_a_blocked_number_can_still_be_topped_up(world):
    block(world, A)
    assert call(world, payments.top_up, me(A), rub(1), NOW).balance == rub(501)
    assert call(world, payments.top_up, me(B), rub(1), NOW, A).balance == rub(502)


# -- R23: transfers -----------------------------------------------------------------------

def test_r23_transfer_moves_money_and_creates_none(world):
    moved = call(world, payments.transfer, me(A), "9261234568", rub(120), NOW)
    assert moved == payments.Transfer(A, B, rub(120), rub(380))
    assert (balance(world, A), balance(world, B)) == (rub(380), rub(220))
    assert entries(world)[-2:] == [(A, -rub(120), "transfer_out", None), (B, rub(120), "transfer_in", None)]
    assert sum(amount for _, amount, _, _ in entries(world)) == rub(600)


def test_r23_transfer_beyond_the_balance_is_refused_whole(world):
    before = snapshot(world)
    with pytest.raises(InsufficientFunds):
        call(world, payments.transfer, me(B), A, rub(100.01), NOW)
    assert snapshot(world) == before
    assert call(world, payments.transfer, me(B), A, rub(100), NOW).balance == 0


def test_r23_transfer_to_oneself_an_unknown_number_or_a_bad_amount_is_refused(world):
    before = snapshot(world)
    with pytest.raises(InvalidRecipient):
        call(world, payments.transfer, me(A), "89261234567", rub(1), NOW)
    with pytest.raises(UnknownSubscriber):
        call(world, payments.transfer, me(A), "79990000000", rub(1), NOW)
    with pytest.raises(InvalidNumber):
        call(world, payments.transfer, me(A), "not a number", rub(1), NOW)
    for bad in BAD_AMOUNTS:
        with pytest.raises(InvalidAmount):
            call(world, payments.transfer, me(A), B, bad, NOW)
    assert snapshot(world) == before


def test_r23_r26_r27_access_levels_of_transfers(world):
    before = snapshot(world)
    with pytest.raises(NotAllowed):
        call(world, payments.transfer, me(A, Access.VIEW), B, rub(1), NOW)
    with pytest.raises(NotAllowed):  # B's money is not A's to send
        call(world, payments.transfer, me(A), C, rub(1), NOW, source=B)
    assert snapshot(world) == before
    add(world, "79260000001", rub(10), on_account_of=A)
    with pytest.raises(NotAllowed):  # R27: subscriber management is one's own number only
        call(world, payments.transfer, me(A), C, rub(1), NOW, source="79260000001")
    call(world, payments.transfer, me(A, Access.ACCOUNT), C, rub(10), NOW, source="79260000001")
    assert balance(world, C) == rub(10)


def test_r23_r24_a_blocked_number_receives_but_sends_nothing(world):
    block(world, A)
    before = snapshot(world)
    with pytest.raises(SimBlocked):
        call(world, payments.transfer, me(A), B, rub(1), NOW)
    assert snapshot(world) == before
    call(world, payments.transfer, me(B), A, rub(1), NOW)
    assert balance(world, A) == rub(501)


# -- R23: pay for me ----------------------------------------------------------------------

def ask(store, amount=4000, now=NOW):
    return call(store, payments.request_payment, me(C), B, amount, now)


def test_r23_pay_for_me_accepted_moves_the_money(world):
    request = ask(world)
    assert request.status == "pending"
    assert call(world, payments.requests_to_pay, me(B), NOW) == [request]
    done = call(world, payments.answer_request, me(B), request.id, Answer.ACCEPT, NOW + 60)
    assert done.status == "accepted"
    assert (balance(world, B), balance(world, C)) == (rub(60), rub(40))
    assert entries(world)[-2:] == [(B, -rub(40), "transfer_out", f"payreq:{request.id}:out"),
                                   (C, rub(40), "transfer_in", f"payreq:{request.id}:in")]
    assert call(world, payments.requests_to_pay, me(B), NOW) == []


def test_r23_pay_for_me_declined_moves_nothing_and_is_answered_once(world):
    request = ask(world)
    assert call(world, payments.answer_request, me(B), request.id, Answer.DECLINE, NOW).status == "declined"
    before = snapshot(world)
    for answer in Answer:
        with pytest.raises(RequestAnswered):
            call(world, payments.answer_request, me(B), request.id, answer, NOW)
    assert snapshot(world) == before


def test_r23_only_the_payer_answers(world):
    request = ask(world)
    before = snapshot(world)
    for actor in (me(C), me(A), me(B, Access.VIEW)):
        with pytest.raises(NotAllowed):
            call(world, payments.answer_request, actor, request.id, Answer.ACCEPT, NOW)
    assert snapshot(world) == before


def test_r23_a_request_expires_after_24_hours(world):
    request = ask(world)
    assert call(world, payments.requests_to_pay, me(B), NOW + DAY - 1) == [request]
    assert call(world, payments.requests_to_pay, me(B), NOW + DAY) == []
    with pytest.raises(RequestExpired):
        call(world, payments.answer_request, me(B), request.id, Answer.ACCEPT, NOW + DAY)
    assert balance(world, C) == 0


def test_r23_accepting_without_the_money_leaves_the_request_open(world):
    request = ask(world, rub(150))
    with pytest.raises(InsufficientFunds):
        call(world, payments.answer_request, me(B), request.id, Answer.ACCEPT, NOW)
    call(world, payments.top_up, me(B), rub(50), NOW)
    assert call(world, payments.answer_request, me(B), request.id, Answer.ACCEPT, NOW).status == "accepted"
    assert (balance(world, B), balance(world, C)) == (0, rub(150))


def test_r23_bad_requests_are_refused(world):
    before = snapshot(world)
    with pytest.raises(InvalidRecipient):
        call(world, payments.request_payment, me(C), C, rub(1), NOW)
    with pytest.raises(UnknownSubscriber):
        call(world, payments.request_payment, me(C), "79990000000", rub(1), NOW)
    with pytest.raises(NotAllowed):
        call(world, payments.request_payment, me(C, Access.VIEW), B, rub(1), NOW)
    for bad in BAD_AMOUNTS:
        with pytest.raises(InvalidAmount):
            call(world, payments.request_payment, me(C), B, bad, NOW)
    for bad_id in (999, "1", None):
        with pytest.raises(UnknownRequest):
            call(world, payments.answer_request, me(B), bad_id, Answer.ACCEPT, NOW)
    assert snapshot(world) == before


def test_r23_r24_a_blocked_payer_cannot_accept_but_may_decline(world):
    first, second = ask(world), ask(world)
    block(world, B)
    with pytest.raises(SimBlocked):
        call(world, payments.answer_request, me(B), first.id, Answer.ACCEPT, NOW)
    assert call(world, payments.answer_request, me(B), second.id, Answer.DECLINE, NOW).status == "declined"
    assert balance(world, B) == rub(100)


def test_r20_a_handset_rule_reuses_the_card_the_personal_account_linked(store):
    add(store, A, balance=rub(100))
    with store.transaction() as uow, pytest.raises(NoLinkedCard):
        autopay.linked_card(uow, me(A))
    with store.transaction() as uow:
        autopay.create_periodic(uow, me(A), "tok_first_1111", "month", rub(100), NOW)
        autopay.create_threshold(uow, me(A), "tok_second_2222", rub(50), rub(100), NOW)
    with store.transaction() as uow:
        assert autopay.linked_card(uow, me(A)) == "tok_second_2222"
