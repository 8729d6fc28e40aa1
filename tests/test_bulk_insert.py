"""core/db/bulk.py: many rows in one statement, their ids in order, on SQLite (ids given under
the write lock, the driver's executemany) and PostgreSQL (INSERT … RETURNING) alike."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.db.bulk import delete_ids, insert_rows
from core.db.models import Message

MESSAGES = Message.__table__
A = "79261234567"


def row(text: str, peer: str = "7000") -> dict:
    return {"msisdn": A, "direction": "mt", "peer": peer, "text": text, "created_at": 1.5}


def stored(store) -> list[tuple[int, str]]:
    with store.transaction() as uow:
        return [tuple(r) for r in uow.session.execute(select(Message.id, Message.text).order_by(Message.id))]


def with_subscriber(store) -> None:
    with store.transaction() as uow:
        uow.subscribers.add(A, "basic", "ru", False, 0.0)


def test_rows_get_their_ids_in_order_next_to_rows_the_orm_added(store):
    with_subscriber(store)
    with store.transaction() as uow:
        first = insert_rows(uow.session, MESSAGES, [row("a"), row("b")])
        orm = uow.messages.add(A, "mt", "7000", "orm", 1.0)  # the database gives this one its id
        second = insert_rows(uow.session, MESSAGES, [row("c")])
    texts = dict(stored(store))
    assert [texts[i] for i in first + second] == ["a", "b", "c"] and texts[orm.id] == "orm"
    assert first == sorted(first) and first[-1] < orm.id < second[0]


def test_rows_with_their_columns_in_another_order_keep_their_values_and_order(store):
    with_subscriber(store)
    reordered = dict(reversed(list(row("y").items())))  # the same columns in another order
    with store.transaction() as uow:
        ids = insert_rows(uow.session, MESSAGES, [row("x"), reordered, {**row("z"), "peer": "1100"}])
        assert insert_rows(uow.session, MESSAGES, []) == []
    texts = dict(stored(store))
    assert [texts[i] for i in ids] == ["x", "y", "z"]


def test_ids_after_the_highest_rows_were_deleted_are_still_unique_and_ordered(store):
    with_subscriber(store)
    with store.transaction() as uow:
        ids = insert_rows(uow.session, MESSAGES, [row(str(n)) for n in range(5)])
        delete_ids(uow.session, MESSAGES, ids[3:])
        delete_ids(uow.session, MESSAGES, [])
        again = insert_rows(uow.session, MESSAGES, [row("new 1"), row("new 2")])
    texts = dict(stored(store))
    assert sorted(texts) == sorted(ids[:3] + again)
    assert [texts[i] for i in again] == ["new 1", "new 2"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.text(max_size=20), max_size=8), min_size=1, max_size=5))
def test_any_batches_read_back_exactly_as_written(tmp_path_factory, batches):
    from core.db.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('bulk')}/gw.db")
    store.upgrade()
    with_subscriber(store)
    written: list[tuple[int, str]] = []
    for batch in batches:
        with store.transaction() as uow:
            written += zip(insert_rows(uow.session, MESSAGES, [row(t) for t in batch]), batch, strict=True)
    assert stored(store) == written
    store.dispose()
