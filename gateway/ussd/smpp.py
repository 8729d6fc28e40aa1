"""USSD over SMPP 3.4: the ussd_service_op TLV on `mobile` and `application` binds.

How it works
------------
The SMSC's backend (gateway/sms/service.py) hands every submit_sm that carries
`ussd_service_op` (0x0501) to `UssdOverSmpp.submit`, with the bind it came on.

A `mobile` bind is the radio side. op 1 (PSSR indication; 0 PSSD too) dials the string in
`short_message` (or `*<destination_addr>#` when it is empty) for `source_addr`; op 18
(USSR confirm; 2 leniently) answers the open dialogue; op 17 / 0x17 / 0x81, or
`its_session_info` with its end bit, releases it; op 19 (USSN confirm) is acknowledged.
The submit_sm_resp comes as soon as the dialogue has taken the input (message_id = the
dialogue's id); the network's screens follow as deliver_sm to that bind: op 2 (USSR
request, the dialogue goes on) or 17 (PSSR response, it ended), source_addr = the service
code, destination_addr = the MSISDN, data_coding 0 (GSM 7-bit) or 8 (UCS-2),
`its_session_info` echoed with the end bit set on the last screen. Pushes reach a mobile
bind (in rotation) as op 2 (USSR request) or 3 (USSN request).

An `application` bind owning a service code gets the dialogues dialled to it: deliver_sm
op 1 with the dialled string (source_addr = MSISDN, destination_addr = the code), then op
18 with every reply, and op 17 with an empty text when the network ends the dialogue
(the handset released it, it timed out). The application answers each with submit_sm to
the MSISDN from the code: op 2 (continue) or 17 / 0x17 (end); op 3 is a notification.
Without an open dialogue, op 2 pushes a request and op 3 a notification to the handset.
"""

from __future__ import annotations

import itertools
import logging

from twisted.internet.defer import Deferred, fail, maybeDeferred
from twisted.python.failure import Failure

from core.errors import DomainError, UnknownSubscriber
from core.numbers import normalise_msisdn
from gateway.sms.errors import CommandStatus as S
from gateway.sms.errors import SmppError, status_name
from gateway.sms.events import Account, Deliver, Role, SubmitRequest
from gateway.ussd.errors import AppFailed, InvalidUssdString, ScreenTooLong, UssdBusy
from gateway.ussd.events import PushType, UssdReply
from gateway.ussd.service import UssdService
from gateway.ussd.session import Dialogue
from menus.engine import Continuation

log = logging.getLogger(__name__)

PSSD_INDICATION, PSSR_INDICATION, USSR_REQUEST, USSN_REQUEST = 0, 1, 2, 3
PSSD_RESPONSE, PSSR_RESPONSE, USSR_CONFIRM, USSN_CONFIRM = 16, 17, 18, 19
VENDOR_END = 0x17  # Mica / 6D "17" sent as a hex string: the end of the dialogue
VENDOR_ABORT = 0x81  # 6D: the user aborted
END_BIT = 0x0001  # its_session_info, second octet, lowest bit: end of session

_DIAL_OPS = frozenset({PSSR_INDICATION, PSSD_INDICATION})
_REPLY_OPS = frozenset({USSR_CONFIRM, USSR_REQUEST})
_RELEASE_OPS = frozenset({PSSR_RESPONSE, VENDOR_END, VENDOR_ABORT, PSSD_RESPONSE})
_APP_END_OPS = frozenset({PSSR_RESPONSE, VENDOR_END, PSSD_RESPONSE})

# This channel's table from USSD and domain errors to submit_sm_resp statuses.
_STATUS: list[tuple[type[BaseException], int]] = [
    (ScreenTooLong, S.ESME_RINVMSGLEN),
    (InvalidUssdString, S.ESME_RSUBMITFAIL),  # a bad dialled string, or no dialogue to answer
    (UssdBusy, S.ESME_RSUBMITFAIL),
]


class SmppHandset:
    """The Terminal of a dialogue whose handset side is a `mobile` bind."""

    name = "smpp"
    __slots__ = ("_link", "bind", "account", "its_session")

    def __init__(self, link: UssdOverSmpp, bind, account: Account, its_session: int | None) -> None:
        self._link = link
        self.bind = bind
        self.account = account
        self.its_session = its_session

    def show(self, reply: UssdReply) -> None:
        self._link.to_handset(self, reply)


class UssdOverSmpp:
    """Both SMPP sides of the USSD service; plugs into it as its SmppLink."""

    def __init__(self, service: UssdService, binds) -> None:
        self._service = service
        self._binds = binds  # SmsService: app_binds(number), mobile_binds(), owner(number)
        self._rotation = itertools.count()
        service.smpp = self

    # -- from the SMSC ---------------------------------------------------------------------

    def submit(self, account: Account, request: SubmitRequest, bind) -> Deferred[str]:
        """A submit_sm with ussd_service_op; fires with the message_id or fails with SmppError."""
        if account.role is Role.MOBILE:
            d = maybeDeferred(self._from_mobile, account, request, bind)
            return d.addErrback(_as_status, S.ESME_RINVSRCADR)
        d = maybeDeferred(self._from_app, account, request)
        return d.addErrback(_as_status, S.ESME_RINVDSTADR)

    def bind_closed(self, bind) -> None:
        self._service.detach(lambda terminal: isinstance(terminal, SmppHandset) and terminal.bind is bind)
        for d in self._service.dialogues:
            if d.app is bind:
                others = self._receiving_app_binds(d.service_code)
                if others:
                    d.app = others[0]
                else:
                    self._service.app_failed(d, f"the application owning {d.service_code} unbound")

    def _from_mobile(self, account: Account, request: SubmitRequest, bind) -> Deferred[str] | str:
        msisdn = _msisdn(request.source_addr, S.ESME_RINVSRCADR)
        op, its = request.ussd_service_op, request.its_session_info
        ends = its is not None and bool(its & END_BIT)
        if op in _DIAL_OPS:
            text = request.text.strip()
            code = request.destination_addr.strip("*#")
            if not text and code.isdigit():
                text = f"*{code}#"
            terminal = SmppHandset(self, bind, account, its)
            return _accept(lambda accepted: self._service.dial(msisdn, text, terminal, accepted), terminal)
        if op in _REPLY_OPS and not ends:
            terminal = SmppHandset(self, bind, account, its)
            return _accept(lambda accepted: self._service.reply(msisdn, request.text, terminal, None, accepted),
                           terminal)
        if op in _RELEASE_OPS or ends:
            self._service.release(msisdn)
            return "released"
        if op == USSN_CONFIRM:
            return "confirmed"
        raise SmppError(S.ESME_RINVOPTPARAMVAL, f"ussd_service_op {op} from a handset")

    def _from_app(self, account: Account, request: SubmitRequest) -> Deferred[str]:
        code = request.source_addr.strip("*#")
        if code not in account.owns:
            raise SmppError(S.ESME_RINVSRCADR, f"{account.system_id} does not own {request.source_addr!r}")
        msisdn = _msisdn(request.destination_addr, S.ESME_RINVDSTADR)
        op, its = request.ussd_service_op, request.its_session_info
        ends = its is not None and bool(its & END_BIT)
        if op in _APP_END_OPS or (op == USSR_REQUEST and ends):
            kind: Continuation | PushType = Continuation.END
        elif op == USSR_REQUEST:
            kind = Continuation.CONTINUE
        elif op == USSN_REQUEST:
            kind = PushType.NOTIFY
        else:
            raise SmppError(S.ESME_RINVOPTPARAMVAL, f"ussd_service_op {op} from an application")
        if its is not None:
            its &= ~END_BIT
        return self._service.from_app(code, msisdn, request.text, kind, its)

    # -- SmppLink, for the service ------------------------------------------------------------

    def owns(self, code: str) -> bool:
        owner = self._binds.owner(code)
        return owner is not None and owner.role is Role.APPLICATION

    def app_start(self, dialogue: Dialogue, dialled: str) -> Deferred[None]:
        return self._to_app(dialogue, PSSR_INDICATION, dialled)

    def app_reply(self, dialogue: Dialogue, text: str) -> Deferred[None]:
        return self._to_app(dialogue, USSR_CONFIRM, text)

    def app_end(self, dialogue: Dialogue) -> None:
        self._to_app(dialogue, PSSR_RESPONSE, "").addErrback(
            lambda f: log.info("ussd dialogue %s: end not delivered to the application: %s",
                               dialogue.session_id, f.getErrorMessage()))

    def offer(self, dialogue: Dialogue, reply: UssdReply, notify: bool) -> SmppHandset | None:
        """A network-initiated screen to a mobile bind, if one is bound (round robin)."""
        binds = [b for b in self._binds.mobile_binds() if b.can_receive]
        if not binds:
            return None
        bind = binds[next(self._rotation) % len(binds)]
        terminal = SmppHandset(self, bind, bind.account, None)
        self._deliver(bind, reply, USSN_REQUEST if notify else USSR_REQUEST, None)
        return terminal

    # -- to the binds --------------------------------------------------------------------------

    def to_handset(self, terminal: SmppHandset, reply: UssdReply) -> None:
        if reply.released:
            return  # the handset released it itself
        bind = terminal.bind
        if not bind.can_receive:  # a transmitter: answer on a receiver of the same account
            bind = next((b for b in self._binds.mobile_binds()
                         if b.can_receive and b.account.system_id == terminal.account.system_id), None)
        if bind is None:
            log.warning("ussd dialogue %s: no receiving mobile bind for its screen", reply.session_id)
            return
        its = terminal.its_session
        if its is not None:
            its = (its & ~END_BIT) | (END_BIT if reply.ended else 0)
        self._deliver(bind, reply, PSSR_RESPONSE if reply.ended else USSR_REQUEST, its)

    def _deliver(self, bind, reply: UssdReply, op: int, its: int | None) -> None:
        message = Deliver(source_addr=reply.service_code, destination_addr=reply.msisdn, text=reply.text,
                          ussd_service_op=op, its_session_info=its)
        bind.deliver(message).addCallbacks(
            lambda status: status and log.warning("ussd deliver_sm of %s refused: %s", reply.session_id,
                                                  status_name(status)),
            lambda f: log.warning("ussd deliver_sm of %s failed: %s", reply.session_id, f.getErrorMessage()))

    def _receiving_app_binds(self, code: str) -> list:
        return [b for b in self._binds.app_binds(code) if b.can_receive]

    def _to_app(self, dialogue: Dialogue, op: int, text: str) -> Deferred[None]:
        bind = dialogue.app
        if bind is None or not getattr(bind, "can_receive", False):
            binds = self._receiving_app_binds(dialogue.service_code)
            if not binds:
                return fail(AppFailed(f"the application owning {dialogue.service_code} is not bound"))
            bind = dialogue.app = binds[0]
        its = dialogue.its_session
        if its is not None and op == PSSR_RESPONSE:
            its |= END_BIT
        message = Deliver(source_addr=dialogue.msisdn, destination_addr=dialogue.service_code, text=text,
                          ussd_service_op=op, its_session_info=its)
        return bind.deliver(message).addCallbacks(_delivered, _not_delivered)


def _accept(start, terminal: SmppHandset) -> Deferred[str]:
    """Run a dial or reply; fire with the dialogue's id once it took the input, and send
    the screen that answers it to the terminal when it comes."""
    acked: Deferred[str] = Deferred()

    def accepted(dialogue: Dialogue) -> None:
        acked.callback(dialogue.session_id)

    def answered(reply: UssdReply) -> None:
        terminal.show(reply)

    def failed(failure: Failure) -> None:
        if not acked.called:
            acked.errback(failure)
        else:
            log.error("ussd over smpp: %s", failure.getTraceback())

    start(accepted).addCallbacks(answered, failed)
    return acked


def _msisdn(address: str, status: int) -> str:
    try:
        return normalise_msisdn(address)
    except DomainError as error:
        raise SmppError(status, error.message) from error


def _delivered(status: int) -> None:
    if status:
        raise AppFailed(f"deliver_sm answered {status_name(status)}")


def _not_delivered(failure: Failure) -> None:
    raise AppFailed(f"deliver_sm not delivered: {failure.getErrorMessage()}")


def _as_status(failure: Failure, unknown_number_status: int) -> Failure:
    """The SmppError a failure is answered with."""
    if failure.check(SmppError):
        return failure
    if failure.check(UnknownSubscriber):
        raise SmppError(unknown_number_status, failure.getErrorMessage())
    for kind, status in _STATUS:
        if failure.check(kind):
            log.info("ussd over smpp refused: %s", type(failure.value).__name__)  # the text may be an input
            raise SmppError(status, failure.getErrorMessage())
    if failure.check(DomainError):
        raise SmppError(S.ESME_RSUBMITFAIL, failure.getErrorMessage())
    return failure
