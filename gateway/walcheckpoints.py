"""Checkpoints of a SQLite store's WAL on a thread beside the store's writer.

SQLite checkpoints by itself inside the COMMIT that takes the WAL past 1000 pages, and that
checkpoint's fsyncs (of the WAL, then of the database file) held up the whole group commit
it ended by several milliseconds: at a window of 50, a p99 of 9.5–10 ms in bench/smpp.py
where the same run without checkpoints had 6.7. Checkpointing beside the writer, a few
times a second while it writes, leaves the automatic checkpoint little to copy and sync. It
still runs, and it is what starts the WAL over, so the file stays about 4 MB.
"""

from __future__ import annotations

import logging

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure

from core.db.store import Store

log = logging.getLogger(__name__)

EVERY = 0.05  # seconds between checkpoints while transactions commit


class WalCheckpoints:
    """`written()` after a transaction: within `every` seconds the WAL is checkpointed on
    `pool` (one thread of its own); one at a time, and none while nothing is written."""

    def __init__(self, store: Store, clock, reactor, pool, every: float = EVERY) -> None:
        self._store = store
        self._clock = clock
        self._reactor = reactor
        self._pool = pool
        self._every = every
        self._due: IDelayedCall | Deferred | None = None  # the next checkpoint, or the one running
        self.done = 0  # checkpoints run, for tests and benchmarks

    def written(self) -> None:
        """A transaction was sent to the store: checkpoint what it writes soon."""
        if self._due is None:
            self._due = self._clock.callLater(self._every, self._checkpoint)

    def stop(self) -> None:
        """Cancel the checkpoint due, at the store's stop (one running finishes on its thread)."""
        if isinstance(self._due, Deferred):
            return
        if self._due is not None:
            self._due.cancel()
        self._due = None

    def _checkpoint(self) -> None:
        self._due = deferToThreadPool(self._reactor, self._pool, self._store.checkpoint)
        self._due.addCallbacks(self._checkpointed, self._failed)

    def _checkpointed(self, _pages: tuple[int, int, int]) -> None:
        self.done += 1
        self._due = None

    def _failed(self, failure: Failure) -> None:
        # Not fatal: SQLite's own checkpoint still keeps the WAL in bounds.
        log.warning("checkpointing the store's WAL failed: %s", failure.getErrorMessage())
        self._due = None
