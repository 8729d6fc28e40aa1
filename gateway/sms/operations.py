"""query_sm, cancel_sm, replace_sm and submit_multi over the SMSC's durable submissions."""

# How it works
# ------------
# Every message_id the SMSC answered is a row of sms_submits (gateway/sms/submits.py), so
# query_sm reads its state there. Only a message still waiting in the SMSC can be cancelled
# or replaced: a segment of a long message whose siblings are not all in (ACCEPTED), or a
# message held for a switched-off handset or a simulated delay (ENROUTE, not routed yet).
# The release of held messages reads the same rows, so a cancelled one is never sent.
# submit_multi is a submit_sm per SME address; each gets its own row (its own state), the
# response carries the first accepted id and an unsuccess_sme entry per refused destination.
# SMPP 3.4 gives a submit_multi one message_id: every destination's receipts report that id
# (the rows after the first keep it in message_id), and cancel_sm of it cancels them all;
# query_sm of it reports the first destination's state.

from __future__ import annotations

import datetime

from twisted.internet.defer import Deferred, inlineCallbacks

from gateway.sms.codec import PDU
from gateway.sms.errors import CommandStatus, SmppError
from gateway.sms.events import Account
from gateway.sms.pdus import SmeAddress, UnsuccessSme
from gateway.sms.receipts import Outcome
from gateway.sms.session import submit_request
from gateway.sms.submits import ACCEPTED_STATE
from gateway.sms.text import decode_text, split_udh
from gateway.sms.validity import validity_end

HELD_STATES = (ACCEPTED_STATE, Outcome.ENROUTE.message_state)


class Operations:
    """The transmitter operations besides submit_sm, for one SmsService."""

    def __init__(self, service, store, clock) -> None:
        self._service = service
        self._store = store
        self._clock = clock

    def operate(self, account: Account, command: str, params: dict) -> Deferred[dict]:
        handler = getattr(self, "_" + command)
        return handler(account, params)

    @inlineCallbacks
    def _query_sm(self, account: Account, params: dict) -> Deferred[dict]:
        submit_id = _id_of(params)
        found = yield self._store.run(_query, account.system_id, submit_id, str(params.get("source_addr") or ""))
        if found is None:
            raise SmppError(CommandStatus.ESME_RQUERYFAIL, f"no message {submit_id} of {account.system_id}")
        state, error, done_at = found
        return {"message_id": str(submit_id), "final_date": smpp_time(done_at) if done_at else "",
                "message_state": state, "error_code": min(error, 255)}

    @inlineCallbacks
    def _cancel_sm(self, account: Account, params: dict) -> Deferred[dict]:
        submit_id = _id_of(params) if params.get("message_id") else None
        source = str(params.get("source_addr") or "")
        destination = str(params.get("destination_addr") or "")
        if submit_id is None and not (source and destination):
            raise SmppError(CommandStatus.ESME_RCANCELFAIL, "cancel_sm needs a message_id or both addresses")
        cancelled = yield self._store.run(_cancel, account.system_id, submit_id, source, destination,
                                          self._clock.seconds())
        if not cancelled:
            raise SmppError(CommandStatus.ESME_RCANCELFAIL, "no pending message to cancel")
        return {}

    @inlineCallbacks
    def _replace_sm(self, account: Account, params: dict) -> Deferred[dict]:
        submit_id = _id_of(params)
        try:
            valid_until = validity_end(str(params.get("validity_period") or ""), self._clock.seconds())
        except ValueError as error:
            raise SmppError(CommandStatus.ESME_RINVEXPIRY, str(error)) from error
        replaced = yield self._store.run(
            _replace, account.system_id, submit_id, str(params.get("source_addr") or ""),
            bytes(params.get("short_message") or b""), params.get("registered_delivery"), valid_until,
        )
        if not replaced:
            raise SmppError(CommandStatus.ESME_RREPLACEFAIL, f"message {submit_id} is not pending")
        return {}

    @inlineCallbacks
    def _submit_multi(self, account: Account, params: dict) -> Deferred[dict]:
        destinations = params.get("dest_address") or []
        if not destinations or len(destinations) > 255:
            raise SmppError(CommandStatus.ESME_RINVNUMDESTS, "submit_multi needs 1-255 destinations")
        first: str | None = None
        unsuccess: list[UnsuccessSme] = []
        for destination in destinations:
            if not isinstance(destination, SmeAddress):  # a distribution list: none are configured
                unsuccess.append(UnsuccessSme(0, 0, destination.name[:21], CommandStatus.ESME_RINVDLNAME))
                continue
            single = {k: v for k, v in params.items() if k != "dest_address"}
            single.update(dest_addr_ton=destination.ton, dest_addr_npi=destination.npi,
                          destination_addr=destination.address)
            try:
                message_id = yield self._service.submit(account, submit_request(PDU("submit_sm", 0, 0, single)),
                                                        shares_id=first)
            except SmppError as error:
                unsuccess.append(UnsuccessSme(destination.ton, destination.npi, destination.address, error.status))
            else:
                first = first or message_id
        if first is None:
            raise SmppError(CommandStatus.ESME_RSUBMITFAIL, "no destination accepted")
        return {"message_id": first, "unsuccess_sme": unsuccess}


def smpp_time(seconds: float) -> str:
    """Epoch seconds as an absolute SMPP time in UTC: YYMMDDhhmmss000+ (tenths, quarter hours)."""
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%y%m%d%H%M%S") + f"{moment.microsecond // 100_000}00+"


def _id_of(params: dict) -> int:
    raw = str(params.get("message_id") or "")
    if not raw.isdigit():
        raise SmppError(CommandStatus.ESME_RINVMSGID, f"{raw!r} is not a message_id of this SMSC")
    return int(raw)


def _query(uow, system_id: str, submit_id: int, source_addr: str) -> tuple[int, int, float | None] | None:
    row = uow.submits.get(submit_id)
    if row is None or row.system_id != system_id or (source_addr and source_addr != row.source_addr):
        return None
    return row.state, row.error, row.done_at


def _cancel(uow, system_id: str, submit_id: int | None, source: str, destination: str, now: float) -> int:
    if submit_id is not None:
        row = uow.submits.get(submit_id)
        rows = [row, *uow.submits.sharing(system_id, str(submit_id))] \
            if row is not None and row.system_id == system_id else []
        rows = [r for r in rows if (not source or r.source_addr == source)
                and (not destination or r.destination_addr == destination)]
    else:
        rows = uow.submits.pending_between(system_id, source, destination)
    rows = [r for r in rows if r.state in HELD_STATES and not r.routed]
    for row in rows:
        row.state, row.done_at = Outcome.DELETED.message_state, now
    return len(rows)


def _replace(uow, system_id: str, submit_id: int, source: str, short_message: bytes,
             registered_delivery: int | None, valid_until: float | None) -> bool:
    row = uow.submits.get(submit_id)
    if (row is None or row.system_id != system_id or (source and source != row.source_addr)
            or row.state not in HELD_STATES or row.routed):
        return False
    if short_message:
        payload = short_message
        if row.ref is not None and row.payload != short_message:
            # A segment's replacement may repeat its UDH; the row keeps octets without it.
            concat, stripped = split_udh(short_message)
            payload = stripped if concat is not None else short_message
        row.payload = payload
        row.text = decode_text(row.data_coding, payload)
    if registered_delivery is not None:
        row.registered_delivery = int(registered_delivery)
    if valid_until is not None:
        row.valid_until = valid_until
    return True

