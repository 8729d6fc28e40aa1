"""The batched MT write of a group commit, on SQLite and PostgreSQL: one insert per table for
the MT that reach their handsets, each answered with its own ids; the rest handled one by one."""

from __future__ import annotations

from core.errors import DomainError
from gateway.actions import Context
from gateway.sms.groupcommit import _run_all
from gateway.sms.receipts import Outcome
from gateway.sms.submits import Submission
from gateway.sms.transactions import application_mt

ON, OFF = "79261234567", "79261234568"


def mt(to: str, text: str, registered_delivery: int = 1) -> tuple:
    ctx = Context(msisdn=to, now=100.0, locale="ru", channel="sms", reply_from="7000")
    new = dict(system_id="app", source_addr="7000", destination_addr=to, registered_delivery=registered_delivery,
               data_coding=8, payload=text.encode("utf-16-be"), text=text, submitted_at=100.0, valid_until=None)
    return (application_mt, (ctx, text, Submission(new=new), False, None))


def test_a_batch_of_mt_is_stored_with_one_id_and_one_receipt_each(store):
    with store.transaction() as uow:
        uow.subscribers.add(ON, "basic", "ru", False, 0.0)
        uow.subscribers.add(OFF, "basic", "ru", False, 0.0)
        uow.subscribers.get(OFF).switched_on = False
    calls = [mt(ON, "Привет 1"), mt("79990000000", "nobody"), mt(OFF, "held"), mt(ON, "Привет 2", 0),
             mt(ON, "Привет 3")]
    with store.transaction() as uow:
        results = _run_all(uow, calls)
    ok = [r for r in results if r[0]]
    assert [r[0] for r in results] == [True, False, True, True, True] and isinstance(results[1][1], DomainError)
    assert results[2][1] is None  # held for the switched-off handset: no inbox record yet
    records = [results[i][1] for i in (0, 3, 4)]
    assert [r.text for r in records] == ["Привет 1", "Привет 2", "Привет 3"] and len(ok) == 4
    delivered = [calls[i][1][2] for i in (0, 3, 4)]
    held = calls[2][1][2]
    ids = [s.ids[0] for s in delivered]
    assert len(set(ids + held.ids)) == 4
    assert [len(s.receipts) for s in delivered] == [1, 0, 1]  # registered_delivery 0 asks none
    for submission in (delivered[0], delivered[2]):
        receipt = submission.receipts[0]
        assert receipt.message_id == str(submission.ids[0]) and f"id:{submission.ids[0]} " in receipt.body
        assert "stat:DELIVRD" in receipt.body
    with store.transaction() as uow:
        inbox = [m.text for m in uow.messages.inbox(ON, None)]
        rows = {row.id: row for row in uow.submits.by_ids(ids + held.ids)}
        pending = uow.receipts.pending("app")
    assert inbox == ["Привет 1", "Привет 2", "Привет 3"]
    assert [rows[i].state for i in ids] == [Outcome.DELIVERED.message_state] * 3
    assert rows[held.ids[0]].state == Outcome.ENROUTE.message_state and not rows[held.ids[0]].routed
    assert sorted(r.id for r in pending) == sorted(s.receipts[0].id for s in (delivered[0], delivered[2]))
