"""Autopay from a bank card (R20): periodic and low-balance rules, and their idempotent runs.

How it works: a rule keeps a payment token (`tok_...`), never a card number. `due` is a
pure scheduler. A periodic rule's periods start at its anchor and then every week, every
20 days, or on the anchor's day of every month (Moscow time, clamped to short months); its
period key is the start date of the period `now` falls in, and only that period is paid
(periods missed while the gateway was down are not paid afterwards). A threshold rule
works in low-balance episodes: while armed, a run that sees the balance below the
threshold tops up once and disarms the rule; a later run that sees the balance back at or
above the threshold re-arms it and starts the next episode. Each top-up is an AUTOPAY
credit with the ledger key `autopay:<rule>:<period key>` (unique), booked in the same
transaction as the rule's bookkeeping, so a rerun or a restart never pays one period twice.
"""

from __future__ import annotations

import calendar
import datetime
import enum
import re
from dataclasses import dataclass

from core import payments
from core.access import Actor, require_change, require_view
from core.catalogue import Catalogue
from core.errors import InvalidAutopayRule, InvalidCardToken, NoLinkedCard, UnknownAutopayRule
from core.ledger import MOSCOW, Cause, has_ref
from core.ports import AutopayRuleRecord, UnitOfWork

DAY = 86400.0
_TOKEN = re.compile(r"tok_[A-Za-z0-9_-]{4,60}")
_PAN = re.compile(r"\d{13,19}")


class Kind(enum.StrEnum):
    PERIODIC = "periodic"
    THRESHOLD = "threshold"


class Every(enum.StrEnum):
    MONTH = "month"
    WEEK = "week"
    DAYS_20 = "20days"


class Status(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DELETED = "deleted"


_INTERVAL = {Every.WEEK: 7 * DAY, Every.DAYS_20: 20 * DAY}
_MAX_PASSES = 8  # a bound for safety; two passes settle any state the rules can reach


@dataclass(frozen=True)
class Rule:
    id: int
    msisdn: str
    card_token: str
    kind: Kind
    every: Every | None
    anchor: float
    threshold: int | None  # kopecks, threshold rules only
    amount: int
    status: Status
    armed: bool
    episode: int
    last_period: str | None


@dataclass(frozen=True)
class Run:
    rule_id: int
    msisdn: str
    period: str
    amount: int
    balance: int  # after the top-up and any promised payment repaid from it


def create_periodic(uow: UnitOfWork, actor: Actor, card_token: str, every: Every | str, amount: int,
                    now: float, *, msisdn: str | None = None, start: float | None = None) -> Rule:
    """Top up `amount` every month, week or 20 days, the first time at `start` (default now)."""
    msisdn = require_change(uow, actor, msisdn or actor.msisdn)
    token = check_card_token(card_token)
    try:
        every = Every(every)
    except ValueError:
        raise InvalidAutopayRule(f"every must be one of {', '.join(Every)}") from None
    payments.check_amount(amount)
    anchor = now if start is None else start
    if isinstance(anchor, bool) or not isinstance(anchor, int | float) or anchor < now:
        raise InvalidAutopayRule("the first payment cannot be in the past")
    record = uow.autopay.add(msisdn, token, Kind.PERIODIC, every, float(anchor), None, amount, now)
    return _view(record)


def create_threshold(uow: UnitOfWork, actor: Actor, card_token: str, threshold: int, amount: int,
                     now: float, *, msisdn: str | None = None) -> Rule:
    """Top up `amount` once whenever the balance falls below `threshold` kopecks."""
    msisdn = require_change(uow, actor, msisdn or actor.msisdn)
    token = check_card_token(card_token)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 < threshold <= payments.MAX_PAYMENT:
        raise InvalidAutopayRule(f"the threshold is 0.01 to {payments.MAX_PAYMENT // 100} roubles")
    payments.check_amount(amount)
    return _view(uow.autopay.add(msisdn, token, Kind.THRESHOLD, None, now, threshold, amount, now))


def linked_card(uow: UnitOfWork, actor: Actor, msisdn: str | None = None) -> str:
    """The card of the number's latest rule. A handset cannot type a card token, so a rule
    made from USSD reuses the card the personal account linked; NoLinkedCard without one."""
    msisdn = require_view(uow, actor, msisdn or actor.msisdn)
    records = list(uow.autopay.of(msisdn))
    if not records:
        raise NoLinkedCard("no bank card is linked to this number: link one in the personal account")
    return max(records, key=lambda record: record.id).card_token


def rules(uow: UnitOfWork, actor: Actor, msisdn: str | None = None) -> list[Rule]:
    """The number's autopay rules, active and paused."""
    msisdn = require_view(uow, actor, msisdn or actor.msisdn)
    return [_view(record) for record in uow.autopay.of(msisdn)]


def pause(uow: UnitOfWork, actor: Actor, rule_id: int) -> Rule:
    """Stop a rule's payments until it is resumed."""
    return _set_status(uow, actor, rule_id, Status.PAUSED)


def resume(uow: UnitOfWork, actor: Actor, rule_id: int) -> Rule:
    """Let a paused rule pay again (from the period `now` falls in)."""
    return _set_status(uow, actor, rule_id, Status.ACTIVE)


def delete(uow: UnitOfWork, actor: Actor, rule_id: int) -> Rule:
    """Remove a rule for good (its row stays, so its id and ledger keys are never reused)."""
    return _set_status(uow, actor, rule_id, Status.DELETED)


def due(rule: Rule, now: float, balance: int | None = None) -> str | None:
    """The period key the rule should pay for now, or None; pure.

    A threshold rule needs the current `balance`; a periodic one ignores it.
    """
    if rule.status is not Status.ACTIVE:
        return None
    if rule.kind is Kind.THRESHOLD:
        if balance is None:
            raise ValueError("a threshold rule needs the balance")
        return f"low-{rule.episode}" if rule.armed and balance < rule.threshold else None
    key = period_key(rule.every, rule.anchor, now)
    return None if key is None or key == rule.last_period else key


def period_key(every: Every, anchor: float, now: float) -> str | None:
    """The start date (Moscow) of the period `now` falls in; None before the anchor."""
    if now < anchor:
        return None
    if every is Every.MONTH:
        start = _month_start(anchor, now)
    else:
        step = _INTERVAL[every]
        start = anchor + ((now - anchor) // step) * step
    return datetime.datetime.fromtimestamp(start, MOSCOW).strftime("%Y-%m-%d")


def run_due(uow: UnitOfWork, catalogue: Catalogue, now: float) -> list[Run]:
    """Pay every rule that is due at `now`; safe to rerun (each period is paid once).

    A top-up can repay a promised payment and so take the balance below another rule's
    threshold; the pass repeats until nothing more is due, so a rerun right after pays
    nothing. It ends: a promised payment is repaid once, and a rule pays once a period
    or once a low-balance episode. `catalogue` is unused: autopay has no catalogue rules.
    """
    del catalogue
    runs: list[Run] = []
    for _ in range(_MAX_PASSES):
        paid = _pay_due(uow, now)
        if not paid:
            break
        runs.extend(paid)
    return runs


def _pay_due(uow: UnitOfWork, now: float) -> list[Run]:
    runs = []
    for rule_id in uow.autopay.active_ids():
        record = uow.autopay.get_for_update(rule_id)
        if record is None or record.status != Status.ACTIVE:
            continue
        uow.subscribers.lock(record.msisdn)
        balance = uow.ledger.balance(record.msisdn)
        if record.kind == Kind.THRESHOLD and not record.armed and balance >= record.threshold:
            record.armed, record.episode = True, record.episode + 1  # the episode is over
        key = due(_view(record), now, balance)
        if key is None:
            continue
        ref = f"autopay:{record.id}:{key}"
        if not has_ref(uow, ref):
            paid = payments.credit_top_up(uow, record.msisdn, record.amount, Cause.AUTOPAY, now,
                                          detail=f"card {_masked(record.card_token)}, {key}", ref=ref)
            runs.append(Run(record.id, record.msisdn, key, record.amount, paid.balance))
        record.last_period = key
        if record.kind == Kind.THRESHOLD:
            record.armed = False
    return runs


def check_card_token(card_token: str) -> str:
    """A payment token `tok_...`; anything that looks like a card number is refused unseen."""
    if not isinstance(card_token, str):
        raise InvalidCardToken("a card token is a string tok_...")
    if _PAN.search(re.sub(r"[\s-]", "", card_token)):
        # The message never repeats the value: it may be a real card number.
        raise InvalidCardToken("that looks like a card number; give the payment token (tok_...) instead")
    if not _TOKEN.fullmatch(card_token):
        raise InvalidCardToken("a card token is tok_ and 4 to 60 letters, digits, _ or -")
    return card_token


def _set_status(uow: UnitOfWork, actor: Actor, rule_id: int, status: Status) -> Rule:
    if isinstance(rule_id, bool) or not isinstance(rule_id, int):
        raise UnknownAutopayRule(f"no autopay rule {rule_id!r}")
    record = uow.autopay.get_for_update(rule_id)
    if record is None or record.status == Status.DELETED:
        raise UnknownAutopayRule(f"no autopay rule {rule_id}")
    require_change(uow, actor, record.msisdn)
    record.status = status.value
    return _view(record)


def _month_start(anchor: float, now: float) -> float:
    first = datetime.datetime.fromtimestamp(anchor, MOSCOW)
    moment = datetime.datetime.fromtimestamp(now, MOSCOW)
    months = (moment.year - first.year) * 12 + moment.month - first.month
    start = _add_months(first, months)
    if start > moment:
        start = _add_months(first, months - 1)
    return start.timestamp()


def _add_months(first: datetime.datetime, months: int) -> datetime.datetime:
    year, month = divmod(first.month - 1 + months, 12)
    year += first.year
    day = min(first.day, calendar.monthrange(year, month + 1)[1])
    return first.replace(year=year, month=month + 1, day=day)


def _masked(token: str) -> str:
    return f"...{token[-4:]}"


def _view(record: AutopayRuleRecord) -> Rule:
    return Rule(record.id, record.msisdn, record.card_token, Kind(record.kind),
                Every(record.every) if record.every else None, record.anchor, record.threshold,
                record.amount, Status(record.status), record.armed, record.episode, record.last_period)
