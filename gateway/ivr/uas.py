"""The SIP user agent server for the voice menu: dialogs and transactions, no sockets or clocks.

How it works: `receive(datagram, addr)` returns actions for the adapter to carry out:
`Send` a message, `StartCall` / `PressKeys` / `HangUp` on the VoiceService, `CloseMedia`.
The VoiceService answers later; the adapter reports back with `call_answered`,
`call_failed` and `call_ended`, which return further actions. An INVITE gets 100 and 180
at once and 200 with the SDP answer once the call is up; CANCEL before that ends it with
487. In a confirmed dialog: ACK, BYE, INFO (keypad tones), OPTIONS; a re-INVITE gets 488.

Over UDP the 200 OK may be lost, so it is sent again until its ACK arrives (RFC 3261
§13.3.1.4): `Arm` asks the adapter for a timer, `timer_fired` sends the 200 again after
T1, 2·T1, 4·T1 … capped at T2 apart; with no ACK after 64·T1 the call is ended with a BYE.
A refusal (480 from roaming, 404, 487 after CANCEL …) is sent again the same way until
its ACK (§17.2.1, Timers G and H); the dialog is then kept T4 for copies of the ACK.
A retransmitted INVITE is answered with the last response.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from enum import Enum

from core.errors import DomainError, InvalidNumber, UnknownSubscriber
from core.numbers import normalise_msisdn
from core.voice import NotConnected
from gateway.ivr import sdp
from gateway.ivr.errors import UnknownVoiceNumber
from gateway.ivr.sip import (
    NotSip,
    RemoteProtocolError,
    Request,
    Response,
    param,
    parse,
    uri_of,
    user_of,
)

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"
T1 = 0.5  # seconds: RTT estimate (RFC 3261 §17.1.1.1)
T2 = 4.0  # the longest interval between retransmissions
T4 = 5.0  # how long a refused INVITE's transaction absorbs copies of the ACK (Timer I)
Address = tuple[str, int]
INFO_SIGNALS = {"10": "*", "11": "#", "16": ""}


class DialogState(Enum):
    EARLY = "early"  # INVITE received, call not answered yet
    CONFIRMED = "confirmed"  # 200 sent (ACK may still be on its way)
    TERMINATED = "terminated"


@dataclass(frozen=True)
class Send:
    message: Request | Response
    addr: Address


@dataclass(frozen=True)
class StartCall:
    key: str
    msisdn: str
    dialled: str


@dataclass(frozen=True)
class PressKeys:
    key: str
    call_id: str
    digits: str


@dataclass(frozen=True)
class HangUp:
    key: str
    call_id: str
    reason: str = "hung_up"  # an EndReason value


@dataclass(frozen=True)
class Arm:
    """Call `timer_fired(key)` after `delay` seconds (replacing the dialog's timer)."""

    key: str
    delay: float


@dataclass(frozen=True)
class Disarm:
    key: str


@dataclass(frozen=True)
class CloseMedia:
    key: str


Action = Send | StartCall | PressKeys | HangUp | CloseMedia | Arm | Disarm


@dataclass
class Dialog:
    key: str  # the SIP Call-ID
    invite: Request
    addr: Address
    local_tag: str
    offer: sdp.Offer
    state: DialogState = DialogState.EARLY
    call_id: str | None = None  # the VoiceService call
    event_pt: int | None = None
    audio_pt: int | None = None
    local_cseq: int = 0
    last_invite_response: Response | None = None
    acked: bool = False
    interval: float = T1  # between sends of the 200, doubling up to T2
    armed: float = T1  # the timer running now (the last one is cut to end at 64·T1)
    waited: float = 0.0  # since the 200 was first sent


# Domain errors of VoiceService.start as SIP statuses.
FAILURES: tuple[tuple[type[Exception], int, str], ...] = (
    (NotConnected, 480, "Temporarily Unavailable"),
    (UnknownVoiceNumber, 404, "Not Found"),
    (UnknownSubscriber, 403, "Forbidden"),
    (DomainError, 403, "Forbidden"),
)


class UserAgentServer:
    def __init__(self, host: str, port: int = 5060) -> None:
        self.host, self.port = host, port
        self.dialogs: dict[str, Dialog] = {}
        self._by_call: dict[str, str] = {}

    # -- from the network ---------------------------------------------------------------

    def receive(self, data: bytes, addr: Address) -> list[Action]:
        try:
            message = parse(data)
        except NotSip as error:
            log.info("dropped a datagram from %s:%s: %s", *addr, error)
            return []
        except RemoteProtocolError as error:
            log.info("bad SIP from %s:%s: %s", *addr, error)
            request = error.partial
            if request is None or request.method == "ACK" or not _answerable(request):
                return []
            return [Send(self._response(request, 400, "Bad Request", warning=str(error)), addr)]
        if isinstance(message, Response):
            return []  # answers to our BYE: nothing more to do
        handler = getattr(self, "_on_" + message.method.lower(), None)
        if message.method not in ALLOW.split(", ") or handler is None:
            return [Send(self._response(message, 405, "Method Not Allowed", allow=True), addr)]
        return handler(message, addr)

    def _on_invite(self, request: Request, addr: Address) -> list[Action]:
        key = request.header("call-id") or ""
        dialog = self.dialogs.get(key)
        if dialog is not None:
            if request.cseq == dialog.invite.cseq and dialog.last_invite_response is not None:
                return [Send(dialog.last_invite_response, addr)]  # a retransmission
            if dialog.state is DialogState.TERMINATED:
                return [Send(self._response(request, 481, "Call/Transaction Does Not Exist"), addr)]
            return [Send(self._response(request, 488, "Not Acceptable Here", dialog,
                                        warning="media changes are not supported"), addr)]
        if param(request.header("to") or "", "tag") is not None:
            return [Send(self._response(request, 481, "Call/Transaction Does Not Exist"), addr)]
        trying = Send(self._response(request, 100, "Trying"), addr)
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if not request.body:
            return [trying, Send(self._response(request, 488, "Not Acceptable Here",
                                                warning="an SDP offer in the INVITE is required"), addr)]
        if content_type != "application/sdp":
            return [trying, Send(self._response(request, 415, "Unsupported Media Type", accept=True), addr)]
        try:
            offer = sdp.parse_offer(request.body)
            sdp.answer(offer, self.host, 0, 0)
        except sdp.SdpError as error:
            return [trying, Send(self._response(request, 400, "Bad Request", warning=str(error)), addr)]
        except sdp.NotAcceptable as error:
            return [trying, Send(self._response(request, 488, "Not Acceptable Here", warning=str(error)), addr)]
        try:
            msisdn = normalise_msisdn(user_of(uri_of(request.header("from") or "")))
        except InvalidNumber:
            return [trying, Send(self._response(request, 403, "Forbidden",
                                                warning="the caller is not a subscriber number"), addr)]
        dialled = user_of(request.uri)
        dialog = Dialog(key, request, addr, secrets.token_hex(6), offer)
        self.dialogs[key] = dialog
        ringing = self._response(request, 180, "Ringing", dialog, contact=True)
        dialog.last_invite_response = ringing
        return [trying, Send(ringing, addr), StartCall(key, msisdn, dialled)]

    def _on_ack(self, request: Request, addr: Address) -> list[Action]:
        dialog = self._in_dialog(request)
        if dialog is None or dialog.acked or request.cseq[0] != dialog.invite.cseq[0]:
            return []  # a late copy, or a stranger's: nothing to do
        dialog.acked = True
        if _refused(dialog):
            return [Arm(dialog.key, T4)]  # copies of this ACK may follow; then the dialog goes
        return [Disarm(dialog.key)]

    def _on_cancel(self, request: Request, addr: Address) -> list[Action]:
        dialog = self.dialogs.get(request.header("call-id") or "")
        if dialog is None or request.cseq[0] != dialog.invite.cseq[0]:
            return [Send(self._response(request, 481, "Call/Transaction Does Not Exist"), addr)]
        ok = Send(self._response(request, 200, "OK"), addr)
        if dialog.state is not DialogState.EARLY:
            return [ok]
        return [ok, *self._refuse(dialog, self._final(dialog, 487, "Request Terminated"))]

    def _on_bye(self, request: Request, addr: Address) -> list[Action]:
        dialog = self._in_dialog(request)
        if dialog is None or dialog.state is DialogState.TERMINATED:
            return [Send(self._response(request, 481, "Call/Transaction Does Not Exist"), addr)]
        dialog.state = DialogState.TERMINATED
        actions: list[Action] = [Send(self._response(request, 200, "OK", dialog), addr), CloseMedia(dialog.key),
                                 Disarm(dialog.key)]
        if dialog.call_id is not None:
            actions.append(HangUp(dialog.key, dialog.call_id))
        return actions

    def _on_options(self, request: Request, addr: Address) -> list[Action]:
        dialog = self._in_dialog(request)
        return [Send(self._response(request, 200, "OK", dialog, allow=True, accept=True), addr)]

    def _on_info(self, request: Request, addr: Address) -> list[Action]:
        dialog = self._in_dialog(request)
        if dialog is None or dialog.state is not DialogState.CONFIRMED or dialog.call_id is None:
            return [Send(self._response(request, 481, "Call/Transaction Does Not Exist"), addr)]
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type not in ("application/dtmf-relay", "application/dtmf"):
            return [Send(self._response(request, 415, "Unsupported Media Type", dialog), addr)]
        digits = info_digits(content_type, request.body)
        if digits is None:
            return [Send(self._response(request, 400, "Bad Request", dialog, warning="no keypad tone"), addr)]
        actions: list[Action] = [Send(self._response(request, 200, "OK", dialog), addr)]
        if digits:
            actions.append(PressKeys(dialog.key, dialog.call_id, digits))
        return actions

    # -- from the VoiceService ----------------------------------------------------------

    def call_answered(self, key: str, call_id: str, media_port: int) -> list[Action]:
        """The menu answered: 200 with the SDP answer; or, if the caller gave up, hang up."""
        dialog = self.dialogs.get(key)
        if dialog is None or dialog.state is DialogState.TERMINATED:
            return [CloseMedia(key), HangUp(key, call_id)]
        dialog.call_id = call_id
        self._by_call[call_id] = key
        answer = sdp.answer(dialog.offer, self.host, media_port, secrets.randbelow(2**31))
        dialog.event_pt, dialog.audio_pt = answer.event_pt, answer.audio_pt
        dialog.state = DialogState.CONFIRMED
        ok = self._final(dialog, 200, "OK", body=answer.body)
        dialog.interval, dialog.armed, dialog.waited = T1, T1, 0.0
        return [Send(ok, dialog.addr), Arm(key, T1)]

    def timer_fired(self, key: str) -> list[Action]:
        """The final answer's retransmission timer: send it again, or give up; after the
        ACK of a refusal, the end of its transaction."""
        dialog = self.dialogs.get(key)
        if dialog is not None and _refused(dialog):
            return self._refusal_timer(dialog)
        if dialog is None or dialog.acked or dialog.state is not DialogState.CONFIRMED:
            return []
        dialog.waited += dialog.armed
        if dialog.waited >= 64 * T1 or dialog.last_invite_response is None:
            log.info("dialog %s: no ACK for the 200 OK; hanging up", key)
            actions = self._bye(dialog)
            if dialog.call_id is not None:
                actions.append(HangUp(key, dialog.call_id, "no_ack"))
            return actions
        dialog.interval = min(2 * dialog.interval, T2)
        dialog.armed = min(dialog.interval, 64 * T1 - dialog.waited)
        return [Send(dialog.last_invite_response, dialog.addr), Arm(key, dialog.armed)]

    def call_failed(self, key: str, error: Exception) -> list[Action]:
        dialog = self.dialogs.get(key)
        if dialog is None or dialog.state is not DialogState.EARLY:
            return []
        status, reason = 500, "Server Internal Error"
        for kind, code, text in FAILURES:
            if isinstance(error, kind):
                status, reason = code, text
                break
        warning = getattr(error, "code", None) or type(error).__name__
        return self._refuse(dialog, self._final(dialog, status, reason, warning=warning))

    def _refuse(self, dialog: Dialog, final: Response) -> list[Action]:
        """A non-2xx final answer to the INVITE: sent, then again T1, 2·T1 … T2 apart until
        the ACK (Timer G), for 64·T1 at most (Timer H), as RFC 3261 §17.2.1 has it on UDP."""
        dialog.state = DialogState.TERMINATED
        dialog.last_invite_response = final
        dialog.acked = False
        dialog.interval, dialog.armed, dialog.waited = T1, T1, 0.0
        return [Send(final, dialog.addr), Arm(dialog.key, T1)]

    def _refusal_timer(self, dialog: Dialog) -> list[Action]:
        dialog.waited += dialog.armed
        if dialog.acked or dialog.waited >= 64 * T1:
            self.forget(dialog.key)  # Timer I after the ACK, or Timer H without one
            return []
        dialog.interval = min(2 * dialog.interval, T2)
        dialog.armed = min(dialog.interval, 64 * T1 - dialog.waited)
        assert dialog.last_invite_response is not None
        return [Send(dialog.last_invite_response, dialog.addr), Arm(dialog.key, dialog.armed)]

    def call_ended(self, call_id: str) -> list[Action]:
        """The menu said goodbye: the network hangs up with a BYE."""
        key = self._by_call.pop(call_id, None)
        dialog = self.dialogs.get(key or "")
        if dialog is None or dialog.state is not DialogState.CONFIRMED:
            return []
        return self._bye(dialog)

    def _bye(self, dialog: Dialog) -> list[Action]:
        """End a confirmed dialog from our side."""
        if dialog.call_id is not None:
            self._by_call.pop(dialog.call_id, None)
        dialog.state = DialogState.TERMINATED
        del self.dialogs[dialog.key]  # answers to our BYE need no dialog
        dialog.local_cseq += 1
        invite = dialog.invite
        remote = invite.header("contact")
        headers = (
            ("via", f"SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport"),
            ("max-forwards", "70"),
            ("from", _with_tag(invite.header("to") or "", dialog.local_tag)),
            ("to", invite.header("from") or ""),
            ("call-id", dialog.key),
            ("cseq", f"{dialog.local_cseq} BYE"),
        )
        bye = Request(headers, b"", "BYE", uri_of(remote) if remote else uri_of(invite.header("from") or ""))
        return [Send(bye, dialog.addr), CloseMedia(dialog.key), Disarm(dialog.key)]

    def forget(self, key: str) -> None:
        dialog = self.dialogs.pop(key, None)
        if dialog is not None and dialog.call_id is not None:
            self._by_call.pop(dialog.call_id, None)

    # -- building answers ---------------------------------------------------------------

    def _in_dialog(self, request: Request) -> Dialog | None:
        dialog = self.dialogs.get(request.header("call-id") or "")
        if dialog is None or param(request.header("to") or "", "tag") != dialog.local_tag:
            return None
        return dialog

    def _final(self, dialog: Dialog, status: int, reason: str, body: bytes = b"", warning: str = "") -> Response:
        response = self._response(dialog.invite, status, reason, dialog, contact=status < 300, warning=warning)
        if body:
            response = replace(response, headers=(*response.headers, ("content-type", "application/sdp")), body=body)
        dialog.last_invite_response = response
        return response

    def _response(self, request: Request, status: int, reason: str, dialog: Dialog | None = None, *,
                  contact: bool = False, allow: bool = False, accept: bool = False, warning: str = "") -> Response:
        headers: list[tuple[str, str]] = [("via", via) for via in request.header_all("via")]
        to = request.header("to") or ""
        if status > 100 and param(to, "tag") is None:
            to = _with_tag(to, dialog.local_tag if dialog else secrets.token_hex(6))
        headers += [
            ("from", request.header("from") or ""), ("to", to),
            ("call-id", request.header("call-id") or ""), ("cseq", request.header("cseq") or ""),
            ("server", "channel-gateway"),
        ]
        if contact:
            headers.append(("contact", f"<sip:{user_of(request.uri) or 'gateway'}@{self.host}:{self.port}>"))
        if allow or status == 405:
            headers.append(("allow", ALLOW))
        if accept:
            headers.append(("accept", "application/sdp, application/dtmf-relay, application/dtmf"))
        if warning:
            text = warning.replace('"', "'").replace("\r", " ").replace("\n", " ")
            headers.append(("warning", f'399 {self.host} "{text}"'))
        return Response(tuple(headers), b"", status, reason)


def _refused(dialog: Dialog) -> bool:
    """The INVITE was answered with a refusal (3xx-6xx): its transaction is completing."""
    response = dialog.last_invite_response
    return dialog.state is DialogState.TERMINATED and response is not None and response.status >= 300


def _answerable(request: Request) -> bool:
    return all(request.header(name) for name in ("via", "from", "to", "call-id", "cseq"))


def _with_tag(value: str, tag: str) -> str:
    return f"{value};tag={tag}"


def info_digits(content_type: str, body: bytes) -> str | None:
    """Keypad tones of a SIP INFO body: `Signal=5` (dtmf-relay) or just `5` (dtmf); '' for flash."""
    try:
        text = body.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    if content_type == "application/dtmf-relay":
        signal = next((line.split("=", 1)[1].strip() for line in text.splitlines()
                       if line.strip().lower().startswith("signal=")), None)
    else:
        signal = text
    if signal is None:
        return None
    signal = INFO_SIGNALS.get(signal, signal).upper()
    if signal and signal not in "0123456789*#ABCD" or len(signal) > 1:
        return None
    return signal
