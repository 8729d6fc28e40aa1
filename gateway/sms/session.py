"""Sans-IO SMSC side of one SMPP 3.4 connection: PDUs and bytes in, commands out."""

# How it works
# ------------
# SMSCSession holds one connection's state and never does I/O. Feed it bytes
# (receive_data), whole PDUs (receive_pdu) or decode errors (receive_error); each call
# returns a list of commands for the adapter to carry out in order: SendPDU, Authenticate,
# RegisterBind / UnregisterBind, HandleSubmit, DeliveryResolved / DeliveryAborted, Warn,
# Close. Slow answers come back as calls: bind_accepted / bind_refused after
# Authenticate, submit_succeeded / submit_failed after HandleSubmit.
#
#   OPEN --bind_*--> BINDING --bind_accepted--> BOUND_TX | BOUND_RX | BOUND_TRX
#                      \--bind_refused--> OPEN       (the ESME may try again)
#   any --unbind, bad command_length, connection_lost--> CLOSED (input ignored from then)
#
# A second bind gets ESME_RALYBND, submit_sm/data_sm outside TX/TRX get ESME_RINVBNDSTS,
# enquire_link is answered in every state. While BINDING, later input waits in a backlog
# until the bind's answer, so pipelined PDUs see the state the bind leads to.
# deliver() turns a Deliver into one deliver_sm per segment, each with a fresh sequence
# number; the delivery resolves once every segment's deliver_sm_resp (or generic_nack) is
# in, with the first non-zero status. At most `window` deliver_sm (the account's) are
# outstanding; the rest wait in order and go out as responses come back. query_sm,
# cancel_sm, replace_sm and submit_multi become HandleOperation for the backend. Error
# responses are header-only, as SMPP 3.4 asks.

from __future__ import annotations

import enum
from collections import deque

from gateway.sms.codec import PDU, PDUFramer, decode, encode, response_name, with_sequence
from gateway.sms.errors import CommandStatus as S
from gateway.sms.errors import FramingError, LocalProtocolError, RemoteProtocolError
from gateway.sms.events import (
    Account,
    Authenticate,
    BindKind,
    Close,
    Command,
    Deliver,
    DeliveryAborted,
    DeliveryResolved,
    HandleOperation,
    HandleSubmit,
    RegisterBind,
    SendPDU,
    SubmitRequest,
    UnregisterBind,
    Warn,
)
from gateway.sms.pdus import COMMANDS_BY_ID
from gateway.sms.reassembly import part_of
from gateway.sms.text import UDHI, decode_text, encode_text, segments, split_udh

MAX_SEQUENCE = 0x7FFFFFFF
SMPP_VERSION_34 = 0x34


class State(enum.Enum):
    OPEN = "open"
    BINDING = "binding"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    CLOSED = "closed"


_BOUND_STATE = {
    BindKind.TRANSMITTER: State.BOUND_TX,
    BindKind.RECEIVER: State.BOUND_RX,
    BindKind.TRANSCEIVER: State.BOUND_TRX,
}
_CAN_SUBMIT = frozenset({State.BOUND_TX, State.BOUND_TRX})
_CAN_RECEIVE = frozenset({State.BOUND_RX, State.BOUND_TRX})
DEFAULT_WINDOW = 10
UNKNOWN_STATE = 7  # message_state of a query_sm_resp that found nothing


class SMSCSession:
    """The SMSC state machine of one ESME connection."""

    def __init__(self, system_id: str = "SMSC") -> None:
        self.system_id = system_id
        self.state = State.OPEN
        self.account: Account | None = None
        self.bind_kind: BindKind | None = None
        self._framer = PDUFramer()
        self._backlog: deque[bytes | PDU | RemoteProtocolError] = deque()
        self._sequence = 0
        self._pending_bind: tuple[int, BindKind, int] | None = None
        self._outstanding: dict[int, int] = {}  # deliver_sm sequence -> delivery id
        self._deliveries: dict[int, list[int]] = {}  # delivery id -> [segments left, status]
        self._last_delivery = 0
        self._concat_ref = 0
        self.window = DEFAULT_WINDOW
        # (delivery id, deliver_sm params, its encoding with sequence 0 or None)
        self._queue: deque[tuple[int, dict, bytes | None]] = deque()

    @property
    def can_receive(self) -> bool:
        return self.state in _CAN_RECEIVE

    # -- input ------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Command]:
        """Bytes from the socket: frame, decode and handle every whole PDU."""
        if self.state is State.CLOSED:
            return []
        try:
            self._backlog.extend(self._framer.feed(data))
        except FramingError as e:
            self._backlog.extend(e.frames)
            self._backlog.append(e)
        return self._drain()

    def receive_pdu(self, pdu: PDU) -> list[Command]:
        """A decoded PDU; held back, like everything, while a bind awaits its answer."""
        if self.state is State.CLOSED:
            return []
        self._backlog.append(pdu)
        return self._drain()

    def receive_error(self, error: RemoteProtocolError) -> list[Command]:
        """A PDU that could not be decoded: answer it, or close when the stream is lost."""
        if self.state is State.CLOSED:
            return []
        self._backlog.append(error)
        return self._drain()

    def connection_lost(self, reason: str = "connection lost") -> list[Command]:
        if self.state is State.CLOSED:
            return []
        return self._shut(reason)[:-1]  # no Close: the connection is already gone

    # -- answers from the backend -------------------------------------------------

    def bind_accepted(self, account: Account) -> list[Command]:
        if self.state is not State.BINDING or self._pending_bind is None:
            return []
        sequence, kind, version = self._pending_bind
        self._pending_bind = None
        self.state, self.account, self.bind_kind = _BOUND_STATE[kind], account, kind
        self.window = max(1, account.window)
        params: dict[str, object] = {"system_id": self.system_id}
        if version >= SMPP_VERSION_34:
            params["sc_interface_version"] = SMPP_VERSION_34
        resp = PDU(kind.value + "_resp", 0, sequence, params)
        return [SendPDU(resp), RegisterBind(account, kind), *self._drain()]

    def bind_refused(self, status: int) -> list[Command]:
        if self.state is not State.BINDING or self._pending_bind is None:
            return []
        sequence, kind, _ = self._pending_bind
        self._pending_bind, self.state = None, State.OPEN
        return [SendPDU(PDU(kind.value + "_resp", status, sequence)), *self._drain()]

    def submit_succeeded(self, handle: HandleSubmit, message_id: str) -> list[Command]:
        if self.state is State.CLOSED:
            return []
        params = {"message_id": message_id}
        return [SendPDU(PDU(handle.command + "_resp", 0, handle.sequence, params))]

    def submit_failed(self, handle: HandleSubmit, status: int) -> list[Command]:
        if self.state is State.CLOSED:
            return []
        return [SendPDU(PDU(handle.command + "_resp", status, handle.sequence))]

    def operation_succeeded(self, handle: HandleOperation, params: dict) -> list[Command]:
        if self.state is State.CLOSED:
            return []
        return [SendPDU(PDU(handle.command + "_resp", 0, handle.sequence, params))]

    def operation_failed(self, handle: HandleOperation, status: int) -> list[Command]:
        if self.state is State.CLOSED:
            return []
        params: dict[str, object] = {}
        if handle.command == "query_sm":
            # Unlike submit_sm_resp, SMPP 3.4 never says a failed query_sm_resp drops its body,
            # and some ESME codecs (Jasmin's) cannot read one without it.
            params = {"message_id": str(handle.params.get("message_id", "")), "final_date": "",
                      "message_state": UNKNOWN_STATE, "error_code": 0}
        return [SendPDU(PDU(handle.command + "_resp", status, handle.sequence, params))]

    @property
    def queued(self) -> int:
        """deliver_sm waiting for room in the window."""
        return len(self._queue)

    @property
    def outstanding(self) -> int:
        """deliver_sm sent and not answered yet (at most `window`)."""
        return len(self._outstanding)

    # -- output ---------------------------------------------------------------------

    def deliver(self, message: Deliver) -> tuple[int, list[Command]]:
        """deliver_sm PDUs for one message (one per segment) and the id that resolves them."""
        if self.state not in _CAN_RECEIVE:
            raise LocalProtocolError(S.ESME_RINVBNDSTS, f"deliver_sm on a {self.state.value} bind")
        if message.ussd_service_op is not None or message.esm_class & 0x3C:
            # One USSD string or one receipt (esm_class message type bits): never segmented.
            parts = [(0, *encode_text(message.text))]
        else:
            self._concat_ref = (self._concat_ref + 1) & 0xFF
            try:
                parts = segments(message.text, self._concat_ref)
            except ValueError as e:
                raise LocalProtocolError(S.ESME_RINVMSGLEN, str(e)) from e
        base = _deliver_params(message)
        each = [
            dict(
                base, esm_class=message.esm_class | esm_class, data_coding=coding, short_message=sm
            )
            for esm_class, coding, sm in parts
        ]
        # Segments differ only in what segments() made fit, so one trial encoding finds an
        # address or TLV the wire cannot carry, before anything is outstanding; it is also
        # what goes out for the first segment, its sequence number patched in.
        first = encode(PDU("deliver_sm", 0, 0, each[0]))
        self._last_delivery += 1
        delivery_id = self._last_delivery
        self._queue.extend((delivery_id, params, None if index else first) for index, params in enumerate(each))
        self._deliveries[delivery_id] = [len(parts), 0]
        return delivery_id, self._pump()

    def _pump(self) -> list[Command]:
        """Send queued deliver_sm while the window has room."""
        out: list[Command] = []
        while self._queue and len(self._outstanding) < self.window:
            delivery_id, params, wire = self._queue.popleft()
            sequence = self._next_sequence()
            self._outstanding[sequence] = delivery_id
            out.append(SendPDU(PDU("deliver_sm", 0, sequence, params),
                               None if wire is None else with_sequence(wire, sequence)))
        return out

    # -- handlers, by command -----------------------------------------------------

    def _on_bind_transmitter(self, pdu: PDU) -> list[Command]:
        return self._bind(pdu, BindKind.TRANSMITTER)

    def _on_bind_receiver(self, pdu: PDU) -> list[Command]:
        return self._bind(pdu, BindKind.RECEIVER)

    def _on_bind_transceiver(self, pdu: PDU) -> list[Command]:
        return self._bind(pdu, BindKind.TRANSCEIVER)

    def _on_enquire_link(self, pdu: PDU) -> list[Command]:
        # Answered before bind too: harmless, and some ESMEs probe the link that way.
        return [SendPDU(PDU("enquire_link_resp", 0, pdu.sequence))]

    def _on_unbind(self, pdu: PDU) -> list[Command]:
        # Also in OPEN: the ESME wants to leave either way, so let it go politely.
        return [SendPDU(PDU("unbind_resp", 0, pdu.sequence)), *self._shut("unbind")]

    def _on_submit_sm(self, pdu: PDU) -> list[Command]:
        if self.state not in _CAN_SUBMIT:
            return [self._reject(pdu.command, S.ESME_RINVBNDSTS, pdu.sequence)]
        return [HandleSubmit(pdu.sequence, submit_request(pdu), pdu.command)]

    _on_data_sm = _on_submit_sm

    def _on_query_sm(self, pdu: PDU) -> list[Command]:
        # query_sm, cancel_sm, replace_sm, submit_multi: transmitter operations the backend answers.
        if self.state not in _CAN_SUBMIT:
            return [self._reject(pdu.command, S.ESME_RINVBNDSTS, pdu.sequence)]
        return [HandleOperation(pdu.sequence, pdu.command, dict(pdu.params))]

    _on_cancel_sm = _on_replace_sm = _on_submit_multi = _on_query_sm

    def _on_deliver_sm_resp(self, pdu: PDU) -> list[Command]:
        if pdu.sequence not in self._outstanding:
            return [Warn(f"deliver_sm_resp for unknown sequence {pdu.sequence}")]
        return self._resolve(pdu.sequence, pdu.status)

    def _on_generic_nack(self, pdu: PDU) -> list[Command]:
        # Never answered; it only matters when it refuses one of our deliver_sm.
        return self._resolve(pdu.sequence, pdu.status) if pdu.sequence in self._outstanding else []

    def _on_enquire_link_resp(self, pdu: PDU) -> list[Command]:
        return []

    # -- helpers ----------------------------------------------------------------------

    def _drain(self) -> list[Command]:
        # While BINDING the rest of the input waits, so that a submit_sm pipelined behind
        # its bind_transmitter is judged in the state the bind leads to.
        out: list[Command] = []
        backlog = self._backlog
        while backlog and self.state is not State.BINDING and self.state is not State.CLOSED:
            item = backlog.popleft()
            if isinstance(item, PDU):
                out += self._handle_pdu(item)
            elif isinstance(item, RemoteProtocolError):
                out += self._handle_error(item)
            else:
                try:
                    pdu = decode(item)
                except RemoteProtocolError as e:
                    out += self._handle_error(e)
                else:
                    out += self._handle_pdu(pdu)
        return out

    def _handle_pdu(self, pdu: PDU) -> list[Command]:
        handler = getattr(self, "_on_" + pdu.command, None)
        if handler is not None:
            return handler(pdu)
        if pdu.is_response:
            return [Warn(f"unexpected {pdu.command} (sequence {pdu.sequence}) ignored")]
        # Commands only an SMSC sends (deliver_sm, outbind, alert_notification).
        return [self._reject(pdu.command, S.ESME_RINVCMDID, pdu.sequence)]

    def _handle_error(self, error: RemoteProtocolError) -> list[Command]:
        if isinstance(error, FramingError):
            nack = PDU("generic_nack", error.status, error.sequence)
            return [SendPDU(nack), *self._shut(f"garbage on the wire: {error.message}")]
        spec = COMMANDS_BY_ID.get(error.command_id) if error.command_id is not None else None
        if spec is None:
            return [SendPDU(PDU("generic_nack", error.status, error.sequence))]
        if spec.is_response:
            out: list[Command] = [Warn(f"malformed {spec.name}: {error.message}")]
            if error.sequence in self._outstanding:
                out += self._resolve(error.sequence, error.status)
            return out
        return [self._reject(spec.name, error.status, error.sequence)]

    def _bind(self, pdu: PDU, kind: BindKind) -> list[Command]:
        if self.state is not State.OPEN:
            return [self._reject(pdu.command, S.ESME_RALYBND, pdu.sequence)]
        params = pdu.params
        self.state = State.BINDING
        self._pending_bind = (pdu.sequence, kind, int(params.get("interface_version", 0)))
        return [
            Authenticate(str(params.get("system_id", "")), str(params.get("password", "")), kind)
        ]

    def _reject(self, command: str, status: int, sequence: int) -> SendPDU:
        """Header-only error response, or generic_nack for a command nothing answers."""
        return SendPDU(PDU(response_name(command) or "generic_nack", status, sequence))

    def _resolve(self, sequence: int, status: int) -> list[Command]:
        delivery_id = self._outstanding.pop(sequence)
        out = self._pump()
        entry = self._deliveries[delivery_id]
        entry[0] -= 1
        if status and not entry[1]:
            entry[1] = status
        if entry[0]:
            return out
        del self._deliveries[delivery_id]
        return [*out, DeliveryResolved(delivery_id, entry[1])]

    def _shut(self, reason: str) -> list[Command]:
        out: list[Command] = []
        if self.state in _BOUND_STATE.values():
            out.append(UnregisterBind(reason))
        self.state = State.CLOSED
        out += [DeliveryAborted(d, reason) for d in self._deliveries]
        self._deliveries.clear()
        self._outstanding.clear()
        self._queue.clear()
        self._backlog.clear()
        out.append(Close(reason))
        return out

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % MAX_SEQUENCE + 1
        return self._sequence


def submit_request(pdu: PDU) -> SubmitRequest:
    """The SubmitRequest of a submit_sm or data_sm: text decoded, UDH stripped; a segment of
    a long message carries its Part (the service reassembles)."""
    p = pdu.params
    data = p.get("short_message") or p.get("message_payload") or b""
    esm_class = p.get("esm_class", 0)
    if esm_class & UDHI:
        _, data = split_udh(data)
    data_coding = p.get("data_coding", 0)
    part = part_of(p)
    return SubmitRequest(
        source_addr=p.get("source_addr", ""),
        source_ton=p.get("source_addr_ton", 0),
        source_npi=p.get("source_addr_npi", 0),
        destination_addr=p.get("destination_addr", ""),
        dest_ton=p.get("dest_addr_ton", 0),
        dest_npi=p.get("dest_addr_npi", 0),
        text=decode_text(data_coding, data),
        data_coding=data_coding,
        esm_class=esm_class,
        registered_delivery=p.get("registered_delivery", 0),
        ussd_service_op=p.get("ussd_service_op"),
        its_session_info=p.get("its_session_info"),
        service_type=p.get("service_type", ""),
        part=part,
        validity_period=str(p.get("validity_period", "") or ""),
        schedule_delivery_time=str(p.get("schedule_delivery_time", "") or ""),
    )


def address_ton_npi(address: str) -> tuple[str, int, int]:
    """(address, TON, NPI) as CONTRACT.md sends them: MSISDNs 1/1, short numbers 3/0."""
    digits = address.removeprefix("+")
    if not address:
        return address, 0, 0
    if digits.isdigit() and len(digits) >= 10:
        return digits, 1, 1  # international, ISDN/E.164
    if all(c in "0123456789*#" for c in address):
        return address, 3, 0  # network specific: short numbers, service codes
    return address, 5, 0  # alphanumeric sender


def _deliver_params(m: Deliver) -> dict[str, object]:
    source, source_ton, source_npi = address_ton_npi(m.source_addr)
    dest, dest_ton, dest_npi = address_ton_npi(m.destination_addr)
    params: dict[str, object] = {
        "service_type": "USSD" if m.ussd_service_op is not None else "",
        "source_addr_ton": source_ton,
        "source_addr_npi": source_npi,
        "source_addr": source,
        "dest_addr_ton": dest_ton,
        "dest_addr_npi": dest_npi,
        "destination_addr": dest,
    }
    tlvs = {
        "ussd_service_op": m.ussd_service_op,
        "its_session_info": m.its_session_info,
        "receipted_message_id": m.receipted_message_id,
        "message_state": m.message_state,
    }
    params.update((k, v) for k, v in tlvs.items() if v is not None)
    return params
