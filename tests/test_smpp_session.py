"""The sans-IO SMSC session, driven directly: PDUs in, commands out."""

from __future__ import annotations

import struct

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gateway.sms.codec import PDU, encode
from gateway.sms.errors import CommandStatus as S
from gateway.sms.errors import LocalProtocolError
from gateway.sms.events import (
    Account,
    Authenticate,
    BindKind,
    Close,
    Deliver,
    DeliveryAborted,
    DeliveryResolved,
    HandleOperation,
    HandleSubmit,
    RegisterBind,
    Role,
    SendPDU,
    SubmitRequest,
    UnregisterBind,
    Warn,
)
from gateway.sms.session import MAX_SEQUENCE, SMSCSession, State, address_ton_npi
from gateway.sms.text import UDHI

ACCOUNT = Account("handsets", "handsets", Role.MOBILE)
BIND = {"system_id": "handsets", "password": "handsets", "interface_version": 0x34}


def bound(kind: BindKind = BindKind.TRANSCEIVER) -> SMSCSession:
    session = SMSCSession("SIM")
    session.receive_pdu(PDU(kind.value, 0, 1, BIND))
    session.bind_accepted(ACCOUNT)
    return session


def sent(commands) -> list[PDU]:
    return [c.pdu for c in commands if isinstance(c, SendPDU)]


def submit(sequence: int = 5, command: str = "submit_sm", **params) -> PDU:
    base = {"source_addr": "79261234567", "destination_addr": "000110", "short_message": b"00"}
    return PDU(command, 0, sequence, base | params)


# -- binds ---------------------------------------------------------------------------------


def test_bind_asks_for_authentication_then_answers():
    session = SMSCSession("SIM")
    assert session.receive_pdu(PDU("bind_transceiver", 0, 1, BIND)) == [
        Authenticate("handsets", "handsets", BindKind.TRANSCEIVER)
    ]
    assert session.state is State.BINDING
    out = session.bind_accepted(ACCOUNT)
    assert out == [
        SendPDU(
            PDU("bind_transceiver_resp", 0, 1, {"system_id": "SIM", "sc_interface_version": 0x34})
        ),
        RegisterBind(ACCOUNT, BindKind.TRANSCEIVER),
    ]
    assert session.state is State.BOUND_TRX and session.can_receive


def test_no_sc_interface_version_for_an_smpp_33_esme():
    session = SMSCSession("SIM")
    session.receive_pdu(PDU("bind_transmitter", 0, 1, BIND | {"interface_version": 0x33}))
    assert sent(session.bind_accepted(ACCOUNT)) == [
        PDU("bind_transmitter_resp", 0, 1, {"system_id": "SIM"})
    ]


def test_refused_bind_is_header_only_and_the_esme_may_retry():
    session = SMSCSession()
    session.receive_pdu(PDU("bind_receiver", 0, 1, BIND))
    assert session.bind_refused(S.ESME_RINVPASWD) == [
        SendPDU(PDU("bind_receiver_resp", S.ESME_RINVPASWD, 1))
    ]
    assert session.state is State.OPEN
    assert isinstance(session.receive_pdu(PDU("bind_receiver", 0, 2, BIND))[0], Authenticate)


@pytest.mark.parametrize("kind", list(BindKind))
def test_second_bind_is_already_bound(kind):
    session = bound()
    assert sent(session.receive_pdu(PDU(kind.value, 0, 9, BIND))) == [
        PDU(kind.value + "_resp", S.ESME_RALYBND, 9)
    ]


def test_input_waits_while_the_bind_is_checked():
    session = SMSCSession()
    stream = encode(PDU("bind_transmitter", 0, 1, BIND)) + encode(submit(2))
    assert [type(c) for c in session.receive_data(stream)] == [Authenticate]
    out = session.bind_accepted(ACCOUNT)
    assert [type(c) for c in out] == [SendPDU, RegisterBind, HandleSubmit]


# -- submits ---------------------------------------------------------------------------------


def test_submit_before_bind_is_invalid_bind_status():
    assert sent(SMSCSession().receive_pdu(submit(3))) == [
        PDU("submit_sm_resp", S.ESME_RINVBNDSTS, 3)
    ]


@pytest.mark.parametrize("command", ["submit_sm", "data_sm"])
def test_a_receiver_cannot_submit(command):
    out = bound(BindKind.RECEIVER).receive_pdu(submit(3, command))
    assert sent(out) == [PDU(command + "_resp", S.ESME_RINVBNDSTS, 3)]


def test_submit_is_handed_over_decoded_and_answered_with_the_message_id():
    session = bound(BindKind.TRANSMITTER)
    [handle] = session.receive_pdu(
        submit(5, short_message="Баланс".encode("utf-16-be"), data_coding=8, service_type="USSD",
               ussd_service_op=2, its_session_info=0x0100, source_addr_ton=1, source_addr_npi=1,
               dest_addr_ton=3, registered_delivery=1)
    )  # fmt: skip
    assert handle == HandleSubmit(5, SubmitRequest(
        source_addr="79261234567", source_ton=1, source_npi=1, destination_addr="000110",
        dest_ton=3, dest_npi=0, text="Баланс", data_coding=8, esm_class=0,
        registered_delivery=1, ussd_service_op=2, its_session_info=0x0100, service_type="USSD",
    ))  # fmt: skip
    assert sent(session.submit_succeeded(handle, "m1")) == [
        PDU("submit_sm_resp", 0, 5, {"message_id": "m1"})
    ]
    assert sent(session.submit_failed(handle, S.ESME_RINVDSTADR)) == [
        PDU("submit_sm_resp", S.ESME_RINVDSTADR, 5)
    ]


def test_submit_text_from_payload_and_without_udh():
    session = bound()
    [handle] = session.receive_pdu(submit(short_message=b"", message_payload=b"\x00\x1be"))
    assert handle.request.text == "@€"
    udh = bytes([5, 0, 3, 1, 2, 1])
    [handle] = session.receive_pdu(submit(short_message=udh + b"part", esm_class=UDHI))
    assert handle.request.text == "part" and handle.request.esm_class == UDHI


def test_data_sm_is_answered_with_data_sm_resp():
    session = bound()
    [handle] = session.receive_pdu(submit(8, "data_sm", short_message=None, message_payload=b"00"))
    assert handle.command == "data_sm" and handle.request.text == "00"
    assert sent(session.submit_succeeded(handle, "7")) == [
        PDU("data_sm_resp", 0, 8, {"message_id": "7"})
    ]


@pytest.mark.parametrize("command", ["query_sm", "cancel_sm", "replace_sm", "submit_multi"])
def test_transmitter_operations_go_to_the_backend_and_are_answered(command):
    session = bound()
    [handle] = session.receive_pdu(PDU(command, 0, 4, {"message_id": "12"}))
    assert handle == HandleOperation(4, command, {"message_id": "12"})
    [failed] = sent(session.operation_failed(handle, S.ESME_RQUERYFAIL))
    assert (failed.command, failed.status, failed.sequence) == (command + "_resp", S.ESME_RQUERYFAIL, 4)
    assert failed.params == ({"message_id": "12", "final_date": "", "message_state": 7, "error_code": 0}
                             if command == "query_sm" else {})
    assert sent(session.operation_succeeded(handle, {})) == [PDU(command + "_resp", 0, 4, {})]


@pytest.mark.parametrize("command", ["query_sm", "cancel_sm", "replace_sm", "submit_multi"])
def test_transmitter_operations_on_a_receiver_bind_get_invalid_bind_status(command):
    session = bound(BindKind.RECEIVER)
    assert sent(session.receive_pdu(PDU(command, 0, 4, {}))) == [PDU(command + "_resp", S.ESME_RINVBNDSTS, 4)]


def test_udh_segment_carries_its_part_and_its_own_text():
    udh = bytes([5, 0, 3, 0x2A, 3, 2])
    [handle] = bound().receive_pdu(submit(short_message=udh + b"middle", esm_class=UDHI))
    part = handle.request.part
    assert (part.key, part.total, part.seqnum, part.payload) == (("79261234567", "000110", 0x2A), 3, 2, b"middle")
    assert handle.request.text == "middle"


def test_sar_segment_with_16_bit_reference_carries_its_part():
    [handle] = bound().receive_pdu(submit(short_message=b"tail", sar_msg_ref_num=0xBEEF,
                                          sar_total_segments=2, sar_segment_seqnum=2))
    assert handle.request.part.key[2] == 0xBEEF and handle.request.part.seqnum == 2


def test_whole_message_in_message_payload_has_no_part():
    [handle] = bound().receive_pdu(submit(short_message=None, message_payload=b"x" * 300))
    assert handle.request.part is None and handle.request.text == "x" * 300


def test_window_holds_deliver_sm_beyond_it_until_responses_come_back():
    session = SMSCSession("SIM")
    session.receive_pdu(PDU("bind_transceiver", 0, 1, BIND))
    session.bind_accepted(Account("app", "app", Role.APPLICATION, window=2))
    first, out1 = session.deliver(Deliver("7000", "79261234567", "one"))
    second, out2 = session.deliver(Deliver("7000", "79261234567", "two"))
    third, out3 = session.deliver(Deliver("7000", "79261234567", "three"))
    assert [p.sequence for p in sent(out1 + out2)] == [1, 2] and out3 == [] and session.queued == 1
    released = session.receive_pdu(PDU("deliver_sm_resp", 0, 2, {}))
    [pdu] = sent(released)
    assert pdu.params["short_message"] == b"three" and pdu.sequence == 3
    assert DeliveryResolved(second, 0) in released and session.queued == 0
    assert session.receive_pdu(PDU("deliver_sm_resp", 0, 1, {})) == [DeliveryResolved(first, 0)]
    assert session.receive_pdu(PDU("deliver_sm_resp", 0, 3, {})) == [DeliveryResolved(third, 0)]


def test_a_deliver_sm_goes_out_as_its_trial_encoding_with_its_sequence_number_patched_in():
    session = SMSCSession("SIM")
    session.receive_pdu(PDU("bind_transceiver", 0, 1, BIND))
    session.bind_accepted(Account("app", "app", Role.APPLICATION, window=1))
    _, out = session.deliver(Deliver("7000", "79261234567", "x" * 400))  # three segments
    session.deliver(Deliver("7000", "79261234567", "two"))  # behind them in the window's queue
    commands = [c for c in out if isinstance(c, SendPDU)]
    for sequence in (1, 2, 3):
        commands += [c for c in session.receive_pdu(PDU("deliver_sm_resp", 0, sequence, {}))
                     if isinstance(c, SendPDU)]
    assert [c.pdu.sequence for c in commands] == [1, 2, 3, 4]
    assert [c.wire is not None for c in commands] == [True, False, False, True]  # each message's first
    assert all(c.wire == encode(c.pdu) for c in commands if c.wire is not None)


def test_window_queue_is_aborted_with_the_connection():
    session = SMSCSession("SIM")
    session.receive_pdu(PDU("bind_transceiver", 0, 1, BIND))
    session.bind_accepted(Account("app", "app", Role.APPLICATION, window=1))
    first, _ = session.deliver(Deliver("7000", "79261234567", "one"))
    second, _ = session.deliver(Deliver("7000", "79261234567", "two"))
    aborted = session.connection_lost("gone")
    assert {c.delivery_id for c in aborted if isinstance(c, DeliveryAborted)} == {first, second}
    assert session.queued == 0


def test_malformed_request_is_answered_and_the_session_goes_on():
    session = bound()
    bad = encode(submit(6, destination_addr="1" * 20))[:-3]  # short_message cut short
    bad = struct.pack(">I", len(bad)) + bad[4:]
    out = session.receive_data(bad + encode(PDU("enquire_link", 0, 7)))
    assert sent(out) == [
        PDU("submit_sm_resp", S.ESME_RINVMSGLEN, 6),
        PDU("enquire_link_resp", 0, 7),
    ]
    assert session.state is State.BOUND_TRX


# -- link management ------------------------------------------------------------------------


@pytest.mark.parametrize("session", [SMSCSession(), bound()], ids=["open", "bound"])
def test_enquire_link_is_answered_in_any_state(session):
    assert sent(session.receive_pdu(PDU("enquire_link", 0, 3))) == [PDU("enquire_link_resp", 0, 3)]


def test_unbind_answers_releases_and_closes():
    session = bound()
    out = session.receive_pdu(PDU("unbind", 0, 4))
    assert out == [SendPDU(PDU("unbind_resp", 0, 4)), UnregisterBind("unbind"), Close("unbind")]
    assert session.state is State.CLOSED
    assert session.receive_pdu(PDU("enquire_link", 0, 5)) == []
    assert session.connection_lost() == []


def test_garbage_length_nacks_and_closes():
    session = bound()
    out = session.receive_data(struct.pack(">IIII", 5, 4, 0, 12))
    assert out[0] == SendPDU(PDU("generic_nack", S.ESME_RINVCMDLEN, 12))
    assert [type(c) for c in out[1:]] == [UnregisterBind, Close]


def test_unknown_command_is_nacked_and_the_link_kept():
    session = bound()
    out = session.receive_data(struct.pack(">IIII", 16, 0x77, 0, 13))
    assert sent(out) == [PDU("generic_nack", S.ESME_RINVCMDID, 13)]
    assert session.state is State.BOUND_TRX


def test_commands_only_an_smsc_sends_are_refused():
    session = bound()
    assert sent(session.receive_pdu(PDU("deliver_sm", 0, 2, {}))) == [
        PDU("deliver_sm_resp", S.ESME_RINVCMDID, 2)
    ]
    assert sent(session.receive_pdu(PDU("outbind", 0, 3, {}))) == [
        PDU("generic_nack", S.ESME_RINVCMDID, 3)
    ]


def test_unexpected_responses_are_ignored():
    session = bound()
    assert session.receive_pdu(PDU("generic_nack", S.ESME_RINVCMDID, 9)) == []
    [warn] = session.receive_pdu(PDU("submit_sm_resp", 0, 9, {}))
    assert isinstance(warn, Warn)


# -- deliveries -------------------------------------------------------------------------------


def test_deliver_sm_carries_the_ussd_tlvs():
    session = bound()
    delivery, out = session.deliver(
        Deliver("79261234567", "105", "*105#", ussd_service_op=1, its_session_info=0x0200)
    )
    [pdu] = sent(out)
    assert pdu.command == "deliver_sm" and pdu.sequence == 1
    assert pdu.params == {
        "service_type": "USSD", "source_addr_ton": 1, "source_addr_npi": 1,
        "source_addr": "79261234567", "dest_addr_ton": 3, "dest_addr_npi": 0,
        "destination_addr": "105", "esm_class": 0, "data_coding": 0, "short_message": b"*105#",
        "ussd_service_op": 1, "its_session_info": 0x0200,
    }  # fmt: skip
    encode(pdu)  # and it fits the wire
    assert session.receive_pdu(PDU("deliver_sm_resp", 0, 1, {})) == [DeliveryResolved(delivery, 0)]


def test_receipt_fields():
    _, out = bound().deliver(Deliver("000110", "79261234567", "id:1 stat:DELIVRD", esm_class=4,
                                     receipted_message_id="1", message_state=2))  # fmt: skip
    [pdu] = sent(out)
    assert pdu.params["esm_class"] == 4 and pdu.params["service_type"] == ""
    assert (pdu.params["receipted_message_id"], pdu.params["message_state"]) == ("1", 2)


def test_long_deliver_resolves_after_every_segment_with_the_first_error():
    session = bound()
    delivery, out = session.deliver(Deliver("000110", "79261234567", "x" * 400))
    pdus = sent(out)
    assert [p.sequence for p in pdus] == [1, 2, 3]
    assert all(p.params["esm_class"] & UDHI for p in pdus)
    assert session.receive_pdu(PDU("deliver_sm_resp", 0, 2, {})) == []
    assert session.receive_pdu(PDU("generic_nack", S.ESME_RTHROTTLED, 1)) == []
    assert session.receive_pdu(PDU("deliver_sm_resp", S.ESME_RSYSERR, 3, {})) == [
        DeliveryResolved(delivery, S.ESME_RTHROTTLED)
    ]


def test_deliver_needs_a_receiving_bind():
    for session in (SMSCSession(), bound(BindKind.TRANSMITTER)):
        with pytest.raises(LocalProtocolError) as caught:
            session.deliver(Deliver("1", "2", "x"))
        assert caught.value.status == S.ESME_RINVBNDSTS


def test_deliver_refuses_what_the_wire_cannot_carry_before_sending_anything():
    session = bound()
    with pytest.raises(LocalProtocolError):
        session.deliver(Deliver("1" * 30, "79261234567", "x"))
    _, out = session.deliver(Deliver("7000", "79261234567", "x"))
    assert sent(out)[0].sequence == 1


def test_connection_loss_aborts_deliveries_and_releases_the_bind():
    session = bound()
    delivery, _ = session.deliver(Deliver("000110", "79261234567", "hi"))
    assert session.connection_lost("gone") == [
        UnregisterBind("gone"),
        DeliveryAborted(delivery, "gone"),
    ]


def test_sequence_numbers_wrap_to_one():
    session = bound()
    session._sequence = MAX_SEQUENCE - 1
    seqs = [sent(session.deliver(Deliver("1", "2", "x"))[1])[0].sequence for _ in range(3)]
    assert seqs == [MAX_SEQUENCE - 1 + 1, 1, 2]


@pytest.mark.parametrize(
    ("address", "expected"),
    [("79261234567", ("79261234567", 1, 1)), ("+79261234567", ("79261234567", 1, 1)),
     ("000110", ("000110", 3, 0)), ("*105#", ("*105#", 3, 0)), ("MTS", ("MTS", 5, 0)),
     ("", ("", 0, 0))],
)  # fmt: skip
def test_address_ton_npi(address, expected):
    assert address_ton_npi(address) == expected


# -- the whole machine, at random ------------------------------------------------------------


class SessionMachine(RuleBasedStateMachine):
    """Whatever the ESME does, every request gets exactly one answer with its sequence,
    binds are registered and unregistered in pairs, and a closed session stays silent."""

    def __init__(self) -> None:
        super().__init__()
        self.session = SMSCSession()
        self.sequence = 0
        self.asked: list[int] = []
        self.answered: list[int] = []
        self.pending: list[HandleSubmit | HandleOperation] = []
        self.registered = 0
        self.closed = False

    def feed(self, out) -> None:
        if self.closed:
            assert out == []
        for command in out:
            if isinstance(command, SendPDU) and command.pdu.status == S.ESME_RINVCMDLEN:
                pass  # the garbage's nack answers no request
            elif isinstance(command, SendPDU) and command.pdu.is_response:
                self.answered.append(command.pdu.sequence)
            elif isinstance(command, Authenticate):
                if command.password == "good":
                    self.feed(self.session.bind_accepted(ACCOUNT))
                else:
                    self.feed(self.session.bind_refused(S.ESME_RINVPASWD))
            elif isinstance(command, HandleSubmit | HandleOperation):
                self.pending.append(command)
            elif isinstance(command, RegisterBind):
                self.registered += 1
            elif isinstance(command, UnregisterBind):
                self.registered -= 1
            elif isinstance(command, Close):
                self.closed = True

    def request(self, command: str, params: dict | None = None) -> None:
        self.sequence += 1
        if not self.closed:
            self.asked.append(self.sequence)
        self.feed(self.session.receive_pdu(PDU(command, 0, self.sequence, params or {})))

    @rule(kind=st.sampled_from(list(BindKind)), good=st.booleans())
    def bind(self, kind, good):
        self.request(kind.value, {"system_id": "x", "password": "good" if good else "bad"})

    @rule(
        command=st.sampled_from(
            ["submit_sm", "data_sm", "query_sm", "enquire_link", "submit_multi"]
        )
    )
    def ask(self, command):
        self.request(command, {"short_message": b"hi"} if command == "submit_sm" else {})

    @precondition(lambda self: self.pending)
    @rule(ok=st.booleans())
    def backend_answers(self, ok):
        handle = self.pending.pop(0)
        if isinstance(handle, HandleOperation):
            self.feed(self.session.operation_succeeded(handle, {}) if ok
                      else self.session.operation_failed(handle, S.ESME_RQUERYFAIL))
        elif ok:
            self.feed(self.session.submit_succeeded(handle, "id"))
        else:
            self.feed(self.session.submit_failed(handle, S.ESME_RSYSERR))

    @precondition(lambda self: self.session.can_receive)
    @rule()
    def deliver(self):
        self.session.deliver(Deliver("7000", "79261234567", "hi"))

    @rule()
    def unbind(self):
        self.request("unbind")

    @rule()
    def garbage(self):
        self.feed(self.session.receive_data(b"\0\0\0\x03\0\0\0\0"))

    @invariant()
    def answers_match_requests(self):
        assert len(set(self.answered)) == len(self.answered)  # never twice
        assert set(self.answered) <= set(self.asked)
        if not self.closed:  # once closed, submits still at the backend go unanswered
            waiting = {h.sequence for h in self.pending}
            assert sorted(self.answered) == [s for s in self.asked if s not in waiting]

    @invariant()
    def binds_balance(self):
        assert self.registered == (1 if self.session.state.name.startswith("BOUND") else 0)


TestSessionMachine = SessionMachine.TestCase
