"""Top-ups (R18), transfers between subscribers and "pay for me" requests (R23).

How it works: a top-up is money from outside (a card, a terminal) credited as TOP_UP and
first repays an outstanding promised payment. A transfer is a TRANSFER_OUT debit and a
TRANSFER_IN credit in one transaction, so money only moves; both rows are locked in number
order first, so crossing transfers cannot deadlock. A blocked SIM still receives money
(top-ups, incoming transfers, autopay) but sends none: no transfer out, no paying for others.
A pay-for-me request is answered once, by its payer, within 24 hours.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core import promised, subscribers
from core.access import Actor, require_change, require_view
from core.errors import (
    InvalidAmount,
    InvalidRecipient,
    RequestAnswered,
    RequestExpired,
    SimBlocked,
    UnknownRequest,
)
from core.ledger import Cause, credit, debit
from core.ports import PaymentRequestRecord, UnitOfWork

MAX_PAYMENT = 15_000_00  # kopecks: the most one top-up, transfer or request may carry
REQUEST_TTL = 24 * 3600.0
PENDING, ACCEPTED, DECLINED, EXPIRED = "pending", "accepted", "declined", "expired"


class Answer(enum.Enum):
    ACCEPT = "accept"
    DECLINE = "decline"


@dataclass(frozen=True)
class TopUp:
    msisdn: str
    amount: int  # kopecks
    balance: int  # after the top-up and any repayment
    repaid: int  # the promised payment repaid out of it, 0 if none


@dataclass(frozen=True)
class Transfer:
    source: str
    recipient: str
    amount: int
    balance: int  # the source's balance after the transfer


@dataclass(frozen=True)
class Request:
    id: int
    requester: str
    payer: str
    amount: int
    created_at: float
    expires_at: float
    status: str  # pending | accepted | declined | expired


def top_up(uow: UnitOfWork, actor: Actor, amount: int, now: float, msisdn: str | None = None) -> TopUp:
    """Pay `amount` kopecks into one's own account or any other subscriber's (R18)."""
    require_change(uow, actor, actor.msisdn)  # a view-only login pays nothing
    target = subscribers.require(uow, msisdn or actor.msisdn).msisdn
    check_amount(amount)
    detail = "" if target == actor.msisdn else f"paid by {actor.msisdn}"
    return credit_top_up(uow, target, amount, Cause.TOP_UP, now, detail=detail)


def credit_top_up(uow: UnitOfWork, msisdn: str, amount: int, cause: Cause, now: float, *,
                  detail: str = "", ref: str | None = None) -> TopUp:
    """Credit money from outside (TOP_UP, AUTOPAY), then repay an outstanding promised payment."""
    credit(uow, msisdn, amount, cause, now, detail=detail, ref=ref)
    repaid = promised.repay(uow, msisdn, now, promised.BY_TOP_UP)
    return TopUp(msisdn, amount, uow.ledger.balance(msisdn), repaid.amount if repaid else 0)


def transfer(uow: UnitOfWork, actor: Actor, recipient: str, amount: int, now: float, *,
             source: str | None = None) -> Transfer:
    """Move money to another subscriber (R23); never beyond the source's balance."""
    source = require_change(uow, actor, source or actor.msisdn)
    recipient = subscribers.require(uow, recipient).msisdn
    if recipient == source:
        raise InvalidRecipient("a transfer goes to another subscriber, not to oneself")
    check_amount(amount)
    balance = _move(uow, source, recipient, amount, now)
    return Transfer(source, recipient, amount, balance)


def request_payment(uow: UnitOfWork, actor: Actor, payer: str, amount: int, now: float) -> Request:
    """Ask `payer` to pay `amount` into one's account (R23); it expires after 24 hours."""
    requester = require_change(uow, actor, actor.msisdn)
    payer = subscribers.require(uow, payer).msisdn
    if payer == requester:
        raise InvalidRecipient("ask another subscriber to pay, not oneself")
    check_amount(amount)
    return _view(uow.payment_requests.add(requester, payer, amount, now, now + REQUEST_TTL), now)


def answer_request(uow: UnitOfWork, actor: Actor, request_id: int, answer: Answer, now: float) -> Request:
    """The payer accepts (the money moves as a transfer) or declines, once."""
    if isinstance(request_id, bool) or not isinstance(request_id, int):
        raise UnknownRequest(f"no payment request {request_id!r}")
    record = uow.payment_requests.get_for_update(request_id)
    if record is None:
        raise UnknownRequest(f"no payment request {request_id}")
    require_change(uow, actor, record.payer)  # only the payer (or their account's manager)
    if record.status != PENDING:
        raise RequestAnswered(f"the request was already {record.status}")
    if now >= record.expires_at:
        raise RequestExpired("the request expired after 24 hours")
    if answer is Answer.ACCEPT:
        _move(uow, record.payer, record.requester, record.amount, now, ref=f"payreq:{record.id}")
        record.status = ACCEPTED
    elif answer is Answer.DECLINE:
        record.status = DECLINED
    else:
        raise TypeError(f"answer must be an Answer, not {answer!r}")
    record.answered_at = now
    return _view(record, now)


def requests_to_pay(uow: UnitOfWork, actor: Actor, now: float, msisdn: str | None = None) -> list[Request]:
    """The pending, unexpired requests others made of this number."""
    payer = require_view(uow, actor, msisdn or actor.msisdn)
    return [_view(record, now) for record in uow.payment_requests.pending_for(payer, now)]


def check_amount(amount: int) -> None:
    """A payment is a whole number of kopecks, 1 to MAX_PAYMENT."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_PAYMENT:
        raise InvalidAmount(f"a payment is 0.01 to {MAX_PAYMENT // 100} roubles")


def _move(uow: UnitOfWork, source: str, recipient: str, amount: int, now: float, *,
          ref: str | None = None) -> int:
    for msisdn in sorted((source, recipient)):
        uow.subscribers.lock(msisdn)
    if uow.subscribers.get(source).blocked:
        raise SimBlocked(f"the SIM of {source} is blocked: no money can leave it")
    balance = debit(uow, source, amount, Cause.TRANSFER_OUT, now, detail=f"to {recipient}",
                    ref=f"{ref}:out" if ref else None)
    credit(uow, recipient, amount, Cause.TRANSFER_IN, now, detail=f"from {source}",
           ref=f"{ref}:in" if ref else None)
    return balance


def _view(record: PaymentRequestRecord, now: float) -> Request:
    status = EXPIRED if record.status == PENDING and now >= record.expires_at else record.status
    return Request(record.id, record.requester, record.payer, record.amount, record.created_at,
                   record.expires_at, status)
