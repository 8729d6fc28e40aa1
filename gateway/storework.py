"""Running store transactions off the reactor thread, on a dedicated thread pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from core.db.repositories import SqlUnitOfWork
from core.db.store import Store

T = TypeVar("T")


class StoreRunner:
    """`run(fn, *args, **kwargs)` calls `fn(uow, *args, **kwargs)` in one transaction on a pool thread."""

    def __init__(self, reactor, store: Store) -> None:
        self.store = store
        self._reactor = reactor
        # SQLite has one writer: a single thread avoids "database is locked" and keeps
        # transactions in arrival order. PostgreSQL takes a few in parallel.
        size = 1 if store.is_sqlite else 4
        self._pool = ThreadPool(minthreads=1, maxthreads=size, name="store")

    def start(self) -> None:
        self._pool.start()

    def stop(self) -> None:
        self._pool.stop()

    def run(self, fn: Callable[..., T], *args, **kwargs) -> Deferred[T]:
        return deferToThreadPool(self._reactor, self._pool, self._transaction, fn, args, kwargs)

    def _transaction(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        with self.store.transaction() as uow:
            return fn(uow, *args, **kwargs)


UnitOfWork = SqlUnitOfWork
