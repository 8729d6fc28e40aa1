"""The SMSC's submissions in the store: one row per message_id it answered, segments included.

Functions here run inside one store transaction (`uow`); nothing reads a clock or the reactor.
A whole message is recorded in the same transaction that routes it; a segment of a long
message is recorded alone, and the segments are reassembled from the store (so a restart
loses none that were acknowledged) once the last one is in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core import messages, subscribers
from gateway.sms.events import SubmitRequest
from gateway.sms.reassembly import Part, Reassembler, Whole
from gateway.sms.receipts import Outcome, PendingReceipt, receipt_text, wanted
from gateway.sms.text import decode_text

ACCEPTED_STATE = 6  # message_state ACCEPTED: in the SMSC, not yet routed


def fields_of(system_id: str, request: SubmitRequest, payload: bytes, now: float,
              valid_until: float | None) -> dict:
    """The columns of a new submission row (what it is and who asked), without its state."""
    return dict(
        system_id=system_id, source_addr=request.source_addr, destination_addr=request.destination_addr,
        registered_delivery=request.registered_delivery, data_coding=request.data_coding, payload=payload,
        text=request.text, submitted_at=now, valid_until=valid_until,
    )


@dataclass
class Submission:
    """The submissions one routed text answers for: a new one (a whole message) or the stored
    segments of a long one. `record` runs in the routing transaction; ids and receipts are
    read after it committed."""

    new: dict | None = None
    ids: list[int] = field(default_factory=list)
    receipts: list[PendingReceipt] = field(default_factory=list)

    held: bool = False
    valid_until: float | None = None

    def record(self, uow, outcome: Outcome | None, error: int, now: float) -> None:
        """Mark the submissions routed; with an outcome known already, settle them too."""
        if self.new is not None and outcome is not None and outcome is not Outcome.ENROUTE:
            self._record_final(uow, outcome, error, now)
            return
        if self.new is not None:
            row = uow.submits.add(**self.new, total=1, seqnum=1, routed=True, error=0,
                                  state=Outcome.ENROUTE.message_state)
            self.ids = [row.id]
        else:
            uow.submits.mark_routed(self.ids, Outcome.ENROUTE.message_state)
        self.receipts = settle(uow, self.ids, outcome, error, now) if outcome is not None else []

    def _record_final(self, uow, outcome: Outcome, error: int, now: float) -> None:
        # A whole message that ended at once (the common MT): one insert, and the receipt
        # from the fields in hand; what settle() would do, without reading the row back.
        new = self.new
        submit_id = uow.submits.insert(**new, total=1, seqnum=1, routed=True, error=error,
                                       state=outcome.message_state, done_at=now)
        self.ids = [submit_id]
        self.receipts = []
        if wanted(new["registered_delivery"], outcome):
            body = receipt_text(str(submit_id), new["submitted_at"], now, outcome, error, new["text"])
            args = (new["system_id"], str(submit_id), new["destination_addr"], new["source_addr"],
                    outcome.message_state, body)
            receipt_id = uow.receipts.insert(*args, now)
            self.receipts = [PendingReceipt(receipt_id, *args)]

    def hold(self, uow, now: float) -> None:
        """Keep the submissions in the SMSC (ENROUTE, not routed) until released; an
        intermediate receipt for those that asked (registered_delivery 0x10)."""
        if self.new is not None:
            row = uow.submits.add(**self.new, total=1, seqnum=1, routed=False, error=0,
                                  state=Outcome.ENROUTE.message_state)
            self.ids = [row.id]
        self.held = True
        self.receipts = settle(uow, self.ids, Outcome.ENROUTE, 0, now)
        ends = [r.valid_until for r in uow.submits.by_ids(self.ids) if r.valid_until is not None]
        self.valid_until = min(ends, default=None)


def add_segment(uow, fields: dict, part: Part, mt_to: str | None) -> tuple[int, Whole | None, list[int]]:
    """Store one segment; (its id, the whole message once every segment is in, the ids of
    its segments then). `mt_to`: the subscriber an application's MT goes to, checked first."""
    if mt_to is not None:
        subscribers.require(uow, mt_to)
    row = uow.submits.add(**fields, ref=part.key[2], total=part.total, seqnum=part.seqnum, routed=False,
                          error=0, state=ACCEPTED_STATE)
    siblings = [
        r for r in uow.submits.segments(row.system_id, row.source_addr, row.destination_addr, part.key[2])
        if r.total == part.total
    ]
    reassembler = Reassembler()
    whole = None
    for sibling in siblings:
        piece = Part(part.key, sibling.total, sibling.seqnum, sibling.data_coding, sibling.payload)
        whole = reassembler.add(piece, row.submitted_at) or whole
    if whole is None:
        return row.id, None, []
    return row.id, whole, [r.id for r in siblings]


def settle(uow, ids: Sequence[int], outcome: Outcome, error: int, now: float) -> list[PendingReceipt]:
    """Give the submissions their state (final unless ENROUTE); store a receipt for each one
    whose registered_delivery asks for it. Returns those receipts."""
    receipts = []
    for row in uow.submits.by_ids(ids):
        row.state, row.error = outcome.message_state, error
        if outcome is not Outcome.ENROUTE:
            row.done_at = now
        if not wanted(row.registered_delivery, outcome):
            continue
        body = receipt_text(str(row.id), row.submitted_at, now, outcome, error, row.text)
        receipt = uow.receipts.add(row.system_id, str(row.id), row.destination_addr, row.source_addr,
                                   outcome.message_state, body, now)
        receipts.append(pending_receipt(receipt))
    return receipts


def pending_receipt(row) -> PendingReceipt:
    return PendingReceipt(row.id, row.system_id, row.message_id, row.source_addr, row.destination_addr,
                          row.message_state, row.body)


@dataclass
class Released:
    """What a release did: MT put into inboxes, receipts to send, held ones left (ids, valid_until)."""

    records: list = field(default_factory=list)
    receipts: list[PendingReceipt] = field(default_factory=list)
    waiting: list[tuple[list[int], float | None]] = field(default_factory=list)


def held_messages(rows) -> list[list]:
    """Held rows grouped into messages: a whole one alone, a long one's segments together."""
    groups: dict[tuple, list] = {}
    for row in rows:
        key = (row.system_id, row.source_addr, row.destination_addr, row.ref, row.total) if row.ref is not None \
            else (row.id,)
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def release(uow, msisdn: str | None, ids: list[int] | None, now: float, force: bool,
            fate: Callable[[str], int | None]) -> Released:
    """Deliver held MT whose handset is on (all of `msisdn`'s, or the messages of `ids`):
    into the inbox and DELIVRD, or UNDELIV when `fate(msisdn)` gives an error code; EXPIRED
    once their validity period passed. `force` false leaves messages waiting for a delay."""
    out = Released()
    rows = uow.submits.held(destination=msisdn) if ids is None else uow.submits.by_ids(ids)
    rows = [r for r in rows if not r.routed and r.state == Outcome.ENROUTE.message_state]
    for group in held_messages(rows):
        first = group[0]
        group_ids = [r.id for r in group]
        valid_until = min((r.valid_until for r in group if r.valid_until is not None), default=None)
        if valid_until is not None and valid_until <= now:
            uow.submits.mark_routed(group_ids)
            out.receipts += settle(uow, group_ids, Outcome.EXPIRED, 0, now)
            continue
        handset = uow.subscribers.get(first.destination_addr)
        if handset is None or not handset.switched_on or not force:
            out.waiting.append((group_ids, valid_until))
            continue
        if first.ref is None:
            text = first.text
        else:
            parts = {r.seqnum: r for r in group}
            text = decode_text(first.data_coding, b"".join(parts[i].payload for i in sorted(parts)))
        uow.submits.mark_routed(group_ids)
        error = fate(first.destination_addr)
        if error is not None:
            out.receipts += settle(uow, group_ids, Outcome.UNDELIVERABLE, error, now)
            continue
        out.records.append(messages.store_mt(uow, first.destination_addr, first.source_addr, text, now))
        out.receipts += settle(uow, group_ids, Outcome.DELIVERED, 0, now)
    return out


def complete_unrouted(uow) -> list[tuple[str, str, str, int, bytes, list[int]]]:
    """Long messages whose every segment was stored but whose whole was never routed (a
    crash between the two): (system_id, source, destination, data_coding, octets, ids)."""
    found = []
    for group in held_messages(uow.submits.in_state(ACCEPTED_STATE, routed=False)):
        first = group[0]
        reassembler = Reassembler()
        whole = None
        for row in group:
            key = (row.source_addr, row.destination_addr, row.ref or 0)
            whole = reassembler.add(Part(key, row.total, row.seqnum, row.data_coding, row.payload), 0.0) or whole
        if whole is not None:
            found.append((first.system_id, first.source_addr, first.destination_addr, whole.data_coding,
                          whole.payload, [r.id for r in group]))
    return found


def claim_held_mo(uow, numbers: list[str], now: float) -> list[tuple[list[int], str, str, str]]:
    """MO held for an application's numbers and still valid, marked routed (ENROUTE) for the
    bind that takes them: (ids, source, destination, text) per message, oldest first."""
    rows = [r for r in uow.submits.held_to(numbers) if r.valid_until is None or r.valid_until > now]
    out = []
    for group in held_messages(rows):
        first = group[0]
        if first.ref is None:
            text = first.text
        else:
            parts = {r.seqnum: r for r in group}
            text = decode_text(first.data_coding, b"".join(parts[i].payload for i in sorted(parts)))
        ids = [r.id for r in group]
        uow.submits.mark_routed(ids, Outcome.ENROUTE.message_state)
        out.append((ids, first.source_addr, first.destination_addr, text))
    return out
