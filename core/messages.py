"""The message store: SMS sent by handsets (MO) and to them (MT), the handset inbox."""

from __future__ import annotations

from collections.abc import Sequence

from core import subscribers
from core.ports import MessageRecord, UnitOfWork


def store_mo(uow: UnitOfWork, msisdn: str, to: str, text: str, now: float) -> MessageRecord:
    """Record an SMS a handset sent; durable once the transaction commits."""
    return uow.messages.add(msisdn, "mo", to, text, now)


def store_mt(uow: UnitOfWork, msisdn: str, sender: str, text: str, now: float) -> MessageRecord:
    """Put an SMS into a handset's inbox."""
    row = subscribers.require(uow, msisdn)
    return uow.messages.add(row.msisdn, "mt", sender, text, now)


def inbox(uow: UnitOfWork, msisdn: str, since: int | None = None) -> Sequence[MessageRecord]:
    """SMS received by a handset, oldest first, optionally only those newer than `since`."""
    row = subscribers.require(uow, msisdn)
    return uow.messages.inbox(row.msisdn, since)
