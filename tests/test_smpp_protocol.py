"""The SMSC's Twisted adapter over StringTransport, with a fake backend and a task.Clock."""

from __future__ import annotations

import struct

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from gateway.sms.codec import PDU, PDUFramer, decode, encode
from gateway.sms.errors import BindRefused, SmppError
from gateway.sms.errors import CommandStatus as S
from gateway.sms.events import Account, Deliver, Role, SubmitRequest
from gateway.sms.protocol import SMSCFactory, SMSCProtocol
from gateway.sms.service_port import Bind

HANDSETS = Account("handsets", "handsets", Role.MOBILE)
APP = Account("app", "app", Role.APPLICATION, owns=("7000",))


class FakeBackend:
    """An SmscBackend that keeps everything in lists; the test decides when submits finish."""

    def __init__(self) -> None:
        self.accounts = {a.system_id: a for a in (HANDSETS, APP)}
        self.opened: list[Bind] = []
        self.closed: list[Bind] = []
        self.submits: list[tuple[Account, SubmitRequest, Deferred[str]]] = []
        self.operations: list[tuple[str, dict, Deferred[dict]]] = []

    def authenticate(self, system_id: str, password: str) -> Account:
        account = self.accounts.get(system_id)
        if account is None:
            raise BindRefused(S.ESME_RINVSYSID)
        if account.password != password:
            raise BindRefused(S.ESME_RINVPASWD)
        return account

    def bind_opened(self, bind: Bind) -> None:
        self.opened.append(bind)

    def bind_closed(self, bind: Bind) -> None:
        self.closed.append(bind)

    def submit(self, account: Account, request: SubmitRequest, bind: Bind | None = None) -> Deferred[str]:
        stored: Deferred[str] = Deferred()
        self.submits.append((account, request, stored))
        return stored

    def operate(self, account: Account, command: str, params: dict) -> Deferred[dict]:
        answered: Deferred[dict] = Deferred()
        self.operations.append((command, params, answered))
        return answered


class NoDelayTransport(StringTransport):
    """StringTransport that also remembers TCP_NODELAY, as a TCP transport offers it."""

    no_delay = False

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.no_delay = enabled


class Esme:
    """The far end: writes PDUs into the protocol and reads what it answered."""

    def __init__(self, backend: FakeBackend | None = None) -> None:
        self.backend = backend or FakeBackend()
        self.clock = Clock()
        factory = SMSCFactory(self.backend, self.clock)
        self.protocol: SMSCProtocol = factory.buildProtocol(IPv4Address("TCP", "10.0.0.1", 4000))
        self.transport = NoDelayTransport()
        self.protocol.makeConnection(self.transport)
        self.sequence = 0

    def send(self, command: str, params: dict | None = None, status: int = 0, sequence=None) -> int:
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        self.protocol.dataReceived(encode(PDU(command, status, sequence, params or {})))
        return sequence

    def received(self) -> list[PDU]:
        frames = PDUFramer().feed(self.transport.value())
        self.transport.clear()
        return [decode(f) for f in frames]

    def bind(
        self,
        kind: str = "bind_transceiver",
        system_id: str = "handsets",
        password: str = "handsets",
    ):
        self.send(kind, {"system_id": system_id, "password": password, "interface_version": 0x34})
        return self.received()


SUBMIT = {"source_addr": "79261234567", "destination_addr": "000110", "short_message": b"00"}


def test_tcp_nodelay_is_set():
    assert Esme().transport.no_delay


def test_bind_ok():
    esme = Esme()
    assert esme.bind() == [
        PDU("bind_transceiver_resp", 0, 1, {"system_id": "SMSC", "sc_interface_version": 0x34})
    ]
    [bind] = esme.backend.opened
    assert bind.account == HANDSETS and bind.can_receive and bind.peer == "192.168.1.1:54321"


@pytest.mark.parametrize(
    ("system_id", "password", "status"),
    [("handsets", "wrong", S.ESME_RINVPASWD), ("nobody", "x", S.ESME_RINVSYSID)],
)
def test_refused_bind_keeps_the_connection_open(system_id, password, status):
    esme = Esme()
    esme.send("bind_transmitter", {"system_id": system_id, "password": password})
    assert esme.transport.value() == struct.pack(">IIII", 16, 0x80000002, status, 1)
    esme.transport.clear()
    assert not esme.transport.disconnecting and esme.backend.opened == []
    assert esme.bind("bind_transmitter")[0].status == 0  # and a retry may succeed


def test_submit_before_bind():
    esme = Esme()
    esme.send("submit_sm", SUBMIT)
    assert esme.received() == [PDU("submit_sm_resp", S.ESME_RINVBNDSTS, 1, {})]
    assert esme.backend.submits == []


def test_submit_is_answered_once_the_backend_has_stored_it():
    esme = Esme()
    esme.bind("bind_transmitter")
    seq = esme.send("submit_sm", SUBMIT)
    [(account, request, stored)] = esme.backend.submits
    assert account == HANDSETS and request.text == "00" and request.destination_addr == "000110"
    assert esme.received() == []  # not before it is durable
    stored.callback("m-1")
    assert esme.received() == [PDU("submit_sm_resp", 0, seq, {"message_id": "m-1"})]


def test_backend_refusal_becomes_the_status():
    esme = Esme()
    esme.bind()
    seq = esme.send("submit_sm", SUBMIT)
    esme.backend.submits[0][2].errback(SmppError(S.ESME_RINVDSTADR, "no such number"))
    assert esme.received() == [PDU("submit_sm_resp", S.ESME_RINVDSTADR, seq, {})]


def test_backend_crash_is_a_system_error():
    esme = Esme()
    esme.bind()
    seq = esme.send("submit_sm", SUBMIT)
    esme.backend.submits[0][2].errback(ZeroDivisionError())
    assert esme.received() == [PDU("submit_sm_resp", S.ESME_RSYSERR, seq, {})]


def test_an_unsendable_message_id_still_gets_an_answer():
    esme = Esme()
    esme.bind()
    seq = esme.send("submit_sm", SUBMIT)
    esme.backend.submits[0][2].callback("x" * 100)  # over message_id's 64 characters
    assert esme.received() == [PDU("submit_sm_resp", S.ESME_RSYSERR, seq, {})]


def test_a_backend_answering_at_once():
    backend = FakeBackend()
    backend.submit = lambda account, request, bind=None: succeed("now")
    esme = Esme(backend)
    esme.bind()
    seq = esme.send("submit_sm", SUBMIT)
    assert esme.received() == [PDU("submit_sm_resp", 0, seq, {"message_id": "now"})]


def test_enquire_link():
    esme = Esme()
    seq = esme.send("enquire_link")
    assert esme.received() == [PDU("enquire_link_resp", 0, seq, {})]


def test_unbind_answers_and_closes():
    esme = Esme()
    esme.bind()
    seq = esme.send("unbind")
    assert esme.received() == [PDU("unbind_resp", 0, seq, {})]
    assert esme.transport.disconnecting
    assert esme.backend.closed == esme.backend.opened and len(esme.backend.closed) == 1
    esme.protocol.connectionLost(Failure(ConnectionDone()))
    assert len(esme.backend.closed) == 1  # told once


def test_garbage_command_length_nacks_and_drops_the_connection():
    esme = Esme()
    esme.bind()
    esme.protocol.dataReceived(struct.pack(">IIII", 7, 4, 0, 3))
    assert esme.received() == [PDU("generic_nack", S.ESME_RINVCMDLEN, 3, {})]
    assert esme.transport.disconnecting and len(esme.backend.closed) == 1


def test_unknown_command_id_is_nacked_and_the_connection_kept():
    esme = Esme()
    esme.bind()
    esme.protocol.dataReceived(struct.pack(">IIII", 16, 0x42, 0, 5))
    assert esme.received() == [PDU("generic_nack", S.ESME_RINVCMDID, 5, {})]
    assert not esme.transport.disconnecting
    assert esme.send("enquire_link") and esme.received()[0].command == "enquire_link_resp"


def test_deliver_sends_deliver_sm_and_resolves_on_its_resp():
    esme = Esme()
    esme.bind()
    [bind] = esme.backend.opened
    results: list[int] = []
    bind.deliver(Deliver("7000", "79261234567", "Hi", ussd_service_op=2)).addCallback(
        results.append
    )
    [pdu] = esme.received()
    assert pdu.command == "deliver_sm" and pdu.params["ussd_service_op"] == 2
    assert pdu.params["short_message"] == b"Hi" and pdu.params["source_addr_ton"] == 3
    assert results == []
    esme.send("deliver_sm_resp", {"message_id": ""}, sequence=pdu.sequence)
    assert results == [0]


def test_long_deliver_is_sent_in_segments():
    esme = Esme()
    esme.bind()
    results: list[int] = []
    esme.backend.opened[0].deliver(Deliver("7000", "79261234567", "Ж" * 100)).addCallback(
        results.append
    )
    pdus = esme.received()
    assert len(pdus) == 2 and all(p.params["data_coding"] == 8 for p in pdus)
    for p in pdus:
        esme.send("deliver_sm_resp", sequence=p.sequence)
    assert results == [0]


def test_deliver_fails_when_the_connection_goes_first():
    esme = Esme()
    esme.bind()
    bind = esme.backend.opened[0]
    failures: list[Failure] = []
    bind.deliver(Deliver("7000", "79261234567", "Hi")).addErrback(failures.append)
    esme.protocol.connectionLost(Failure(ConnectionDone()))
    assert failures[0].check(ConnectionDone)
    assert esme.backend.closed == [bind] and not bind.can_receive
    late: list[Failure] = []
    bind.deliver(Deliver("7000", "79261234567", "Hi")).addErrback(late.append)
    assert late[0].check(ConnectionDone)


def test_a_transmitter_bind_cannot_receive():
    esme = Esme()
    esme.bind("bind_transmitter")
    bind = esme.backend.opened[0]
    assert not bind.can_receive
    failures: list[Failure] = []
    bind.deliver(Deliver("7000", "79261234567", "Hi")).addErrback(failures.append)
    assert failures[0].value.status == S.ESME_RINVBNDSTS


def test_query_sm_is_answered_with_what_the_backend_found():
    esme = Esme()
    esme.bind("bind_transmitter", "app", "app")
    seq = esme.send("query_sm", {"message_id": "42", "source_addr": "7000"})
    [(command, params, answered)] = esme.backend.operations
    assert command == "query_sm" and params["message_id"] == "42"
    assert esme.received() == []
    answered.callback({"message_id": "42", "final_date": "261125160000000+", "message_state": 2, "error_code": 0})
    [resp] = esme.received()
    assert (resp.command, resp.status, resp.sequence) == ("query_sm_resp", 0, seq)
    assert resp.params["message_state"] == 2 and resp.params["final_date"] == "261125160000000+"


def test_failed_query_sm_keeps_its_body_and_failed_cancel_sm_has_none():
    esme = Esme()
    esme.bind("bind_transmitter", "app", "app")
    query = esme.send("query_sm", {"message_id": "42"})
    cancel = esme.send("cancel_sm", {"message_id": "42"})
    esme.backend.operations[0][2].errback(SmppError(S.ESME_RQUERYFAIL))
    esme.backend.operations[1][2].errback(ZeroDivisionError())
    assert esme.received() == [
        PDU("query_sm_resp", S.ESME_RQUERYFAIL, query,
            {"message_id": "42", "final_date": "", "message_state": 7, "error_code": 0}),
        PDU("cancel_sm_resp", S.ESME_RSYSERR, cancel, {}),
    ]


def test_window_of_the_account_holds_deliver_sm_on_the_wire():
    backend = FakeBackend()
    backend.accounts["app"] = Account("app", "app", Role.APPLICATION, owns=("7000",), window=1)
    esme = Esme(backend)
    esme.bind("bind_receiver", "app", "app")
    bind = backend.opened[0]
    first, second = bind.deliver(Deliver("79261234567", "7000", "one")), bind.deliver(Deliver("79261234567", "7000", "two"))
    [pdu] = esme.received()
    assert pdu.params["short_message"] == b"one"
    esme.send("deliver_sm_resp", {"message_id": ""}, sequence=pdu.sequence)
    [pdu2] = esme.received()
    assert pdu2.params["short_message"] == b"two"
    esme.send("deliver_sm_resp", {"message_id": ""}, sequence=pdu2.sequence)
    assert first.called and second.called
