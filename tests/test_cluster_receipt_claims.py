"""Stored receipts claimed by the node sending them (gateway/cluster/receiptclaims.py): which
a node may claim, that one created beside a receiving bind is claimed in its insert, and that
of two nodes claiming at once the second skips what the first is taking."""

from __future__ import annotations

import threading

from core.db.store import Store
from gateway.cluster.receiptclaims import ReceiptClaims
from gateway.sms.receipts import Outcome
from gateway.sms.submits import Submission, record_delivered_many

NOW = 1_700_000_000.0
LEASE = 30.0


def receipt(uow, message_id: str, claimed_by: str | None = None, claimed_until: float | None = None) -> int:
    row = uow.receipts.add("app", message_id, "79261234567", "7000", 2, f"id:{message_id} stat:DELIVRD", NOW)
    row.claimed_by, row.claimed_until = claimed_by, claimed_until
    return row.id


def claimed_ids(store, node: str, system_id: str = "app", now: float = NOW) -> list[str]:
    with store.transaction() as uow:
        return [r.message_id for r in uow.receipts.claim_pending(system_id, node, now, now + LEASE)]


def test_a_node_claims_unclaimed_own_and_expired_receipts_not_a_live_lease_of_another(store):
    with store.transaction() as uow:
        receipt(uow, "free")
        receipt(uow, "mine", "a", NOW + 5)
        receipt(uow, "b-live", "b", NOW + 5)
        receipt(uow, "b-expired", "b", NOW - 1)
        receipt(uow, "b-ends-now", "b", NOW)
        uow.receipts.add("other", "x", "79261234567", "7001", 2, "id:x", NOW)  # another account's
    assert claimed_ids(store, "a") == ["free", "mine", "b-expired", "b-ends-now"]  # oldest first
    with store.transaction() as uow:
        rows = {r.message_id: r for r in uow.receipts.pending("app")}
    assert {m: (r.claimed_by, r.claimed_until) for m, r in rows.items()} == {
        "free": ("a", NOW + LEASE), "mine": ("a", NOW + LEASE), "b-live": ("b", NOW + 5),
        "b-expired": ("a", NOW + LEASE), "b-ends-now": ("a", NOW + LEASE)}
    assert claimed_ids(store, "b") == ["b-live"]  # its own only: a's leases are live
    assert claimed_ids(store, "a", now=NOW + 1) == ["free", "mine", "b-expired", "b-ends-now"]  # not b's
    assert claimed_ids(store, "b", now=NOW + 1 + LEASE) == ["free", "mine", "b-live", "b-expired", "b-ends-now"]


def test_renew_and_unclaim_touch_only_the_nodes_own_claims(store):
    with store.transaction() as uow:
        mine = receipt(uow, "mine", "a", NOW + 5)
        theirs = receipt(uow, "theirs", "b", NOW + 5)
    with store.transaction() as uow:
        uow.receipts.renew([mine, theirs], "a", NOW + 60)
    assert claimed_ids(store, "b", now=NOW + 10) == ["theirs"]  # a's renewed lease still holds "mine"
    with store.transaction() as uow:
        uow.receipts.unclaim([mine, theirs], "a")
    assert claimed_ids(store, "b", now=NOW + 10) == ["mine", "theirs"]


def test_a_receipt_created_beside_a_receiving_bind_is_claimed_in_its_insert(store):
    claims = ReceiptClaims("a", LEASE, clock=lambda: NOW)
    claims.bound = frozenset({"app"})
    new = dict(source_addr="7000", destination_addr="79261234567", registered_delivery=1, data_coding=8,
               payload=b"", text="hi", submitted_at=NOW, valid_until=None)
    bound_here = [Submission(new=dict(new, system_id="app")) for _ in range(2)]
    elsewhere = Submission(new=dict(new, system_id="other"))
    final = Submission(new=dict(new, system_id="app"))
    with store.transaction() as uow:
        uow.receipts.claims = claims
        record_delivered_many(uow, [(s, NOW) for s in (*bound_here, elsewhere)])
        final.record(uow, Outcome.UNDELIVERABLE, 1, NOW)  # the single insert
    with store.transaction() as uow:  # one node: no claims
        lone = Submission(new=dict(new, system_id="app"))
        lone.record(uow, Outcome.DELIVERED, 0, NOW)
    assert [s.receipts[0].claimed_by for s in (*bound_here, elsewhere, final, lone)] == ["a", "a", None, "a", None]
    with store.transaction() as uow:
        rows = [(r.claimed_by, r.claimed_until) for r in (*uow.receipts.pending("app"), *uow.receipts.pending("other"))]
    assert rows == [("a", NOW + LEASE)] * 3 + [(None, None), (None, None)]
    assert claimed_ids(store, "b") == [str(lone.ids[0])]  # not those node a is sending


def test_of_two_nodes_claiming_at_once_the_second_skips_the_rows_the_first_takes(pg_url):
    store = Store(pg_url)
    store.upgrade()
    try:
        with store.transaction() as uow:
            for n in range(5):
                receipt(uow, f"r{n}")
        second: list = []
        with store.transaction() as first_uow:
            first = first_uow.receipts.claim_pending("app", "a", NOW, NOW + LEASE)
            # Node b claims while a's transaction is open: it neither waits for a nor takes a row.
            other = threading.Thread(target=lambda: second.append(claimed_ids(store, "b")))
            other.start()
            other.join(timeout=15)
            assert not other.is_alive(), "the second claim waited for the first"
        assert [r.message_id for r in first] == [f"r{n}" for n in range(5)]
        assert second == [[]]
        assert claimed_ids(store, "b") == []  # a's claims, committed, hold for their lease
    finally:
        store.dispose()
