"""Held MO claimed by two nodes at once on one PostgreSQL store: exactly one takes it."""

from __future__ import annotations

import threading
import time

import sqlalchemy

from core import subscribers
from core.db.store import Store
from gateway.cluster.node import held_mo
from gateway.sms.submits import claim_held_mo

A, APP_NUMBER, NOW = "79261234567", "7000", 1_700_000_000.0


def test_a_second_claim_waits_for_the_first_and_finds_nothing(pg_url):
    store = Store(pg_url)
    store.upgrade()
    try:
        with store.transaction() as uow:
            subscribers.create(uow, A, NOW - 86400)
            # What a node without the application's bind stores for the node that has one.
            held_mo(A, APP_NUMBER, "привет", NOW).hold(uow, NOW)
        second: list = []
        with store.transaction() as first_uow:
            first = claim_held_mo(first_uow, [APP_NUMBER], NOW)
            other = threading.Thread(target=lambda: second.append(_claim(store)))
            other.start()
            _wait_until_blocked(store, pg_url)  # the other node's claim waits on our row lock
        other.join(timeout=15)
        assert [(source, destination, text) for _, source, destination, text in first] == \
            [(A, APP_NUMBER, "привет")]
        assert second == [[]]
    finally:
        store.dispose()


def _claim(store: Store) -> list:
    with store.transaction() as uow:
        return claim_held_mo(uow, [APP_NUMBER], NOW)


def _wait_until_blocked(store: Store, pg_url: str) -> None:
    database = sqlalchemy.engine.make_url(pg_url).database
    deadline = time.monotonic() + 15
    with store.engine.connect() as watcher:
        while watcher.execute(sqlalchemy.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
                {"db": database}).scalar() == 0:
            assert time.monotonic() < deadline, "the second claim never waited for the first"
            watcher.rollback()
