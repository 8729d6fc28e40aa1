"""The periodic jobs on an injected clock: each tick runs every job once, in order."""

from __future__ import annotations

from twisted.internet.defer import succeed
from twisted.internet.task import Clock

from gateway.scheduler import Job, Scheduler


class InlineStore:
    """Runs a transaction function at once on a real store (the thread pool is not the point here)."""

    def __init__(self, store) -> None:
        self.store = store

    def run(self, fn, *args):
        with self.store.transaction() as uow:
            return succeed(fn(uow, *args))


def test_ticks_run_every_job_on_the_clock_and_survive_a_failing_job(tmp_path):
    from core.db.store import Store

    store = Store(f"sqlite:///{tmp_path}/s.sqlite3")
    store.upgrade()
    seen: list[tuple[str, float]] = []

    def broken(uow, now):
        raise RuntimeError("a bug")

    jobs = [Job("first", lambda uow, now: seen.append(("first", now))), Job("broken", broken),
            Job("last", lambda uow, now: seen.append(("last", now)))]
    clock = Clock()
    clock.advance(1000)
    scheduler = Scheduler(clock, InlineStore(store), jobs, interval=60)
    scheduler.start()
    assert seen == [("first", 1000), ("last", 1000)]
    clock.advance(59)
    assert len(seen) == 2
    clock.advance(1)
    assert seen[-2:] == [("first", 1060), ("last", 1060)]
    scheduler.stop()
    clock.advance(600)
    assert len(seen) == 4
    store.dispose()
