"""The message store: SMS sent by handsets (MO) and to them (MT), the handset inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core import subscribers
from core.ports import MessageRecord, UnitOfWork


def store_mo(uow: UnitOfWork, msisdn: str, to: str, text: str, now: float) -> MessageRecord:
    """Record an SMS a handset sent; durable once the transaction commits."""
    return uow.messages.add(msisdn, "mo", to, text, now)


def store_mt(uow: UnitOfWork, msisdn: str, sender: str, text: str, now: float) -> MessageRecord:
    """Put an SMS into a handset's inbox."""
    row = subscribers.require(uow, msisdn)
    return uow.messages.add(row.msisdn, "mt", sender, text, now)


@dataclass(frozen=True)
class StoredMessage:
    """A MessageRecord written without the ORM (store_mt_many)."""

    id: int
    msisdn: str
    direction: str
    peer: str
    text: str
    created_at: float


def store_mt_many(uow: UnitOfWork, items: Sequence[tuple[str, str, str, float]]) -> list[MessageRecord]:
    """Put many SMS into inboxes at once: (msisdn, sender, text, now) each, every msisdn a
    subscriber's normalised number (the caller checked: this one does not look)."""
    rows = [{"msisdn": m, "direction": "mt", "peer": p, "text": t, "created_at": n} for m, p, t, n in items]
    ids = uow.messages.insert_many(rows)
    return [StoredMessage(i, m, "mt", p, t, n) for i, (m, p, t, n) in zip(ids, items, strict=True)]


def inbox(uow: UnitOfWork, msisdn: str, since: int | None = None) -> Sequence[MessageRecord]:
    """SMS received by a handset, oldest first, optionally only those newer than `since`."""
    row = subscribers.require(uow, msisdn)
    return uow.messages.inbox(row.msisdn, since)
