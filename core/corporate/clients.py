"""Corporate clients (R29): their kind, regions (federal when several), group and contacts.

Clients are set up by the operator under contract: these functions are the office's tools,
not the corporate account's. A number joining the group moves onto an account of its own of
kind `corporate`: core services then offer it corporate tariffs, and no member shares an
account with another, so at its own level (R26-R28) a member sees only its own number. The
group as a whole is managed here, through the client, by the CP_ login.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from core import subscribers
from core.errors import AlreadyMember, InvalidInput, UnknownClient
from core.numbers import login_of, normalise_msisdn
from core.ports import CorporateClientRecord, UnitOfWork
from core.secrets import hash_secret

NAME_MAX, REGION_MAX, QUESTION_MAX, ANSWER_MAX = 200, 80, 200, 100


class ClientKind(enum.StrEnum):
    COMPANY = "company"
    SOLE_TRADER = "sole_trader"
    PRIVATE_PRACTICE = "private_practice"  # notaries, lawyers


@dataclass(frozen=True)
class ClientView:
    id: int
    name: str
    kind: ClientKind
    regions: tuple[str, ...]
    members: tuple[str, ...]
    contacts: tuple[str, ...]
    login: str | None  # CP_… once registered (R30)
    secret_question: str | None

    @property
    def federal(self) -> bool:
        """R29: a client under contract in several regions is a federal corporate client."""
        return len(self.regions) > 1


def create_client(
    uow: UnitOfWork,
    name: str,
    kind: str,
    regions: Iterable[str],
    now: float,
    *,
    members: Iterable[str] = (),
    contacts: Iterable[str] = (),
    secret_question: str | None = None,
    secret_answer: str | None = None,
) -> ClientView:
    """A client under a new contract, with its group and contact numbers (R29)."""
    name = _text(name, "client name", NAME_MAX)
    try:
        kind = ClientKind(kind)
    except ValueError:
        raise InvalidInput(f"a client kind is one of {', '.join(k.value for k in ClientKind)}") from None
    regions = sorted({_text(r, "region", REGION_MAX) for r in regions})
    if not regions:
        raise InvalidInput("a client has a contract in at least one region")
    contacts = sorted({normalise_msisdn(c) for c in contacts})
    members = sorted({subscribers.require(uow, m).msisdn for m in members})
    for msisdn in members:
        _require_free(uow, msisdn)
    secret = _secret(secret_question, secret_answer) if secret_question or secret_answer else None
    row = uow.corporate_clients.add(name, kind.value, now)
    for region in regions:
        uow.corporate_clients.add_region(row.id, region)
    for contact in contacts:
        uow.corporate_clients.add_contact(row.id, contact)
    for msisdn in members:
        _join(uow, row, msisdn, now)
    if secret:
        row.secret_question, row.secret_answer_hash = secret
    return client(uow, row.id)


def client(uow: UnitOfWork, client_id: int) -> ClientView:
    row = require_client(uow, client_id)
    login = uow.corporate_logins.of_client(row.id)
    return ClientView(
        id=row.id, name=row.name, kind=ClientKind(row.kind),
        regions=tuple(uow.corporate_clients.regions(row.id)),
        members=tuple(uow.corporate_clients.members(row.id)),
        contacts=tuple(uow.corporate_clients.contacts(row.id)),
        login="CP_" + login_of(login.msisdn) if login else None,
        secret_question=row.secret_question,
    )


def add_region(uow: UnitOfWork, client_id: int, region: str) -> ClientView:
    """A contract in one more region; with two or more the client is federal."""
    region = _text(region, "region", REGION_MAX)
    row = require_client(uow, client_id, lock=True)
    if region not in uow.corporate_clients.regions(row.id):
        uow.corporate_clients.add_region(row.id, region)
    return client(uow, row.id)


def add_member(uow: UnitOfWork, client_id: int, msisdn: str, now: float) -> ClientView:
    """Put an existing number into the group (and onto the client's corporate account)."""
    msisdn = subscribers.require(uow, msisdn).msisdn
    row = require_client(uow, client_id, lock=True)
    _join(uow, row, msisdn, now)
    return client(uow, row.id)


def add_contact(uow: UnitOfWork, client_id: int, msisdn: str) -> ClientView:
    """A contact number, where a reset corporate password is sent (R32); need not be ours."""
    msisdn = normalise_msisdn(msisdn)
    row = require_client(uow, client_id, lock=True)
    if msisdn not in uow.corporate_clients.contacts(row.id):
        uow.corporate_clients.add_contact(row.id, msisdn)
    return client(uow, row.id)


def require_client(uow: UnitOfWork, client_id: int, *, lock: bool = False) -> CorporateClientRecord:
    if isinstance(client_id, bool) or not isinstance(client_id, int):
        raise UnknownClient(f"no corporate client {client_id!r}")
    row = uow.corporate_clients.lock(client_id) if lock else uow.corporate_clients.get(client_id)
    if row is None:
        raise UnknownClient(f"no corporate client {client_id}")
    return row


def set_secret(row: CorporateClientRecord, question: str, answer: str) -> None:
    """Store the secret question and the hash of its normalised answer (R32)."""
    row.secret_question, row.secret_answer_hash = _secret(question, answer)


def normalise_answer(answer: str) -> str:
    """Answers compare without surrounding spaces and without regard to case."""
    return answer.strip().casefold()


def _secret(question: str | None, answer: str | None) -> tuple[str, str]:
    question = _text(question, "secret question", QUESTION_MAX)
    answer = _text(answer, "secret answer", ANSWER_MAX)
    return question, hash_secret(normalise_answer(answer))


def _require_free(uow: UnitOfWork, msisdn: str) -> None:
    current = uow.corporate_clients.client_of(msisdn)
    if current is not None:
        raise AlreadyMember(f"{msisdn} is already a number of corporate client {current}")


def _join(uow: UnitOfWork, row: CorporateClientRecord, msisdn: str, now: float) -> None:
    _require_free(uow, msisdn)
    account_id = uow.corporate_clients.add_member(row.id, msisdn, now)
    uow.subscribers.lock(msisdn).account_id = account_id


def _text(value: object, what: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit or not text.isprintable():
        raise InvalidInput(f"a {what} is 1 to {limit} printable characters")
    return text
