"""The world of the service tests: the real catalogue, a fixed clock, numbers, ledger reads."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from sqlalchemy import text

from core import subscribers
from core.access import Access, Actor
from core.catalogue import Catalogue, load_catalogue
from core.ledger import MOSCOW, Cause, credit

CATALOGUE = load_catalogue(str(Path(__file__).resolve().parent.parent / "catalogue.yaml"))
NOW = datetime.datetime(2026, 11, 5, 12, 0, tzinfo=MOSCOW).timestamp()  # a Thursday
DAY = 86400.0
A, B, C = "79261234567", "79261234568", "79031112233"


def rub(roubles: float) -> int:
    """Kopecks of an amount in roubles, for readable expectations."""
    return round(roubles * 100)


def me(msisdn: str, access: Access = Access.SUBSCRIBER) -> Actor:
    return Actor(msisdn, access)


def add(store, msisdn: str, *, balance: int = 0, tariff: str = "standard", roaming: bool = False,
        locale: str = "ru", on_account_of: str | None = None, now: float = NOW) -> None:
    """A number; `on_account_of` puts it on another number's account."""
    with store.transaction() as uow:
        account_id = uow.subscribers.get(on_account_of).account_id if on_account_of else None
        subscribers.create(uow, msisdn, now, tariff=tariff, balance=balance, roaming=roaming,
                           locale=locale, account_id=account_id)


def top_up(store, msisdn: str, amount: int, now: float = NOW) -> None:
    with store.transaction() as uow:
        credit(uow, msisdn, amount, Cause.TOP_UP, now)


def balance(store, msisdn: str) -> int:
    with store.transaction() as uow:
        return uow.ledger.balance(msisdn)


def entries(store, msisdn: str) -> list[tuple[int, str, str, str | None]]:
    """(amount, cause, detail, ref) of a number's ledger entries, in order."""
    with store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT amount, cause, detail, ref FROM ledger_entries WHERE msisdn = :m ORDER BY id"),
            {"m": msisdn}).all()
    return [tuple(row) for row in rows]


def count(store, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def snapshot(store, msisdn: str) -> tuple:
    """Everything a refused operation must leave as it was."""
    with store.engine.connect() as connection:
        tariff, blocked = connection.execute(text(
            "SELECT tariff, blocked FROM subscribers WHERE msisdn = :m"), {"m": msisdn}).one()
    tables = ("service_connections", "package_buckets", "bonus_redemptions", "sim_blocks", "support_questions")
    return (entries(store, msisdn), tariff, blocked, *(count(store, t) for t in tables))


def make_corporate(store, msisdn: str) -> None:
    with store.transaction() as uow:
        account_id = uow.subscribers.get(msisdn).account_id
        uow.session.execute(text("UPDATE accounts SET kind = 'corporate' WHERE id = :a"), {"a": account_id})


def with_tariff(catalogue: Catalogue, tariff_id: str, **changes) -> Catalogue:
    """The catalogue with one tariff's fields changed."""
    tariffs = dict(catalogue.tariffs)
    tariffs[tariff_id] = dataclasses.replace(tariffs[tariff_id], **changes)
    return dataclasses.replace(catalogue, tariffs=tariffs)
