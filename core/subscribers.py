"""Subscribers: creation, the account summary, and handset state (roaming, power)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import DomainError, InvalidAmount, SubscriberExists, UnknownSubscriber
from core.ledger import period_of
from core.money import format_roubles
from core.numbers import normalise_msisdn
from core.ports import SubscriberRecord, UnitOfWork

DEFAULT_TARIFF = "standard"
LOCALES = ("ru", "en")


@dataclass(frozen=True)
class Summary:
    msisdn: str
    balance: int
    tariff: str
    locale: str
    options: tuple[str, ...]
    subscriptions: tuple[str, ...]
    locked: bool
    blocked: bool
    roaming: bool
    switched_on: bool
    login_notifications: bool
    access: str = "account"  # R26-R28, by name

    def as_json(self) -> dict:
        return {
            "msisdn": self.msisdn,
            "balance": format_roubles(self.balance),
            "tariff": self.tariff,
            "locale": self.locale,
            "options": list(self.options),
            "subscriptions": list(self.subscriptions),
            "locked": self.locked,
            "blocked": self.blocked,
            "roaming": self.roaming,
            "switched_on": self.switched_on,
            "login_notifications": self.login_notifications,
            "access": self.access,
        }


def create(
    uow: UnitOfWork,
    msisdn: str,
    now: float,
    *,
    tariff: str = DEFAULT_TARIFF,
    balance: int = 0,
    roaming: bool = False,
    locale: str = "ru",
    account_id: int | None = None,
) -> Summary:
    """Add an active number on its own account (or `account_id`'s); the opening balance is
    its first ledger entry. The number opening an account manages it (R28); a number joining
    one manages itself (R27) until the account's manager grants more or less."""
    msisdn = normalise_msisdn(msisdn)
    if balance < 0:
        raise InvalidAmount("opening balance must not be negative")
    if locale not in LOCALES:
        raise InvalidAmount(f"unknown locale {locale!r}; one of {', '.join(LOCALES)}")
    if uow.subscribers.get(msisdn) is not None:
        raise SubscriberExists(f"{msisdn} already exists")
    uow.subscribers.add(msisdn, tariff, locale, roaming, now, account_id,
                        access="account" if account_id is None else "subscriber")
    if balance:
        uow.ledger.add(msisdn, balance, "opening_balance", now, period=period_of(now))
    return summary(uow, msisdn)


def require(uow: UnitOfWork, msisdn: str) -> SubscriberRecord:
    """The subscriber of a (not yet normalised) number, or UnknownSubscriber."""
    msisdn = normalise_msisdn(msisdn)
    row = uow.subscribers.get(msisdn)
    if row is None:
        raise UnknownSubscriber(f"no subscriber {msisdn}")
    return row


class SwitchedOff(DomainError):
    """The handset is switched off: it originates nothing and the network cannot reach it."""

    code = "switched_off"


def require_on(uow: UnitOfWork, msisdn: str) -> SubscriberRecord:
    """The subscriber of a number whose handset is switched on; SwitchedOff otherwise."""
    row = require(uow, msisdn)
    if not row.switched_on:
        raise SwitchedOff(f"the handset {row.msisdn} is switched off")
    return row


def summary(uow: UnitOfWork, msisdn: str) -> Summary:
    row = require(uow, msisdn)
    credential = uow.credentials.get(row.msisdn)
    connections = [c for c in uow.connections.of(row.msisdn) if c.status == "active"]
    return Summary(
        msisdn=row.msisdn,
        balance=uow.ledger.balance(row.msisdn),
        tariff=row.tariff,
        locale=row.locale,
        options=tuple(c.item for c in connections if c.kind == "option"),
        subscriptions=tuple(c.item for c in connections if c.kind == "subscription"),
        locked=bool(credential and credential.locked),
        blocked=row.blocked,
        roaming=row.roaming,
        switched_on=row.switched_on,
        login_notifications=bool(credential and credential.login_notifications),
        access=row.access,
    )


def set_handset(
    uow: UnitOfWork, msisdn: str, *, roaming: bool | None = None, switched_on: bool | None = None
) -> Summary:
    """Move the handset home or abroad, switch it on or off."""
    row = require(uow, msisdn)
    if roaming is not None:
        row.roaming = roaming
    if switched_on is not None:
        row.switched_on = switched_on
    return summary(uow, row.msisdn)
