"""Concurrent money operations on one number lose no update and never break the floor."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import text

from core import payments
from core.errors import InsufficientFunds
from core.ledger import Cause, debit
from tests.moneykit import NOW, A, B, C, add, balance, me, rub

THREADS, EACH = 8, 25


def hammer(store, operation) -> Counter:
    """Run `operation(store, thread, i)` THREADS x EACH times, each in its own transaction."""
    done: Counter = Counter()
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)
    lock = threading.Lock()

    def worker(thread: int) -> None:
        start.wait()
        for i in range(EACH):
            try:
                with store.transaction() as uow:
                    outcome = operation(uow, thread, i)
            except InsufficientFunds:
                outcome = "refused"
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                failures.append(error)
                return
            with lock:
                done[outcome] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return done


def running_minimum(store, msisdn: str) -> int:
    """The lowest balance the number ever had, replaying its entries in booking order."""
    with store.engine.connect() as connection:
        amounts = connection.execute(
            text("SELECT amount FROM ledger_entries WHERE msisdn = :m ORDER BY id"), {"m": msisdn}).scalars()
        lowest = running = 0
        for amount in amounts:
            running += amount
            lowest = min(lowest, running)
    return lowest


def test_parallel_debits_and_transfers_drain_exactly_to_zero(store):
    add(store, A, 120 * 100)  # room for 120 of the 200 one-rouble operations
    add(store, B)
    add(store, C)

    def spend(uow, thread, i):
        if (thread + i) % 2:
            debit(uow, A, 100, Cause.OPTION_FEE, NOW)
            return "fee"
        payments.transfer(uow, me(A), B if thread % 2 else C, 100, NOW)
        return "transfer"

    done = hammer(store, spend)
    assert done["fee"] + done["transfer"] == 120 and done["refused"] == 80
    assert balance(store, A) == 0
    assert balance(store, B) + balance(store, C) == 100 * done["transfer"]
    assert running_minimum(store, A) == 0


def test_parallel_crossing_transfers_and_top_ups_lose_no_update(store):
    add(store, A, rub(50))
    add(store, B, rub(50))

    def mixed(uow, thread, i):
        kind = (thread + i) % 4
        if kind == 0:
            payments.top_up(uow, me(A), 100, NOW)
            return "top_up_a"
        if kind == 1:
            payments.transfer(uow, me(A), B, 200, NOW)
            return "a_to_b"
        if kind == 2:
            payments.transfer(uow, me(B), A, 300, NOW)
            return "b_to_a"
        debit(uow, B, 100, Cause.OPTION_FEE, NOW)
        return "fee_b"

    done = hammer(store, mixed)
    assert sum(done.values()) == THREADS * EACH
    assert balance(store, A) == rub(50) + 100 * done["top_up_a"] - 200 * done["a_to_b"] + 300 * done["b_to_a"]
    assert balance(store, B) == rub(50) + 200 * done["a_to_b"] - 300 * done["b_to_a"] - 100 * done["fee_b"]
    assert running_minimum(store, A) >= 0 and running_minimum(store, B) >= 0
