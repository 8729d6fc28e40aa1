"""Access levels of the personal account (R26-R28), enforced here rather than in channels."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core import subscribers
from core.errors import InvalidInput, NotAllowed
from core.ports import UnitOfWork


class Access(enum.IntEnum):
    VIEW = 1  # R26: everything can be seen, nothing changed
    SUBSCRIBER = 2  # R27: changes to one's own number only
    ACCOUNT = 3  # R28: every number on the account and the account itself

    @classmethod
    def parse(cls, name: str) -> Access:
        """A level by its stored name: `view`, `subscriber`, `account`."""
        try:
            return cls[name.upper()]
        except KeyError:
            raise InvalidInput(f"an access level is one of {', '.join(a.name.lower() for a in cls)}") from None


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


@dataclass(frozen=True)
class AccountNumber:
    msisdn: str
    balance: int  # kopecks
    tariff: str
    access: Access
    blocked: bool


def level_of(uow: UnitOfWork, msisdn: str) -> Access:
    """The access level a number acts with from its own handset (subscriber level if unknown)."""
    row = uow.subscribers.get(msisdn)
    return Access.parse(row.access) if row is not None else Access.SUBSCRIBER


def account_numbers(uow: UnitOfWork, actor: Actor) -> list[AccountNumber]:
    """Every number on the actor's account; every level may see them all (R26)."""
    own = subscribers.require(uow, actor.msisdn)
    rows = uow.subscribers.on_account(own.account_id) if own.account_id is not None else [own]
    return [AccountNumber(r.msisdn, uow.ledger.balance(r.msisdn), r.tariff, Access.parse(r.access), r.blocked)
            for r in rows]


def number_on_account(uow: UnitOfWork, actor: Actor, target: str) -> AccountNumber:
    """One number of the actor's account, as account_numbers lists it."""
    target = require_view(uow, actor, target)
    return next(n for n in account_numbers(uow, actor) if n.msisdn == target)


def grant(uow: UnitOfWork, actor: Actor, target: str, level: Access) -> str:
    """Set the access level of a number on the account; needs account management (R28).

    The account always keeps a number that manages it, so the last such number cannot
    lower its own level.
    """
    account_id = require_account(uow, actor)
    row = subscribers.require(uow, target)
    if row.account_id != account_id:
        raise NotAllowed(f"{row.msisdn} is not a number of this account")
    managers = [r.msisdn for r in uow.subscribers.on_account(account_id)
                if Access.parse(r.access) is Access.ACCOUNT and r.msisdn != row.msisdn]
    if level is not Access.ACCOUNT and not managers:
        raise NotAllowed("the account must keep a number with account management")
    locked = uow.subscribers.lock(row.msisdn)
    assert locked is not None
    locked.access = level.name.lower()
    return row.msisdn
