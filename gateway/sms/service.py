"""SMS routing: handset MO to service numbers, other handsets and applications; MT delivery.

One service for both transports: the handset HTTP API and the SMPP SMSC (it is the
SMSC's backend). A message is acknowledged only after the transaction that stores it
(with the service number's reply, when it has one) has committed.
"""

from __future__ import annotations

import datetime
import itertools
import logging
from collections.abc import Callable

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from core import charging, messages, subscribers
from core.errors import DomainError
from core.numbers import is_msisdn, normalise_msisdn
from core.ports import MessageRecord
from gateway.actions import Context, perform, send_sms
from gateway.menurunner import MenuRunner
from gateway.outbox import Outbox
from gateway.sms.errors import BindRefused, CommandStatus, SmppError
from gateway.sms.events import Account, Deliver, Role, SubmitRequest
from gateway.sms.receipts import RECEIPT_ESM_CLASS, Outcome, PendingReceipt, receipt_text, wanted
from gateway.storework import StoreRunner
from menus import commands
from menus.render import fill
from menus.schema import MenuSet, SmsNumber

log = logging.getLogger(__name__)
OutcomeHook = Callable[[int, Outcome, int], Deferred[None]]  # (message id, how it ended, error code)
MAX_TEXT = 1530  # ten concatenated GSM 7-bit segments
RECEIPTS_REMEMBERED = 10_000


class SmsRejected(DomainError):
    """An SMS the network does not take; `status` is its SMPP form."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class SmsService:
    def __init__(
        self, runner: MenuRunner, store: StoreRunner, outbox: Outbox, clock,
        accounts: tuple[Account, ...], otp_ttl: float,
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
        # Receipts by (system_id, message_id): row ids may be reused once deleted (SQLite).
        self._receipts_in_flight: set[tuple[str, str]] = set()
        # Receipts the ESME took, remembered a while: a load of the pending ones that raced
        # with their removal must not send them again.
        self._receipts_taken: dict[tuple[str, str], None] = {}
        self.ussd = None  # gateway/ussd/smpp.UssdOverSmpp: submit_sm carrying ussd_service_op
        outbox.subscribe(self._deliver_to_handset)

    # -- handset MO ------------------------------------------------------------

    @inlineCallbacks
    def send_from_handset(
        self, msisdn: str, to: str, text: str, outcome: OutcomeHook | None = None,
    ) -> Deferred[int]:
        """A handset sends an SMS; fires with the stored message's id. `outcome(id, Outcome,
        error)` hears how it ended: at once when stored for a service number or a handset
        (waited for: the receipt is durable before the id is answered), on the
        deliver_sm_resp when it went to an application."""
        if not isinstance(text, str) or not text.strip():
            raise SmsRejected("invalid_text", "an SMS needs non-empty text", CommandStatus.ESME_RINVMSGLEN)
        if len(text) > MAX_TEXT:
            raise SmsRejected("invalid_text", f"an SMS is at most {MAX_TEXT} characters", CommandStatus.ESME_RINVMSGLEN)
        if not isinstance(to, str) or not to.strip():
            raise SmsRejected("invalid_destination", "`to` must be a number", CommandStatus.ESME_RINVDSTADR)
        to = to.strip()
        menus = self._runner.menus
        heard_later = False
        ctx = Context(msisdn=msisdn, now=self._clock.seconds(), locale="ru", channel="sms",
                      reply_from=to, otp_ttl=self._otp_ttl, offer=self._runner.offer)
        number = menus.sms.get(to)
        if number is not None:
            try:
                mo = yield self._store.run(_command, menus, ctx, number, text)
            except DomainError as error:
                log.info("sms command to %s from %s refused: %s", to, msisdn, error.code)
                ctx.sent = []
                mo = yield self._store.run(_command_refused, menus, ctx, text, error.code)
        elif self.owner(to) is not None:
            binds = self._app_binds.get(to) or []
            if not binds:
                raise SmsRejected("destination_unavailable", f"the application owning {to} is not bound",
                                  CommandStatus.ESME_RINVDSTADR)
            mo = yield self._store.run(_store_mo, ctx, text)
            delivered = binds[0].deliver(Deliver(source_addr=msisdn, destination_addr=to, text=text))

            def resolved(status: int, mo: int = mo) -> None:
                if outcome is not None:
                    outcome(mo, Outcome.DELIVERED if status == 0 else Outcome.UNDELIVERABLE, status)

            def lost(failure, mo: int = mo) -> None:
                log.warning("deliver_sm to %s failed: %s", to, failure.getErrorMessage())
                if outcome is not None:
                    outcome(mo, Outcome.UNDELIVERABLE, 0)

            delivered.addCallbacks(resolved, lost)
            delivered.addErrback(lambda f: log.error("receipt of sms %s: %s", mo, f.getTraceback()))
            heard_later = True
        elif is_msisdn(to):
            ctx.reply_from = normalise_msisdn(to)
            mo = yield self._store.run(_person_to_person, ctx, text)
        else:
            raise SmsRejected("unknown_destination", f"no service number or subscriber {to!r}",
                              CommandStatus.ESME_RINVDSTADR)
        if outcome is not None and not heard_later:  # stored for the number or in the inbox
            yield outcome(mo, Outcome.DELIVERED, 0)
        log.info("sms %s stored: %s -> %s", mo, msisdn, to)
        self._outbox.publish(ctx.sent)
        return mo

    def inbox(self, msisdn: str, since: int | None) -> Deferred[list[dict]]:
        return self._store.run(_inbox, msisdn, since)

    # -- the SMSC's backend ------------------------------------------------------

    def authenticate(self, system_id: str, password: str) -> Account:
        account = self._accounts.get(system_id)
        if account is None:
            raise BindRefused(CommandStatus.ESME_RINVSYSID, f"unknown system_id {system_id!r}")
        if account.password != password:
            raise BindRefused(CommandStatus.ESME_RINVPASWD, "wrong password")
        return account

    def bind_opened(self, bind) -> None:
        log.info("smpp bind %s (%s) from %s", bind.account.system_id, bind.account.role.value, bind.peer)
        if not bind.can_receive:
            return
        self._receivers.setdefault(bind.account.system_id, []).append(bind)
        self._send_pending_receipts(bind.account.system_id)
        if bind.account.role is Role.MOBILE:
            self._mobile_binds.append(bind)
        else:
            for number in bind.account.owns:
                self._app_binds.setdefault(number, []).append(bind)

    def bind_closed(self, bind) -> None:
        log.info("smpp unbind %s from %s", bind.account.system_id, bind.peer)
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

    @inlineCallbacks
    def submit(self, account: Account, request: SubmitRequest, bind=None) -> Deferred[str]:
        """submit_sm: from a mobile account an SMS sent by a handset, from an application MT;
        with ussd_service_op, USSD (gateway/ussd/smpp.py)."""
        if request.ussd_service_op is not None and self.ussd is not None:
            message_id = yield self.ussd.submit(account, request, bind)
            return message_id
        if account.role is Role.MOBILE:
            try:
                msisdn = normalise_msisdn(request.source_addr)
            except DomainError as error:
                raise SmppError(CommandStatus.ESME_RINVSRCADR, error.message) from error
            outcome = self._receipt_for(account, request)
            try:
                message_id = yield self.send_from_handset(msisdn, request.destination_addr, request.text, outcome)
            except SmsRejected as error:
                raise SmppError(error.status, error.message) from error
            except DomainError as error:  # unknown handset
                raise SmppError(CommandStatus.ESME_RINVSRCADR, error.message) from error
            return str(message_id)
        if request.source_addr not in account.owns:
            raise SmppError(CommandStatus.ESME_RINVSRCADR, f"{account.system_id} does not own {request.source_addr!r}")
        try:
            msisdn = normalise_msisdn(request.destination_addr)
            ctx = Context(msisdn=msisdn, now=self._clock.seconds(), locale="ru", channel="sms",
                          reply_from=request.source_addr)
            record = yield self._store.run(_application_mt, ctx, request.text)
        except DomainError as error:
            raise SmppError(CommandStatus.ESME_RINVDSTADR, error.message) from error
        self._outbox.publish([record])
        outcome = self._receipt_for(account, request)
        if outcome is not None:  # in the handset's inbox: delivered
            yield outcome(record.id, Outcome.DELIVERED, 0)
        return str(record.id)

    # -- delivery receipts -----------------------------------------------------------

    def _receipt_for(self, account: Account, request: SubmitRequest) -> OutcomeHook | None:
        """What to do once the message ended, when registered_delivery may want a receipt:
        store the receipt, then send it if a bind can take it. The returned Deferred fires
        once it is stored (never with an error); sending waits for the next reactor turn, so
        a submit_sm_resp answered on that Deferred goes out before its receipt."""
        if not request.registered_delivery & 0x03:
            return None
        submitted_at = self._clock.seconds()

        def ended(message_id: int, outcome: Outcome, error: int) -> Deferred[None]:
            if not wanted(request.registered_delivery, outcome):
                return succeed(None)
            body = receipt_text(str(message_id), submitted_at, self._clock.seconds(), outcome, error, request.text)
            stored = self._store.run(_add_receipt, account.system_id, str(message_id), request.destination_addr,
                                     request.source_addr, outcome.message_state, body, self._clock.seconds())
            stored.addCallback(self._send_soon)
            stored.addErrback(lambda f: log.error("storing the receipt of %s failed: %s", message_id, f.getTraceback()))
            return stored

        return ended

    def _send_soon(self, receipt: PendingReceipt) -> None:
        self._clock.callLater(0, self._send_receipt, receipt)

    def _send_pending_receipts(self, system_id: str) -> None:
        loaded = self._store.run(_pending_receipts, system_id)
        loaded.addCallback(lambda receipts: [self._send_receipt(r) for r in receipts])
        loaded.addErrback(lambda f: log.error("loading receipts for %s failed: %s", system_id, f.getTraceback()))

    def _send_receipt(self, receipt: PendingReceipt) -> None:
        """deliver_sm (esm_class 4) to a receiving bind of the account; forgotten only once the
        ESME answered OK, else kept for its next bind."""
        binds = [b for b in self._receivers.get(receipt.system_id) or () if b.can_receive]
        key = (receipt.system_id, receipt.message_id)
        if not binds or key in self._receipts_in_flight or key in self._receipts_taken:
            return
        self._receipts_in_flight.add(key)
        message = Deliver(
            source_addr=receipt.source_addr, destination_addr=receipt.destination_addr, text=receipt.body,
            esm_class=RECEIPT_ESM_CLASS, receipted_message_id=receipt.message_id,
            message_state=receipt.message_state,
        )

        def answered(status: int) -> Deferred | None:
            if status:
                log.warning("receipt %s refused by %s: status %#x", receipt.message_id, receipt.system_id, status)
                return None
            self._receipts_taken[key] = None
            if len(self._receipts_taken) > RECEIPTS_REMEMBERED:
                del self._receipts_taken[next(iter(self._receipts_taken))]
            return self._store.run(_remove_receipt, receipt.id)

        sent = binds[0].deliver(message)
        sent.addCallback(answered)
        sent.addErrback(lambda f: log.warning("receipt %s not sent: %s", receipt.message_id, f.getErrorMessage()))
        sent.addBoth(lambda _: self._receipts_in_flight.discard(key))

    # -- MT to handsets ------------------------------------------------------------

    def owner(self, number: str) -> Account | None:
        """The application account that owns a short number or service code."""
        return next((a for a in self._accounts.values() if number in a.owns), None)

    def app_binds(self, number: str) -> list:
        """The receiving binds of the application owning `number`."""
        return list(self._app_binds.get(number) or ())

    def mobile_binds(self) -> list:
        return list(self._mobile_binds)

    def _deliver_to_handset(self, message: MessageRecord) -> None:
        """Hand an SMS that reached a handset's inbox to a bound `mobile` ESME."""
        if not self._mobile_binds:
            return
        bind = self._mobile_binds[next(self._rotation) % len(self._mobile_binds)]
        d = bind.deliver(Deliver(source_addr=message.peer, destination_addr=message.msisdn, text=message.text))
        d.addErrback(lambda f: log.warning("deliver_sm of sms %s failed: %s", message.id, f.getErrorMessage()))


def _command(uow, menus: MenuSet, ctx: Context, number: SmsNumber, text: str) -> int:
    ctx.locale = subscribers.require(uow, ctx.msisdn).locale
    mo = messages.store_mo(uow, ctx.msisdn, number.number, text, ctx.now)
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


def _command_refused(uow, menus: MenuSet, ctx: Context, text: str, code: str) -> int:
    ctx.locale = subscribers.require(uow, ctx.msisdn).locale
    mo = messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    send_sms(uow, menus, ctx, f"error.{code}" if f"error.{code}" in menus.texts else "error.default")
    return mo.id


def _store_mo(uow, ctx: Context, text: str) -> int:
    subscribers.require(uow, ctx.msisdn)
    return messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now).id


def _person_to_person(uow, ctx: Context, text: str) -> int:
    subscribers.require(uow, ctx.msisdn)
    mo = messages.store_mo(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)
    ctx.sent.append(messages.store_mt(uow, ctx.reply_from, ctx.msisdn, text, ctx.now))
    return mo.id


def _application_mt(uow, ctx: Context, text: str) -> MessageRecord:
    return messages.store_mt(uow, ctx.msisdn, ctx.reply_from, text, ctx.now)


def _add_receipt(uow, system_id: str, message_id: str, source_addr: str, destination_addr: str,
                 message_state: int, body: str, now: float) -> PendingReceipt:
    row = uow.receipts.add(system_id, message_id, source_addr, destination_addr, message_state, body, now)
    return _pending(row)


def _pending_receipts(uow, system_id: str) -> list[PendingReceipt]:
    return [_pending(row) for row in uow.receipts.pending(system_id)]


def _remove_receipt(uow, receipt_id: int) -> None:
    uow.receipts.remove(receipt_id)


def _pending(row) -> PendingReceipt:
    return PendingReceipt(row.id, row.system_id, row.message_id, row.source_addr, row.destination_addr,
                          row.message_state, row.body)


def _inbox(uow, msisdn: str, since: int | None) -> list[dict]:
    return [
        {"id": m.id, "from": m.peer, "text": m.text, "received_at": iso_time(m.created_at)}
        for m in messages.inbox(uow, msisdn, since)
    ]


def iso_time(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC with milliseconds."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds")
