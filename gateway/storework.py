"""Running store transactions off the reactor thread, on a dedicated thread pool."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from core.db.repositories import SqlUnitOfWork
from core.db.store import Store
from core.errors import DomainError
from gateway.metrics import Metrics
from gateway.walcheckpoints import WalCheckpoints

T = TypeVar("T")


class StoreRunner:
    """`run(fn, *args, **kwargs)` calls `fn(uow, *args, **kwargs)` in one transaction on a pool thread."""

    def __init__(self, reactor, store: Store, metrics: Metrics | None = None) -> None:
        self.store = store
        self._reactor = reactor
        self._metrics = metrics
        # SQLite has one writer: a single thread avoids "database is locked" and keeps
        # transactions in arrival order. PostgreSQL takes a few in parallel.
        size = 1 if store.is_sqlite else 4
        self._pool = ThreadPool(minthreads=1, maxthreads=size, name="store")
        self._checkpoint_pool: ThreadPool | None = None
        self.checkpoints: WalCheckpoints | None = None
        if store.sqlite_file is not None:  # its WAL checkpointed off the writer's thread
            self._checkpoint_pool = ThreadPool(minthreads=1, maxthreads=1, name="store-checkpoint")
            self.checkpoints = WalCheckpoints(store, reactor, reactor, self._checkpoint_pool)

    def start(self) -> None:
        self._pool.start()
        if self._checkpoint_pool is not None:
            self._checkpoint_pool.start()

    def stop(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.stop()
        self._pool.stop()
        if self._checkpoint_pool is not None:
            self._checkpoint_pool.stop()

    def run(self, fn: Callable[..., T], *args, **kwargs) -> Deferred[T]:
        d = deferToThreadPool(self._reactor, self._pool, self._transaction, fn, args, kwargs)
        if self.checkpoints is not None:
            self.checkpoints.written()
        if self._metrics is not None:
            d.addBoth(self._timed, time.perf_counter())
        return d

    @property
    def queued(self) -> int:
        """Transactions waiting for a store thread."""
        return self._pool.q.qsize()

    def _timed(self, result, started: float):
        outcome = "ok"
        if isinstance(result, Failure):
            outcome = "refused" if result.check(DomainError) else "error"
        assert self._metrics is not None
        self._metrics.store_seconds.labels(outcome).observe(time.perf_counter() - started)
        return result

    def _transaction(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        with self.store.transaction() as uow:
            return fn(uow, *args, **kwargs)


UnitOfWork = SqlUnitOfWork
