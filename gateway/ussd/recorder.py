"""Finished USSD dialogues to the store, one transaction per reactor turn, and reading them back."""

from __future__ import annotations

import logging

from twisted.internet.defer import Deferred, gatherResults, succeed

from core import subscribers
from gateway.storework import StoreRunner
from gateway.ussd.errors import UnknownDialogue

log = logging.getLogger(__name__)


class DialogueLog:
    """Records added in one reactor turn are written together (group commit); reads wait
    for the records added before them, so a listing never misses a finished dialogue."""

    def __init__(self, store: StoreRunner, clock) -> None:
        self._store = store
        self._clock = clock
        self._pending: list[dict] = []
        self._scheduled = None
        self._inflight: set[Deferred] = set()

    def add(self, row: dict) -> None:
        self._pending.append(row)
        if self._scheduled is None:
            self._scheduled = self._clock.callLater(0, self._flush)

    def settled(self) -> Deferred[None]:
        """Fires once every record added so far is stored (or failed to be)."""
        if self._pending:
            if self._scheduled is not None and self._scheduled.active():
                self._scheduled.cancel()
            self._flush()
        if not self._inflight:
            return succeed(None)
        watchers = []
        for batch in self._inflight:
            watcher: Deferred[None] = Deferred()
            batch.addBoth(_pass_to, watcher)
            watchers.append(watcher)
        return gatherResults(watchers).addCallback(lambda _: None)

    def of(self, msisdn: str, limit: int) -> Deferred[list[dict]]:
        return self.settled().addCallback(lambda _: self._store.run(_list, msisdn, limit))

    def get(self, dialogue_id: str) -> Deferred[dict]:
        return self.settled().addCallback(lambda _: self._store.run(_get, dialogue_id))

    def _flush(self) -> None:
        self._scheduled = None
        rows, self._pending = self._pending, []
        if not rows:
            return
        batch = self._store.run(_save, rows)
        self._inflight.add(batch)

        def done(result):
            self._inflight.discard(batch)
            return result

        batch.addBoth(done)
        batch.addErrback(lambda f: log.error("%d ussd dialogue records not stored: %s", len(rows), f.getErrorMessage()))


def _pass_to(result, watcher: Deferred) -> object:
    watcher.callback(None)
    return result


def _save(uow, rows: list[dict]) -> None:
    for row in rows:
        uow.dialogues.add(row)


def _as_dict(row) -> dict:
    return {
        "id": row.id, "msisdn": row.msisdn, "service_code": row.service_code, "initiator": row.initiator,
        "transport": row.transport, "server": row.server, "started_at": row.started_at,
        "ended_at": row.ended_at, "outcome": row.outcome, "steps": row.steps,
    }


def _list(uow, msisdn: str, limit: int) -> list[dict]:
    subscribers.require(uow, msisdn)
    return [_as_dict(row) for row in uow.dialogues.of(msisdn, limit)]


def _get(uow, dialogue_id: str) -> dict:
    row = uow.dialogues.get(dialogue_id)
    if row is None:
        raise UnknownDialogue(f"no dialogue {dialogue_id!r}")
    return _as_dict(row)
