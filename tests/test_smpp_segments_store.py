"""The reassembly timeout over the store (SQLite and PostgreSQL): segments of a long message
still incomplete `timeout` seconds after the first one came end UNDELIV with their receipts;
before that, or once complete, nothing happens. Time is the `now` passed in."""

from __future__ import annotations

from gateway.sms.reassembly import Part
from gateway.sms.receipts import Outcome
from gateway.sms.submits import (
    add_segment,
    claim_mo,
    expire_segments,
    incomplete_segments,
    requeue_mo,
)

A = "79261234567"


def segment(uow, seqnum: int, now: float, total: int = 3, ref: int = 9, registered_delivery: int = 1):
    fields = dict(system_id="app", source_addr="7000", destination_addr=A, registered_delivery=registered_delivery,
                  data_coding=0, payload=f"part{seqnum} ".encode(), text=f"part{seqnum} ", submitted_at=now,
                  valid_until=None, message_id=None)
    return add_segment(uow, fields, Part(("7000", A, ref), total, seqnum, 0, fields["payload"]), None)


def test_incomplete_segments_expire_undeliv_only_after_the_timeout_from_the_first(store):
    with store.transaction() as uow:
        first, whole, _ = segment(uow, 1, now=1000.0)
        second, _, _ = segment(uow, 2, now=1100.0, registered_delivery=0)
    assert whole is None
    with store.transaction() as uow:
        assert incomplete_segments(uow) == [(first, 1000.0)]
        assert expire_segments(uow, second, now=1599.0, timeout=600.0) == []  # 599 s after the first
    with store.transaction() as uow:
        receipts = expire_segments(uow, second, now=1600.0, timeout=600.0)
    assert [r.message_id for r in receipts] == [str(first)]  # the second asked for none
    assert "stat:UNDELIV" in receipts[0].body and receipts[0].message_state == Outcome.UNDELIVERABLE.message_state
    with store.transaction() as uow:
        rows = uow.submits.by_ids([first, second])
        assert [r.state for r in rows] == [Outcome.UNDELIVERABLE.message_state] * 2 and all(r.routed for r in rows)
        assert incomplete_segments(uow) == []
        assert expire_segments(uow, first, now=9999.0, timeout=600.0) == []  # once only


def test_a_completed_long_message_is_not_expired(store):
    with store.transaction() as uow:
        first, _, _ = segment(uow, 1, now=0.0, total=2)
        _, whole, ids = segment(uow, 2, now=1.0, total=2)
    assert whole is not None and ids[0] == first
    with store.transaction() as uow:
        uow.submits.mark_routed(ids, Outcome.ENROUTE.message_state)  # what routing the whole does
    with store.transaction() as uow:
        assert expire_segments(uow, first, now=10_000.0, timeout=600.0) == []
        assert incomplete_segments(uow) == []


def mo_row(uow, now: float, valid_until: float | None) -> int:
    return uow.submits.insert(system_id="handsets", source_addr=A, destination_addr="7000", registered_delivery=1,
                              data_coding=0, payload=b"order", text="order", submitted_at=now,
                              valid_until=valid_until, message_id=None, total=1, seqnum=1, routed=True, error=0,
                              state=Outcome.ENROUTE.message_state)


def test_a_refused_mo_is_held_again_then_claimed_once_per_try_and_expires_with_its_validity(store):
    with store.transaction() as uow:
        submit_id = mo_row(uow, now=0.0, valid_until=100.0)
    with store.transaction() as uow:
        assert requeue_mo(uow, [submit_id], now=10.0, default_validity=3600.0) == ([], 100.0)
    with store.transaction() as uow:
        assert claim_mo(uow, [submit_id], now=40.0) == ([submit_id], A, "7000", "order")
        assert claim_mo(uow, [submit_id], now=40.0) is None  # one try at a time
    with store.transaction() as uow:
        receipts, ended = requeue_mo(uow, [submit_id], now=100.0, default_validity=3600.0)
    assert ended is None and [r.message_id for r in receipts] == [str(submit_id)]
    assert "stat:EXPIRED" in receipts[0].body
    with store.transaction() as uow:
        assert claim_mo(uow, [submit_id], now=101.0) is None
        assert requeue_mo(uow, [submit_id], now=101.0, default_validity=3600.0) == ([], None)  # once only


def test_a_refused_mo_without_a_validity_period_gets_the_default_one(store):
    with store.transaction() as uow:
        submit_id = mo_row(uow, now=50.0, valid_until=None)
    with store.transaction() as uow:
        assert requeue_mo(uow, [submit_id], now=60.0, default_validity=3600.0) == ([], 3650.0)
