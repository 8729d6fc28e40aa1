"""Access levels of the personal account (R26-R28), enforced here rather than in channels."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core import subscribers
from core.errors import NotAllowed
from core.ports import UnitOfWork


class Access(enum.IntEnum):
    VIEW = 1  # R26: everything can be seen, nothing changed
    SUBSCRIBER = 2  # R27: changes to one's own number only
    ACCOUNT = 3  # R28: every number on the account and the account itself


@dataclass(frozen=True)
class Actor:
    """Who asks for an operation: a number logged in (or calling) at some access level."""

    msisdn: str
    access: Access = Access.SUBSCRIBER

    @classmethod
    def handset(cls, msisdn: str) -> Actor:
        """A subscriber acting from their own handset (USSD, SMS, voice menu)."""
        return cls(msisdn, Access.SUBSCRIBER)


def require_view(uow: UnitOfWork, actor: Actor, target: str) -> str:
    """Check that `actor` may see `target`'s number; returns the normalised target."""
    row = subscribers.require(uow, target)
    if row.msisdn != actor.msisdn and not _same_account(uow, actor.msisdn, row.msisdn):
        raise NotAllowed(f"{actor.msisdn} may not see {row.msisdn}")
    return row.msisdn


def require_change(uow: UnitOfWork, actor: Actor, target: str) -> str:
    """Check that `actor` may change `target`'s number; returns the normalised target."""
    row = subscribers.require(uow, target)
    if actor.access is Access.VIEW:
        raise NotAllowed("view-only access: nothing can be changed")
    if row.msisdn == actor.msisdn:
        return row.msisdn
    if actor.access is Access.ACCOUNT and _same_account(uow, actor.msisdn, row.msisdn):
        return row.msisdn
    raise NotAllowed(f"{actor.msisdn} may not change {row.msisdn}")


def require_account(uow: UnitOfWork, actor: Actor) -> int:
    """Check that `actor` may manage the whole account; returns the account id."""
    if actor.access is not Access.ACCOUNT:
        raise NotAllowed("account management access is needed")
    return subscribers.require(uow, actor.msisdn).account_id


def _same_account(uow: UnitOfWork, first: str, second: str) -> bool:
    a, b = uow.subscribers.get(first), uow.subscribers.get(second)
    return bool(a and b and a.account_id is not None and a.account_id == b.account_id)
