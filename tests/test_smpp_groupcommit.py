"""Group commit: calls arriving while a transaction runs share the next one; a refused call
fails alone. The store here runs each batch when the test says so."""

from __future__ import annotations

import pytest
from twisted.internet.defer import Deferred

from core.errors import DomainError
from gateway.sms.groupcommit import GroupCommit, batched


class SteppedStore:
    """A StoreRunner stand-in: `run(fn, *args)` waits until `commit()` calls fn with a uow."""

    def __init__(self) -> None:
        self.pending: list[tuple[object, tuple, Deferred]] = []
        self.uow = []  # what the "transaction" wrote, in order

    def run(self, fn, *args) -> Deferred:
        done: Deferred = Deferred()
        self.pending.append((fn, args, done))
        return done

    def commit(self) -> None:
        fn, args, done = self.pending.pop(0)
        try:
            result = fn(self.uow, *args)
        except Exception as error:  # noqa: BLE001 - a failed transaction errbacks, like StoreRunner
            done.errback(error)
        else:
            done.callback(result)


def write(uow, value):
    uow.append(value)
    return value * 10


def refuse(uow, value):
    raise DomainError(f"no {value}")


def results_of(deferreds):
    out = []
    for d in deferreds:
        d.addCallbacks(out.append, lambda f: out.append(f.value))
    return out


def test_calls_during_a_commit_share_the_next_transaction():
    store = SteppedStore()
    group = GroupCommit(store)
    first = [group.run(write, 1)]
    assert len(store.pending) == 1  # the first goes at once: nothing to wait for at a window of one
    later = [group.run(write, 2), group.run(write, 3)]
    assert len(store.pending) == 1  # waiting for the running commit
    got = results_of(first + later)
    store.commit()
    assert got == [10] and len(store.pending) == 1
    store.commit()
    assert got == [10, 20, 30] and store.uow == [1, 2, 3] and group.batches == 2


def test_a_refused_call_fails_alone_and_its_neighbours_commit():
    store = SteppedStore()
    group = GroupCommit(store)
    group.run(write, 0)
    got = results_of([group.run(write, 1), group.run(refuse, 2), group.run(write, 3)])
    store.commit()
    store.commit()
    assert got[0] == 10 and isinstance(got[1], DomainError) and got[2] == 30


def test_a_failed_transaction_fails_every_call_in_it_and_the_next_batch_still_runs():
    store = SteppedStore()
    group = GroupCommit(store)
    group.run(write, 0)
    doomed = results_of([group.run(write, 1), group.run(lambda uow: 1 / 0)])
    store.commit()
    after = results_of([group.run(write, 5)])
    store.commit()
    assert all(isinstance(r, ZeroDivisionError) for r in doomed)
    store.commit()
    assert after == [50]


@pytest.mark.parametrize("max_batch", [1, 2])
def test_batches_are_bounded(max_batch):
    store = SteppedStore()
    group = GroupCommit(store, max_batch=max_batch)
    group.run(write, 0)
    for n in range(1, 5):
        group.run(write, n)
    store.commit()
    store.commit()
    assert store.uow == list(range(1 + max_batch))


def write_many(uow, calls):
    uow.append(("many", [value for value, in calls]))
    return [(False, DomainError(f"no {value}")) if value < 0 else (True, value * 100) for value, in calls]


@batched(write_many)
def write_batched(uow, value):
    uow.append(value)
    return value * 100


def test_a_batched_function_writes_its_whole_batch_at_once_and_answers_each_call():
    store = SteppedStore()
    group = GroupCommit(store)
    group.run(write, 0)
    got = results_of([group.run(write_batched, 1), group.run(write, 2), group.run(write_batched, -3),
                      group.run(write_batched, 4)])
    store.commit()
    store.commit()
    # at the place of its first call, once for the batch; a refused one fails alone
    assert store.uow == [0, ("many", [1, -3, 4]), 2]
    assert got[0] == 100 and got[1] == 20 and isinstance(got[2], DomainError) and got[3] == 400


def test_a_batched_function_alone_is_still_called_through_many():
    store = SteppedStore()
    group = GroupCommit(store)
    got = results_of([group.run(write_batched, 7)])
    store.commit()
    assert store.uow == [("many", [7])] and got == [700]
