"""Group commit: store calls that arrive while a transaction runs share the next one.

At a window of one there is nothing to share and a call costs one transaction, as before;
under load, every submit_sm that came in during a commit is stored by the next commit and
answered once it is durable, so transactions per second stop bounding messages per second.
Only functions that raise DomainError before they write may go through here: a refused
call must leave nothing behind in the transaction its neighbours commit.

A function with a `many` attribute (see `batched`) is called once per transaction for all
its calls in the batch, so it can write them with a few multi-row statements instead of a
few statements each.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from core.errors import DomainError

MAX_BATCH = 256


class GroupCommit:
    """`run(fn, *args)` like StoreRunner.run, batched with the calls waiting beside it."""

    def __init__(self, store, max_batch: int = MAX_BATCH) -> None:
        self._store = store
        self._max_batch = max_batch
        self._waiting: list[tuple[Callable, tuple, Deferred]] = []
        self._busy = False
        self.batches = 0  # transactions run, for tests and benchmarks

    def run(self, fn: Callable, *args) -> Deferred:
        done: Deferred = Deferred()
        self._waiting.append((fn, args, done))
        if not self._busy:
            self._commit_next()
        return done

    def _commit_next(self) -> None:
        batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch:]
        self._busy = True
        self.batches += 1
        committed = self._store.run(_run_all, [(fn, args) for fn, args, _ in batch])
        committed.addCallbacks(self._answer, self._fail_all, callbackArgs=(batch,), errbackArgs=(batch,))

    def _answer(self, results: list[tuple[bool, object]], batch) -> None:
        self._busy = False
        if self._waiting:  # start the next commit first: answering may take a while
            self._commit_next()
        for (_, _, done), (ok, value) in zip(batch, results, strict=True):
            if ok:
                done.callback(value)
            else:
                done.errback(Failure(value))

    def _fail_all(self, failure: Failure, batch) -> None:
        self._busy = False
        if self._waiting:
            self._commit_next()
        for _, _, done in batch:
            done.errback(failure)


def batched(many: Callable[[object, list[tuple]], list[tuple[bool, object]]]) -> Callable:
    """Decorate `fn(uow, *args)` with `many(uow, [args, ...])`, which does the same for every
    call in a batch at once and returns (True, result) or (False, DomainError) for each."""

    def decorate(fn: Callable) -> Callable:
        fn.many = many
        return fn

    return decorate


def _run_all(uow, calls: list[tuple[Callable, tuple]]) -> list[tuple[bool, object]]:
    results: list[tuple[bool, object] | None] = [None] * len(calls)
    for index, (fn, args) in enumerate(calls):
        if results[index] is not None:  # done with the rest of its kind
            continue
        many = getattr(fn, "many", None)
        if many is not None:  # every call of this kind, at the place of the first one
            indexes = [i for i in range(index, len(calls)) if calls[i][0] is fn]
            for i, result in zip(indexes, many(uow, [calls[i][1] for i in indexes]), strict=True):
                results[i] = result
            continue
        try:
            results[index] = (True, fn(uow, *args))
        except DomainError as error:
            results[index] = (False, error)
    return results
