"""Rules of the voice-menu numbers (R11): 0505 only at home, +79221110505 everywhere."""

from __future__ import annotations

from core import subscribers
from core.errors import NotAllowed
from core.ports import UnitOfWork

HOME_ONLY = frozenset({"0505"})


class NotConnected(NotAllowed):
    code = "not_connected"


def connect(uow: UnitOfWork, msisdn: str, number: str) -> str:
    """Check that a call from `msisdn` to a voice-menu number connects; its locale."""
    row = subscribers.require(uow, msisdn)
    if number in HOME_ONLY and row.roaming:
        raise NotConnected(f"{number} is reachable in the home network only; in roaming call +79221110505")
    return row.locale
