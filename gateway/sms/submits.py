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
              valid_until: float | None, message_id: str | None = None, deliver_after: float | None = None) -> dict:
    """The columns of a new submission row (what it is and who asked), without its state;
    `message_id` when the ESME was given another row's (a submit_multi's later destinations),
    `deliver_after` its schedule_delivery_time."""
    return dict(
        system_id=system_id, source_addr=request.source_addr, destination_addr=request.destination_addr,
        registered_delivery=request.registered_delivery, data_coding=request.data_coding, payload=payload,
        text=request.text, submitted_at=now, valid_until=valid_until, message_id=message_id,
        deliver_after=deliver_after,
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
            reported = new.get("message_id") or str(submit_id)
            body = receipt_text(reported, new["submitted_at"], now, outcome, error, new["text"])
            args = (new["system_id"], reported, new["destination_addr"], new["source_addr"],
                    outcome.message_state, body)
            receipt_id = uow.receipts.insert(*args, now)
            self.receipts = [PendingReceipt(receipt_id, *args, uow.receipts.claimant(new["system_id"]))]

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


def record_delivered_many(uow, done: Sequence[tuple[Submission, float]]) -> None:
    """Whole messages that reached their handsets at `now`: what record(DELIVERED) does for
    each, in one insert of the submissions and one of their receipts."""
    delivered = Outcome.DELIVERED
    ids = uow.submits.insert_many([
        {**s.new, "total": 1, "seqnum": 1, "routed": True, "error": 0, "state": delivered.message_state,
         "done_at": now} for s, now in done])
    receipts: list[tuple[Submission, tuple, float]] = []
    for (submission, now), submit_id in zip(done, ids, strict=True):
        submission.ids, submission.receipts = [submit_id], []
        new = submission.new
        if wanted(new["registered_delivery"], delivered):
            reported = new.get("message_id") or str(submit_id)
            body = receipt_text(reported, new["submitted_at"], now, delivered, 0, new["text"])
            receipts.append((submission, (new["system_id"], reported, new["destination_addr"],
                                          new["source_addr"], delivered.message_state, body), now))
    receipt_ids = uow.receipts.insert_many([
        dict(zip(_RECEIPT_COLUMNS, (*args, now), strict=True)) for _, args, now in receipts])
    for (submission, args, _), receipt_id in zip(receipts, receipt_ids, strict=True):
        submission.receipts = [PendingReceipt(receipt_id, *args, uow.receipts.claimant(args[0]))]


_RECEIPT_COLUMNS = ("system_id", "message_id", "source_addr", "destination_addr", "message_state", "body",
                    "created_at")


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
        body = receipt_text(row.reported_id, row.submitted_at, now, outcome, error, row.text)
        receipt = uow.receipts.add(row.system_id, row.reported_id, row.destination_addr, row.source_addr,
                                   outcome.message_state, body, now)
        receipts.append(pending_receipt(receipt))
    return receipts


def pending_receipt(row) -> PendingReceipt:
    return PendingReceipt(row.id, row.system_id, row.message_id, row.source_addr, row.destination_addr,
                          row.message_state, row.body, row.claimed_by)


@dataclass
class Released:
    """What a release did: MT put into inboxes, receipts to send, held ones left (ids, valid_until),
    those of them scheduled for later (ids, deliver_after)."""

    records: list = field(default_factory=list)
    receipts: list[PendingReceipt] = field(default_factory=list)
    waiting: list[tuple[list[int], float | None]] = field(default_factory=list)
    scheduled: list[tuple[list[int], float]] = field(default_factory=list)


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
        deliver_after = max((r.deliver_after for r in group if r.deliver_after is not None), default=None)
        early = deliver_after is not None and deliver_after > now  # schedule_delivery_time not reached
        if early:
            out.scheduled.append((group_ids, deliver_after))
        if handset is None or not handset.switched_on or not force or early:
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


def expire_segments(uow, segment_id: int, now: float, timeout: float) -> list[PendingReceipt]:
    """The reassembly timeout: when the long message of a stored segment is still incomplete
    `timeout` seconds after its first segment came, its segments end UNDELIV (the SMSC
    accepted them and never had the whole to deliver), each with its receipt if asked for."""
    row = uow.submits.get(segment_id)
    if row is None or row.routed or row.state != ACCEPTED_STATE or row.ref is None:
        return []
    group = [r for r in uow.submits.segments(row.system_id, row.source_addr, row.destination_addr, row.ref)
             if r.total == row.total]
    if not group or min(r.submitted_at for r in group) + timeout > now:
        return []
    ids = [r.id for r in group]
    uow.submits.mark_routed(ids)
    return settle(uow, ids, Outcome.UNDELIVERABLE, 0, now)


def incomplete_segments(uow) -> list[tuple[int, float]]:
    """Long messages still waiting for segments: (a segment's id, when the first came) each."""
    groups = held_messages(uow.submits.in_state(ACCEPTED_STATE, routed=False))
    return [(group[0].id, min(r.submitted_at for r in group)) for group in groups if group[0].ref is not None]


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


def requeue_mo(uow, ids: list[int], now: float, default_validity: float) -> tuple[list[PendingReceipt], float | None]:
    """An MO its application refused (or whose bind went away): held again for a later
    delivery, until its validity period (or `default_validity` from its submission) ends;
    ([], that end), or EXPIRED once it is over: (its receipts, None)."""
    rows = [r for r in uow.submits.by_ids(ids) if r.routed and r.state == Outcome.ENROUTE.message_state]
    if not rows:  # settled meanwhile
        return [], None
    for row in rows:
        if row.valid_until is None:
            row.valid_until = row.submitted_at + default_validity
    valid_until = min(r.valid_until for r in rows)
    if valid_until <= now:
        return settle(uow, [r.id for r in rows], Outcome.EXPIRED, 0, now), None
    for row in rows:
        row.routed = False
    return [], valid_until


def claim_mo(uow, ids: list[int], now: float) -> tuple[list[int], str, str, str] | None:
    """A held MO, taken for one delivery attempt like claim_held_mo: (ids, source,
    destination, text), or None when it is no longer held or its validity is over."""
    rows = [r for r in uow.submits.by_ids(ids) if not r.routed and r.state == Outcome.ENROUTE.message_state
            and (r.valid_until is None or r.valid_until > now)]
    if len(rows) != len(ids):
        return None
    first = rows[0]
    if first.ref is None:
        text = first.text
    else:
        parts = {r.seqnum: r for r in rows}
        text = decode_text(first.data_coding, b"".join(parts[i].payload for i in sorted(parts)))
    uow.submits.mark_routed(ids, Outcome.ENROUTE.message_state)
    return ids, first.source_addr, first.destination_addr, text
