"""SMS routing: handset MO to service numbers, other handsets and applications; MT delivery.

One service for both transports: the handset HTTP API and the SMPP SMSC (it is the
SMSC's backend). A message is acknowledged only after the transaction that stores it
(with the service number's reply, when it has one) has committed.
"""

from __future__ import annotations

import itertools
import logging

from twisted.internet.defer import Deferred, fail, inlineCallbacks, succeed
from twisted.python.failure import Failure

from core.errors import DomainError
from core.numbers import is_msisdn, normalise_msisdn
from core.ports import MessageRecord
from gateway.actions import Context
from gateway.menurunner import MenuRunner
from gateway.outbox import Outbox
from gateway.sms import transactions as tx
from gateway.sms.errors import BindRefused, CommandStatus, SmppError, status_name
from gateway.sms.events import Account, Deliver, Role, SubmitRequest
from gateway.sms.groupcommit import GroupCommit
from gateway.sms.operations import Operations
from gateway.sms.receipts import RECEIPT_ESM_CLASS, Outcome, PendingReceipt
from gateway.sms.simulation import Simulation
from gateway.sms.submits import (
    Released,
    Submission,
    add_segment,
    claim_held_mo,
    claim_mo,
    complete_unrouted,
    expire_segments,
    fields_of,
    incomplete_segments,
    release,
    requeue_mo,
    settle,
)
from gateway.sms.text import decode_text
from gateway.sms.throttle import TokenBucket
from gateway.sms.validity import validity_end
from gateway.storework import StoreRunner

log = logging.getLogger(__name__)
MAX_TEXT = 1530  # ten concatenated GSM 7-bit segments
RECEIPTS_REMEMBERED = 10_000
# How long an MO that asked no validity period is retried to a refusing application (48 h, a
# common SMSC default validity).
MO_VALIDITY = 48 * 3600.0
# deliver_sm_resp statuses that end an MO at once (SMPP 3.4 5.1.3: permanent, rejected); any
# other error is taken as temporary and retried.
FINAL_APP_ERRORS = frozenset({CommandStatus.ESME_RX_P_APPN, CommandStatus.ESME_RX_R_APPN})


class SmsRejected(DomainError):
    """An SMS the network does not take; `status` is its SMPP form."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class SmsService:
    def __init__(
        self, runner: MenuRunner, store: StoreRunner, outbox: Outbox, clock,
        accounts: tuple[Account, ...], otp_ttl: float, simulation: Simulation | None = None,
        reassembly_timeout: float = 600.0,
    ) -> None:
        self._runner = runner
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._otp_ttl = otp_ttl
        self._accounts = {a.system_id: a for a in accounts}
        self._mobile_binds: list = []
        self._rotation = itertools.count()
        self._app_binds: dict[str, list] = {}
        self._receivers: dict[str, list] = {}  # system_id -> its receiving binds (for receipts)
        self._open_binds: list = []  # every bind, in the order they opened (the status page)
        # Receipts by (system_id, message_id, message_state, destination): row ids may be reused once
        # deleted (SQLite), and one message may have an intermediate and a final receipt.
        self._receipts_in_flight: set[tuple[str, str, int, str]] = set()
        # Receipts the ESME took, remembered a while: a load of the pending ones that raced
        # with their removal must not send them again.
        self._receipts_taken: dict[tuple[str, str, int, str], None] = {}
        self._receipts_due: list[PendingReceipt] = []  # for the next reactor turn (_send_receipts)
        self.ussd = None  # gateway/ussd/smpp.UssdOverSmpp: submit_sm carrying ussd_service_op
        self._buckets: dict[str, TokenBucket] = {}
        self._group = GroupCommit(store)  # submit_sm stored together while a commit runs
        self._bind_count: dict[str, int] = {}
        self.operations = Operations(self, store, clock)
        self.simulation = simulation or Simulation()
        # Seconds a long message's segments wait for their siblings (config smpp.reassembly_timeout).
        self.reassembly_timeout = reassembly_timeout
        # (first wait, longest wait) between deliveries of an MO its application refused (smpp.mo_retry*).
        self.mo_retry: tuple[float, float] = (30.0, 600.0)
        self.cluster = None  # several nodes: gateway/cluster/node.ClusterNode routes what has no bind here
        self._claims = None  # several nodes: gateway/cluster/receiptclaims.ReceiptClaims (claim_receipts)
        self._claimed_in_flight: set[int] = set()  # several nodes: ids of receipts in flight here
        self._receipts_lost: list[PendingReceipt] = []  # several nodes: their bind gone, to give up
        self._receipts_loading: set[str] = set()  # several nodes: accounts loaded in this reactor turn
        outbox.subscribe(self._deliver_to_handset)

    # -- handset MO ------------------------------------------------------------

    @inlineCallbacks
    def send_from_handset(
        self, msisdn: str, to: str, text: str, tracked: Submission | None = None,
    ) -> Deferred[int]:
        """A handset sends an SMS; fires with the stored message's id. `tracked`: the SMPP
        submissions it answers for, recorded in the transaction that stores it (with their
        receipts, when it ended there: stored for a service number or in a handset's inbox);
        to an application they settle on the deliver_sm_resp."""
        text = _checked_text(text)
        to = self._check_destination(to)
        menus = self._runner.menus
        now = self._clock.seconds()
        ctx = Context(msisdn=msisdn, now=now, locale="ru", channel="sms",
                      reply_from=to, otp_ttl=self._otp_ttl, offer=self._runner.offer)
        number = menus.sms.get(to)
        if number is not None:
            try:
                mo = yield self._store.run(tx.command, menus, ctx, number, text, tracked)
            except DomainError as error:
                log.info("sms command to %s from %s refused: %s", to, msisdn, error.code)
                ctx.sent = []
                mo = yield self._store.run(tx.command_refused, menus, ctx, text, error.code, tracked)
        elif self.owner(to) is not None:
            binds = self._app_binds.get(to) or []
            if not binds and tracked is None and self.cluster is not None and (yield self.cluster.app_bound(to)):
                tracked = self.cluster.held_mo(msisdn, to, text, now)  # the node with the bind claims it
            if not binds and tracked is None:  # a handset on the HTTP API hears it at once
                raise SmsRejected("destination_unavailable", f"the application owning {to} is not bound",
                                  CommandStatus.ESME_RINVDSTADR)
            if not binds:  # over SMPP the SMSC keeps it until the application binds
                mo = yield self._store.run(tx.hold_mo, ctx, text, tracked)
                self._send_receipts(tracked.receipts)
                self._arm_expiry(tracked.ids, tracked.valid_until)
                log.info("sms %s held: %s -> %s (application not bound)", mo, msisdn, to)
                if self.cluster is not None:
                    self.cluster.mo_held(to)
                return mo
            mo = yield self._store.run(tx.store_mo, ctx, text, tracked)
            self._deliver_mo(binds[0], list(tracked.ids) if tracked is not None else [], msisdn, to, text,
                             self.mo_retry[0])
        else:
            ctx.reply_from = normalise_msisdn(to)
            mo = yield self._store.run(tx.person_to_person, ctx, text, tracked)
        if tracked is not None:
            self._send_receipts(tracked.receipts)
        log.info("sms %s stored: %s -> %s", mo, msisdn, to)
        self._outbox.publish(ctx.sent)
        return mo

    def _check_destination(self, to: object) -> str:
        """A destination a handset may send to (service number, application, subscriber)."""
        if not isinstance(to, str) or not to.strip():
            raise SmsRejected("invalid_destination", "`to` must be a number", CommandStatus.ESME_RINVDSTADR)
        to = to.strip()
        if to in self._runner.menus.sms or self.owner(to) is not None or is_msisdn(to):
            return to
        raise SmsRejected("unknown_destination", f"no service number or subscriber {to!r}",
                          CommandStatus.ESME_RINVDSTADR)

    def inbox(self, msisdn: str, since: int | None) -> Deferred[list[dict]]:
        return self._store.run(tx.inbox, msisdn, since)

    # -- the SMSC's backend ------------------------------------------------------

    def authenticate(self, system_id: str, password: str) -> Account:
        account = self._accounts.get(system_id)
        if account is None:
            raise BindRefused(CommandStatus.ESME_RINVSYSID, f"unknown system_id {system_id!r}")
        if account.password != password:
            raise BindRefused(CommandStatus.ESME_RINVPASWD, "wrong password")
        if account.max_binds is not None and self._bind_count.get(system_id, 0) >= account.max_binds:
            raise BindRefused(CommandStatus.ESME_RBINDFAIL, f"{system_id} has {account.max_binds} binds already")
        return account

    @property
    def binds(self) -> int:
        """SMPP binds open now, every account."""
        return sum(self._bind_count.values())

    def bind_opened(self, bind) -> None:
        log.info("smpp bind %s (%s) from %s", bind.account.system_id, bind.account.role.value, bind.peer)
        self._bind_count[bind.account.system_id] = self._bind_count.get(bind.account.system_id, 0) + 1
        self._open_binds.append(bind)
        if not bind.can_receive:
            return
        self._receivers.setdefault(bind.account.system_id, []).append(bind)
        self._send_pending_receipts(bind.account.system_id)
        if bind.account.role is Role.MOBILE:
            self._mobile_binds.append(bind)
        else:
            for number in bind.account.owns:
                self._app_binds.setdefault(number, []).append(bind)
            if bind.account.owns:
                self._deliver_held_mo(bind)

    def _deliver_held_mo(self, bind) -> None:
        """MO kept while the application was not bound: claimed in one transaction (so a
        second bind opening at the same time cannot take them too), then sent in order."""
        claimed = self._store.run(claim_held_mo, list(bind.account.owns), self._clock.seconds())

        def send(held: list[tuple[list[int], str, str, str]]) -> None:
            for ids, source, destination, text in held:
                self._deliver_mo(bind, ids, normalise_msisdn(source), destination, text, self.mo_retry[0])
            if held:
                log.info("%d held sms delivered to %s", len(held), bind.account.system_id)

        claimed.addCallback(send)
        claimed.addErrback(lambda f: log.error("delivering held sms to %s failed: %s", bind.peer, f.getTraceback()))

    def _deliver_mo(self, bind, ids: list[int], source: str, destination: str, text: str, wait: float) -> None:
        """deliver_sm of an MO to its application; its submissions (`ids`, none from the HTTP
        API) DELIVRD on OK. An error status is retried after `wait` seconds, doubling up to
        mo_retry's cap, until the validity period ends (EXPIRED); ESME_RX_P_APPN and
        ESME_RX_R_APPN (SMPP 3.4: permanent, rejected) end UNDELIV at once. A bind lost before
        it answered keeps the MO for the next one."""
        delivered = bind.deliver(Deliver(source_addr=source, destination_addr=destination, text=text))

        def resolved(status: int) -> None:
            if not ids:
                if status:
                    log.warning("deliver_sm to %s refused: %s", destination, status_name(status))
            elif status == 0:
                self._settle(ids, Outcome.DELIVERED, 0)
            elif status in FINAL_APP_ERRORS:
                self._settle(ids, Outcome.UNDELIVERABLE, status)
            else:
                log.info("deliver_sm of sms %s refused (%s): again in %g s", ids, status_name(status), wait)
                self._requeue_mo(ids, destination, wait)

        def lost(failure) -> None:
            log.warning("deliver_sm to %s failed: %s", destination, failure.getErrorMessage())
            if ids:
                self._requeue_mo(ids, destination, None)

        delivered.addCallbacks(resolved, lost)
        delivered.addErrback(lambda f: log.error("delivering sms %s: %s", ids, f.getTraceback()))

    def _requeue_mo(self, ids: list[int], destination: str, wait: float | None) -> None:
        """Hold a refused MO again (or end it EXPIRED when its validity is over); retry after
        `wait` seconds (None: when its application binds next)."""
        refused_at = self._clock.seconds()  # the wait counts from here, not from the commit
        done = self._store.run(requeue_mo, ids, refused_at, MO_VALIDITY)

        def requeued(result: tuple[list[PendingReceipt], float | None]) -> None:
            receipts, valid_until = result
            self._send_receipts(receipts)
            if valid_until is None:  # ended
                return
            self._arm_expiry(ids, valid_until)
            if wait is not None:
                delay = max(0.0, refused_at + wait - self._clock.seconds())
                self._clock.callLater(delay, self._retry_mo, ids, destination, min(wait * 2, self.mo_retry[1]))

        done.addCallback(requeued)
        done.addErrback(lambda f: log.error("holding sms %s again failed: %s", ids, f.getTraceback()))

    def _retry_mo(self, ids: list[int], destination: str, next_wait: float) -> None:
        binds = self._app_binds.get(destination) or []
        if not binds:  # held: the application's next bind takes it
            return
        bind = binds[0]
        claimed = self._store.run(claim_mo, ids, self._clock.seconds())

        def send(held: tuple[list[int], str, str, str] | None) -> None:
            if held is not None:  # else expired, cancelled or taken by a new bind meanwhile
                held_ids, source, to, text = held
                self._deliver_mo(bind, held_ids, normalise_msisdn(source), to, text, next_wait)

        claimed.addCallback(send)
        claimed.addErrback(lambda f: log.error("retrying sms %s failed: %s", ids, f.getTraceback()))

    def bind_closed(self, bind) -> None:
        log.info("smpp unbind %s from %s", bind.account.system_id, bind.peer)
        self._bind_count[bind.account.system_id] -= 1
        if bind in self._open_binds:
            self._open_binds.remove(bind)
        if self.ussd is not None:
            self.ussd.bind_closed(bind)
        if bind in self._mobile_binds:
            self._mobile_binds.remove(bind)
        receivers = self._receivers.get(bind.account.system_id) or []
        if bind in receivers:
            receivers.remove(bind)
        for binds in self._app_binds.values():
            if bind in binds:
                binds.remove(bind)

    def operate(self, account: Account, command: str, params: dict) -> Deferred[dict]:
        """query_sm, cancel_sm, replace_sm, submit_multi (see gateway/sms/operations.py)."""
        return self.operations.operate(account, command, params)

    def submit(self, account: Account, request: SubmitRequest, bind=None,
               shares_id: str | None = None) -> Deferred[str]:
        """submit_sm: from a mobile account an SMS sent by a handset, from an application MT;
        with ussd_service_op, USSD (gateway/ussd/smpp.py). A segment of a long message is
        stored and answered alone; the last one routes the reassembled text. `shares_id`: the
        message_id the ESME was given already (a submit_multi's), which receipts report."""
        if request.part is not None or request.ussd_service_op is not None or account.role is not Role.APPLICATION:
            return self._submit(account, request, bind, shares_id)
        # The common MT, without a generator: the reactor thread carries every submit_sm.
        try:
            self.admit(account)
            msisdn = self._check_addresses(account, request)
            tracked = Submission(new=self._fields(account, request, b"", msisdn, shares_id))
            return self._route_mt(msisdn, request, request.text, tracked, answer=True)
        except Exception:  # noqa: BLE001 - answered like the generator path: as a failed Deferred
            return fail()

    def _fields(self, account: Account, request: SubmitRequest, payload: bytes, msisdn: str,
                shares_id: str | None) -> dict:
        now = self._clock.seconds()
        try:
            valid_until = validity_end(request.validity_period, now)
        except ValueError as error:
            raise SmppError(CommandStatus.ESME_RINVEXPIRY, str(error)) from error
        fields = fields_of(account.system_id, request, payload, now, valid_until, shares_id)
        if account.role is Role.APPLICATION:  # held MT is found by the handset's own number
            fields["destination_addr"] = msisdn
            fields["deliver_after"] = _scheduled(request, now)
        return fields

    @inlineCallbacks
    def _submit(self, account: Account, request: SubmitRequest, bind, shares_id: str | None) -> Deferred[str]:
        self.admit(account)
        if request.ussd_service_op is not None and self.ussd is not None:
            message_id = yield self.ussd.submit(account, request, bind)
            return message_id
        msisdn = self._check_addresses(account, request)
        part = request.part
        fields = self._fields(account, request, part.payload if part is not None else b"", msisdn, shares_id)
        if part is None:
            tracked = Submission(new=fields)
            yield self._route(account, msisdn, request, request.text, tracked)
            return str(tracked.ids[0])
        mt_to = msisdn if account.role is Role.APPLICATION else None
        try:
            segment_id, whole, ids = yield self._group.run(add_segment, fields, part, mt_to)
        except DomainError as error:
            status = CommandStatus.ESME_RINVDSTADR if mt_to else CommandStatus.ESME_RINVSRCADR
            raise SmppError(status, error.message) from error
        if whole is None:
            self._clock.callLater(self.reassembly_timeout, self._expire_segments, segment_id)
            return str(segment_id)
        try:
            yield self._route(account, msisdn, request, decode_text(whole.data_coding, whole.payload),
                              Submission(ids=ids))
        except SmppError as error:  # the whole was refused: so is every segment
            yield self._settle(ids, Outcome.REJECTED, error.status)
            raise
        return str(segment_id)

    def admit(self, account: Account) -> None:
        """Take one message from the account's throughput; ESME_RTHROTTLED when it has none."""
        if account.throughput is None:
            return
        bucket = self._buckets.get(account.system_id)
        if bucket is None:
            bucket = self._buckets[account.system_id] = TokenBucket(account.throughput, self._clock.seconds())
        if not bucket.take(self._clock.seconds()):
            raise SmppError(CommandStatus.ESME_RTHROTTLED, f"{account.system_id} over {account.throughput}/s")

    def _check_addresses(self, account: Account, request: SubmitRequest) -> str:
        """The handset's MSISDN (the sender of MO, the receiver of MT); SmppError if the
        addresses cannot be right."""
        if account.role is Role.MOBILE:
            try:
                msisdn = normalise_msisdn(request.source_addr)
            except DomainError as error:
                raise SmppError(CommandStatus.ESME_RINVSRCADR, error.message) from error
            try:
                self._check_destination(request.destination_addr)
            except SmsRejected as error:
                raise SmppError(error.status, error.message) from error
            return msisdn
        if request.source_addr not in account.owns:
            raise SmppError(CommandStatus.ESME_RINVSRCADR, f"{account.system_id} does not own {request.source_addr!r}")
        try:
            return normalise_msisdn(request.destination_addr)
        except DomainError as error:
            raise SmppError(CommandStatus.ESME_RINVDSTADR, error.message) from error

    def _route(self, account: Account, msisdn: str, request: SubmitRequest, text: str,
               tracked: Submission) -> Deferred[None]:
        """Send a whole text on its way, recording the submissions it answers for."""
        if account.role is Role.MOBILE:
            return self._route_mo(msisdn, request, text, tracked)
        return self._route_mt(msisdn, request, text, tracked)

    @inlineCallbacks
    def _route_mo(self, msisdn: str, request: SubmitRequest, text: str, tracked: Submission) -> Deferred[None]:
        try:
            yield self.send_from_handset(msisdn, request.destination_addr, text, tracked)
        except SmsRejected as error:
            raise SmppError(error.status, error.message) from error
        except DomainError as error:  # unknown handset
            raise SmppError(CommandStatus.ESME_RINVSRCADR, error.message) from error

    def _route_mt(self, msisdn: str, request: SubmitRequest, text: str, tracked: Submission,
                  answer: bool = False) -> Deferred:
        """An application's MT: stored by the next group commit; SmppError if refused. Fires
        with the message_id to answer when `answer` (one callback fewer on the hot path)."""
        try:
            text = _checked_text(text)
        except SmsRejected as error:
            raise SmppError(error.status, error.message) from error
        ctx = Context(msisdn=msisdn, now=self._clock.seconds(), locale="ru", channel="sms",
                      reply_from=request.source_addr)
        behaviour = self.simulation.behaviour(msisdn)
        wait = behaviour.delay
        if request.schedule_delivery_time:  # not before then, and the simulated delay after it
            wait = max(wait, (_scheduled(request, ctx.now) or ctx.now) - ctx.now)
        fail_with = self.simulation.fate(msisdn) if not wait else None
        stored = self._group.run(tx.application_mt, ctx, text, tracked, wait > 0, fail_with)
        return stored.addCallbacks(self._mt_stored, _mt_refused, callbackArgs=(tracked, wait, answer))

    def _mt_stored(self, record: MessageRecord | None, tracked: Submission, delay: float,
                   answer: bool) -> str | None:
        if record is not None:
            self._outbox.publish([record])
        self._send_receipts(tracked.receipts)
        if tracked.held:
            if delay:
                self._clock.callLater(delay, self._release, None, tracked.ids, True)
            self._arm_expiry(tracked.ids, tracked.valid_until)
        return str(tracked.ids[0]) if answer else None

    # -- MT held in the SMSC: switched-off handsets, simulated delays, validity periods -----

    def handset_changed(self, msisdn: str) -> Deferred[None]:
        """A handset was switched on (or changed otherwise): deliver what waits for it."""
        return self._release(msisdn, None, True)

    @inlineCallbacks
    def resume(self) -> Deferred[None]:
        """After a start: route long messages whose segments were all stored before a crash
        cut their routing short; deliver held MT whose handsets are on (a delay counts as
        served across a restart), expire the overdue, arm the expiry of the rest."""
        try:
            wholes = yield self._store.run(complete_unrouted)
        except Exception:  # noqa: BLE001 - the gateway still starts; the log says what is stuck
            log.exception("finding unrouted long messages failed")
            wholes = []
        for system_id, source, destination, coding, payload, ids in wholes:
            account = self._accounts.get(system_id)
            if account is None:
                continue
            request = SubmitRequest(source, 0, 0, destination, 0, 0, "", coding, 0, 0, None, None, "")
            try:
                msisdn = normalise_msisdn(source if account.role is Role.MOBILE else destination)
                yield self._route(account, msisdn, request, decode_text(coding, payload), Submission(ids=ids))
            except (SmppError, DomainError) as error:
                yield self._settle(ids, Outcome.REJECTED, getattr(error, "status", CommandStatus.ESME_RSYSERR))
            log.info("long sms %s routed after a restart", ids)
        try:
            waiting = yield self._store.run(incomplete_segments)
        except Exception:  # noqa: BLE001 - as above
            log.exception("finding incomplete long messages failed")
            waiting = []
        for segment_id, first_at in waiting:  # the timers of the previous run are gone
            delay = max(0.0, first_at + self.reassembly_timeout - self._clock.seconds())
            self._clock.callLater(delay, self._expire_segments, segment_id)
        yield self._release(None, None, True)

    def _expire_segments(self, segment_id: int) -> Deferred[None]:
        done = self._store.run(expire_segments, segment_id, self._clock.seconds(), self.reassembly_timeout)
        done.addCallback(self._send_receipts)
        done.addErrback(lambda f: log.error("expiring segments of sms %s failed: %s", segment_id, f.getTraceback()))
        return done

    def _release(self, msisdn: str | None, ids: list[int] | None, force: bool) -> Deferred[None]:
        done = self._store.run(release, msisdn, ids, self._clock.seconds(), force, self.simulation.fate)

        def released(out: Released) -> None:
            self._outbox.publish(out.records)
            self._send_receipts(out.receipts)
            if msisdn is None and ids is None:  # resume: the timers of a previous run are gone
                for waiting_ids, valid_until in out.waiting:
                    self._arm_expiry(waiting_ids, valid_until)
            if msisdn is None:  # (not on a handset switched on: their timers still run)
                for waiting_ids, deliver_after in out.scheduled:
                    delay = max(0.0, deliver_after - self._clock.seconds())
                    self._clock.callLater(delay, self._release, None, waiting_ids, True)

        done.addCallback(released)
        done.addErrback(lambda f: log.error("releasing held sms failed: %s", f.getTraceback()))
        return done

    def _arm_expiry(self, ids: list[int], valid_until: float | None) -> None:
        if valid_until is not None:
            delay = max(0.0, valid_until - self._clock.seconds())
            self._clock.callLater(delay, self._release, None, ids, False)

    # -- delivery receipts -----------------------------------------------------------

    def _settle(self, ids: list[int], outcome: Outcome, error: int) -> Deferred[None]:
        """Record how submissions ended and send the receipts that asks for; fires once stored
        (never with an error)."""
        stored = self._group.run(settle, ids, outcome, error, self._clock.seconds())
        stored.addCallback(self._send_receipts)
        stored.addErrback(lambda f: log.error("settling sms %s failed: %s", ids, f.getTraceback()))
        return stored

    def _send_receipts(self, receipts: list[PendingReceipt]) -> None:
        # On the next reactor turn: a submit_sm_resp answered in this one goes out first.
        # Those of one turn (a group commit's batch) go together, with one timer.
        if receipts:
            if not self._receipts_due:
                self._clock.callLater(0, self._send_due_receipts)
            self._receipts_due += receipts

    def _send_due_receipts(self) -> None:
        receipts, self._receipts_due = self._receipts_due, []
        self._send_receipt_list(receipts)

    def _send_receipt_list(self, receipts: list[PendingReceipt]) -> None:
        if self.cluster is not None:
            self._send_claimed_receipts(receipts)
            return
        for receipt in receipts:
            self._send_receipt(receipt)

    def _send_pending_receipts(self, system_id: str) -> None:
        if self.cluster is None:
            loaded = self._store.run(tx.pending_receipts, system_id)
        else:  # only those no other node is sending, claimed for this one in the same transaction
            loaded = self._store.run(tx.claim_receipts, system_id, self._claims)
        loaded.addCallback(self._send_receipt_list)
        loaded.addErrback(lambda f: log.error("loading receipts for %s failed: %s", system_id, f.getTraceback()))

    def claim_receipts(self, claims) -> None:
        """Several nodes (gateway/cluster/receiptclaims.py): the receipts this node creates or
        loads are claimed by it in the store, and it sends only those it claimed."""
        self._claims = claims
        self._store = claims.store(self._store)
        self._group = GroupCommit(self._store)

    def _send_claimed_receipts(self, receipts: list[PendingReceipt]) -> None:
        """On a cluster node: send the receipts this node claimed to a bind here; load (and
        claim) those created unclaimed for an account bound here now; give up the claims of
        those with no bind here any more; ask a node with a bind for the rest."""
        me = self._claims.node
        unclaim: list[int] = []
        load: dict[str, None] = {}
        ask: dict[str, None] = {}
        for receipt in receipts:
            bound = any(b.can_receive for b in self._receivers.get(receipt.system_id) or ())
            if receipt.claimed_by == me:
                if bound:
                    self._send_receipt(receipt)
                else:
                    unclaim.append(receipt.id)
                    ask[receipt.system_id] = None
            elif bound:  # created before this node's bind: another node may be sending it
                load[receipt.system_id] = None
            else:
                ask[receipt.system_id] = None
        for system_id in load:
            if system_id not in self._receipts_loading:  # one load for the receipts of one turn
                self._receipts_loading.add(system_id)
                self._clock.callLater(0, self._receipts_loading.discard, system_id)
                self._send_pending_receipts(system_id)
        done = self._store.run(tx.unclaim_receipts, unclaim, me) if unclaim else succeed(None)
        done.addErrback(lambda f: log.warning("giving up claims of receipts failed: %s", f.getErrorMessage()))
        done.addCallback(lambda _: [self.cluster.receipts_pending(system_id) for system_id in ask])

    def renew_receipt_claims(self) -> Deferred[None]:
        """On a cluster node: extend the leases of the receipts in flight here (an ESME slow
        to answer keeps them; the others wait rather than send them too)."""
        ids = list(self._claimed_in_flight)
        if not ids:
            return succeed(None)
        done = self._store.run(tx.renew_receipts, ids, self._claims)
        done.addErrback(lambda f: log.warning("renewing claims of receipts failed: %s", f.getErrorMessage()))
        return done

    def _send_receipt(self, receipt: PendingReceipt) -> None:
        """deliver_sm (esm_class 4) to a receiving bind of the account; forgotten only once the
        ESME answered OK, else kept for its next bind."""
        binds = [b for b in self._receivers.get(receipt.system_id) or () if b.can_receive]
        # ENROUTE, then final; a submit_multi's destinations share one message_id
        key = (receipt.system_id, receipt.message_id, receipt.message_state, receipt.source_addr)
        if not binds or key in self._receipts_in_flight or key in self._receipts_taken:
            return
        self._receipts_in_flight.add(key)
        if self.cluster is not None:  # its lease renewed while in flight
            self._claimed_in_flight.add(receipt.id)
        message = Deliver(
            source_addr=receipt.source_addr, destination_addr=receipt.destination_addr, text=receipt.body,
            esm_class=RECEIPT_ESM_CLASS, receipted_message_id=receipt.message_id,
            message_state=receipt.message_state,
        )
        sent = binds[0].deliver(message)
        sent.addCallback(self._receipt_answered, receipt, key)
        sent.addBoth(self._receipt_settled, receipt, key)

    def _receipt_answered(self, status: int, receipt: PendingReceipt, key: tuple) -> Deferred | None:
        if status:
            log.warning("receipt %s refused by %s: status %#x", receipt.message_id, receipt.system_id, status)
            return None
        self._receipts_taken[key] = None
        if len(self._receipts_taken) > RECEIPTS_REMEMBERED:
            del self._receipts_taken[next(iter(self._receipts_taken))]
        return self._group.run(tx.remove_receipt, receipt.id)

    def _receipt_settled(self, result, receipt: PendingReceipt, key: tuple) -> None:
        """A receipt answered (and, if taken, removed) or not sent: no longer in flight."""
        if isinstance(result, Failure):
            log.warning("receipt %s not sent: %s", receipt.message_id, result.getErrorMessage())
        self._receipts_in_flight.discard(key)
        if self.cluster is not None:
            self._receipt_done(receipt, key)

    def _receipt_done(self, receipt: PendingReceipt, key: tuple) -> None:
        """On a cluster node: a receipt the ESME did not take, with no receiving bind of the
        account left here (its bind went away), is given up at once for another node."""
        self._claimed_in_flight.discard(receipt.id)
        if key in self._receipts_taken or any(b.can_receive for b in self._receivers.get(receipt.system_id) or ()):
            return  # taken; or kept for a bind here (its catch-up) as on one node
        if not self._receipts_lost:  # a bind lost with many in flight: given up together
            self._clock.callLater(0, self._give_up_lost_receipts)
        self._receipts_lost.append(receipt)

    def _give_up_lost_receipts(self) -> None:
        lost, self._receipts_lost = self._receipts_lost, []
        self._send_claimed_receipts(lost)

    # -- MT to handsets ------------------------------------------------------------

    def owner(self, number: str) -> Account | None:
        """The application account that owns a short number or service code."""
        return next((a for a in self._accounts.values() if number in a.owns), None)

    def app_binds(self, number: str) -> list:
        """The receiving binds of the application owning `number`."""
        return list(self._app_binds.get(number) or ())

    def mobile_binds(self) -> list:
        return list(self._mobile_binds)

    def open_binds(self) -> list:
        """Every bind open now, of every account, oldest first."""
        return list(self._open_binds)

    def deliver_held_to(self, number: str) -> bool:
        """Another node held MO for `number`: claim and deliver them if it is bound here."""
        binds = [b for b in self._app_binds.get(number) or () if b.can_receive]
        if binds:
            self._deliver_held_mo(binds[0])
        return bool(binds)

    def send_receipts_of(self, system_id: str) -> bool:
        """Another node stored receipts for `system_id`: send them if it is bound here."""
        if not any(b.can_receive for b in self._receivers.get(system_id) or ()):
            return False
        self._send_pending_receipts(system_id)
        return True

    def _deliver_to_handset(self, message: MessageRecord) -> None:
        """Hand an SMS that reached a handset's inbox to a bound `mobile` ESME."""
        if not self._mobile_binds:
            if self.cluster is not None:
                self.cluster.mt_unbound(message)
            return
        bind = self._mobile_binds[next(self._rotation) % len(self._mobile_binds)]
        d = bind.deliver(Deliver(source_addr=message.peer, destination_addr=message.msisdn, text=message.text))
        d.addErrback(lambda f: log.warning("deliver_sm of sms %s failed: %s", message.id, f.getErrorMessage()))


def _scheduled(request: SubmitRequest, now: float) -> float | None:
    """When an MT's schedule_delivery_time lets it go (None: at once); ESME_RINVSCHED if malformed."""
    try:
        return validity_end(request.schedule_delivery_time, now)
    except ValueError as error:
        raise SmppError(CommandStatus.ESME_RINVSCHED, str(error)) from error


def _mt_refused(failure: Failure) -> Failure:
    if failure.check(DomainError):
        raise SmppError(CommandStatus.ESME_RINVDSTADR, failure.value.message) from failure.value
    return failure


def _checked_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise SmsRejected("invalid_text", "an SMS needs non-empty text", CommandStatus.ESME_RINVMSGLEN)
    if len(text) > MAX_TEXT:
        raise SmsRejected("invalid_text", f"an SMS is at most {MAX_TEXT} characters", CommandStatus.ESME_RINVMSGLEN)
    return text
