"""Resetting a forgotten corporate password by the secret question (R32).

With a secret question set, the right answer (compared without surrounding spaces and case)
replaces the password by a random permanent one, sent by SMS to every contact number of the
client that is a subscriber of ours, in the same transaction. Without a secret question only
an office can reset the password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core import messages
from core.corporate.access import CorporateAdmin, require_admin
from core.corporate.clients import normalise_answer, require_client, set_secret
from core.corporate.login import require_login, set_password
from core.errors import OfficeResetOnly, WrongSecretAnswer
from core.ports import MessageRecord, UnitOfWork
from core.secrets import new_one_time_password, verify_secret

_OFFICE = "only an operator's office can reset the corporate password"


@dataclass(frozen=True)
class PasswordReset:
    login: str
    contacts: tuple[str, ...]  # every contact number of the client
    sent: tuple[MessageRecord, ...]  # the SMS stored for contacts that are subscribers
    password: str = field(repr=False)  # the one value meant for those SMS; never show it


def set_secret_question(uow: UnitOfWork, admin: CorporateAdmin, question: str, answer: str) -> None:
    """Set or replace the client's secret question; only the answer's hash is kept."""
    set_secret(require_client(uow, require_admin(admin).client_id, lock=True), question, answer)


def secret_question(uow: UnitOfWork, login_name: str) -> str:
    """The question to ask before a reset; OfficeResetOnly when none is set."""
    client = require_client(uow, require_login(uow, login_name).client_id)
    if not client.secret_question:
        raise OfficeResetOnly(f"no secret question is set: {_OFFICE}")
    return client.secret_question


def reset_password(uow: UnitOfWork, login_name: str, answer: str, now: float, *, sender: str,
                   compose: Callable[[str, str], str]) -> PasswordReset:
    """Reset by the secret answer and send the new password to the contacts.

    `compose(locale, password)` makes the SMS text (the channel's, from menus.yaml); `sender`
    is its originating address. A wrong answer changes nothing.
    """
    record = require_login(uow, login_name, for_update=True)
    client = require_client(uow, record.client_id, lock=True)
    if not client.secret_answer_hash:
        raise OfficeResetOnly(f"no secret question is set: {_OFFICE}")
    if not isinstance(answer, str) or not verify_secret(normalise_answer(answer), client.secret_answer_hash):
        raise WrongSecretAnswer("the answer to the secret question is wrong")
    contacts = tuple(uow.corporate_clients.contacts(client.id))
    # The registering number is always a contact (R30), so one at least can receive it.
    reachable = [row for row in (uow.subscribers.get(c) for c in contacts) if row is not None]
    password = new_one_time_password()
    set_password(record, password, now)
    sent = tuple(messages.store_mt(uow, row.msisdn, sender, compose(row.locale, password), now)
                 for row in reachable)
    return PasswordReset(login="CP_" + record.msisdn[1:], contacts=contacts, sent=sent, password=password)
