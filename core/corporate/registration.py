"""Registering the corporate account by an SMS to 000511 from a number of the group (R30).

The sender must be an active (not blocked) number of a corporate group whose account is not
registered yet. Registration creates the login `CP_<ten digits of the sender>` with a random
permanent password (R31): only its hash is stored; the password itself is returned once, for
the reply SMS to the sender's own handset. The sender becomes a contact of the client, where a
reset password is sent later (R32).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from core import subscribers
from core.errors import AlreadyRegistered, NotAMember, SimBlocked
from core.numbers import login_of
from core.ports import UnitOfWork
from core.secrets import hash_secret, new_one_time_password

SHORT_NUMBER = "000511"


class RegistrationCode(enum.StrEnum):
    """What the reply SMS says; the SMS channel picks the text for it from menus.yaml."""

    REGISTERED = "registered"
    ALREADY_REGISTERED = "already_registered"
    NOT_A_MEMBER = "not_a_member"
    SIM_BLOCKED = "sim_blocked"


@dataclass(frozen=True)
class RegistrationResult:
    code: RegistrationCode
    msisdn: str
    login: str | None = None  # CP_… when registered
    password: str | None = field(default=None, repr=False)  # only for the reply SMS


_REFUSALS = {
    AlreadyRegistered: RegistrationCode.ALREADY_REGISTERED,
    NotAMember: RegistrationCode.NOT_A_MEMBER,
    SimBlocked: RegistrationCode.SIM_BLOCKED,
}


def register_by_sms(uow: UnitOfWork, msisdn: str, text: str, now: float) -> RegistrationResult:
    """Handle an SMS to 000511: its text is not interpreted (the operator names none).

    Refusals are results, not errors, so the channel answers every SMS; nothing is changed
    by a refusal. An unknown sender raises UnknownSubscriber (the channel accepts none).
    """
    sender = subscribers.require(uow, msisdn).msisdn
    try:
        login, password = register(uow, sender, now)
    except (AlreadyRegistered, NotAMember, SimBlocked) as refusal:
        return RegistrationResult(_REFUSALS[type(refusal)], sender)
    return RegistrationResult(RegistrationCode.REGISTERED, sender, login, password)


def register(uow: UnitOfWork, msisdn: str, now: float) -> tuple[str, str]:
    """Create the client's CP_ login for this number; returns (login, password in clear)."""
    row = subscribers.require(uow, msisdn)
    client_id = uow.corporate_clients.client_of(row.msisdn)
    if client_id is None:
        raise NotAMember(f"{row.msisdn} is not a number of a corporate group")
    if row.blocked:
        raise SimBlocked(f"the SIM of {row.msisdn} is blocked: register from an active number")
    uow.corporate_clients.lock(client_id)  # two members' SMS at once: one registers
    existing = uow.corporate_logins.of_client(client_id)
    if existing is not None:
        raise AlreadyRegistered(f"the corporate account is already registered as CP_{login_of(existing.msisdn)}")
    password = new_one_time_password()
    uow.corporate_logins.add(row.msisdn, client_id, hash_secret(password), now)
    if row.msisdn not in uow.corporate_clients.contacts(client_id):
        uow.corporate_clients.add_contact(client_id, row.msisdn)
    return "CP_" + login_of(row.msisdn), password
