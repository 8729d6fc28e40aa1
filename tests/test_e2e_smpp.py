"""The SMSC over real sockets with smpplib as the ESME (R03 over SMPP, bad PDUs, accounts)."""

from __future__ import annotations

import socket
import struct

import pytest
import smpplib.client
import smpplib.consts as c
import smpplib.exceptions

from tests.gatewayproc import password_in

A = "79261234567"


def bound(gateway, system_id="handsets", password="handsets") -> smpplib.client.Client:
    client = smpplib.client.Client(*gateway.smpp, timeout=10, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id=system_id, password=password)
    return client


def submit_and_collect(client, want_deliveries=1, **fields):
    """Send one submit_sm; return its submit_sm_resp and the deliver_sm PDUs that follow."""
    sent, received = [], []
    client.set_message_sent_handler(lambda pdu: sent.append(pdu))
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    defaults = dict(source_addr_ton=1, source_addr_npi=1, dest_addr_ton=3, dest_addr_npi=0)
    client.send_message(**{**defaults, **fields})
    while not sent or len(received) < want_deliveries:
        client.read_once()
    return sent[0], received


def text_of(pdu) -> str:
    raw = pdu.short_message
    return raw.decode("utf-16-be") if pdu.data_coding == c.SMPP_ENCODING_ISO10646 else raw.decode("ascii")


@pytest.mark.parametrize("number", ["000110", "000105"])
def test_r03_sms_00_over_smpp_answers_with_password_deliver_sm(gateway, number):
    client = bound(gateway)
    resp, delivered = submit_and_collect(client, source_addr=A, destination_addr=number, short_message=b"00")
    assert resp.status == 0 and resp.message_id
    deliver = delivered[0]
    assert deliver.source_addr.decode() == number and deliver.destination_addr.decode() == A
    assert (deliver.source_addr_ton, deliver.dest_addr_ton) == (3, 1)
    password = password_in(text_of(deliver))
    assert gateway.inbox(A)[-1]["text"] == text_of(deliver)
    assert gateway.login("9261234567", password)[0] == 200
    client.unbind()
    client.disconnect()


def test_r03_password_requested_over_http_is_also_delivered_on_the_mobile_bind(gateway):
    client = bound(gateway)
    received = []
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    gateway.ussd(A, "*105*00#")
    while not received:
        client.read_once()
    assert password_in(text_of(received[0])) == password_in(gateway.inbox(A)[-1]["text"])
    client.disconnect()


def test_wrong_smpp_password_and_unknown_system_id_are_refused(gateway):
    client = smpplib.client.Client(*gateway.smpp, timeout=10, allow_unknown_opt_params=True)
    client.connect()
    with pytest.raises(smpplib.exceptions.PDUError) as refused:
        client.bind_transceiver(system_id="handsets", password="nope")
    assert refused.value.args[1] == c.SMPP_ESME_RINVPASWD
    with pytest.raises(smpplib.exceptions.PDUError) as refused:
        client.bind_transceiver(system_id="nobody", password="x")
    assert refused.value.args[1] == c.SMPP_ESME_RINVSYSID
    # The same connection may still bind correctly.
    client.bind_transceiver(system_id="handsets", password="handsets")
    client.disconnect()


def test_submit_from_unknown_handset_or_to_unknown_number_is_refused(gateway):
    client = bound(gateway)
    statuses = []
    client.set_error_pdu_handler(lambda pdu: statuses.append(pdu.status))
    client.send_message(source_addr="79990000000", destination_addr="000110", short_message=b"00",
                        source_addr_ton=1, source_addr_npi=1, dest_addr_ton=3, dest_addr_npi=0)
    client.send_message(source_addr=A, destination_addr="12", short_message=b"hi",
                        source_addr_ton=1, source_addr_npi=1, dest_addr_ton=3, dest_addr_npi=0)
    while len(statuses) < 2:
        client.read_once()
    # Responses may overtake each other: SMPP matches them by sequence number, not order.
    assert sorted(statuses) == sorted([c.SMPP_ESME_RINVSRCADR, c.SMPP_ESME_RINVDSTADR])
    client.disconnect()


def raw_connection(gateway) -> socket.socket:
    sock = socket.create_connection(gateway.smpp, timeout=10)
    return sock


def read_pdu(sock: socket.socket) -> tuple[int, int, int] | None:
    header = b""
    while len(header) < 16:
        chunk = sock.recv(16 - len(header))
        if not chunk:
            return None
        header += chunk
    length, command_id, status, sequence = struct.unpack(">LLLL", header)
    rest = length - 16
    while rest > 0:
        rest -= len(sock.recv(rest))
    return command_id, status, sequence


def test_garbage_pdu_gets_generic_nack_and_other_binds_keep_working(gateway):
    other = bound(gateway)
    sock = raw_connection(gateway)
    sock.sendall(b"\x00\x00\x00\x05garbage that is no PDU at all")
    command_id, status, _ = read_pdu(sock)
    assert (command_id, status) == (0x80000000, c.SMPP_ESME_RINVCMDLEN)
    assert read_pdu(sock) is None  # the stream cannot resync: closed
    sock.close()
    resp, _ = submit_and_collect(other, source_addr=A, destination_addr="000110", short_message=b"00")
    assert resp.status == 0
    other.disconnect()


def test_unknown_command_gets_generic_nack_and_the_connection_stays(gateway):
    sock = raw_connection(gateway)
    sock.sendall(struct.pack(">LLLL", 16, 0x000000AB, 0, 7))
    assert read_pdu(sock) == (0x80000000, c.SMPP_ESME_RINVCMDID, 7)
    sock.sendall(struct.pack(">LLLL", 16, 0x00000015, 0, 8))  # enquire_link
    assert read_pdu(sock) == (0x80000015, 0, 8)
    sock.close()


def test_submit_before_bind_is_refused_with_invalid_bind_status(gateway):
    sock = raw_connection(gateway)
    client = smpplib.client.Client(*gateway.smpp)
    pdu = smpplib.smpp.make_pdu("submit_sm", client=client, source_addr=A, destination_addr="000110",
                                short_message=b"00")
    pdu.sequence = 5
    sock.sendall(pdu.generate())
    assert read_pdu(sock) == (0x80000004, c.SMPP_ESME_RINVBNDSTS, 5)
    sock.close()


def test_application_account_sends_mt_and_receives_mo_for_its_number(gateway):
    app = bound(gateway, "app", "app")
    handset = bound(gateway)
    resp, _ = submit_and_collect(app, want_deliveries=0, source_addr="7000", destination_addr=A,
                                 short_message=b"Hello from 7000", source_addr_ton=3, source_addr_npi=0,
                                 dest_addr_ton=1, dest_addr_npi=1)
    assert resp.status == 0
    assert gateway.inbox(A)[-1] == {**gateway.inbox(A)[-1], "from": "7000", "text": "Hello from 7000"}
    received = []
    handset.set_message_received_handler(lambda pdu: received.append(pdu))
    while not received:
        handset.read_once()
    assert received[0].source_addr.decode() == "7000"
    # MO from the handset to the application's number.
    status, _ = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "7000", "text": "STOP"})
    assert status == 202
    mo = []
    app.set_message_received_handler(lambda pdu: mo.append(pdu))
    while not mo:
        app.read_once()
    assert (mo[0].source_addr.decode(), mo[0].destination_addr.decode(), text_of(mo[0])) == (A, "7000", "STOP")
    # An application may only send from the numbers it owns.
    errors = []
    app.set_error_pdu_handler(lambda pdu: errors.append(pdu.status))
    app.send_message(source_addr="7001", destination_addr=A, short_message=b"x",
                     source_addr_ton=3, source_addr_npi=0, dest_addr_ton=1, dest_addr_npi=1)
    while not errors:
        app.read_once()
    assert errors == [c.SMPP_ESME_RINVSRCADR]
    app.disconnect()
    handset.disconnect()


def test_enquire_link_and_unbind(gateway):
    client = bound(gateway)
    pdu = smpplib.smpp.make_pdu("enquire_link", client=client)
    client.send_pdu(pdu)
    resp = client.read_pdu()
    assert resp.command == "enquire_link_resp" and resp.status == 0
    client.unbind()
    client.disconnect()
