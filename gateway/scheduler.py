"""The core's periodic jobs (fees, autopay, promised payments, support) on the reactor clock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import LoopingCall

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    fn: Callable[..., object]  # fn(uow, now) -> a result worth logging


class Scheduler:
    """Every `interval` seconds runs each job in its own transaction, in order.

    The jobs are idempotent (ledger idempotency keys), so a tick after a restart, or
    two ticks in one period, never charge twice. A failing job is logged and the next
    ones still run.
    """

    def __init__(self, clock, store, jobs: Sequence[Job], interval: float = 60.0) -> None:
        self._clock = clock
        self._store = store
        self.jobs = tuple(jobs)
        self.interval = interval
        self._loop = LoopingCall(self.tick)
        self._loop.clock = clock

    def start(self) -> Deferred:
        return self._loop.start(self.interval, now=True)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    @inlineCallbacks
    def tick(self):
        now = self._clock.seconds()
        for job in self.jobs:
            try:
                result = yield self._store.run(job.fn, now)
            except Exception:  # a bug in one job must not stop the others
                log.exception("scheduled job %s failed", job.name)
                continue
            if result:
                log.info("scheduled job %s: %s", job.name, _summary(result))


def _summary(result: object) -> str:
    if isinstance(result, list | tuple):
        return f"{len(result)} done"
    return str(result)[:200]
