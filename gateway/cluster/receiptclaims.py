"""Stored receipts claimed by the node sending them, so two nodes never send one at once.

How it works: each row of `sms_receipts` may carry a claim, the id of the node sending it
and the end of its lease (wall-clock epoch seconds, the same on every node). A node that
creates a receipt while it holds a receiving bind of the account creates it claimed by
itself (the same insert); a node that loads an account's receipts to send them claims, in
that transaction, only those unclaimed, its own and those whose lease ended
(`ReceiptRepository.claim_pending`, rows locked and others' locks skipped). While a
receipt is in flight the node renews its lease; one not acknowledged (refused, bind lost,
node dead) is claimable by any node once its lease ends, so none is lost. One node never
claims (SmsService without a ClusterNode leaves the columns empty).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from twisted.internet.defer import Deferred

LEASE = 30.0  # seconds a claim lasts unless renewed (renewed every HEARTBEAT while in flight)


class ReceiptClaims:
    """This node's claims: its id, the accounts it holds a receiving bind of, the lease."""

    def __init__(self, node_id: str, lease: float = LEASE, clock: Callable[[], float] = time.time) -> None:
        self.node = node_id
        self._lease = lease
        self._clock = clock
        # Read on store threads: replaced whole (never changed in place) on the reactor thread.
        self.bound: frozenset[str] = frozenset()

    def lease(self) -> tuple[float, float]:
        """(now, the end of a lease taken now)."""
        now = self._clock()
        return now, now + self._lease

    def stamp(self, system_id: str) -> tuple[str | None, float | None]:
        """The claim of a receipt of `system_id` created now: this node's when it has a
        receiving bind of the account (it sends it at once), else none (another node may)."""
        if system_id in self.bound:
            return self.node, self._clock() + self._lease
        return None, None

    def store(self, runner) -> ClaimingStore:
        return ClaimingStore(runner, self)


class ClaimingStore:
    """A StoreRunner whose transactions create receipts claimed as ReceiptClaims.stamp says."""

    def __init__(self, runner, claims: ReceiptClaims) -> None:
        self._runner = runner
        self._claims = claims

    def run(self, fn: Callable, *args, **kwargs) -> Deferred:
        return self._runner.run(_claiming, self._claims, fn, args, kwargs)

    def __getattr__(self, name: str):
        return getattr(self._runner, name)


def _claiming(uow, claims: ReceiptClaims, fn: Callable, args: tuple, kwargs: dict):
    uow.receipts.claims = claims
    return fn(uow, *args, **kwargs)
