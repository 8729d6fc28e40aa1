"""Settings of the group's numbers: call forwarding on all of them, SIM card replacement (R33).

An ICCID is the 19 or 20 digits printed on a SIM card, the last a Luhn check digit. A
replaced card is deactivated and kept as history; an ICCID is issued only once.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.corporate.access import (
    CorporateAdmin,
    Viewer,
    require_admin,
    require_member,
    require_view,
    visible,
)
from core.errors import InvalidIccid, InvalidNumber
from core.ledger import Cause, debit
from core.numbers import normalise_msisdn
from core.ports import SimCardRecord, UnitOfWork

ICCID_LENGTHS = (19, 20)


@dataclass(frozen=True)
class SimCard:
    msisdn: str
    iccid: str
    activated_at: float
    deactivated_at: float | None

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


def set_forwarding(uow: UnitOfWork, admin: CorporateAdmin, target: str, now: float) -> tuple[str, ...]:
    """Forward calls of every number of the group to `target`; returns the numbers set.

    The target itself, when it is one of the group's numbers, ends up not forwarded: a number
    does not forward to itself.
    """
    require_admin(admin)
    try:
        target = normalise_msisdn(target)
    except InvalidNumber as error:
        raise InvalidNumber(f"forwarding target: {error.message}") from None
    members = uow.corporate_clients.members(admin.client_id)
    numbers = [m for m in members if m != target]
    uow.corporate_numbers.set_forwarding(members, None, now)
    uow.corporate_numbers.set_forwarding(numbers, target, now)
    return tuple(numbers)


def cancel_forwarding(uow: UnitOfWork, admin: CorporateAdmin, now: float) -> None:
    """Remove forwarding from every number of the group."""
    members = uow.corporate_clients.members(require_admin(admin).client_id)
    uow.corporate_numbers.set_forwarding(members, None, now)


def forwarding(uow: UnitOfWork, who: Viewer) -> dict[str, str | None]:
    """Each visible number and where its calls go (None: not forwarded)."""
    _, numbers = visible(uow, who)
    return {m: uow.corporate_numbers.forwarding(m) for m in numbers}


def check_iccid(iccid: str) -> str:
    """The ICCID without surrounding spaces if it is 19-20 digits with a valid Luhn check."""
    text = iccid.strip() if isinstance(iccid, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) in ICCID_LENGTHS):
        raise InvalidIccid(f"an ICCID is {ICCID_LENGTHS[0]} or {ICCID_LENGTHS[1]} digits")
    if not luhn_valid(text):
        raise InvalidIccid(f"ICCID {text} fails its check digit")
    return text


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def replace_sim(uow: UnitOfWork, admin: CorporateAdmin, msisdn: str, iccid: str, now: float, *,
                fee: int = 0) -> SimCard:
    """Give a number a new SIM card; the old one is deactivated. `fee` (the catalogue's
    corporate.sim_replacement_fee) is debited from the number when not zero."""
    msisdn = require_member(uow, require_admin(admin).client_id, msisdn)
    iccid = check_iccid(iccid)
    if uow.corporate_numbers.iccid_known(iccid):
        raise InvalidIccid(f"ICCID {iccid} has already been issued")
    uow.subscribers.lock(msisdn)  # one replacement of a number at a time
    if fee:
        debit(uow, msisdn, fee, Cause.SIM_REPLACEMENT, now, detail=f"SIM ...{iccid[-4:]}")
    for card in uow.corporate_numbers.sim_cards(msisdn):
        if card.deactivated_at is None:
            card.deactivated_at = now
    return _view(uow.corporate_numbers.add_sim_card(msisdn, iccid, now))


def sim_cards(uow: UnitOfWork, who: Viewer, msisdn: str) -> list[SimCard]:
    """The SIM cards a number has had through the corporate account, oldest first."""
    msisdn = require_view(uow, who, msisdn)
    return [_view(card) for card in uow.corporate_numbers.sim_cards(msisdn)]


def _view(card: SimCardRecord) -> SimCard:
    return SimCard(card.msisdn, card.iccid, card.activated_at, card.deactivated_at)
