"""WAL checkpoints beside the writer (core/db/store.py `checkpoint`, gateway/walcheckpoints.py):
the committed pages copied into the SQLite file while a transaction holds the write lock;
at most one checkpoint per interval while transactions come, one at a time, none when idle."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from contextlib import closing

from twisted.internet.task import Clock
from twisted.python.failure import Failure

from core.db.store import Store
from gateway.storework import StoreRunner
from gateway.walcheckpoints import EVERY, WalCheckpoints

A, B = "79261234567", "79031234567"


class SteppedPool:
    """ThreadPool.callInThreadWithCallback with each call run when `finish()` says."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def callInThreadWithCallback(self, on_result, fn, *args, **kwargs) -> None:  # noqa: N802 - Twisted's name
        self.calls.append((on_result, fn, args, kwargs))

    def finish(self) -> None:
        on_result, fn, args, kwargs = self.calls.pop(0)
        try:
            result = fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - handed on as a Failure, like ThreadPool
            on_result(False, Failure())
        else:
            on_result(True, result)


class Reactor:
    """IReactorFromThreads for a pool that runs on the test's thread."""

    def callFromThread(self, fn, *args, **kwargs) -> None:  # noqa: N802 - Twisted's name
        fn(*args, **kwargs)


def sqlite_store(path) -> Store:
    store = Store(f"sqlite:///{path}/store.sqlite3")
    store.upgrade()
    return store


def subscribers_in_file_alone(store: Store, tmp_path) -> set[str]:
    """The subscribers the database file holds without its WAL (a copy opened on its own)."""
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(store.sqlite_file, copy)
    with closing(sqlite3.connect(copy)) as connection:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'subscribers'").fetchone() is None:
            return set()  # not even the migrations have been copied there yet
        return {msisdn for msisdn, in connection.execute("SELECT msisdn FROM subscribers")}


def test_a_checkpoint_copies_what_is_committed_into_the_file_while_a_writer_holds_the_lock(tmp_path):
    store = sqlite_store(tmp_path)
    with store.transaction() as uow:
        uow.subscribers.add(A, "basic", "ru", False, 0.0)
    assert subscribers_in_file_alone(store, tmp_path) == set()  # in the WAL only
    with store.transaction() as uow:  # BEGIN IMMEDIATE: the write lock is held
        uow.subscribers.add(B, "basic", "ru", False, 0.0)
        uow.session.flush()
        busy, in_wal, copied = store.checkpoint()
    assert busy == 0 and in_wal > 0 and copied == in_wal
    assert subscribers_in_file_alone(store, tmp_path) == {A}  # not B: uncommitted then
    store.dispose()


def test_only_a_sqlite_file_is_checkpointed(tmp_path):
    assert StoreRunner(Clock(), Store("sqlite://")).checkpoints is None
    assert StoreRunner(Clock(), Store(f"sqlite:///{tmp_path}/s.sqlite3")).checkpoints is not None


def test_writes_bring_one_checkpoint_per_interval_one_at_a_time_and_none_when_idle(tmp_path):
    store, clock, pool = sqlite_store(tmp_path), Clock(), SteppedPool()
    checkpoints = WalCheckpoints(store, clock, Reactor(), pool)
    clock.advance(10 * EVERY)
    assert pool.calls == []  # nothing written, nothing to do
    with store.transaction() as uow:
        uow.subscribers.add(A, "basic", "ru", False, 0.0)
    for _ in range(3):
        checkpoints.written()
    clock.advance(EVERY * 0.9)
    assert pool.calls == []
    clock.advance(EVERY * 0.1)
    assert len(pool.calls) == 1
    checkpoints.written()  # while it runs: not a second one beside it
    clock.advance(10 * EVERY)
    assert len(pool.calls) == 1
    pool.finish()
    assert checkpoints.done == 1 and subscribers_in_file_alone(store, tmp_path) == {A}
    clock.advance(10 * EVERY)
    assert pool.calls == []  # the write during the run is in the WAL; the next write brings it
    checkpoints.written()
    clock.advance(EVERY)
    pool.finish()
    assert checkpoints.done == 2
    store.dispose()


def test_a_failed_checkpoint_is_logged_and_the_next_write_tries_again(tmp_path, caplog):
    store, clock, pool = sqlite_store(tmp_path / "gone"), Clock(), SteppedPool()
    checkpoints = WalCheckpoints(store, clock, Reactor(), pool)
    store.dispose()
    shutil.rmtree(tmp_path / "gone")  # sqlite3 cannot open the file any more
    checkpoints.written()
    clock.advance(EVERY)
    with caplog.at_level(logging.WARNING, logger="gateway.walcheckpoints"):
        pool.finish()
    assert checkpoints.done == 0 and "checkpointing the store's WAL failed" in caplog.text
    checkpoints.written()
    clock.advance(EVERY)
    assert len(pool.calls) == 1


def test_stop_cancels_the_checkpoint_due(tmp_path):
    store, clock, pool = sqlite_store(tmp_path), Clock(), SteppedPool()
    checkpoints = WalCheckpoints(store, clock, Reactor(), pool)
    checkpoints.written()
    checkpoints.stop()
    clock.advance(10 * EVERY)
    assert pool.calls == [] and clock.getDelayedCalls() == []
    store.dispose()
