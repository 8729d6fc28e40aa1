"""The SMS service's store transactions: each runs on the store thread inside one unit of work.

MO to a service number (with its reply and charge), to another handset or held for an
application; an application's MT (one by one or as a group commit's batch); stored receipts
loaded, claimed, renewed and removed; a handset's inbox.
"""

from __future__ import annotations

from core import charging, messages, subscribers
from core.errors import DomainError
from core.ports import MessageRecord
from gateway.actions import Context, perform, send_sms
from gateway.sms.groupcommit import batched
from gateway.sms.receipts import Outcome, PendingReceipt
from gateway.sms.submits import Submission, pending_receipt, record_delivered_many
from gateway.ussd.records import iso_time
from menus import commands
from menus.render import fill
from menus.schema import MenuSet, SmsNumber


def _record(uow, tracked: Submission | None, outcome: Outcome | None, now: float) -> None:
    if tracked is not None:
        tracked.record(uow, outcome, 0, now)


def command(uow, menus: MenuSet, ctx: Context, number: SmsNumber, text: str,
             tracked: Submission | None = None) -> int:
    ctx.locale = subscribers.require(uow, ctx.msisdn).locale
    mo = messages.store_mo(uow, ctx.msisdn, number.number, text, ctx.now)
    _record(uow, tracked, Outcome.DELIVERED, ctx.now)
    if ctx.offer is not None:  # R13: free at home, the roaming SMS rate abroad
        charging.charge_service_sms(uow, ctx.offer, ctx.msisdn, number.number, ctx.now, ref=f"sms:{mo.id}")
    matched = commands.match(number, text)
    if matched is None:
        ctx.sent.append(messages.store_mt(uow, ctx.msisdn, number.number, fill(number.help, ctx.locale), ctx.now))
        return mo.id
    command, args = matched
    outputs = perform(uow, menus, ctx, command.action, {**args, "text": text})
    if "items" in outputs:  # a list in an SMS: one `code — label` line each
        lines = [f"{value} — {label}" for value, label in outputs.pop("items")]
        outputs["lines"] = "\n".join(lines) or fill(menus.text("list_empty"), ctx.locale)
    if command.reply is not None:
        reply = fill(command.reply, ctx.locale, outputs)
        ctx.sent.append(messages.store_mt(uow, ctx.msisdn, number.number, reply, ctx.now))
    return mo.id


def command_refused(uow, menus: MenuSet, ctx: Context, text: str, code: str,
                     tracked: Submission | None = None) -> int:
    ctx.locale = subscribers.require(uow, ctx.msisdn).locale
    mo = messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    _record(uow, tracked, Outcome.DELIVERED, ctx.now)
    send_sms(uow, menus, ctx, f"error.{code}" if f"error.{code}" in menus.texts else "error.default")
    return mo.id


def hold_mo(uow, ctx: Context, text: str, tracked: Submission) -> int:
    subscribers.require(uow, ctx.msisdn)
    mo = messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    tracked.hold(uow, ctx.now)
    return mo.id


def store_mo(uow, ctx: Context, text: str, tracked: Submission | None = None) -> int:
    subscribers.require(uow, ctx.msisdn)
    mo = messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    _record(uow, tracked, None, ctx.now)  # settles on the application's deliver_sm_resp
    return mo.id


def person_to_person(uow, ctx: Context, text: str, tracked: Submission | None = None) -> int:
    subscribers.require(uow, ctx.msisdn)
    mo = messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    ctx.sent.append(messages.store_mt(uow, ctx.reply_from, ctx.msisdn, text, ctx.now))
    _record(uow, tracked, Outcome.DELIVERED, ctx.now)
    return mo.id


def application_mt_many(uow, calls: list[tuple]) -> list[tuple[bool, object]]:
    """application_mt for a group commit's batch: the handsets looked up in one query and the
    MT that reach them at once written with one insert per table; the rest one by one."""
    switched_on = uow.subscribers.switched_on({ctx.msisdn for ctx, *_ in calls})
    results: list[tuple[bool, object]] = []
    at_once: list[tuple[int, tuple]] = []
    for index, call in enumerate(calls):
        ctx, _, tracked, hold, fail_with = call
        on = switched_on.get(ctx.msisdn)
        if on and not hold and fail_with is None and tracked.new is not None:
            at_once.append((index, call))
            results.append((True, None))  # the record, below
            continue
        try:
            results.append((True, application_mt(uow, *call)))
        except DomainError as error:
            results.append((False, error))
    records = messages.store_mt_many(uow, [(ctx.msisdn, ctx.reply_from, text, ctx.now)
                                           for _, (ctx, text, *_) in at_once])
    record_delivered_many(uow, [(tracked, ctx.now) for _, (ctx, _, tracked, *_) in at_once])
    for (index, _), record in zip(at_once, records, strict=True):
        results[index] = (True, record)
    return results


@batched(application_mt_many)
def application_mt(uow, ctx: Context, text: str, tracked: Submission, hold: bool,
                    fail_with: int | None) -> MessageRecord | None:
    """An application's MT: into the inbox; held while the handset is off or a delay runs;
    UNDELIV when the simulation fails it."""
    handset = subscribers.require(uow, ctx.msisdn)
    if hold or not handset.switched_on:
        tracked.hold(uow, ctx.now)
        return None
    if fail_with is not None:
        tracked.record(uow, Outcome.UNDELIVERABLE, fail_with, ctx.now)
        return None
    record = messages.store_mt(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    tracked.record(uow, Outcome.DELIVERED, 0, ctx.now)
    return record


def pending_receipts(uow, system_id: str) -> list[PendingReceipt]:
    return [pending_receipt(row) for row in uow.receipts.pending(system_id)]


def claim_receipts(uow, system_id: str, claims) -> list[PendingReceipt]:
    now, until = claims.lease()
    return [pending_receipt(row) for row in uow.receipts.claim_pending(system_id, claims.node, now, until)]


def unclaim_receipts(uow, receipt_ids: list[int], node: str) -> None:
    uow.receipts.unclaim(receipt_ids, node)


def renew_receipts(uow, receipt_ids: list[int], claims) -> None:
    uow.receipts.renew(receipt_ids, claims.node, claims.lease()[1])


def remove_receipts(uow, calls: list[tuple[int]]) -> list[tuple[bool, None]]:
    uow.receipts.remove_many([receipt_id for receipt_id, in calls])
    return [(True, None)] * len(calls)


@batched(remove_receipts)
def remove_receipt(uow, receipt_id: int) -> None:
    uow.receipts.remove(receipt_id)


def inbox(uow, msisdn: str, since: int | None) -> list[dict]:
    return [
        {"id": m.id, "from": m.peer, "text": m.text, "received_at": iso_time(m.created_at)}
        for m in messages.inbox(uow, msisdn, since)
    ]
