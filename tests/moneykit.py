"""The world of the money tests: the real catalogue, a fixed clock, numbers, ledger reads."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import text

from core import subscribers
from core.access import Access, Actor
from core.catalogue import load_catalogue
from core.ledger import MOSCOW

CATALOGUE = load_catalogue(str(Path(__file__).resolve().parent.parent / "catalogue.yaml"))
DAY = 86400.0
NOW = datetime.datetime(2026, 11, 15, 12, 0, tzinfo=MOSCOW).timestamp()
BORN = NOW - 200 * DAY  # old enough for a promised payment
A, B, C = "79261234567", "79261234568", "79031112233"


def rub(roubles: float) -> int:
    """Kopecks of an amount in roubles, for readable expectations."""
    return round(roubles * 100)


def me(msisdn: str, access: Access = Access.SUBSCRIBER) -> Actor:
    return Actor(msisdn, access)


def add(store, msisdn: str, balance: int = 0, *, born: float = BORN, on_account_of: str | None = None) -> None:
    """A number; `on_account_of` puts it on another number's account."""
    with store.transaction() as uow:
        account_id = uow.subscribers.get(on_account_of).account_id if on_account_of else None
        subscribers.create(uow, msisdn, born, balance=balance, account_id=account_id)


def call(store, fn, *args, **kwargs):
    """Run one core operation in its own transaction."""
    with store.transaction() as uow:
        return fn(uow, *args, **kwargs)


def balance(store, msisdn: str) -> int:
    with store.transaction() as uow:
        return uow.ledger.balance(msisdn)


def block(store, msisdn: str) -> None:
    with store.transaction() as uow:
        uow.subscribers.lock(msisdn).blocked = True


def entries(store, msisdn: str | None = None) -> list[tuple[str, int, str, str | None]]:
    """(msisdn, amount, cause, ref) of ledger entries, in order."""
    query = "SELECT msisdn, amount, cause, ref FROM ledger_entries"
    params = {}
    if msisdn:
        query, params = query + " WHERE msisdn = :m", {"m": msisdn}
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query + " ORDER BY id"), params).all()]


def snapshot(store) -> tuple:
    """Everything money-related, to show a refused operation changed nothing."""
    with store.engine.connect() as connection:
        return tuple(
            tuple(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all())
            for table in ("ledger_entries", "promised_payments", "payment_requests", "autopay_rules")
        )
